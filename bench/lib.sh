# Shell helpers the serving benchmarks (bench/serve.sh, bench/noisy.sh) source. They expect $rf
# (the riskflow binary) and $sd (the output folder) to be set.

now() { date +%s%N; }

# wait_ok URL [BODY]: poll until the URL answers 200 (at most 3000 tries, 10 ms apart); with a
# BODY, POST it as JSON.
wait_ok() {
  local url=$1 body=${2:-} i code
  for i in $(seq 1 3000); do
    if [ -n "$body" ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$body" "$url" || true)
    else
      code=$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)
    fi
    [ "$code" = 200 ] && return 0
    sleep 0.01
  done
  echo "timed out waiting for $url" >&2; return 1
}

# lt LABEL loadtest-flags...: run riskflow loadtest --json, keep each report under LABEL in
# $sd/results.tsv.
lt() {
  local label=$1; shift
  "$rf" loadtest --json --timeout 5s "$@" | while IFS= read -r line; do printf '%s\t%s\n' "$label" "$line"; done >> "$sd/results.tsv"
}
