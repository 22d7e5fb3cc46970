#!/usr/bin/env bash
# EGD node agents: one PostgreSQL (replicas_lib.sh), one replica R (guest and admin API, no EGD)
# and two node agents `seedwell serve --node node-a` and `--node node-b` (node-b's name from
# SEEDWELL_NODE, as the Helm chart's DaemonSet passes it), each with its own --egd-socket-dir.
# Through R's admin API: create an instance with host node-a -> its socket appears on node-a only,
# within a second, and serves EGD reads; PATCH host to node-b -> it moves (an open connection on
# node-a is closed); DELETE -> it disappears; revocation and a cleared host remove it too; an
# agent started later creates the sockets of its instances at start. The host field and the
# ?host= filter through the admin API, and bad --node settings, are checked too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/replicas_lib.sh"

CLIENT="/usr/bin/python3 $SW_SOURCE_DIR/tests/integration/egd_client.py"
not() { ! "$@"; }
now_ms() { date +%s%3N; }
DIR_A=$SW_TMP/egd-a
DIR_B=$SW_TMP/egd-b
ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
ID2=7b2f3d2f-0b66-4c4a-8e4d-2f1b1c7d8e9f
ID3=8c3a4e3a-1c77-4d5b-9f5e-3a2c2d8e9fa0

# Bad settings stop the start with one message and exit status 1.
bad_node() {
  local rc=0
  "$SW_BIN" serve --state-dir "$SW_TMP/bad" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --allow-kernel-only "$@" >"$SW_TMP/bad.log" 2>&1 || rc=$?
  check "bad start ($*): exit 1" test "$rc" = 1
  check "bad start ($*): says why" grep -q 'node' "$SW_TMP/bad.log"
}
bad_node --node node-a
bad_node --node 'node a' --egd-socket-dir "$SW_TMP/bad-egd"
bad_node --node=-x --egd-socket-dir "$SW_TMP/bad-egd"

start_replica R
ADMIN_TOKEN=$(cat "$SW_TMP/shared/admin-token")
start_replica A --node node-a --egd-socket-dir "$DIR_A"
SEEDWELL_NODE=node-b start_replica B --egd-socket-dir "$DIR_B"
check "node-a logs its node" grep -q 'event=node_agent node=node-a' "$SW_TMP/A.log"
check "node-b takes its name from SEEDWELL_NODE" grep -q 'event=node_agent node=node-b' "$SW_TMP/B.log"
check "the replica is no node agent" not grep -q 'event=node_agent' "$SW_TMP/R.log"

# wait_socket PATH yes|no: polls every 10 ms for up to 3 s until the socket exists (or not);
# prints the milliseconds it took. Returns 1 if it never does.
wait_socket() {
  local start i
  start=$(now_ms)
  for i in $(seq 1 300); do
    if { [ "$2" = yes ] && [ -S "$1" ]; } || { [ "$2" = no ] && [ ! -e "$1" ]; }; then
      echo $(($(now_ms) - start)); return 0
    fi
    sleep 0.01
  done
  echo never; return 1
}
within_1s() { [ "$1" != never ] && [ "$1" -lt 1000 ]; }

# --- create on node-a ---------------------------------------------------------------------------
via R POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"nodes\",\"host\":\"node-a\"}"
expect_status "create with host node-a" 201
check "the reply shows the host" test "$(jq -r .host <<<"$RESP")" = node-a
check "the replica reports no EGD socket (it has none)" test "$(jq -r .egd_socket <<<"$RESP")" = null
MS=$(wait_socket "$DIR_A/$ID.sock" yes) || true
echo "socket on node-a after create: ${MS} ms"
check "socket on node-a within 1 s (${MS} ms)" within_1s "$MS"
sleep 0.2
check "no socket on node-b" test ! -e "$DIR_B/$ID.sock"
check "EGD reads on node-a's socket" $CLIENT "$DIR_A/$ID.sock" read 4 64
check "node-a logs why it opened the socket" \
  grep -qE "event=egd_socket_open instance=$ID .*reason=\"created\"" "$SW_TMP/A.log"
via A GET "/v1/instances/$ID"
check "node-a's admin API reports its socket" test "$(jq -r .egd_socket <<<"$RESP")" = "$DIR_A/$ID.sock"
via B GET "/v1/instances/$ID"
check "node-b's admin API reports none" test "$(jq -r .egd_socket <<<"$RESP")" = null

# --- the host through the admin API: validation and the ?host= filter ---------------------------
via R POST /v1/instances "{\"id\":\"$ID2\",\"project_id\":\"nodes\",\"host\":\"node a\"}"
expect_status "create with a bad host" 422
check "the error names host" grep -q host <<<"$RESP"
via R POST /v1/instances "{\"id\":\"$ID2\",\"project_id\":\"nodes\",\"host\":7}"
expect_status "create with a non-string host" 400
via R POST /v1/instances "{\"id\":\"$ID2\",\"project_id\":\"nodes\"}"
expect_status "create unplaced" 201
check "an unplaced instance's host is null" test "$(jq -r .host <<<"$RESP")" = null
via R PATCH "/v1/instances/$ID2" "{\"host\":\"$(printf 'h%.0s' $(seq 1 254))\"}"
expect_status "PATCH a host over 253 bytes" 422
via R GET "/v1/instances?host=node-a"
expect_status "list ?host=node-a" 200
check "?host=node-a lists exactly the instance on node-a" \
  test "$(jq -c '[.instances[].id]' <<<"$RESP")" = "[\"$ID\"]"
