#!/usr/bin/env bash
# EGD end to end against a real `seedwell serve`: a Python client speaking EGD over the
# per-instance Unix sockets and the TCP listener; the socket's life cycle with its instance; usage
# counters; a rate-limited blocking read that waits instead of failing; bad clients (unknown
# command, truncated request, a client that never reads, a connection flood) that leave a good
# client unaffected; and a second seedwell seeded only from the first one's EGD socket (chain).
source "$(dirname "$0")/lib.sh"

CLIENT="/usr/bin/python3 $SW_SOURCE_DIR/tests/integration/egd_client.py"
A=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
B=7b2e3d2f-0b66-4c4a-8e4d-2a1b1c7d8e9f
C=8c3f4e30-1c77-4d5b-9f5e-3b2c2d8e9fa0
E=ae516052-3e99-4f7d-b170-5d4e4fa01bc2
D=9d405f41-2d88-4e6c-a06f-4c3d3e9f0ab1
FAST='"rate_limit":{"bytes_per_second":100000000,"burst_bytes":100000000}'
EGD_DIR=$SW_TMP/egd
DOWN_PID=""
HOLD_PID=""
egd_cleanup() {
  for pid in $DOWN_PID $HOLD_PID; do kill -KILL "$pid" 2>/dev/null || true; done
  sw_cleanup
}
trap egd_cleanup EXIT

sw_start --egd-socket-dir "$EGD_DIR" --egd-listen 127.0.0.1:0 --egd-max-connections-per-peer 4 \
  --egd-request-timeout-ms 300 --egd-write-timeout-ms 500 --egd-max-pending 16
EGD_TCP=$(grep -o 'egd listener on [^ ]*' "$SW_LOG" | head -1 | awk '{print $4}')
check "egd tcp listener logged" test -n "$EGD_TCP"

