#!/usr/bin/env bash
# Measures the cold start of 'riskflow serve': the time from starting the process to the first
# 200 answer of a v1 predict request to the last of N models, each a copy of one bundle file
# (distinct paths, so each is read, verified and decoded on its own). The client polls every
# 2 ms. Prints every run and the median, for 1 and for 10 models.
#
#   bench/coldstart.sh [BUNDLE] [RUNS]    (default: a 300-tree depth-6 bundle trained on 200,000
#                                          generated rows; 5 runs)
#
# Everything listens on 127.0.0.1; outputs go to bench/out/coldstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/coldstart
mkdir -p "$out"
go build -o bench/out/riskflow ./cmd/riskflow
rf=bench/out/riskflow
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
import json, statistics, subprocess, sys, time, urllib.request
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
    took = []
    for _ in range(runs):
        t0 = time.monotonic()
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
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
        finally:
            p.terminate()
            p.wait()
        time.sleep(0.3)
    print(f"cold start, {n} model(s): " + ", ".join(f"{t:.0f}" for t in took)
          + f" ms (median {statistics.median(took):.0f} ms)")
PY
