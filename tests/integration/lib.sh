# Shared helpers for the integration tests: start and stop `seedwell serve` on port 0, call it with
# curl, and assert. Source it; it sets a trap that stops the server and removes the temp dir.
# Every wait is bounded; every process started is stopped by its PID.
set -euo pipefail

SW_BIN=${1:?usage: $0 PATH-TO-seedwell}
SW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/seedwell-it.XXXXXX")
SW_STATE=$SW_TMP/state
SW_PID=""
SW_FAILS=0
SW_PASSES=0

sw_cleanup() {
  if [ -n "$SW_PID" ] && kill -0 "$SW_PID" 2>/dev/null; then
    kill -KILL "$SW_PID" 2>/dev/null || true
    wait "$SW_PID" 2>/dev/null || true
  fi
  rm -rf "$SW_TMP"
}
trap sw_cleanup EXIT

# sw_start [FLAGS...]: starts the server with a fresh or existing state dir; sets GUEST_URL,
# ADMIN_URL, ADMIN_TOKEN. Fails the test if it is not listening within 20 s. SW_GUEST_LISTEN, when
# set, fixes the guest address (a restarted server must keep the port a guest was told).
sw_start() {
  SW_LOG=$SW_TMP/serve.$(date +%s%N).log
  "$SW_BIN" serve --state-dir "$SW_STATE" --guest-listen "${SW_GUEST_LISTEN:-127.0.0.1:0}" --admin-listen 127.0.0.1:0 \
    --allow-kernel-only "$@" >"$SW_LOG" 2>&1 &
  SW_PID=$!
  local i
  for i in $(seq 1 200); do
    if grep -q "seedwell serving" "$SW_LOG"; then break; fi
    if ! kill -0 "$SW_PID" 2>/dev/null; then
      echo "seedwell serve exited early:"; cat "$SW_LOG"; exit 1
    fi
    sleep 0.1
  done
  grep -q "seedwell serving" "$SW_LOG" || { echo "seedwell serve did not start:"; cat "$SW_LOG"; exit 1; }
  GUEST_URL=$(grep -o 'guest listener on [^ ]*' "$SW_LOG" | head -1 | awk '{print $4}')
  ADMIN_URL=$(grep -o 'admin listener on [^ ]*' "$SW_LOG" | head -1 | awk '{print $4}')
  ADMIN_TOKEN=$(cat "$SW_STATE/admin-token")
}

# sw_stop: SIGTERM, then wait up to 15 s for a clean exit; sets SW_EXIT to the exit code (run it
# in this shell, not in $(...): only the parent shell can wait for the server).
sw_stop() {
  kill -TERM "$SW_PID"
  local i
  for i in $(seq 1 150); do
    kill -0 "$SW_PID" 2>/dev/null || break
    sleep 0.1
  done
  SW_EXIT=0
  wait "$SW_PID" || SW_EXIT=$?
  SW_PID=""
}

# api METHOD PATH [BODY]: admin call with the token; prints "STATUS BODY" into $RESP_STATUS/$RESP.
api() {
  LAST_METHOD=$1
  local method=$1 path=$2 body=${3-}
  local args=(-sS -o "$SW_TMP/resp" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $ADMIN_TOKEN")
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
  RESP_STATUS=$(curl "${args[@]}" "$ADMIN_URL$path")
  RESP=$(cat "$SW_TMP/resp")
}

# check NAME CONDITION...: records a pass or a failure (with the last response) without exiting.
check() {
  local name=$1; shift
  if "$@" >/dev/null; then
    SW_PASSES=$((SW_PASSES + 1))
  else
    SW_FAILS=$((SW_FAILS + 1))
    echo "FAIL: $name (status=${RESP_STATUS-} body=${RESP-})"
  fi
}

# expect_status NAME CODE: the last response had this status and, for errors, a JSON error body.
expect_status() {
  local name=$1 code=$2
  check "$name: status $code" test "$RESP_STATUS" = "$code"
  if [ "$code" -ge 400 ]; then
    check "$name: JSON error body" jq -e '.error.code and .error.message' <<<"$RESP" >/dev/null
  fi
}

# sw_finish: prints the summary line and exits non-zero on any failure.
sw_finish() {
  echo "$SW_PASSES passed, $SW_FAILS failed"
  [ "$SW_FAILS" -eq 0 ]
}

# usage_until ID FILTER: polls GET /v1/instances/ID/usage (flushed once a second) for up to 5 s
# until the jq FILTER holds for it; the last response stays in $RESP. Returns 1 if it never does.
usage_until() {
  local i
  for i in $(seq 1 50); do
    api GET "/v1/instances/$1/usage"
    if [ "$RESP_STATUS" = 200 ] && jq -e "$2" <<<"$RESP" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# contract TEMPLATE: records the last admin call (method, route template, status, body) for the
# OpenAPI contract check that sw_contract_check runs at the end.
contract() {
  local body=null
  if [ -n "$RESP" ] && jq -e . <<<"$RESP" >/dev/null 2>&1; then body=$RESP; fi
  jq -cn --arg m "$LAST_METHOD" --arg p "$1" --argjson s "$RESP_STATUS" --argjson b "$body" \
    '{method: $m, path: $p, status: $s, body: $b}' >>"$SW_TMP/contract.jsonl"
}

sw_contract_check() {
  check "responses match openapi.yaml" /usr/bin/python3 "$SW_SOURCE_DIR/tests/integration/openapi_contract.py" \
    "$SW_SOURCE_DIR/openapi.yaml" "$SW_TMP/contract.jsonl"
}
SW_SOURCE_DIR=${SEEDWELL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
