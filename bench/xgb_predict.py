#!/usr/bin/python3
"""Python batch-prediction reference for bench/predict_vs_python.sh.

fit: trains the preprocessing (pandas + a scikit-learn ColumnTransformer with one-hot
categoricals, the same derived datetime columns as bench/xgb_reference.py) and an XGBoost model
(hist, the given trees/depth/learning rate, 2 threads) on TRAIN.csv and pickles both to
MODEL.pkl; prints {"fit_s": ...}.

score: loads MODEL.pkl (untimed), then times what a Python batch-scoring job does with the
fitted pipeline on SCORE.csv: pandas.read_csv, ColumnTransformer.transform,
booster.inplace_predict and DataFrame.to_csv of the id and the probability to OUT.csv. Prints a
JSON document with the timings.

usage: xgb_predict.py fit TRAIN.csv MODEL.pkl TREES DEPTH ETA
       xgb_predict.py score MODEL.pkl SCORE.csv OUT.csv
"""
import json
import pickle
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder

ID, LABEL = "order_id", "default"
NOT_FEATURES = {ID, LABEL, "customer_id", "true_probability"}


def derive(df):
    """Adds the datetime parts riskflow's inferred spec uses and turns booleans into numbers."""
    for c in list(df.columns):
        if c.endswith("_ts"):
            ts = pd.to_datetime(df[c], utc=True)
            df[c + "_hour"] = ts.dt.hour
            df[c + "_dayofweek"] = ts.dt.dayofweek
            df[c + "_month"] = ts.dt.month
        elif df[c].dtype == bool:
            df[c] = df[c].astype(np.float64)
    return df


def fit(train_path, model_path, trees, depth, eta):
    tr = derive(pd.read_csv(train_path))
    feats = [c for c in tr.columns if c not in NOT_FEATURES and not c.endswith("_ts")]
    cats = [c for c in feats if tr[c].dtype == object]
    nums = [c for c in feats if c not in cats]
    ct = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), cats), ("num", "passthrough", nums)],
        sparse_threshold=0.0,
    )
    x_tr = ct.fit_transform(tr[feats]).astype(np.float32)
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": depth,
              "eta": eta, "max_bin": 256, "nthread": 2, "seed": 1}
    t0 = time.perf_counter()
    booster = xgb.train(params, xgb.DMatrix(x_tr, label=tr[LABEL].astype(np.float64), nthread=2),
                        num_boost_round=trees)
    fit_s = time.perf_counter() - t0
    with open(model_path, "wb") as f:
        pickle.dump({"ct": ct, "feats": feats, "booster": booster}, f)
    json.dump({"fit_s": fit_s}, sys.stdout)
    print()


def score(model_path, score_path, out_path):
    with open(model_path, "rb") as f:
        m = pickle.load(f)
    ct, feats, booster = m["ct"], m["feats"], m["booster"]
    booster.set_param({"nthread": 2})
    t1 = time.perf_counter()
    df = derive(pd.read_csv(score_path))
    t2 = time.perf_counter()
    x = ct.transform(df[feats]).astype(np.float32)
    t3 = time.perf_counter()
    p = booster.inplace_predict(x)
    t4 = time.perf_counter()
    pd.DataFrame({ID: df[ID], "probability": p}).to_csv(out_path, index=False)
    t5 = time.perf_counter()
    json.dump({
        "rows": int(len(df)),
        "features": int(x.shape[1]),
        "xgboost_version": xgb.__version__,
        "read_s": t2 - t1,
        "transform_s": t3 - t2,
        "predict_s": t4 - t3,
        "write_s": t5 - t4,
        "total_s": t5 - t1,
    }, sys.stdout)
    print()


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "fit":
        fit(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
    elif len(sys.argv) == 5 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
