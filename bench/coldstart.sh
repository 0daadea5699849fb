#!/usr/bin/env bash
# Measures the cold start of 'riskflow serve': the time from starting the process to the first
# 200 answer of a v1 predict request to the last of N models, each a copy of one bundle file
# (distinct paths, so each is read, verified and decoded on its own). The client polls every
# 2 ms. Prints every run and the median, for 1 and for 10 models.
#
#   bench/coldstart.sh [BUNDLE] [RUNS]    (default: a 300-tree depth-6 bundle trained on 200,000
#                                          generated rows; 5 runs)
#
# RISKFLOW_BIN=path runs that riskflow binary instead of building ./cmd/riskflow (to compare
# two builds on the same machine). The load average (/proc/loadavg) is printed before and
# after each series: the machine may be shared. Each series also prints the server's CPU time
# (user+sys, from start to exit after SIGTERM; less sensitive to other load than the wall
# time) and the polling client's requests and CPU time (it shares the cores with the server).
#
# Everything listens on 127.0.0.1; outputs go to bench/out/coldstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/coldstart
mkdir -p "$out"
rf=${RISKFLOW_BIN:-}
if [ -z "$rf" ]; then
  go build -o bench/out/riskflow ./cmd/riskflow
  rf=bench/out/riskflow
fi
bundle=${1:-}
runs=${2:-5}
if [ -z "$bundle" ]; then
  bundle=$out/model.bundle
  if [ ! -f "$bundle" ]; then
    "$rf" datagen --rows 200000 --seed 1 --out "$out/train.csv" --quiet
    "$rf" train --data "$out/train.csv" --label default --id order_id --trees 300 --max-depth 6 \
      --seed 1 --out "$bundle" --quiet
  fi
fi
for i in $(seq 1 10); do cp "$bundle" "$out/m$i.bundle"; done
"$rf" datagen --rows 1 --seed 3 --out "$out/record.jsonl" --quiet
echo "bundle: $bundle ($(( $(stat -c %s "$bundle") / 1024 )) KiB), $(nproc) cores"

/usr/bin/python3 - "$rf" "$out" "$runs" <<'PY'
import json, os, statistics, subprocess, sys, time, urllib.request
rf, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rec = json.loads(open(f"{out}/record.jsonl").readline())
rec.pop("default", None); rec.pop("true_probability", None)
body = json.dumps({"instances": [rec]}).encode()
port = 18281
for n in (1, 10):
    args = [rf, "serve", "--addr", f"127.0.0.1:{port}", "--log-level", "warn", "--poll", "0"]
    for i in range(1, n + 1):
        args += ["--model", f"m{i}={out}/m{i}.bundle"]
    url = f"http://127.0.0.1:{port}/v1/models/m{n}:predict"
    took, cpu, polls, client = [], [], [], []
    load0 = open("/proc/loadavg").read().split()[0]
    for _ in range(runs):
        t0, c0, k = time.monotonic(), time.process_time(), 0
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                k += 1
                try:
                    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
                    with urllib.request.urlopen(req, timeout=5) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass  # not listening yet, or not ready (503)
                if time.monotonic() - t0 > 30:
                    sys.exit(f"no prediction from {url} within 30 s")
                time.sleep(0.002)
            took.append((time.monotonic() - t0) * 1000)
            client.append((time.process_time() - c0) * 1000)
            polls.append(k)
        finally:
            p.terminate()
            _, _, ru = os.wait4(p.pid, 0)
            p.returncode = 0
        cpu.append((ru.ru_utime + ru.ru_stime) * 1000)
        time.sleep(0.3)
    print(f"cold start, {n} model(s): " + ", ".join(f"{t:.0f}" for t in took)
          + f" ms (median {statistics.median(took):.0f} ms; load average {load0} -> "
          + open("/proc/loadavg").read().split()[0] + ")")
    print(f"  server CPU (user+sys, to exit) median {statistics.median(cpu):.0f} ms; client: median "
          + f"{statistics.median(polls):.0f} requests, {statistics.median(client):.0f} ms CPU")
PY
