#!/usr/bin/env bash
# Times batch prediction, CSV in → CSV out, of a 300-tree depth-6 model: `riskflow predict`
# against the Python equivalent (pandas.read_csv + the fitted scikit-learn ColumnTransformer +
# xgboost inplace_predict + DataFrame.to_csv, 2 threads) on the same generated file, RUNS times
# each, alternating (riskflow, python, riskflow, ...), and prints every run, the medians and
# their ratio. Needs Debian's python3-xgboost, python3-sklearn and python3-pandas
# (apt-get install -y python3-xgboost python3-sklearn python3-pandas).
#
#   bench/predict_vs_python.sh [ROWS_SCORE] [ROWS_TRAIN] [RUNS]     (defaults 1000000 200000 3)
#
# Both sides train their own model on the same training file (untimed); the timed part is
# scoring. riskflow's time is the whole command (process start, bundle load, read, score,
# write); Python's is measured inside the script after loading the fitted pipeline, so it
# leaves out the interpreter start, the imports and unpickling. Outputs go to bench/out/. The
# machine is shared: note the load average printed with each run.
set -euo pipefail
cd "$(dirname "$0")/.."
rows_score=${1:-1000000}
rows_train=${2:-200000}
runs=${3:-3}
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

echo "== python: train xgboost (untimed)"
OMP_NUM_THREADS=2 /usr/bin/python3 bench/xgb_predict.py fit "$out/predict_train.csv" "$out/predict_py.pkl" \
  $trees $depth $eta > "$out/predict_py_fit.json"

: > "$out/predict_runs.tsv"
for run in $(seq 1 "$runs"); do
  echo "== run $run of $runs: riskflow predict, then python read_csv + transform + predict + to_csv"
  t=$(now)
  "$rf" predict --bundle "$out/predict.bundle" --in "$out/predict_score.csv" --out "$out/predict_rf.csv" --quiet
  rf_s=$(elapsed "$t")
  load_rf=$(cut -d' ' -f1 /proc/loadavg)
  OMP_NUM_THREADS=2 /usr/bin/python3 bench/xgb_predict.py score "$out/predict_py.pkl" "$out/predict_score.csv" \
    "$out/predict_py.csv" > "$out/predict_py.json"
  printf '%s\t%s\t%s\t%s\n' "$rf_s" "$load_rf" "$(cut -d' ' -f1 /proc/loadavg)" "$(cat "$out/predict_py.json")" >> "$out/predict_runs.tsv"
done

/usr/bin/python3 - "$out/predict_runs.tsv" "$(nproc)" <<'PY'
import json, statistics, sys
runs = []
for line in open(sys.argv[1]):
    rf, load_rf, load_py, py = line.rstrip("\n").split("\t", 3)
    runs.append((float(rf), load_rf, load_py, json.loads(py)))
py0 = runs[0][3]
print()
print(f"{py0['rows']:,} rows scored, {sys.argv[2]} CPUs; xgboost {py0['xgboost_version']} ({py0['features']} one-hot columns)")
print("| run | riskflow predict, s (load) | python, s (load): read / transform / predict / write | ratio |")
print("|---|---:|---:|---:|")
for i, (rf, lr, lp, py) in enumerate(runs, 1):
    print(f"| {i} | {rf:.2f} ({lr}) | {py['total_s']:.2f} ({lp}): {py['read_s']:.2f} / {py['transform_s']:.2f} / "
          f"{py['predict_s']:.2f} / {py['write_s']:.2f} | {py['total_s'] / rf:.1f}× |")
rf_med = statistics.median(r[0] for r in runs)
py_med = statistics.median(r[3]["total_s"] for r in runs)
print(f"| **median** | **{rf_med:.2f}** | **{py_med:.2f}** | **{py_med / rf_med:.1f}×** |")
PY
