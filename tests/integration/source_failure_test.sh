#!/usr/bin/env bash
# Entropy-source failure end to end, with the documented simulation (docs/security.md): a real
# `seedwell serve --sources hwrng --hwrng-path FIFO` reading a FIFO that fifo_feeder.py fills.
#  1. Configurations that could never meet the seeding policy are refused at start (exit 1, a
#     message naming the fix), instead of starting and answering 503 forever.
#  2. healthy -> an intermittent failure (a run between the two RCT cutoffs): the source is
#     quarantined, the service fails closed (guest 503, /readyz 503) -> good bytes come back and
#     it recovers by itself.
#  3. a stuck source (past the permanent cutoff) is disabled: good bytes alone do not bring it
#     back; POST /v1/sources/hwrng/reset does.
# Metrics and /v1/status report each step. Every wait is bounded.
source "$(dirname "$0")/lib.sh"

A=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
FIFO=$SW_TMP/hwrng.fifo
MODE=$SW_TMP/hwrng.mode
FEEDER_PID=""
feeder_cleanup() {
  if [ -n "$FEEDER_PID" ]; then kill -KILL "$FEEDER_PID" 2>/dev/null || true; fi
  sw_cleanup
}
trap feeder_cleanup EXIT

# refused NAME FLAGS...: `seedwell serve FLAGS` must exit 1 within 30 s, logging a config error
# or a start-up failure; the log is left in $SW_TMP/refused.log.
refused() {
  local name=$1; shift
  local rc=0
  timeout 30 "$SW_BIN" serve --state-dir "$SW_TMP/refused-state" --guest-listen 127.0.0.1:0 \
    --admin-listen 127.0.0.1:0 "$@" >"$SW_TMP/refused.log" 2>&1 || rc=$?
  check "$name: exit status 1 (got $rc)" test "$rc" = 1
  check "$name: never served" bash -c "! grep -q 'seedwell serving' '$SW_TMP/refused.log'"
}

# --- 1. Impossible configurations ----------------------------------------------------------------
refused "kernel without --allow-kernel-only" --sources kernel
check "message names the fix" grep -q -- '--sources kernel: the seeding policy can never be met.*--allow-kernel-only' "$SW_TMP/refused.log"
refused "upstream without --allow-upstream-only" --sources upstream-egd --upstream-egd "$SW_TMP/none.sock"
check "message names --allow-upstream-only" grep -q -- '--allow-upstream-only' "$SW_TMP/refused.log"
refused "no source at all" --sources ""
refused "hwrng that does not exist" --sources hwrng --hwrng-path "$SW_TMP/no-such-device"
check "message says no source is available" grep -q 'no entropy source is available' "$SW_TMP/refused.log"
refused "required source that does not exist" --sources kernel,hwrng --allow-kernel-only \
  --require-sources hwrng --hwrng-path "$SW_TMP/no-such-device"
check "message names the required source" grep -q 'required source hwrng' "$SW_TMP/refused.log"

# --- 2. A FIFO as the only source ----------------------------------------------------------------
mkfifo "$FIFO"
echo good >"$MODE"
/usr/bin/python3 "$SW_SOURCE_DIR/tests/integration/fifo_feeder.py" "$FIFO" "$MODE" 300 &
FEEDER_PID=$!
# Reseed every second and fail closed 2 s after a missed reseed, so each step shows in seconds.
sw_start --sources hwrng --hwrng-path "$FIFO" --reseed-interval 1 --fail-closed-grace 2
api POST /v1/instances "{\"id\":\"$A\",\"project_id\":\"p\",\"rate_limit\":{\"bytes_per_second\":1000000,\"burst_bytes\":1000000}}"
expect_status "register" 201
TOKEN=$(jq -r .token <<<"$RESP")

