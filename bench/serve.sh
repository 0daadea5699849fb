#!/usr/bin/env bash
# Load-tests 'riskflow serve' on this machine with single-record v1 requests and compares it
# with the machine's ceiling: bench/ceiling, a minimal net/http server that reads the body and
# answers a fixed prediction, loaded the same way. Prints, for both: constant rates 2,000/s and
# 5,000/s (success, p50/p90/p99/p99.9), closed-loop throughput and their ratio; then for
# riskflow alone: a noisy neighbour (model a flooded by a closed loop of 256 connections while
# model b takes 500 requests/s), a hot swap during 1,000 requests/s (a second bundle copied over
# the served file, SIGHUP, then swapped back atomically) and the cold start with 1 and 10 bundles.
#
#   bench/serve.sh [DURATION]        (default 10s per load step; the issue asked for 30 s,
#                                     shortened to keep the whole run under about 4 minutes)
#
# Reuses bench/out/model.bundle (300 trees, depth 6, from bench/train_vs_xgboost.sh) when it
# exists, else trains one on 200,000 generated rows. Records: 10,000 generated orders (seed 3)
# as JSONL, label removed. Everything listens on 127.0.0.1; every step is bounded in time;
# the servers are killed on exit. Outputs go to bench/out/serve/.
#
# The load generator runs on the same machine as the server and takes CPU from it; the machine
# has 2 cores shared with other jobs: the absolute numbers are noisy, compare the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}
out=bench/out
sd=$out/serve
mkdir -p "$sd"
rm -f "$sd"/*.jsonl.res "$sd"/results.tsv
go build -o "$out/riskflow" ./cmd/riskflow
go build -o "$out/ceiling" ./bench/ceiling
rf="$out/riskflow"
port_rf=18080 port_ceil=18090 port_cold=18081
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
. bench/lib.sh

echo "== model bundles"
if [ -f "$out/model.bundle" ]; then
  cp "$out/model.bundle" "$sd/a.bundle"      # a snapshot: train_vs_xgboost.sh may rewrite it
else
  "$rf" datagen --rows 200000 --seed 1 --out "$sd/train.csv" --quiet
  "$rf" train --data "$sd/train.csv" --label default --id order_id --trees 300 --max-depth 6 \
    --threads 2 --seed 1 --holdout 0 --out "$sd/a.bundle" --quiet
fi
cp "$sd/a.bundle" "$sd/b.bundle"
cp "$sd/a.bundle" "$sd/swap.bundle"
# the second bundle for the hot swap: also 300 trees of depth 6, other data
"$rf" datagen --rows 50000 --seed 5 --out "$sd/train2.csv" --quiet
"$rf" train --data "$sd/train2.csv" --label default --id order_id --trees 300 --max-depth 6 \
  --threads 2 --seed 2 --holdout 0 --out "$sd/second.bundle" --quiet
rm -rf "$sd/cold" && mkdir -p "$sd/cold"
for i in $(seq 0 9); do cp "$sd/a.bundle" "$sd/cold/m$i.bundle"; done

echo "== records (10,000 generated orders, label removed)"
"$rf" datagen --rows 10000 --seed 3 --out "$sd/records_raw.jsonl" --quiet
/usr/bin/python3 - "$sd/records_raw.jsonl" "$sd/records.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        r = json.loads(line)
        r.pop("default", None); r.pop("true_probability", None)
        o.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
rec="$sd/records.jsonl"
one=$(head -1 "$rec")

echo "== starting riskflow serve (models a, b, swap) and the ceiling"
"$rf" serve --addr 127.0.0.1:$port_rf --model a="$sd/a.bundle" --model b="$sd/b.bundle" \
  --model swap="$sd/swap.bundle" --poll 1s --log-level warn 2> "$sd/serve.log" &
pid_rf=$!; pids+=("$pid_rf")
"$out/ceiling" --port $port_ceil 2> "$sd/ceiling.log" &
pids+=($!)
wait_ok "http://127.0.0.1:$port_rf/v2/health/ready"
wait_ok "http://127.0.0.1:$port_ceil/" "{\"instances\":[$one]}"
url_rf=http://127.0.0.1:$port_rf/v1/models/a:predict
url_ceil=http://127.0.0.1:$port_ceil/v1/models/a:predict
curl -s -H 'Content-Type: application/json' --data-binary "{\"instances\":[$one]}" "$url_rf"; echo

echo "== constant rates 2000/s and 5000/s, $dur each (2 s warmup discarded)"
lt "riskflow" --url "$url_rf" --records "$rec" --rate 2000,5000 --duration "$dur" --warmup 2s
lt "ceiling" --url "$url_ceil" --records "$rec" --rate 2000,5000 --duration "$dur" --warmup 2s
echo "== closed loop, 32 connections, $dur"
lt "riskflow" --url "$url_rf" --records "$rec" --max --connections 32 --duration "$dur" --warmup 2s
lt "ceiling" --url "$url_ceil" --records "$rec" --max --connections 32 --duration "$dur" --warmup 2s

echo "== noisy neighbour: b alone at 500/s, then a flooded (closed loop, 256 connections) while b takes 500/s"
lt "b alone" --url http://127.0.0.1:$port_rf/v1/models/b:predict --records "$rec" --rate 500 --duration "$dur"
flood_s=$(( ${dur%s} + 4 ))
"$rf" loadtest --json --timeout 5s --url "$url_rf" --records "$rec" --max --connections 256 \
  --duration "${flood_s}s" > "$sd/flood.json" &
pid_flood=$!; pids+=("$pid_flood")
sleep 2
lt "b, a flooded" --url http://127.0.0.1:$port_rf/v1/models/b:predict --records "$rec" --rate 500 --duration "$dur"
wait "$pid_flood" || true
printf 'a (flood)\t%s\n' "$(cat "$sd/flood.json")" >> "$sd/results.tsv"

echo "== hot swap during 1000/s for $dur: at 3 s cp second.bundle over swap.bundle + SIGHUP, at 6 s atomic swap back (cp+mv) + SIGHUP"
version() { curl -s -H 'Content-Type: application/json' --data-binary "{\"instances\":[$one]}" \
  "http://127.0.0.1:$port_rf/v1/models/swap:predict" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["model_version"], d["predictions"][0])'; }
v0=$(version)
lt "swap" --url http://127.0.0.1:$port_rf/v1/models/swap:predict --records "$rec" --rate 1000 --duration "$dur" &
pid_swap=$!
sleep 3
cp "$sd/second.bundle" "$sd/swap.bundle"; kill -HUP "$pid_rf"
sleep 2; v1=$(version); sleep 1
cp "$sd/a.bundle" "$sd/swap.bundle.tmp" && mv "$sd/swap.bundle.tmp" "$sd/swap.bundle"; kill -HUP "$pid_rf"
wait "$pid_swap"
sleep 1; v2=$(version)
echo "swap versions: before $v0 | after the first swap $v1 | after swapping back $v2" | tee "$sd/swap_versions.txt"
grep -iE 'load|reload|swap' "$sd/serve.log" | tail -5 || true

echo "== cold start: 1 bundle, then 10 bundles: process start to the first 200 from the last model (3 runs each)"
: > "$sd/cold.txt"
for n in 1 10; do
  cold_args=()
  for i in $(seq 0 $((n - 1))); do cold_args+=(--model "m$i=$sd/cold/m$i.bundle"); done
  for run in 1 2 3; do
    t0=$(now)
    "$rf" serve --addr 127.0.0.1:$port_cold "${cold_args[@]}" --log-level warn 2>> "$sd/cold.log" &
    pid_cold=$!; pids+=("$pid_cold")
    wait_ok "http://127.0.0.1:$port_cold/v1/models/m$((n - 1)):predict" "{\"instances\":[$one]}"
    t1=$(now)
    echo "$n $(( (t1 - t0) / 1000000 ))" >> "$sd/cold.txt"
    kill "$pid_cold"; wait "$pid_cold" 2>/dev/null || true
  done
done
bundle_mb=$(( $(stat -c %s "$sd/a.bundle") / 1048576 ))

/usr/bin/python3 - "$sd" "$bundle_mb" <<'PY'
import json, sys
sd, mb = sys.argv[1], sys.argv[2]
rows = []
for line in open(f"{sd}/results.tsv"):
    label, js = line.rstrip("\n").split("\t", 1)
    rows.append((label, json.loads(js)))
ms = lambda r, k: r["latencies"][k] / 1e6
def fails(r):
    bad = {k: v for k, v in r["status_codes"].items() if k not in ("200", "0")}
    bad.update({k[:60]: v for k, v in r["errors"].items()})
    return ", ".join(f"{k}: {v}" for k, v in sorted(bad.items(), key=lambda kv: -kv[1])[:3]) or "-"
print()
print("single-record v1 requests, loopback, load generator on the same 2-core machine (shared with other jobs)")
print("| server | load | requests | success | throughput/s | p50 ms | p90 ms | p99 ms | p99.9 ms | failures |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for label, r in rows:
    load = f"closed loop, {r['connections']} conn" if r["mode"] == "max" else f"{r['rate']:g}/s"
    print(f"| {label} | {load} | {r['requests']:,} | {100*r['success']:.2f}% | {r['throughput']:,.0f} | "
          f"{ms(r,'p50_ns'):.2f} | {ms(r,'p90_ns'):.2f} | {ms(r,'p99_ns'):.2f} | {ms(r,'p999_ns'):.2f} | {fails(r)} |")
mx = {l: r for l, r in rows if r["mode"] == "max" and l in ("riskflow", "ceiling")}
if len(mx) == 2:
    print(f"\nclosed-loop throughput riskflow / ceiling: {mx['riskflow']['throughput']:,.0f} / {mx['ceiling']['throughput']:,.0f} = {mx['riskflow']['throughput']/mx['ceiling']['throughput']:.2f}")
fl = [r for l, r in rows if l == "a (flood)"]
if fl and "riskflow" in mx:
    print(f"flood on a: offered {fl[0]['request_rate']:,.0f} requests/s = {fl[0]['request_rate']/mx['riskflow']['throughput']:.1f}x riskflow's closed-loop throughput")
sw = [r for l, r in rows if l == "swap"]
if sw:
    r = sw[0]
    print(f"hot swap during 1000/s: {r['requests'] - round(r['success']*r['requests'])} failed of {r['requests']:,} ({fails(r)}); p99 {ms(r,'p99_ns'):.2f} ms, max {ms(r,'max_ns'):.2f} ms")
print(open(f"{sd}/swap_versions.txt").read().strip())
for n in ("1", "10"):
    cold = [int(l.split()[1]) for l in open(f"{sd}/cold.txt") if l.split()[0] == n]
    print(f"cold start, {n} bundle(s) of {mb} MiB: process start to first successful prediction: {', '.join(map(str, cold))} ms (median {sorted(cold)[1]} ms)")
PY
