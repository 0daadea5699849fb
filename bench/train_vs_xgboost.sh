#!/usr/bin/env bash
# Trains riskflow and XGBoost side by side on the same rows of this machine and prints wall
# times, test AUC / log-loss, their ratios and the Bayes limit. Needs Debian's python3-xgboost,
# python3-sklearn and python3-pandas (apt-get install -y python3-xgboost python3-sklearn python3-pandas).
#
#   bench/train_vs_xgboost.sh [ROWS_TRAIN] [ROWS_TEST]     (defaults 1000000 200000)
#
# Outputs go to bench/out/. The machine is shared and noisy: compare the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
rows_train=${1:-1000000}
rows_test=${2:-200000}
trees=300 depth=6 eta=0.1
out=bench/out
mkdir -p "$out"
go build -o "$out/riskflow" ./cmd/riskflow
rf="$out/riskflow"

now() { date +%s%N; }
elapsed() { local ns=$(( $(now) - $1 )); printf '%d.%03d' $((ns / 1000000000)) $(( (ns / 1000000) % 1000 )); }

echo "== generating $rows_train training and $rows_test test rows"
"$rf" datagen --rows "$rows_train" --seed 1 --out "$out/train.csv"   # no truth column: it must never be a feature
"$rf" datagen --rows "$rows_test" --seed 2 --with-truth --out "$out/test.csv"

echo "== riskflow train (reads the CSV, fits the features, trains $trees trees depth $depth, 2 threads)"
t=$(now)
"$rf" train --data "$out/train.csv" --label default --trees $trees --max-depth $depth \
  --learning-rate $eta --max-bin 256 --threads 2 --seed 1 --holdout 0 --out "$out/model.bundle" --quiet
rf_train_s=$(elapsed "$t")
t=$(now)
"$rf" predict --bundle "$out/model.bundle" --in "$out/test.csv" --out "$out/pred.csv"
rf_predict_s=$(elapsed "$t")

echo "== xgboost, one-hot categoricals (pandas + ColumnTransformer + xgboost.train hist, nthread=2)"
CAT_MODE=onehot /usr/bin/python3 bench/xgb_reference.py "$out/train.csv" "$out/test.csv" "$out/pred.csv" \
  $trees $depth $eta > "$out/xgb.json"
echo "== xgboost, ordinal-coded categoricals (as many columns as riskflow)"
CAT_MODE=ordinal /usr/bin/python3 bench/xgb_reference.py "$out/train.csv" "$out/test.csv" "$out/pred.csv" \
  $trees $depth $eta > "$out/xgb_ordinal.json"

echo "== batch prediction of one 300-tree depth-6 XGBoost model, 200,000 rows: XGBoost inplace_predict vs riskflow's gbt"
/usr/bin/python3 gbt/testdata/xgboost/bench_predict.py "$out/xgb300.json" > "$out/xgb_predict.txt"
GBT_XGBOOST_MODEL="$PWD/$out/xgb300.json" go test -run '^$' -bench 'PredictBatchXGBoost$' -count 5 ./gbt > "$out/gbt_predict.txt"

echo "== credit_data.csv (4,454 applicants, seeded 75/25 split, label Status=bad)"
/usr/bin/python3 - "$out" <<'PY'
import sys, pandas as pd
out = sys.argv[1]
df = pd.read_csv("../shared/data/credit_data.csv")
tr = df.sample(frac=0.75, random_state=42)
te = df.drop(tr.index)
tr.to_csv(f"{out}/credit_train.csv", index=False)
te.to_csv(f"{out}/credit_test.csv", index=False)
PY
"$rf" train --data "$out/credit_train.csv" --label Status --positive bad --trees 200 --max-depth 3 \
  --learning-rate 0.05 --threads 2 --seed 1 --holdout 0 --out "$out/credit.bundle" --quiet
"$rf" predict --bundle "$out/credit.bundle" --in "$out/credit_test.csv" --out "$out/credit_pred.csv"
/usr/bin/python3 bench/xgb_reference.py "$out/credit_train.csv" "$out/credit_test.csv" "$out/credit_pred.csv" \
  200 3 0.05 none Status bad > "$out/credit.json"

/usr/bin/python3 - "$out" "$rf_train_s" "$rf_predict_s" <<'PY'
import json, sys
out, rf_train, rf_pred = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
import re, statistics
x = json.load(open(f"{out}/xgb.json"))
o = json.load(open(f"{out}/xgb_ordinal.json"))
c = json.load(open(f"{out}/credit.json"))
xgb_pred = float(re.search(r"median ([0-9.]+) s", open(f"{out}/xgb_predict.txt").read()).group(1))
gbt_runs = [float(v) for v in re.findall(r"([0-9.]+) ns/row", open(f"{out}/gbt_predict.txt").read())]
gbt_pred = statistics.median(gbt_runs) * 200000 / 1e9
print()
print(f"rows: {x['rows_train']:,} train / {x['rows_test']:,} test; xgboost {x['xgboost_version']}, 2 threads")
print(f"| measure | riskflow | xgboost | ratio riskflow/xgboost |")
print(f"|---|---:|---:|---:|")
print(f"| train wall time, s (riskflow: whole command; xgboost: fit alone, one-hot, {x['features']} columns) | {rf_train:.1f} | {x['xgb_fit_s']:.1f} | {rf_train / x['xgb_fit_s']:.2f} |")
print(f"| train wall time, s (xgboost: fit alone, ordinal codes, {o['features']} columns) | {rf_train:.1f} | {o['xgb_fit_s']:.1f} | {rf_train / o['xgb_fit_s']:.2f} |")
print(f"| xgboost read + preprocess, s | | {x['xgb_read_s'] + x['xgb_preprocess_s']:.1f} | |")
print(f"| test AUC (xgboost one-hot) | {x['riskflow_auc']:.4f} | {x['xgb_auc']:.4f} | {x['riskflow_auc'] - x['xgb_auc']:+.4f} |")
print(f"| test AUC (xgboost ordinal) | {o['riskflow_auc']:.4f} | {o['xgb_auc']:.4f} | {o['riskflow_auc'] - o['xgb_auc']:+.4f} |")
print(f"| test log-loss | {x['riskflow_logloss']:.4f} | {x['xgb_logloss']:.4f} | {x['riskflow_logloss'] - x['xgb_logloss']:+.4f} |")
print(f"| Bayes limit AUC / log-loss | {x['bayes_auc']:.4f} / {x['bayes_logloss']:.4f} | | riskflow gap {x['bayes_auc'] - x['riskflow_auc']:.4f} |")
print(f"| riskflow predict command (read CSV, score, write CSV), s | {rf_pred:.2f} | | |")
print(f"| batch prediction, same 300-tree XGBoost model, 200k rows, s | {gbt_pred:.3f} | {xgb_pred:.3f} | {gbt_pred / xgb_pred:.2f} |")
print(f"| credit_data.csv test AUC | {c['riskflow_auc']:.4f} | {c['xgb_auc']:.4f} | {c['riskflow_auc'] - c['xgb_auc']:+.4f} |")
PY