entropy_status() {
  curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$GUEST_URL/v1/entropy?bytes=32"
}
readyz_status() { curl -sS -o /dev/null -w '%{http_code}' "$GUEST_URL/readyz"; }
hwrng_state() { api GET /v1/status; jq -r '.sources[] | select(.name == "hwrng") | .state' <<<"$RESP"; }
# metric SAMPLE: the value of one sample of /metrics (0 if absent).
metric() {
  curl -s -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics" |
    awk -v m="$1" '$1 == m {print $2; found=1} END {if (!found) print 0}'
}
# until_true SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds; 1 if it never does.
until_true() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$end" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}
is_failing_closed() { [ "$(entropy_status)" = 503 ] && [ "$(readyz_status)" = 503 ]; }
is_serving() { [ "$(entropy_status)" = 200 ] && [ "$(readyz_status)" = 200 ]; }
state_is() { [ "$(hwrng_state)" = "$1" ]; }
not() { ! "$@"; }

check "healthy at start: serving" until_true 20 is_serving
check "hwrng healthy" state_is healthy
check "no health-test failure yet" test "$(metric 'seedwell_source_failures_total{source="hwrng"}')" = 0

# Intermittent: quarantined, failing closed, then recovery by itself.
echo glitch >"$MODE"
check "glitch: fails closed (guest 503, readyz 503)" until_true 30 is_failing_closed
check "glitch: hwrng quarantined" until_true 10 state_is quarantined
RCT=$(metric 'seedwell_health_test_failures_total{source="hwrng",test="rct"}')
STARTUP=$(metric 'seedwell_health_test_failures_total{source="hwrng",test="startup"}')
check "glitch: health-test failures counted (rct $RCT, startup $STARTUP)" \
  test "$((RCT + STARTUP))" -ge 1
check "glitch: source failures counted" test "$(metric 'seedwell_source_failures_total{source="hwrng"}')" -ge 1
check "glitch: not disabled" test "$(metric 'seedwell_source_disabled{source="hwrng"}')" = 0
curl -sS -o "$SW_TMP/resp" -H "Authorization: Bearer $TOKEN" "$GUEST_URL/v1/entropy?bytes=32"
RESP=$(cat "$SW_TMP/resp")
check "503 has a JSON error body" jq -e '.error.code and .error.message' <<<"$RESP"
echo good >"$MODE"
# The back-off is 1, 2, 4, 8 s: recovery comes within about 15 s of good bytes.
check "good again: recovers by itself" until_true 40 is_serving
check "good again: hwrng healthy" state_is healthy
RESEEDS=$(metric seedwell_drbg_reseeds_total)
check "reseeds counted ($RESEEDS)" test "$RESEEDS" -ge 2

# Permanent: a stuck source stays disabled until an operator resets it.
echo stuck >"$MODE"
check "stuck: fails closed" until_true 30 is_failing_closed
check "stuck: hwrng disabled" until_true 10 state_is disabled
check "stuck: disabled gauge" test "$(metric 'seedwell_source_disabled{source="hwrng"}')" = 1
api GET /v1/status
check "stuck: status says permanent" jq -e '.sources[0].permanent_failures >= 1 and (.sources[0].last_failure | test("permanent"))' <<<"$RESP"
contract /v1/status
echo good >"$MODE"
sleep 6  # longer than the back-off of a quarantined source: a disabled one is not retried
check "good bytes alone: still failing closed" is_failing_closed
check "good bytes alone: still disabled" state_is disabled
check "log says how to bring it back" grep -q 'event=source_disabled source=hwrng' "$SW_LOG"

api POST /v1/sources/nope/reset; expect_status "reset unknown source" 404; contract /v1/sources/{name}/reset
check "404 does not echo the name" not grep -q nope <<<"$RESP"
RESP_STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$ADMIN_URL/v1/sources/hwrng/reset")
check "reset without token: 401" test "$RESP_STATUS" = 401
api POST /v1/sources/hwrng/reset; expect_status "reset hwrng" 200; contract /v1/sources/{name}/reset
check "reset: healthy after a fresh start-up test" jq -e '.name == "hwrng" and .state == "healthy" and .resets == 1' <<<"$RESP"
check "reset: serving again" until_true 20 is_serving
check "reset logged" grep -q 'event=source_reset_by_admin source=hwrng state=healthy' "$SW_LOG"

sw_stop
check "clean shutdown" test "$SW_EXIT" = 0
sw_contract_check
sw_finish
