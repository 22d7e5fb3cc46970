#!/usr/bin/env bash
# Guest-listener throughput: signed 64-byte JSON blocks (GET /v1/entropy) against Debian's pollen
# (POST / challenge) in one run, with wrk, at 64 and 1,000 connections, keep-alive and one request
# per connection. Prints a Markdown table (requests/s, p99, errors) for docs/BENCHMARKS.md.
#   scripts/bench-guest.sh [SEEDWELL_BINARY] [SECONDS]
# Every process it starts (seedwell, pollen, a /dev/log listener if none exists) is stopped by PID.
set -euo pipefail
BIN=${1:-build/seedwell}; DUR=${2:-10}
TMP=$(mktemp -d); PIDS=(); MADE_LOG=0
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ "$MADE_LOG" = 1 ] && rm -f /dev/log
  rm -rf "$TMP"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# pollen logs to syslog: give it a /dev/log socket if the machine has none.
if [ ! -S /dev/log ]; then
  socat UNIX-RECV:/dev/log,mode=666 /dev/null & PIDS+=($!); MADE_LOG=1
  for _ in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.1; done
fi
PP=$(free_port)
pollen -http-port="$PP" -https-port= -device=/dev/urandom >"$TMP/pollen.log" 2>&1 & PIDS+=($!)

"$BIN" serve --state-dir "$TMP/state" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --allow-kernel-only --max-connections 4096 --max-connections-per-peer 4096 \
  >"$TMP/sw.log" 2>&1 & PIDS+=($!)
for _ in $(seq 1 100); do grep -q "seedwell serving" "$TMP/sw.log" 2>/dev/null && break; sleep 0.1; done
GURL=$(grep -o 'guest listener on [^ ]*' "$TMP/sw.log" | awk '{print $4}')
AURL=$(grep -o 'admin listener on [^ ]*' "$TMP/sw.log" | awk '{print $4}')
[ -n "$GURL" ] || { echo "seedwell did not start"; cat "$TMP/sw.log"; exit 1; }
TOKEN=$(curl -s -H "Authorization: Bearer $(cat "$TMP/state/admin-token")" -H 'Content-Type: application/json' \
  -d '{"id":"6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e","project_id":"bench","rate_limit":{"bytes_per_second":1073741824,"burst_bytes":4294967296}}' \
  "$AURL/v1/instances" | jq -r .token)
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PP/" && break; sleep 0.1; done
curl -s "$GURL/v1/entropy?bytes=64" -H "Authorization: Bearer $TOKEN" | jq -e .batch >/dev/null

CH=$(head -c 64 /dev/urandom | sha512sum | awk '{print $1}')
cat >"$TMP/pollen.lua" <<LUA
wrk.method = "POST"
wrk.body = "challenge=$CH"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

run() {  # run NAME CONNS MODE URL ARGS... -> "rps p99 errors"
  local conns=$2 mode=$3 url=$4; shift 4
  local extra=(); [ "$mode" = close ] && extra=(-H "Connection: close")
  wrk -t2 -c"$conns" -d"${DUR}s" --timeout 5s --latency "${extra[@]}" "$@" "$url" >"$TMP/wrk.out" 2>&1 || true
  local rps p99 errs non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' "$TMP/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out")
  errs=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' "$TMP/wrk.out"); errs=${errs:-0}
  non2xx=$(awk '/Non-2xx/ {print $5}' "$TMP/wrk.out"); non2xx=${non2xx:-0}
  echo "$rps $p99 $((errs + non2xx))"
}

echo "| connections | mode | seedwell signed req/s | seedwell p99 | seedwell errors | pollen req/s | pollen p99 | pollen errors | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
for conns in 64 1000; do
  for mode in keep-alive close; do
    read -r srps sp99 serr < <(run seedwell "$conns" "$mode" "$GURL/v1/entropy?bytes=64" -H "Authorization: Bearer $TOKEN" -H "Accept: application/json")
    read -r prps pp99 perr < <(run pollen "$conns" "$mode" "http://127.0.0.1:$PP/" -s "$TMP/pollen.lua")
    ratio=$(awk -v a="$srps" -v b="$prps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    echo "| $conns | $mode | $srps | $sp99 | $serr | $prps | $pp99 | $perr | ${ratio}x |"
  done
done