# usage ID: prints the instance's bytes_issued.
usage() { api GET "/v1/instances/$1/usage"; jq -r .bytes_issued <<<"$RESP"; }
# metric NAME_AND_LABELS: prints the value of one sample from /metrics (0 if absent).
metric() {
  curl -s -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics" |
    awk -v m="$1" '$1 == m {print $2; found=1} END {if (!found) print 0}'
}
# wait_usage ID MIN: waits (bounded, the usage is flushed once a second) until usage >= MIN.
wait_usage() {
  local i
  for i in $(seq 1 50); do
    [ "$(usage "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# The socket is created with the instance, reported as egd_socket, and has the configured mode.
api POST /v1/instances "{\"id\":\"$A\",\"project_id\":\"p\",\"allowed_cidrs\":[\"127.0.0.1/32\"]}"
expect_status "create A" 201; contract /v1/instances
TOKEN_A=$(jq -r .token <<<"$RESP")
check "egd_socket reported" test "$(jq -r .egd_socket <<<"$RESP")" = "$EGD_DIR/$A.sock"
check "socket exists" test -S "$EGD_DIR/$A.sock"
check "socket mode 0660" test "$(stat -c %a "$EGD_DIR/$A.sock")" = 660
api GET "/v1/instances/$A"; contract "/v1/instances/{id}"
check "get reports egd_socket" test "$(jq -r .egd_socket <<<"$RESP")" = "$EGD_DIR/$A.sock"

# Every command over the Unix socket, and a read over TCP (identified by 127.0.0.1).
BYTES=$($CLIENT "$EGD_DIR/$A.sock" all "$SW_PID") || BYTES=0
check "all commands over the unix socket" test "$BYTES" -gt 0
check "blocking reads over tcp" $CLIENT "$EGD_TCP" read 4 64
check "usage counters moved" wait_usage "$A" $((BYTES + 256))
check "bytes_issued{transport=egd} counted" \
  test "$(metric 'seedwell_bytes_issued_total{transport="egd"}' | cut -d. -f1)" -ge $((BYTES + 256))
check "usage counted under egd alone" \
  usage_until "$A" ".bytes_by_transport == {egd: .bytes_issued} and .bytes_issued >= $((BYTES + 256))"
contract "/v1/instances/{id}/usage"
EGD_BYTES=$(jq .bytes_by_transport.egd <<<"$RESP")

# The same instance over the HTTP guest API: its usage moves on both transports, counted apart.
HTTP_STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_A" \
  "$GUEST_URL/v1/entropy?bytes=100")
check "http draw for A ($HTTP_STATUS)" test "$HTTP_STATUS" = 200
check "usage moved on both transports" usage_until "$A" \
  ".bytes_by_transport == {egd: $EGD_BYTES, http: 100} and .bytes_issued == $EGD_BYTES + 100"
contract "/v1/instances/{id}/usage"

# An instance without allowed addresses is not a TCP identity; TCP refuses unknown peers.
api POST /v1/instances "{\"id\":\"$B\",\"project_id\":\"p\",\"rate_limit\":{\"bytes_per_second\":255,\"burst_bytes\":255}}"
expect_status "create B" 201

# A blocking read over the rate limit waits and is then served: 4 x 255 bytes at 255 B/s.
ELAPSED=$($CLIENT "$EGD_DIR/$B.sock" read 4 255) || ELAPSED=fail
check "rate-limited blocking reads all served ($ELAPSED s)" test "$ELAPSED" != fail
check "they waited for the bucket" awk -v e="$ELAPSED" 'BEGIN {exit !(e >= 2.5)}'
check "rate waits counted" test "$(metric 'seedwell_egd_events_total{event="rate_wait"}' | cut -d. -f1)" -ge 1

# Bad clients next to a good one (on its own instance: the rate bucket is per instance).
api POST /v1/instances "{\"id\":\"$C\",\"project_id\":\"p\",$FAST}"; expect_status "create C" 201
api POST /v1/instances "{\"id\":\"$D\",\"project_id\":\"p\",$FAST}"; expect_status "create D" 201
$CLIENT "$EGD_DIR/$D.sock" read 20000 64 >"$SW_TMP/good.out" 2>&1 &
GOOD_PID=$!
check "unknown command closes" $CLIENT "$EGD_DIR/$A.sock" unknown
check "truncated request closed after the timeout" $CLIENT "$EGD_DIR/$A.sock" truncated
check "a client that never reads is closed" $CLIENT "$EGD_DIR/$C.sock" never-read
GOOD_OK=0; wait "$GOOD_PID" || GOOD_OK=$?
check "the good client was unaffected" test "$GOOD_OK" = 0
check "unknown command counted" test "$(metric 'seedwell_egd_events_total{event="unknown_command"}' | cut -d. -f1)" -ge 1
check "request timeout counted" test "$(metric 'seedwell_egd_events_total{event="request_timeout"}' | cut -d. -f1)" -ge 1
check "write timeout counted" test "$(metric 'seedwell_egd_events_total{event="write_timeout"}' | cut -d. -f1)" -ge 1

# A flood of connections on one socket: the cap (4) holds, the rest are refused.
coproc HOLD { $CLIENT "$EGD_DIR/$A.sock" hold 12; }
HOLD_PID=$HOLD_PID
read -r -t 20 HELD <&"${HOLD[0]}" || HELD=none
check "connection cap per socket holds ($HELD served of 12)" test "$HELD" = 4
check "refusals counted" test "$(metric 'seedwell_egd_connections_total{listener="unix",outcome="rejected_listener_cap"}' | cut -d. -f1)" -ge 8
kill "$HOLD_PID" 2>/dev/null || true; wait "$HOLD_PID" 2>/dev/null || true; HOLD_PID=""

# The chain: a second seedwell whose only source is the first one's EGD socket for instance E.
api POST /v1/instances "{\"id\":\"$E\",\"project_id\":\"p\"}"; expect_status "create E" 201
DOWN_LOG=$SW_TMP/down.log
"$SW_BIN" serve --state-dir "$SW_TMP/down" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --sources upstream-egd --upstream-egd "$EGD_DIR/$E.sock" --allow-upstream-only >"$DOWN_LOG" 2>&1 &
DOWN_PID=$!
for i in $(seq 1 200); do grep -q "seedwell serving" "$DOWN_LOG" && break; sleep 0.1; done
DOWN_URL=$(grep -o 'admin listener on [^ ]*' "$DOWN_LOG" | head -1 | awk '{print $4}')
check "chained seedwell started" test -n "$DOWN_URL"
READY=0
for i in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$DOWN_URL/readyz")" = 200 ] && { READY=1; break; }
  sleep 0.1
done
check "chained seedwell is ready" test "$READY" = 1
DOWN_TOKEN=$(cat "$SW_TMP/down/admin-token")
DOWN_STATE=$(curl -s -H "Authorization: Bearer $DOWN_TOKEN" "$DOWN_URL/v1/status" |
  jq -r '.sources[] | select(.name == "upstream-egd") | .state')
check "its upstream-egd source is healthy ($DOWN_STATE)" test "$DOWN_STATE" = healthy
check "the upstream counted the chain's reads on E" wait_usage "$E" 1024
kill -TERM "$DOWN_PID"; DOWN_EXIT=0; wait "$DOWN_PID" || DOWN_EXIT=$?; DOWN_PID=""
check "chained seedwell stopped cleanly" test "$DOWN_EXIT" = 0

# Revocation removes the socket and closes its connections.
coproc WAITER { $CLIENT "$EGD_DIR/$A.sock" wait-closed; }
WAITER_PID_SAVED=$WAITER_PID
read -r -t 10 LINE <&"${WAITER[0]}" || LINE=none
check "waiter connected" test "$LINE" = connected
api DELETE "/v1/instances/$A"; expect_status "revoke A" 200; contract "/v1/instances/{id}"
check "revoked instance reports no socket" test "$(jq -r .egd_socket <<<"$RESP")" = null
check "socket removed on revoke" test ! -e "$EGD_DIR/$A.sock"
echo >&"${WAITER[1]}"
WAITER_OK=0; wait "$WAITER_PID_SAVED" || WAITER_OK=$?
check "its connection was closed" test "$WAITER_OK" = 0
api DELETE "/v1/instances/$B?purge=true"; expect_status "purge B" 204
check "socket removed on purge" test ! -e "$EGD_DIR/$B.sock"

# Restart: sockets come back for active instances only; shutdown removes them.
sw_stop
check "clean exit" test "$SW_EXIT" = 0
check "shutdown removed the sockets" test ! -e "$EGD_DIR/$C.sock"
sw_start --egd-socket-dir "$EGD_DIR"
check "socket recreated at start-up" test -S "$EGD_DIR/$C.sock"
check "no socket for the revoked instance" test ! -e "$EGD_DIR/$A.sock"
check "reads after restart" $CLIENT "$EGD_DIR/$C.sock" read 2 32
sw_stop
check "clean exit after restart" test "$SW_EXIT" = 0

sw_contract_check
sw_finish
