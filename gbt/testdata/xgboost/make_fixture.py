#!/usr/bin/python3
"""Writes the XGBoost parity fixture for riskflow/gbt (TestXGBoostParity).

Run from this directory with Debian's python3-xgboost (1.7.x):

    /usr/bin/python3 make_fixture.py

It trains a small binary:logistic model on synthetic data with missing values and one
categorical feature, saves it with save_model (model.json), and records for some rows the
margin and the TreeSHAP contributions (pred_contribs) XGBoost computes (rows.json). Inputs are
float32 values, so that XGBoost's float32 comparisons and gbt's float64 ones route alike; NaN is
written as null.
"""
import json

import numpy as np
import pandas as pd
import xgboost as xgb

rng = np.random.default_rng(20240601)
n, p = 3000, 6
X = rng.standard_normal((n, p)).astype(np.float32)
X[:, 5] = rng.integers(0, 7, n)  # categorical: codes 0..6
X[rng.random((n, p)) < 0.08] = np.nan
logit = 0.8 * np.nan_to_num(X[:, 0]) - 0.6 * np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2]) \
    + np.isin(X[:, 5], [1, 4, 5]) - 0.5 * np.isnan(X[:, 3])
y = (logit + rng.standard_normal(n) > 0).astype(np.float32)

df = pd.DataFrame(X, columns=[f"f{j}" for j in range(p)])
df["f5"] = pd.Categorical(df["f5"], categories=range(7))
train = xgb.DMatrix(df, y, enable_categorical=True)
params = {
    "objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "tree_method": "hist",
    "max_cat_to_onehot": 1, "base_score": 0.3, "seed": 1, "nthread": 1,
}
bst = xgb.train(params, train, num_boost_round=25)
bst.save_model("model.json")

rows = X[:200].copy()
rows[0, :] = np.nan  # every value missing
test = xgb.DMatrix(pd.DataFrame(rows, columns=df.columns).astype({"f5": df["f5"].dtype}), enable_categorical=True)
margin = bst.predict(test, output_margin=True)
contribs = bst.predict(test, pred_contribs=True)


def cell(v):
    return None if np.isnan(v) else float(v)


with open("rows.json", "w") as f:
    json.dump({
        "xgboost": xgb.__version__,
        "x": [[cell(v) for v in r] for r in rows],
        "margin": [float(m) for m in margin],
        "contribs": [[float(c) for c in r] for r in contribs],
    }, f)
    f.write("\n")