via R GET "/v1/instances?host=node-b"
check "?host=node-b lists nothing" test "$(jq '.instances | length' <<<"$RESP")" = 0
via R GET "/v1/instances?host=bad%20host"
expect_status "list with a bad ?host=" 400
sleep 0.5
check "the unplaced instance has no socket on either node" \
  test ! -e "$DIR_A/$ID2.sock" -a ! -e "$DIR_B/$ID2.sock"

# --- move to node-b -----------------------------------------------------------------------------
coproc WAITER { $CLIENT "$DIR_A/$ID.sock" wait-closed; }
WAITER_PID_SAVED=$WAITER_PID
read -r -t 10 LINE <&"${WAITER[0]}" || LINE=none
check "a connection on node-a is open" test "$LINE" = connected
via R PATCH "/v1/instances/$ID" '{"host":"node-b"}'
expect_status "PATCH host to node-b" 200
check "the reply shows the new host" test "$(jq -r .host <<<"$RESP")" = node-b
MS=$(wait_socket "$DIR_B/$ID.sock" yes) || true
echo "socket on node-b after the move: ${MS} ms"
check "socket on node-b within 1 s (${MS} ms)" within_1s "$MS"
MS=$(wait_socket "$DIR_A/$ID.sock" no) || true
check "socket gone from node-a within 1 s (${MS} ms)" within_1s "$MS"
echo >&"${WAITER[1]}"
WAITER_RC=0
wait "$WAITER_PID_SAVED" || WAITER_RC=$?
check "the open connection on node-a was closed" test "$WAITER_RC" = 0
check "EGD reads on node-b's socket" $CLIENT "$DIR_B/$ID.sock" read 4 64
check "node-a logs the move" \
  grep -qE "event=egd_socket_closed instance=$ID .*reason=\"moved to host node-b\"" "$SW_TMP/A.log"
check "node-b logs the placement" \
  grep -qE "event=egd_socket_open instance=$ID .*reason=\"updated: placed on this node\"" "$SW_TMP/B.log"
via R GET "/v1/instances?host=node-b"
check "?host=node-b now lists it" test "$(jq -c '[.instances[].id]' <<<"$RESP")" = "[\"$ID\"]"

# --- delete --------------------------------------------------------------------------------------
via R DELETE "/v1/instances/$ID?purge=true"
expect_status "delete" 204
MS=$(wait_socket "$DIR_B/$ID.sock" no) || true
echo "socket gone from node-b after delete: ${MS} ms"
check "socket gone from node-b within 1 s (${MS} ms)" within_1s "$MS"
check "node-b logs the deletion" \
  grep -qE "event=egd_socket_closed instance=$ID .*reason=\"deleted\"" "$SW_TMP/B.log"
check "nothing left on node-a" test ! -e "$DIR_A/$ID.sock"

# --- revocation and a cleared host ----------------------------------------------------------------
via R PATCH "/v1/instances/$ID2" '{"host":"node-a"}'
expect_status "place the unplaced instance on node-a" 200
MS=$(wait_socket "$DIR_A/$ID2.sock" yes) || true
check "placing it creates its socket on node-a (${MS} ms)" within_1s "$MS"
via R PATCH "/v1/instances/$ID2" '{"host":null}'
expect_status "clear the host" 200
check "a cleared host reads null" test "$(jq -r .host <<<"$RESP")" = null
MS=$(wait_socket "$DIR_A/$ID2.sock" no) || true
check "clearing the host removes the socket (${MS} ms)" within_1s "$MS"
via R PATCH "/v1/instances/$ID2" '{"host":"node-a"}'
wait_socket "$DIR_A/$ID2.sock" yes >/dev/null || true
via R DELETE "/v1/instances/$ID2"
expect_status "revoke" 200
MS=$(wait_socket "$DIR_A/$ID2.sock" no) || true
check "revocation removes the socket (${MS} ms)" within_1s "$MS"
check "node-a logs the revocation" \
  grep -qE "event=egd_socket_closed instance=$ID2 .*reason=\"revoked\"" "$SW_TMP/A.log"

# --- an agent started later opens its instances' sockets at start --------------------------------
via R POST /v1/instances "{\"id\":\"$ID3\",\"project_id\":\"nodes\",\"host\":\"node-c\"}"
expect_status "create on node-c (no agent yet)" 201
start_replica C --node node-c --egd-socket-dir "$SW_TMP/egd-c"
check "node-c's socket exists once the agent serves" test -S "$SW_TMP/egd-c/$ID3.sock"
check "node-c logs it with the reason start" \
  grep -qE "event=egd_socket_open instance=$ID3 .*reason=\"start\"" "$SW_TMP/C.log"
check "EGD reads on node-c's socket" $CLIENT "$SW_TMP/egd-c/$ID3.sock" read 2 32
check "node-a and node-b have no socket for it" test ! -e "$DIR_A/$ID3.sock" -a ! -e "$DIR_B/$ID3.sock"

# Every agent stops cleanly and removes its sockets.
for pid in "${REPLICA_PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${REPLICA_PIDS[@]}"; do
  rc=0; wait "$pid" || rc=$?
  check "process $pid exits 0 on SIGTERM" test "$rc" = 0
done
REPLICA_PIDS=()
check "node-c's socket removed at shutdown" test ! -e "$SW_TMP/egd-c/$ID3.sock"
sw_finish
