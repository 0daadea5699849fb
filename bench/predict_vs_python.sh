#!/usr/bin/env bash
# Times batch prediction, CSV in → CSV out, of a 300-tree depth-6 model: `riskflow predict`
# against the Python equivalent (pandas.read_csv + the fitted scikit-learn ColumnTransformer +
# xgboost inplace_predict + DataFrame.to_csv, 2 threads) on the same generated file, and prints
# both wall times and their ratio. Needs Debian's python3-xgboost, python3-sklearn and
# python3-pandas (apt-get install -y python3-xgboost python3-sklearn python3-pandas).
#
#   bench/predict_vs_python.sh [ROWS_SCORE] [ROWS_TRAIN]     (defaults 1000000 200000)
#
# Both sides train their own model on the same training file (untimed); the timed part is
# scoring. riskflow's time is the whole command (process start, bundle load, read, score,
# write); Python's is measured inside the script after training, so it leaves out the
# interpreter start and imports. Outputs go to bench/out/. The machine is shared: note the
# load average printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
rows_score=${1:-1000000}
rows_train=${2:-200000}
trees=300 depth=6 eta=0.1
out=bench/out
mkdir -p "$out"
go build -o "$out/riskflow" ./cmd/riskflow
rf="$out/riskflow"

now() { date +%s%N; }
elapsed() { local ns=$(( $(now) - $1 )); printf '%d.%03d' $((ns / 1000000000)) $(( (ns / 1000000) % 1000 )); }

echo "== generating $rows_train training and $rows_score scoring rows"
"$rf" datagen --rows "$rows_train" --seed 1 --out "$out/predict_train.csv"
"$rf" datagen --rows "$rows_score" --seed 2 --out "$out/predict_score.csv"

echo "== riskflow train ($trees trees, depth $depth, 2 threads)"
"$rf" train --data "$out/predict_train.csv" --label default --trees $trees --max-depth $depth \
  --id order_id --learning-rate $eta --max-bin 256 --threads 2 --seed 1 --holdout 0 --out "$out/predict.bundle" --quiet

echo "== riskflow predict (CSV in, CSV out)"
t=$(now)
"$rf" predict --bundle "$out/predict.bundle" --in "$out/predict_score.csv" --out "$out/predict_rf.csv" --quiet
rf_s=$(elapsed "$t")

echo "== python: train xgboost (untimed), then read_csv + transform + predict + to_csv (timed)"
OMP_NUM_THREADS=2 /usr/bin/python3 bench/xgb_predict.py "$out/predict_train.csv" "$out/predict_score.csv" \
  "$out/predict_py.csv" $trees $depth $eta > "$out/predict_py.json"

load=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/python3 - "$out/predict_py.json" "$rf_s" "$load" "$(nproc)" <<'PY'
import json, sys
py = json.load(open(sys.argv[1]))
rf, load, cpus = float(sys.argv[2]), sys.argv[3], sys.argv[4]
print()
print(f"{py['rows']:,} rows scored, {cpus} CPUs, load average {load}; xgboost {py['xgboost_version']} ({py['features']} one-hot columns)")
print("| step | riskflow predict, s | python, s |")
print("|---|---:|---:|")
print(f"| read CSV | | {py['read_s']:.2f} |")
print(f"| preprocess (ColumnTransformer.transform) | | {py['transform_s']:.2f} |")
print(f"| predict | | {py['predict_s']:.2f} |")
print(f"| write CSV | | {py['write_s']:.2f} |")
print(f"| **total wall time** | **{rf:.2f}** | **{py['total_s']:.2f}** |")
print(f"| **speed-up** | **{py['total_s'] / rf:.1f}×** | |")
PY
