#!/usr/bin/env bash
# The noisy-neighbour test of 'riskflow serve': model b takes 500 single-record requests/s,
# alone and then while model a is flooded, in two ways:
#
#   1. at 5x the rate the server can score a's requests: a's requests carry 10 instances with 3
#      reason codes each (exact TreeSHAP: the costly kind), its capacity is measured first with
#      a closed loop, then it is offered 5x that as a constant (open-loop) rate;
#   2. by a closed loop of 256 connections sending single-record requests as fast as they are
#      answered (what the load generator, on the same cores, can offer).
#
# Prints b's success and latency percentiles in each case, a's offered rate and how it was
# answered. Both models serve copies of one 300-tree depth-6 bundle: bench/out/predict.bundle
# (from bench/predict_vs_python.sh) or bench/out/model.bundle when present, else one trained
# on 200,000 generated rows.
#
#   bench/noisy.sh [DURATION]        (default 10s per step)
#
# SERVE_FLAGS adds flags to 'riskflow serve', e.g. SERVE_FLAGS="--max-concurrent 1" (each model
# scores at most one request at a time: with 2 workers a flooded model leaves one to the others).
#
# Everything listens on 127.0.0.1 and is bounded in time; the server is killed on exit. The load
# generator runs on the same 2 cores as the server, shared with other jobs: note the load
# average printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}
out=bench/out
sd=$out/noisy
mkdir -p "$sd"
rm -f "$sd"/results.tsv
go build -o "$out/riskflow" ./cmd/riskflow
rf="$out/riskflow"
port=18180
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
. bench/lib.sh

echo "== bundle"
if [ -f "$out/predict.bundle" ]; then
  cp "$out/predict.bundle" "$sd/a.bundle"
elif [ -f "$out/model.bundle" ]; then
  cp "$out/model.bundle" "$sd/a.bundle"
else
  "$rf" datagen --rows 200000 --seed 1 --out "$sd/train.csv" --quiet
  "$rf" train --data "$sd/train.csv" --label default --id order_id --trees 300 --max-depth 6 \
    --threads 2 --seed 1 --holdout 0 --out "$sd/a.bundle" --quiet
fi
cp "$sd/a.bundle" "$sd/b.bundle"

echo "== records and request bodies"
"$rf" datagen --rows 10000 --seed 3 --out "$sd/records_raw.jsonl" --quiet
/usr/bin/python3 - "$sd" <<'PY'
import json, sys
sd = sys.argv[1]
recs = []
with open(f"{sd}/records_raw.jsonl") as f, open(f"{sd}/records.jsonl", "w") as o:
    for line in f:
        r = json.loads(line)
        r.pop("default", None); r.pop("true_probability", None)
        o.write(json.dumps(r, separators=(",", ":")) + "\n")
        recs.append(r)
with open(f"{sd}/a_body.json", "w") as o:
    json.dump({"instances": recs[:10], "explain": 3}, o, separators=(",", ":"))
PY
rec="$sd/records.jsonl"

echo "== serve a and b"
"$rf" serve --addr 127.0.0.1:$port --model a="$sd/a.bundle" --model b="$sd/b.bundle" --log-level warn ${SERVE_FLAGS:-} 2> "$sd/serve.log" &
pids+=($!)
wait_ok "http://127.0.0.1:$port/v2/health/ready"
url_a=http://127.0.0.1:$port/v1/models/a:predict
url_b=http://127.0.0.1:$port/v1/models/b:predict
flood_s=$(( ${dur%s} + 4 ))

echo "== b alone at 500/s"
lt "b alone" --url "$url_b" --records "$rec" --rate 500 --duration "$dur" --warmup 2s

echo "== a's capacity: closed loop, 4 connections, 10 instances with 3 reason codes per request"
lt "a capacity" --url "$url_a" --body "$sd/a_body.json" --max --connections 4 --duration 5s --warmup 1s
cap=$(/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    k, js = l.rstrip("\n").split("\t", 1)
    if k == "a capacity": print(round(json.loads(js)["throughput"]))' "$sd/results.tsv")
flood=$(( cap * 5 ))
echo "a's capacity $cap requests/s; flooding at $flood requests/s"

echo "== 1: a flooded at 5x its capacity (open loop) while b takes 500/s"
"$rf" loadtest --json --timeout 5s --url "$url_a" --body "$sd/a_body.json" --rate "$flood" --connections 512 \
  --duration "${flood_s}s" > "$sd/flood1.json" &
pid_flood=$!; pids+=("$pid_flood")
sleep 2
lt "b, a flooded at 5x capacity" --url "$url_b" --records "$rec" --rate 500 --duration "$dur"
wait "$pid_flood" || true
printf 'a flood 1\t%s\n' "$(cat "$sd/flood1.json")" >> "$sd/results.tsv"

echo "== 2: a flooded by a closed loop of 256 connections (single records) while b takes 500/s"
"$rf" loadtest --json --timeout 5s --url "$url_a" --records "$rec" --max --connections 256 \
  --duration "${flood_s}s" > "$sd/flood2.json" &
pid_flood=$!; pids+=("$pid_flood")
sleep 2
lt "b, a flooded by 256 connections" --url "$url_b" --records "$rec" --rate 500 --duration "$dur"
wait "$pid_flood" || true
printf 'a flood 2\t%s\n' "$(cat "$sd/flood2.json")" >> "$sd/results.tsv"

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "serve flags: ${SERVE_FLAGS:-none}"
/usr/bin/python3 - "$sd" "$load" <<'PY'
import json, sys
sd, load = sys.argv[1], sys.argv[2]
rows = []
for line in open(f"{sd}/results.tsv"):
    label, js = line.rstrip("\n").split("\t", 1)
    rows.append((label, json.loads(js)))
ms = lambda r, k: r["latencies"][k] / 1e6
def codes(r):
    c = dict(r["status_codes"]); c.update({k[:50]: v for k, v in r["errors"].items()})
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(c.items(), key=lambda kv: -kv[1])[:3])
print()
print(f"load average {load}")
print("| step | offered/s | requests | success | p50 ms | p99 ms | p99.9 ms | max ms | answers |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for label, r in rows:
    offered = f"{r['request_rate']:,.0f}" if r["mode"] != "max" else f"closed loop, {r['connections']} conn ({r['request_rate']:,.0f})"
    print(f"| {label} | {offered} | {r['requests']:,} | {100*r['success']:.2f}% | {ms(r,'p50_ns'):.2f} | "
          f"{ms(r,'p99_ns'):.2f} | {ms(r,'p999_ns'):.2f} | {ms(r,'max_ns'):.2f} | {codes(r)} |")
PY
