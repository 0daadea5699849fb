#!/usr/bin/env bash
# Serves the same single-record v1 requests with riskflow serve and with the stack a user would
# otherwise deploy: Debian's python3-flask under gunicorn (2 gthread workers, 4 threads each),
# the raw records preprocessed by a scikit-learn ColumnTransformer (one-hot categoricals, the
# timestamp's hour/day-of-week/month, numbers and booleans passed through) fitted on the
# training rows, and scored by XGBoost (hist, one thread per worker, inplace_predict), see
# bench/python_server.py. Measures with riskflow loadtest, for both: the closed-loop throughput
# of 32 connections, and the highest constant rate held with p99 < 80 ms and >= 99.9% success
# (Python 50, 100, 200, 400, 800/s; riskflow 1000, 2000, 4000, 8000, 16000/s; stepping stops at the
# first rate that fails). Prints the table and the ratios.
#
#   bench/serve_vs_python.sh [DURATION] [PY_ROWS]    (defaults 10s per step, 50000 rows)
#
# Shortened to stay quick: 10 s per step (2 s warmup discarded); the Python model is 300 trees
# of depth 6 like riskflow's but fitted on only PY_ROWS training rows (the fit time is not the
# point; serving speed hardly depends on the rows). Needs Debian's python3-flask, gunicorn,
# python3-xgboost, python3-sklearn, python3-pandas (installed here when missing and run as root).
# Loopback only; the load generator shares the machine (2 cores, shared with other jobs).
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}
py_rows=${2:-50000}
out=bench/out
sd=$out/serve
mkdir -p "$sd"
port_rf=18080 port_py=18100

pkgs=(python3-flask gunicorn python3-xgboost python3-sklearn python3-pandas)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  else echo "missing Debian packages: ${missing[*]} (apt-get install -y ${missing[*]})" >&2; exit 1; fi
fi

go build -o "$out/riskflow" ./cmd/riskflow
rf="$out/riskflow"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_ok() {  # URL BODY: poll until a POST answers 200 (at most 3000 tries, 10 ms apart)
  local i code
  for i in $(seq 1 3000); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "$1" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.01
  done
  echo "timed out waiting for $1" >&2; return 1
}

echo "== training data, bundle and records"
if [ ! -f "$out/train.csv" ]; then
  "$rf" datagen --rows 200000 --seed 1 --out "$out/train.csv" --quiet
fi
if [ ! -f "$sd/a.bundle" ]; then
  if [ -f "$out/model.bundle" ]; then cp "$out/model.bundle" "$sd/a.bundle"
  else "$rf" train --data "$out/train.csv" --label default --id order_id --trees 300 --max-depth 6 \
    --threads 2 --seed 1 --holdout 0 --out "$sd/a.bundle" --quiet; fi
fi
if [ ! -f "$sd/records.jsonl" ]; then
  "$rf" datagen --rows 10000 --seed 3 --out "$sd/records_raw.jsonl" --quiet
  /usr/bin/python3 - "$sd/records_raw.jsonl" "$sd/records.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        r = json.loads(line)
        r.pop("default", None); r.pop("true_probability", None)
        o.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
fi
rec="$sd/records.jsonl"
one="{\"instances\":[$(head -1 "$rec")]}"

echo "== fitting the Python model: ColumnTransformer + XGBoost, 300 trees depth 6, first $py_rows rows of $out/train.csv"
OMP_NUM_THREADS=2 /usr/bin/python3 bench/python_server.py fit "$out/train.csv" "$sd/py_model.pkl" "$py_rows" 300 6

echo "== starting riskflow serve and gunicorn (2 workers x 4 threads)"
"$rf" serve --addr 127.0.0.1:$port_rf --model a="$sd/a.bundle" --log-level warn 2> "$sd/serve_rf.log" &
pids+=($!)
OMP_NUM_THREADS=1 PY_MODEL="$PWD/$sd/py_model.pkl" /usr/bin/python3 -m gunicorn -w 2 -k gthread --threads 4 \
  -b 127.0.0.1:$port_py --chdir bench --log-level warning python_server:app 2> "$sd/gunicorn.log" &
pids+=($!)
url_rf=http://127.0.0.1:$port_rf/v1/models/a:predict
url_py=http://127.0.0.1:$port_py/v1/models/a:predict
wait_ok "$url_rf" "$one"
wait_ok "$url_py" "$one"
echo "riskflow: $(curl -s -H 'Content-Type: application/json' --data-binary "$one" "$url_rf")"
echo "python:   $(curl -s -H 'Content-Type: application/json' --data-binary "$one" "$url_py")"

res="$sd/vs_python.tsv"; : > "$res"
lt() { local label=$1; shift
  "$rf" loadtest --json --timeout 5s --records "$rec" --warmup 2s --duration "$dur" "$@" |
    while IFS= read -r l; do printf '%s\t%s\n' "$label" "$l"; done >> "$res"; }
held() {  # did the last report hold: p99 < 80 ms and success >= 99.9%?
  tail -1 "$res" | cut -f2 | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if r["latencies"]["p99_ns"] < 80e6 and r["success"] >= 0.999 else 1)'; }

echo "== closed loop, 32 connections, $dur each"
lt riskflow --url "$url_rf" --max --connections 32
lt python --url "$url_py" --max --connections 32
echo "== constant rates, $dur each, until p99 >= 80 ms or success < 99.9%"
for r in 1000 2000 4000 8000 16000; do lt riskflow --url "$url_rf" --rate $r; held || break; done
for r in 50 100 200 400 800; do lt python --url "$url_py" --rate $r; held || break; done

/usr/bin/python3 - "$res" <<'PY'
import json, sys
rows = [(l.split("\t", 1)[0], json.loads(l.split("\t", 1)[1])) for l in open(sys.argv[1])]
ms = lambda r, k: r["latencies"][k] / 1e6
ok = lambda r: r["latencies"]["p99_ns"] < 80e6 and r["success"] >= 0.999
print()
print("single-record v1 requests, loopback, load generator on the same 2-core machine (shared with other jobs)")
print("| server | load | requests | success | throughput/s | p50 ms | p90 ms | p99 ms | p99.9 ms | held (p99 < 80 ms) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for label, r in rows:
    load = f"closed loop, {r['connections']} conn" if r["mode"] == "max" else f"{r['rate']:g}/s"
    print(f"| {label} | {load} | {r['requests']:,} | {100*r['success']:.2f}% | {r['throughput']:,.0f} | {ms(r,'p50_ns'):.2f} | "
          f"{ms(r,'p90_ns'):.2f} | {ms(r,'p99_ns'):.2f} | {ms(r,'p99.9_ns' if 'p99.9_ns' in r['latencies'] else 'p999_ns'):.2f} | "
          f"{'' if r['mode'] == 'max' else ('yes' if ok(r) else 'no')} |")
mx = {l: r["throughput"] for l, r in rows if r["mode"] == "max"}
held = {l: max([r["rate"] for m, r in rows if m == l and r["mode"] == "rate" and ok(r)], default=0) for l in ("riskflow", "python")}
print()
print(f"closed-loop throughput, 32 connections: riskflow {mx['riskflow']:,.0f}/s, python {mx['python']:,.0f}/s, ratio {mx['riskflow']/mx['python']:.1f}x")
hp = held["python"]
print(f"highest constant rate held with p99 < 80 ms (of the steps tried): riskflow {held['riskflow']:,}/s, python {hp:,}/s"
      + (f", ratio {held['riskflow']/hp:.0f}x" if hp else ", ratio n/a (python held none)"))
PY
