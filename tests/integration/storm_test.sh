#!/usr/bin/env bash
# seedwell-storm (bench/storm.cpp), the open-loop boot-storm generator, briefly against a real
# `seedwell serve` so the tool cannot rot: every connection is counted and answered, several
# source addresses work with the default per-peer caps, a bearer token reaches the guest route, a
# request body reaches the pollen route, and refusals and non-2xx replies are counted as errors. About three seconds of load in all.
source "$(dirname "$0")/lib.sh"

STORM=${SEEDWELL_STORM:-$(dirname "$SW_BIN")/seedwell-storm}
[ -x "$STORM" ] || { echo "FAIL: $STORM not built (cmake --build BUILD --target seedwell-storm)"; exit 1; }
A=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e

# storm ARGS...: runs the generator (bounded by its own timeout) and leaves its RESULT line's
# fields in R_<key> variables.
storm() {
  local out
  out=$(timeout 30 "$STORM" --timeout-ms 3000 "$@" | tee "$SW_TMP/storm.out" | grep '^RESULT ') || true
  for kv in ${out#RESULT }; do printf -v "R_${kv%%=*}" '%s' "${kv#*=}"; done
}
num_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
not_ok() { ! "$@" >/dev/null 2>&1; }
num_gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

sw_start
PORT=${GUEST_URL##*:}
api POST /v1/instances "{\"id\":\"$A\",\"project_id\":\"storm\",\"rate_limit\":{\"bytes_per_second\":1048576,\"burst_bytes\":1048576}}"
TOKEN=$(jq -r .token <<<"$RESP")

# 400 connections in one second to /healthz from 16 source addresses.
storm --port "$PORT" --path /healthz --rate 400 --duration 1 --sources 16
check "healthz storm: all 400 started" test "${R_count-}" = 400
check "healthz storm: all answered 2xx" test "${R_ok-}" = 400
check "healthz storm: no errors" test "${R_errors-}" = 0
check "healthz storm: latency measured" num_gt "${R_p50_us-0}" 0
check "healthz storm: p50 <= p99 <= max" num_le "${R_p50_us-1}" "${R_p99_us-0}"
check "healthz storm: max >= p99" num_le "${R_p99_us-1}" "${R_max_us-0}"
check "healthz storm: own CPU reported" num_gt "${R_cpu_us_per_conn-0}" 0

# Signed blocks with a bearer token, two generator threads, 64 addresses.
storm --port "$PORT" --path '/v1/entropy?bytes=64' --header "Authorization: Bearer $TOKEN" \
  --header 'Accept: application/json' --rate 300 --duration 1 --sources 64 --threads 2
check "entropy storm: all 300 answered 2xx" test "${R_ok-}" = 300
check "entropy storm: no errors" test "${R_errors-}" = 0

# A request body: the pollen protocol's POST / challenge, with the token.
storm --port "$PORT" --method POST --path / --header "Authorization: Bearer $TOKEN" \
  --header 'Content-Type: application/x-www-form-urlencoded' --body "challenge=$(printf '%0128d' 7)" \
  --rate 100 --duration 0.5 --sources 8
check "pollen-protocol storm with a body: 50 answered 2xx" test "${R_ok-}" = 50

# Without the token every reply is a 401: counted as non-2xx errors, not as successes.
storm --port "$PORT" --path '/v1/entropy?bytes=64' --rate 100 --duration 0.5 --sources 4
check "unauthenticated storm: 50 non-2xx" test "${R_non2xx-}" = 50
check "unauthenticated storm: none ok" test "${R_ok-}" = 0
check "unauthenticated storm: statuses counted" test "${R_codes-}" = 401:50

# Nobody listening: refusals are counted, and the run still ends on time.
sw_stop
storm --port "$PORT" --rate 200 --duration 0.25 --sources 2
check "closed port: 50 refused" test "$(( ${R_refused-0} + ${R_connect-0} ))" = 50
check "closed port: no successes" test "${R_ok-}" = 0

# Bad arguments are refused before any connection is made.
check "missing --port refused" not_ok "$STORM" --rate 10
check "unbounded run refused" not_ok "$STORM" --port 1 --rate 1000000 --duration 600

sw_finish
