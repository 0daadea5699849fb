"""The serving stack a user would otherwise deploy, for bench/serve_vs_python.sh.

Flask app (run under Debian's gunicorn) that takes riskflow's v1 body
{"instances": [record, ...]} on POST /v1/models/<name>:predict, preprocesses the raw records
with a scikit-learn ColumnTransformer fitted on the training data and scores them with an
XGBoost booster (one thread per worker). Answers {"predictions": [...], "model_name": ...}.

    /usr/bin/python3 bench/python_server.py fit TRAIN.csv MODEL.pkl ROWS TREES DEPTH
    PY_MODEL=MODEL.pkl gunicorn -w 2 -k gthread --threads 4 -b 127.0.0.1:18100 \
        --chdir bench python_server:app
"""
import os
import pickle
import sys
import time

import numpy as np
import pandas as pd

CATS = ["market", "assortment", "device", "payment_method", "shipping_method",
        "email_domain_kind", "customer_segment"]
NUMS = ["order_amount", "basket_size", "avg_item_price", "customer_age", "customer_tenure_days",
        "account_age_days", "n_prev_orders", "n_prev_returns", "n_late_payments",
        "days_since_last_order", "hour_of_day"]
BOOLS = ["billing_shipping_match", "is_first_order"]
TS = "order_ts"
DERIVED = ["ts_hour", "ts_dayofweek", "ts_month"]


def prepare(df):
    """Raw records -> the columns the ColumnTransformer takes (missing fields become NaN)."""
    df = df.reindex(columns=[TS] + CATS + NUMS + BOOLS)
    ts = pd.to_datetime(df[TS], utc=True, errors="coerce")
    out = pd.DataFrame({"ts_hour": ts.dt.hour, "ts_dayofweek": ts.dt.dayofweek,
                        "ts_month": ts.dt.month}, index=df.index).astype("float64")
    for c in CATS:
        out[c] = df[c].astype("object").where(df[c].notna(), "__missing__")
    for c in NUMS:
        out[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in BOOLS:
        out[c] = df[c].map({True: 1.0, False: 0.0, "true": 1.0, "false": 0.0}).astype("float64")
    return out


def fit(train_csv, model_out, rows, trees, depth):
    import xgboost as xgb
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    t0 = time.time()
    df = pd.read_csv(train_csv, nrows=rows, keep_default_na=True)
    y = df["default"].to_numpy()
    X = prepare(df)
    ct = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), CATS),
         ("num", "passthrough", DERIVED + NUMS + BOOLS)],
        sparse_threshold=0.0)
    M = ct.fit_transform(X).astype(np.float32)
    t1 = time.time()
    booster = xgb.train({"objective": "binary:logistic", "tree_method": "hist", "max_depth": depth,
                         "eta": 0.1, "max_bin": 256, "nthread": 2, "seed": 1},
                        xgb.DMatrix(M, label=y), num_boost_round=trees)
    t2 = time.time()
    with open(model_out, "wb") as f:
        pickle.dump({"ct": ct, "booster": booster.save_raw("json")}, f)
    print(f"python model: {len(df):,} rows, {M.shape[1]} columns, {trees} trees depth {depth}, "
          f"preprocess {t1 - t0:.1f} s, xgboost fit {t2 - t1:.1f} s", file=sys.stderr)


def make_app(model_path):
    import xgboost as xgb
    from flask import Flask, jsonify, request

    with open(model_path, "rb") as f:
        m = pickle.load(f)
    ct = m["ct"]
    booster = xgb.Booster(params={"nthread": 1}, model_file=bytearray(m["booster"]))
    booster.set_param({"nthread": 1})
    app = Flask(__name__)

    @app.post("/v1/models/<path:spec>")
    def predict(spec):
        if not spec.endswith(":predict"):
            return jsonify(error="unknown route"), 404
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("instances"), list) \
                or not body["instances"]:
            return jsonify(error='expected {"instances": [record, ...]}'), 400
        X = ct.transform(prepare(pd.DataFrame.from_records(body["instances"])))
        p = booster.inplace_predict(X.astype(np.float32))
        return jsonify(predictions=[float(v) for v in p], model_name=spec[:-len(":predict")],
                       model_version="python")

    @app.get("/ping")
    def ping():
        return "ok"

    return app


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "fit":
    fit(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
elif "PY_MODEL" in os.environ:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    app = make_app(os.environ["PY_MODEL"])
