#!/usr/bin/python3
"""XGBoost reference for bench/train_vs_xgboost.sh.

Reads the same train/test CSV files riskflow trained on, preprocesses them the way a Python
user would (pandas + a scikit-learn ColumnTransformer with one-hot categoricals), trains
XGBoost with tree_method=hist and the same trees/depth/learning rate on 2 threads, and prints
a JSON document with timings and test metrics for XGBoost, riskflow (from its predictions
file) and the Bayes limit (from true_probability).

usage: xgb_reference.py TRAIN.csv TEST.csv RISKFLOW_PREDICTIONS.csv TREES DEPTH ETA [ID LABEL [POSITIVE]]

CAT_MODE=onehot (default) one-hot encodes text columns with a OneHotEncoder; CAT_MODE=ordinal
gives each level an integer code (an OrdinalEncoder), so XGBoost sees as many columns as
riskflow's native categoricals.
"""
import os
import json
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder


def main():
    train_path, test_path, rf_path = sys.argv[1:4]
    trees, depth, eta = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    id_col = sys.argv[7] if len(sys.argv) > 7 else "order_id"
    label = sys.argv[8] if len(sys.argv) > 8 else "default"
    positive = sys.argv[9] if len(sys.argv) > 9 else None
    if id_col == "none":
        id_col = None

    t0 = time.perf_counter()
    tr = pd.read_csv(train_path)
    te = pd.read_csv(test_path)
    t_read = time.perf_counter() - t0

    def target(df):
        y = df[label]
        if positive is not None:
            return (y.astype(str) == positive).astype(np.float64).to_numpy()
        return y.astype(np.float64).to_numpy()

    y_tr, y_te = target(tr), target(te)
    drop = {label, id_col, "customer_id", "true_probability"} - {None}
    t1 = time.perf_counter()
    for df in (tr, te):
        for c in list(df.columns):
            if c.endswith("_ts"):
                ts = pd.to_datetime(df[c], utc=True)
                df[c + "_hour"] = ts.dt.hour
                df[c + "_dayofweek"] = ts.dt.dayofweek
                df[c + "_month"] = ts.dt.month
                drop.add(c)
            elif df[c].dtype == bool:
                df[c] = df[c].astype(np.float64)
    feats = [c for c in tr.columns if c not in drop]
    cats = [c for c in feats if tr[c].dtype == object]
    nums = [c for c in feats if c not in cats]
    cat_mode = os.environ.get("CAT_MODE", "onehot")
    if cat_mode == "ordinal":
        enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan)
    else:
        enc = OneHotEncoder(handle_unknown="ignore")
    ct = ColumnTransformer(
        [("cat", enc, cats), ("num", "passthrough", nums)],
        sparse_threshold=0.0,
    )
    x_tr = ct.fit_transform(tr[feats]).astype(np.float32)
    x_te = ct.transform(te[feats]).astype(np.float32)
    t_pre = time.perf_counter() - t1

    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": depth,
        "eta": eta,
        "max_bin": 256,
        "nthread": 2,
        "seed": 1,
    }
    t2 = time.perf_counter()
    dtrain = xgb.DMatrix(x_tr, label=y_tr, nthread=2)
    booster = xgb.train(params, dtrain, num_boost_round=trees)
    t_fit = time.perf_counter() - t2

    t3 = time.perf_counter()
    p_xgb = booster.inplace_predict(x_te)
    t_pred = time.perf_counter() - t3

    rf = pd.read_csv(rf_path)
    if id_col and id_col in rf.columns and id_col in te.columns:
        rf = rf.set_index(id_col).loc[te[id_col]]
    p_rf = rf["probability"].to_numpy(dtype=np.float64)

    out = {
        "rows_train": int(len(tr)),
        "rows_test": int(len(te)),
        "categoricals": cat_mode,
        "features": int(x_tr.shape[1]),
        "xgboost_version": xgb.__version__,
        "xgb_read_s": t_read,
        "xgb_preprocess_s": t_pre,
        "xgb_fit_s": t_fit,
        "xgb_predict_s": t_pred,
        "xgb_predict_rows_per_s": len(te) / t_pred,
        "xgb_auc": roc_auc_score(y_te, p_xgb),
        "xgb_logloss": log_loss(y_te, p_xgb),
        "riskflow_auc": roc_auc_score(y_te, p_rf),
        "riskflow_logloss": log_loss(y_te, p_rf),
    }
    if "true_probability" in te.columns:
        out["bayes_auc"] = roc_auc_score(y_te, te["true_probability"])
        out["bayes_logloss"] = log_loss(y_te, te["true_probability"])
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
