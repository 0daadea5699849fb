#!/usr/bin/python3
"""XGBoost side of boost's accuracy and speed comparison (xgb_test.go, RISKFLOW_XGB=1).

Reads the train and test matrices the Go test wrote (raw little-endian float64, row-major, the
label in the last column), trains xgboost.train with tree_method=hist and the parameters
given, and prints one JSON object: fit seconds (DMatrix construction + train, as xgboost.train
users pay it), test AUC and log-loss.

usage: xgb_compare.py TRAIN.f64 TEST.f64 NFEATURES CATEGORICAL_MASK TREES DEPTH ETA THREADS [MODE]
       CATEGORICAL_MASK is a string of 0/1, one per feature ("1": categorical).
       MODE says what XGBoost does with the categorical features: "native" (default;
       enable_categorical, partition splits), "onehot" (one 0/1 column per code, as a
       scikit-learn OneHotEncoder user would; encoding is not timed) or "numeric" (codes as
       numbers).
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import log_loss, roc_auc_score


def load(path, nf):
    a = np.fromfile(path, dtype="<f8").reshape(-1, nf + 1)
    return np.ascontiguousarray(a[:, :nf]), a[:, nf]


def main():
    train, test, nf = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mask = sys.argv[4]
    trees, depth, eta, threads = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8])
    mode = sys.argv[9] if len(sys.argv) > 9 else "native"
    x_tr, y_tr = load(train, nf)
    x_te, y_te = load(test, nf)
    types = ["c" if c == "1" and mode == "native" else "q" for c in mask]
    if mode == "onehot":
        cats = [f for f, c in enumerate(mask) if c == "1"]
        nums = [f for f, c in enumerate(mask) if c != "1"]

        def onehot(x):
            cols = [x[:, nums]]
            for f in cats:
                codes = np.unique(x_tr[:, f][~np.isnan(x_tr[:, f])])
                cols.append((x[:, f][:, None] == codes[None, :]).astype(np.float64))
            return np.ascontiguousarray(np.hstack(cols))

        x_tr, x_te = onehot(x_tr), onehot(x_te)
        types = ["q"] * x_tr.shape[1]
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": depth,
        "eta": eta,
        "max_bin": 256,
        "nthread": threads,
        "seed": 1,
        "max_cat_to_onehot": 1,
    }
    t0 = time.perf_counter()
    d_tr = xgb.DMatrix(x_tr, label=y_tr, feature_types=types, enable_categorical=True, nthread=threads)
    booster = xgb.train(params, d_tr, num_boost_round=trees)
    fit = time.perf_counter() - t0
    d_te = xgb.DMatrix(x_te, feature_types=types, enable_categorical=True, nthread=threads)
    p = booster.predict(d_te)
    json.dump({
        "xgboost_version": xgb.__version__,
        "columns": int(x_tr.shape[1]),
        "fit_s": fit,
        "auc": roc_auc_score(y_te, p),
        "logloss": log_loss(y_te, p),
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
