#!/usr/bin/python3
"""Writes the XGBoost parity fixtures for riskflow/modelfmt/xgboost.

Needs Debian's python3-xgboost (1.7.x), python3-numpy and python3-pandas. The inputs are
riskflow-transformed data, made in this directory from the repository root with

    go run ./cmd/riskflow datagen --rows 3000 --seed 5 --out /tmp/x.csv
    go run ./cmd/riskflow features infer --data /tmp/x.csv --label default --out modelfmt/xgboost/testdata/features.yaml
    go run ./cmd/riskflow features fit --spec modelfmt/xgboost/testdata/features.yaml --data /tmp/x.csv \
        --out modelfmt/xgboost/testdata/transformer.json
    go run ./cmd/riskflow features transform --transformer modelfmt/xgboost/testdata/transformer.json \
        --data /tmp/x.csv --out modelfmt/xgboost/testdata/X.csv

then, in modelfmt/xgboost/testdata:

    /usr/bin/python3 gen.py

For each model it writes NAME.json (Booster.save_model) and NAME.rows.json: the input rows (null
for a missing value) and XGBoost's own margins and outputs for them, at full precision (repr of
the float32 XGBoost returns). The rows are the first 300 training rows plus probes: every
feature missing, values at each split threshold and at the float64 midpoints around it (where
XGBoost's float32 rounding decides the branch), and unseen, negative and huge category codes.
The bench model (300 trees of depth 6) backs BenchmarkImported.
"""
import json

import numpy as np
import pandas as pd
import xgboost as xgb

X = pd.read_csv("X.csv")
y = X.pop("default").to_numpy(dtype=np.float64)
names = list(X.columns)
data = X.to_numpy(dtype=np.float64)
# The native categorical columns of transformer.json.
CATEGORICAL = {"market", "assortment", "device", "payment_method", "shipping_method",
               "email_domain_kind", "customer_segment"}
types = ["c" if n in CATEGORICAL else "q" for n in names]


def thresholds(booster):
    """(feature index, float32 threshold) of every numeric split."""
    out = []
    model = json.loads(booster.save_raw("json"))
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        st = tree.get("split_type", [0] * len(tree["left_children"]))
        for i, left in enumerate(tree["left_children"]):
            if left != -1 and st[i] == 0:
                out.append((tree["split_indices"][i], np.float32(tree["split_conditions"][i])))
    return out


def probes(booster, base, categorical):
    rows = [r.copy() for r in base[:300]]
    rows.append(np.full(base.shape[1], np.nan))
    for j in range(base.shape[1]):
        r = base[j].copy()
        r[j] = np.nan
        rows.append(r)
    rng = np.random.default_rng(7)
    ts = thresholds(booster)
    for k in rng.choice(len(ts), size=min(150, len(ts)), replace=False):
        j, t = ts[k]
        below = np.nextafter(t, np.float32(-np.inf))
        mid = (np.float64(below) + np.float64(t)) / 2
        for v in (np.float64(t), np.float64(below), mid, np.nextafter(mid, np.inf), np.nextafter(mid, -np.inf)):
            r = base[rng.integers(len(base))].copy()
            r[j] = v
            rows.append(r)
    if categorical:
        for j, n in enumerate(names):
            if n in CATEGORICAL:
                for v in (40.0, 63.0, 64.0, 200.0, 5000.0, -1.0):
                    r = base[rng.integers(len(base))].copy()
                    r[j] = v
                    rows.append(r)
    return np.array(rows)


def save(name, booster, rows, dmatrix_args):
    booster.save_model(name + ".json")
    d = xgb.DMatrix(rows, **dmatrix_args)
    margin = booster.predict(d, output_margin=True)
    output = booster.predict(d)
    doc = {
        "xgboost": xgb.__version__,
        "rows": [[None if np.isnan(v) else float(v) for v in r] for r in rows],
        "margin": [float(v) for v in margin],
        "output": [float(v) for v in output],
    }
    with open(name + ".rows.json", "w") as f:
        json.dump(doc, f)


def train(params, rounds, dmatrix_args, label=y):
    d = xgb.DMatrix(data, label=label, **dmatrix_args)
    return xgb.train(params, d, num_boost_round=rounds)


named = {"feature_names": names}
# 1. binary:logistic on the codes as numbers, feature names stored, 5% of values blanked.
rng = np.random.default_rng(5)
holes = data.copy()
holes[rng.random(holes.shape) < 0.05] = np.nan
d = xgb.DMatrix(holes, label=y, feature_names=names)
b = xgb.train({"objective": "binary:logistic", "tree_method": "hist", "max_depth": 4, "eta": 0.2, "seed": 1}, d, 80)
save("binary", b, probes(b, holes, False), named)

# 2. reg:squarederror on order_amount's log from the rest, no feature names (matched by position).
amount = names.index("order_amount")
target = np.log1p(data[:, amount])
rest = np.delete(data, amount, axis=1)
d = xgb.DMatrix(rest, label=target)
b = xgb.train({"objective": "reg:squarederror", "tree_method": "hist", "max_depth": 5, "eta": 0.1, "base_score": 3.5}, d, 60)
save("regression", b, probes(b, np.delete(holes, amount, axis=1), False), {})

# 3. reg:logistic with a base_score other than 0.5.
d = xgb.DMatrix(holes, label=y, feature_names=names)
b = xgb.train({"objective": "reg:logistic", "tree_method": "approx", "max_depth": 3, "eta": 0.3, "base_score": 0.2}, d, 40)
save("reglogistic", b, probes(b, holes, False), named)

# 4. Native categorical splits (enable_categorical with hist), set partitions and one-hot ones.
cat_args = {"feature_names": names, "feature_types": types, "enable_categorical": True}
d = xgb.DMatrix(holes, label=y, **cat_args)
b = xgb.train({"objective": "binary:logistic", "tree_method": "hist", "max_depth": 4, "eta": 0.2,
               "max_cat_to_onehot": 4, "base_score": 0.3}, d, 60)
save("categorical", b, probes(b, holes, True), cat_args)

# 5. The benchmark model: 300 trees of depth 6.
d = xgb.DMatrix(holes, label=y, feature_names=names)
b = xgb.train({"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.05,
               "min_child_weight": 0, "lambda": 0.1}, d, 300)
b.save_model("bench.json")
