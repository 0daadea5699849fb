#!/usr/bin/python3
"""Times XGBoost's batch prediction for comparison with gbt's BenchmarkPredictBatchXGBoost.

    /usr/bin/python3 bench_predict.py /tmp/xgb300.json
    GBT_XGBOOST_MODEL=/tmp/xgb300.json go test -run '^$' -bench PredictBatchXGBoost ./gbt

It trains a binary:logistic model of 300 depth-6 trees on 40 synthetic numeric features, saves
it (save_model JSON) to the path given, and times inplace_predict (margins, 2 threads) on
200,000 rows of standard normal values with 5% missing, as the Go benchmark does.
"""
import sys
import time

import numpy as np
import xgboost as xgb

path = sys.argv[1]
rng = np.random.default_rng(0)
n, p = 20000, 40
X = rng.standard_normal((n, p))
y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.standard_normal(n) > 0).astype(float)
params = {"max_depth": 6, "eta": 0.1, "objective": "binary:logistic", "tree_method": "hist", "nthread": 2}
bst = xgb.train(params, xgb.DMatrix(X, y), 300)
bst.save_model(path)

Xt = rng.standard_normal((200000, p))
Xt[rng.random(Xt.shape) < 0.05] = np.nan
bst.inplace_predict(Xt[:1000])
times = []
for _ in range(7):
    start = time.perf_counter()
    bst.inplace_predict(Xt, predict_type="margin")
    times.append(time.perf_counter() - start)
times.sort()
print(f"xgboost {xgb.__version__} inplace_predict, 200000 rows, 2 threads: "
      f"median {times[3]:.3f} s = {times[3] / 200000 * 1e9:.0f} ns/row (min {times[0]:.3f} s)")
