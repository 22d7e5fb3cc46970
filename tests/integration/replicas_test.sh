#!/usr/bin/env bash
# Replicas acting as one: one PostgreSQL server (tests/testutil/pg_test_server.sh, 127.0.0.1 on a
# free port, password authentication) and three `seedwell serve` replicas A, B and C sharing it.
# Register through A; fetch and verify blocks through B and C with that token; revoke through B
# and time until A and C refuse (must be under 1 s); rotate a token and delete through C; usage
# recorded through every replica adds up; the signing key ring lives in the database sealed under
# the key-encryption key: a key rotation through C reaches A and B, whose new blocks verify with
# the new listing while a block from before still does, and a wrong key-encryption key is refused;
# a start with a wrong password, a password in the URL, an unreachable server or a newer schema
# fails with one message and exit status 1; PostgreSQL
# restarting under the replicas: cached guests served, admin writes 503, ready again within 5 s.
# Membership and rate limits (its own section at the end): every replica sees the others live in
# /v1/status and /metrics; a client spread over three replicas for 10 s gets the instance's budget
# within 10%, not three times it; a fourth replica leaving cleanly, then killed with SIGKILL under
# load, drops out of the live set within 5 s while the others serve with zero errors.
source "$(dirname "$0")/lib.sh"

not() { ! "$@"; }
VERIFY="/usr/bin/python3 $SW_SOURCE_DIR/tests/tools/verify_block.py"
source "$(dirname "$0")/replicas_lib.sh"

start_replica A
start_replica B
start_replica C
ADMIN_TOKEN=$(cat "$SW_TMP/shared/admin-token")
check "A logs the PostgreSQL backend" grep -q 'event=store backend=postgresql' "$SW_TMP/A.log"
check "no log line holds the password" not grep -rq "seedwell:" "$SW_TMP/A.log" "$SW_TMP/B.log"
check "replicas listen for changes" grep -q 'event=change_feed_listening' "$SW_TMP/C.log"

# guest NAME TOKEN QUERY: a guest entropy request through replica NAME; status in $G_STATUS.
guest() {
  local v="GUEST_$1"
  G_STATUS=$(curl -sS -o "$SW_TMP/block.json" -w '%{http_code}' -H "Authorization: Bearer $2" \
    "${!v}/v1/entropy?$3")
}

ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
via A POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"demo\"}"
expect_status "create through A" 201
TOKEN=$(jq -r .token <<<"$RESP")
via B GET "/v1/instances/$ID"; expect_status "B sees A's instance" 200
via C POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"demo\"}"
expect_status "the same id through C" 409

curl -sS "$GUEST_A/v1/keys" -o "$SW_TMP/keys.json"
for r in B C; do
  guest "$r" "$TOKEN" "bytes=32&nonce=0a0b"
  check "block through $r" test "$G_STATUS" = 200
  check "block through $r verifies with A's key listing" \
    $VERIFY "$SW_TMP/keys.json" "$SW_TMP/block.json" --instance "$ID" --nonce 0a0b
done

# Two replicas creating one id at the same moment: exactly one 201.
ID2=7b2f3d2f-0b66-4c4a-8e4d-2f1b1c7d8e9f
for r in A B C; do
  v="ADMIN_$r"
  curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d "{\"id\":\"$ID2\",\"project_id\":\"demo\"}" \
    "${!v}/v1/instances" >>"$SW_TMP/race" &
done
wait_jobs() { local j; for j in $(jobs -p); do case " ${REPLICA_PIDS[*]} " in *" $j "*) ;; *) wait "$j";; esac; done; }
wait_jobs
check "concurrent creates: exactly one 201" test "$(grep -c '^201$' "$SW_TMP/race")" = 1
check "concurrent creates: the others 409" test "$(grep -c '^409$' "$SW_TMP/race")" = 2

# Usage through every replica adds up (each flushes its own counts once a second, additively).
for r in A B C; do guest "$r" "$TOKEN" "bytes=100"; done
usage_until_total() {
  local i
  for i in $(seq 1 50); do
    via A GET "/v1/instances/$ID/usage"
    [ "$(jq -r .bytes_issued <<<"$RESP")" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
check "usage from three replicas adds up to 364" usage_until_total 364

# Revoke through B; A and C (which have the instance cached) refuse within 1 s.
guest A "$TOKEN" "bytes=16"; guest C "$TOKEN" "bytes=16"   # warm both caches
via B DELETE "/v1/instances/$ID"; expect_status "revoke through B" 200
t0=$(date +%s%N)
refused=""
for i in $(seq 1 300); do
  guest A "$TOKEN" "bytes=16"; a=$G_STATUS
  guest C "$TOKEN" "bytes=16"; c=$G_STATUS
  if [ "$a" = 403 ] && [ "$c" = 403 ]; then refused=yes; break; fi
  sleep 0.01
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "revocation reached A and C in ${ms} ms"
check "A and C refuse the revoked instance" test "$refused" = yes
check "revocation reached the other replicas in under 1 s (${ms} ms)" test "$ms" -lt 1000

# Token rotation through C: the old token stops working on A at once.
via C POST /v1/instances "{\"id\":\"$ID2\",\"project_id\":\"demo\"}" # already exists (409)
via A GET "/v1/instances/$ID2"; expect_status "A reads the raced instance" 200
via C POST "/v1/instances/$ID2/token"; expect_status "rotate through C" 200
NEW=$(jq -r .token <<<"$RESP")
via B POST "/v1/instances/$ID2/token"; OLD_ON_B=$(jq -r .token <<<"$RESP")
guest A "$OLD_ON_B" "bytes=16"; check "the newest token works on A" test "$G_STATUS" = 200
ok=""
for i in $(seq 1 100); do guest A "$NEW" "bytes=16"; [ "$G_STATUS" = 401 ] && { ok=yes; break; }; sleep 0.01; done
check "a replaced token stops working on A within 1 s" test "$ok" = yes

# Delete through C: gone on A.
via C DELETE "/v1/instances/$ID2?purge=true"; expect_status "purge through C" 204
via A GET "/v1/instances/$ID2"; expect_status "A no longer has it" 404

# ---- Signing keys shared through the database ------------------------------------------------
# The ring is in the database, sealed; no replica has STATE/keys. Rotate through C: A and B reload
# it (NOTIFY; polling every 5 s is the fallback) and sign with the new key; their blocks verify
# with the new /v1/keys listing, and so does a block fetched before the rotation.
active_kid() { local v="GUEST_$1"; curl -sS "${!v}/v1/keys" | jq -r '.keys[] | select(.state == "active") | .kid'; }
check "the database holds one key ring with one active key" \
  test "$(psql_q seedwell "SELECT count(*) FROM signing_keys WHERE state = 'active'")" = 1
check "no replica keeps key files" not ls -d "$SW_TMP"/state-A/keys "$SW_TMP"/state-B/keys "$SW_TMP"/state-C/keys
check "replicas log the sealed key ring" grep -q 'event=key_ring backend=postgresql' "$SW_TMP/B.log"
KID_OLD=$(active_kid A)
for r in B C; do check "$r lists the same active key as A" test "$(active_kid "$r")" = "$KID_OLD"; done
ID4=4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b
via A POST /v1/instances "{\"id\":\"$ID4\",\"project_id\":\"demo\"}"; expect_status "create ID4" 201
TOKEN4=$(jq -r .token <<<"$RESP")
guest A "$TOKEN4" "bytes=32&nonce=0c0d"; cp "$SW_TMP/block.json" "$SW_TMP/block-before.json"
check "a block before the rotation is signed by the old key" \
  test "$(jq -r .kid "$SW_TMP/block-before.json")" = "$KID_OLD"
via C POST /v1/keys/rotate; expect_status "rotate the signing key through C" 200
KID_NEW=$(jq -r '.keys[] | select(.state == "active") | .kid' <<<"$RESP")
check "C's rotation made a new active key" test -n "$KID_NEW" -a "$KID_NEW" != "$KID_OLD"
t0=$(date +%s%N)
for i in $(seq 1 100); do
  ka=$(active_kid A); kb=$(active_kid B)
  [ "$ka" = "$KID_NEW" ] && [ "$kb" = "$KID_NEW" ] && break
  sleep 0.05
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "key rotation through C reached A and B in ${ms} ms"
check "the rotation reached A and B within 5 s (${ms} ms)" test "$ka" = "$KID_NEW" -a "$kb" = "$KID_NEW"
curl -sS "$GUEST_B/v1/keys" -o "$SW_TMP/keys-new.json"
check "the old key stays listed, verify-only" \
  test "$(jq -r --arg k "$KID_OLD" '.keys[] | select(.kid == $k) | .state' "$SW_TMP/keys-new.json")" = verify_only
for r in A B; do
  guest "$r" "$TOKEN4" "bytes=32&nonce=0e0f"
  check "block through $r after the rotation" test "$G_STATUS" = 200
  check "block through $r is signed by the new key" test "$(jq -r .kid "$SW_TMP/block.json")" = "$KID_NEW"
  check "block through $r verifies with the new listing" \
    $VERIFY "$SW_TMP/keys-new.json" "$SW_TMP/block.json" --instance "$ID4" --nonce 0e0f
done
check "the block from before the rotation still verifies with the new listing" \
  $VERIFY "$SW_TMP/keys-new.json" "$SW_TMP/block-before.json" --instance "$ID4" --nonce 0c0d
check "every usable key in the database is sealed (72 bytes)" \
  test "$(psql_q seedwell "SELECT count(*) FROM signing_keys WHERE state <> 'retired' AND length(sealed_key) = 72")" = 2

# A replica with the wrong key-encryption key, or none, or a malformed one, does not start.
head -c 32 /dev/urandom >"$SW_TMP/kek-wrong"; chmod 0600 "$SW_TMP/kek-wrong"
head -c 33 /dev/urandom >"$SW_TMP/kek-long"; chmod 0600 "$SW_TMP/kek-long"
kek_start() {  # kek_start ARGS...: a PostgreSQL start with these key-encryption key arguments
  local out=$SW_TMP/kek.log
  KEK_STATUS=0
  "$SW_BIN" serve --state-dir "$SW_TMP/state-kek" --guest-listen 127.0.0.1:0 \
    --admin-listen 127.0.0.1:0 --allow-kernel-only --database "$DB_URL" \
    --database-password-file "$SW_TMP/pgpass" "$@" >"$out" 2>&1 || KEK_STATUS=$?
  KEK_LOG=$(cat "$out")
}
kek_start --key-encryption-key-file "$SW_TMP/kek-wrong"
check "wrong key-encryption key: exit 1" test "$KEK_STATUS" = 1
check "wrong key-encryption key: one clear message" \
  test "$(grep -c 'startup_failed.*does not open with this key-encryption key' <<<"$KEK_LOG")" = 1
kek_start
check "no key-encryption key with PostgreSQL: exit 1" test "$KEK_STATUS" = 1
check "no key-encryption key: names the flag" grep -q -- "--key-encryption-key-file is required" <<<"$KEK_LOG"
kek_start --key-encryption-key-file "$SW_TMP/kek-long"
check "33-byte key-encryption key: exit 1" test "$KEK_STATUS" = 1
check "33-byte key-encryption key: says 32 bytes" grep -q "exactly 32 raw random bytes" <<<"$KEK_LOG"
check "the refused starts changed no key" test "$(psql_q seedwell "SELECT count(*) FROM signing_keys")" = 2
# ------------------------------------------------------------------------------------------------

# PostgreSQL restarts under the replicas: cached guests keep being served, admin writes get 503,
# the replicas go not-ready and are ready again within 5 s of the database returning, and changes
# reach the others again (the change feed re-LISTENed).
ID3=8c3a4e3a-1c77-4d5b-9f5e-3a2c2d8e9fa0
via A POST /v1/instances "{\"id\":\"$ID3\",\"project_id\":\"demo\"}"; expect_status "create ID3" 201
TOKEN3=$(jq -r .token <<<"$RESP")
guest B "$TOKEN3" "bytes=16"; check "B serves ID3" test "$G_STATUS" = 200
bash "$SW_SOURCE_DIR/tests/testutil/pg_test_server.sh" pause "$PGDIR"
guest B "$TOKEN3" "bytes=16"; check "database down: B still serves a cached guest" test "$G_STATUS" = 200
via A POST /v1/instances '{"id":"9d4b5f4b-2d88-4e6c-8f6f-4b3d3e9fab01","project_id":"demo"}'
expect_status "database down: admin write" 503
ready_status() { curl -s -o /dev/null -w '%{http_code}' "$1/readyz"; }
check "database down: A not ready" test "$(ready_status "$ADMIN_A")" = 503
bash "$SW_SOURCE_DIR/tests/testutil/pg_test_server.sh" resume "$PGDIR"
t0=$(date +%s%N)
for i in $(seq 1 100); do
  [ "$(ready_status "$ADMIN_A")" = 200 ] && [ "$(ready_status "$ADMIN_B")" = 200 ] &&
    [ "$(ready_status "$ADMIN_C")" = 200 ] && break
  sleep 0.05
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "replicas ready again ${ms} ms after the database returned"
check "ready again within 5 s of the database returning (${ms} ms)" test "$ms" -lt 5000
via C POST /v1/instances '{"id":"9d4b5f4b-2d88-4e6c-8f6f-4b3d3e9fab01","project_id":"demo"}'
expect_status "database back: admin write" 201
for i in $(seq 1 50); do grep -q change_feed_listening <(grep -A100 change_feed_lost "$SW_TMP/B.log") && break; sleep 0.1; done
via A DELETE "/v1/instances/$ID3"; expect_status "revoke ID3 through A" 200
ok=""
for i in $(seq 1 100); do guest B "$TOKEN3" "bytes=16"; [ "$G_STATUS" = 403 ] && { ok=yes; break; }; sleep 0.01; done
check "after the restart a revocation still reaches B within 1 s" test "$ok" = yes

# Start-up errors: one clear message, exit status 1.
bad_start() {
  local out=$SW_TMP/bad.log status=0
  "$SW_BIN" serve --state-dir "$SW_TMP/state-bad" --guest-listen 127.0.0.1:0 \
    --admin-listen 127.0.0.1:0 --allow-kernel-only --key-encryption-key-file "$SW_TMP/kek" "$@" \
    >"$out" 2>&1 || status=$?
  BAD_STATUS=$status
  BAD_LOG=$(cat "$out")
}
printf 'wrong\n' >"$SW_TMP/wrongpass"
bad_start --database "$DB_URL" --database-password-file "$SW_TMP/wrongpass"
check "wrong password: exit 1" test "$BAD_STATUS" = 1
check "wrong password: says so" grep -q "password authentication failed" <<<"$BAD_LOG"
check "wrong password: not echoed" not grep -q wrong <<<"${BAD_LOG//wrongpass/}"
bad_start --database "postgresql://seedwell:hunter2@127.0.0.1:$PGPORT/seedwell"
check "password in URL: exit 1" test "$BAD_STATUS" = 1
check "password in URL: names the file flag" grep -q -- "--database-password-file" <<<"$BAD_LOG"
check "password in URL: not echoed" not grep -q hunter2 <<<"$BAD_LOG"
bad_start --database "postgresql://seedwell@127.0.0.1:1/seedwell"
check "unreachable server: exit 1" test "$BAD_STATUS" = 1
check "unreachable server: one message" grep -q "database connection" <<<"$BAD_LOG"
bad_start --database "postgresql://seedwell@127.0.0.1:notaport/seedwell"
check "malformed URL: exit 1" test "$BAD_STATUS" = 1
psql_q seedwell "UPDATE seedwell_schema SET version = version + 1" >/dev/null
bad_start --database "$DB_URL" --database-password-file "$SW_TMP/pgpass"
check "newer schema: exit 1" test "$BAD_STATUS" = 1
check "newer schema: says upgrade" grep -q "newer than this seedwell" <<<"$BAD_LOG"
psql_q seedwell "UPDATE seedwell_schema SET version = version - 1" >/dev/null

# ---------------------------------------------------------------------------------------------
# Membership and rate limits across replicas (issue 12; self-contained: needs only A, B and C
# running, leaves them running). Every replica heartbeats once a second into the replicas table;
# one silent for 3 s is not live; each enforces budget / live replicas.
# cluster_of NAME: replica NAME's /v1/status cluster object into $CLUSTER.
cluster_of() { via "$1" GET /v1/status; CLUSTER=$(jq -c .cluster <<<"$RESP"); }
# live_on NAME: the live replica count replica NAME sees.
live_on() { cluster_of "$1"; jq -r .live_replicas <<<"$CLUSTER"; }
# wait_live NAME N: polls (up to 6 s) until replica NAME sees N live replicas.
wait_live() {
  local i
  for i in $(seq 1 60); do [ "$(live_on "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}
# replica_live ID: "true" or "false" for replica ID in $CLUSTER, "absent" when it is not listed.
replica_live() { jq -r --arg id "$1" '[.replicas[] | select(.id == $id) | .live | tostring] | first // "absent"' <<<"$CLUSTER"; }
SPREAD="python3 $SW_SOURCE_DIR/tests/integration/spread_client.py"

for r in A B C; do check "$r sees three live replicas" wait_live "$r" 3; done
cluster_of A
check "status: A names itself and lists A, B, C with host, version, start and heartbeat" \
  jq -e '(.replica_id | length) > 0 and (.replicas | length) == 3 and
         all(.replicas[]; .live and (.host | length) > 0 and (.version | length) > 0 and
             (.key_id | length) > 0 and (.started_at | test("^20")) and (.last_heartbeat | test("^20")))' \
  <<<"$CLUSTER"
check "the replicas table holds three rows" test "$(psql_q seedwell 'SELECT count(*) FROM replicas')" = 3
via A GET /metrics
check "metrics: seedwell_cluster_replicas{state=\"live\"} 3" grep -qx 'seedwell_cluster_replicas{state="live"} 3' <<<"$RESP"

# Rate limits hold across the cluster: one instance with a budget of 6000 B/s and a burst of
# 6000 B, a client spreading 300-byte requests over A, B and C for 10 s. Per-replica limits would
# grant about three times the budget (burst + rate x elapsed); shares must stay within 10% of it.
RL_ID=5e0d1b0d-8b44-4a28-8c3f-0e1f0a5b6c7d
via A POST /v1/instances "{\"id\":\"$RL_ID\",\"project_id\":\"demo\",\"rate_limit\":{\"bytes_per_second\":6000,\"burst_bytes\":6000}}"
expect_status "create the rate-limited instance" 201
RL_TOKEN=$(jq -r .token <<<"$RESP")
for r in B C; do via "$r" GET "/v1/instances/$RL_ID"; expect_status "$r reads the rate-limited instance" 200; done
$SPREAD --token "$RL_TOKEN" --seconds 10 --bytes 300 --interval 0.01 --max-requests 3000 \
  "$GUEST_A" "$GUEST_B" "$GUEST_C" >"$SW_TMP/spread.json"
granted=$(jq -r .granted_bytes "$SW_TMP/spread.json")
budget=$(jq -r '6000 + 6000 * .elapsed_s | floor' "$SW_TMP/spread.json")
pct=$(( granted * 100 / budget ))
echo "rate limit across 3 replicas: granted ${granted} B of a ${budget} B budget (${pct}%): $(jq -c '{requests, statuses, elapsed_s}' "$SW_TMP/spread.json")"
check "across 3 replicas the bytes granted stay within 10% of the budget (${granted} of ${budget})" \
  test "$granted" -le $(( budget * 110 / 100 )) -a "$granted" -ge $(( budget * 90 / 100 ))
check "the spread client saw no errors" test "$(jq -r .errors "$SW_TMP/spread.json")" = 0

# --replica-id: refused when not printable, taken from SEEDWELL_REPLICA_ID (the Helm chart sets
# the pod name).
status=0
"$SW_BIN" serve --state-dir "$SW_TMP/state-bad-id" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --allow-kernel-only --replica-id 'has space' >"$SW_TMP/bad-id.log" 2>&1 || status=$?
check "--replica-id with a space: exit 1" test "$status" = 1
check "--replica-id with a space: says why" grep -q "replica-id must be printable" "$SW_TMP/bad-id.log"

# A fourth replica D joins, leaves cleanly (its row removed at once), joins again and is killed
# with SIGKILL under load: it drops out of the live set within a few seconds, and A, B and C keep
# serving with zero errors.
SEEDWELL_REPLICA_ID=replica-d start_replica D
D_PID=${REPLICA_PIDS[-1]}
check "A sees D join" wait_live A 4
cluster_of A
check "A lists D under the id from SEEDWELL_REPLICA_ID" test "$(replica_live replica-d)" = true
kill -TERM "$D_PID"; wait "$D_PID" || true
check "a clean shutdown removes D's row" test "$(psql_q seedwell "SELECT count(*) FROM replicas WHERE id = 'replica-d'")" = 0
check "after D's clean shutdown A sees three live replicas again" wait_live A 3
SEEDWELL_REPLICA_ID=replica-d start_replica D
D_PID=${REPLICA_PIDS[-1]}
check "D joins again" wait_live A 4

LOAD_ID=4f1e2c1e-7a33-4b19-8d2e-1f0a0b6c7d8e
via A POST /v1/instances "{\"id\":\"$LOAD_ID\",\"project_id\":\"demo\",\"rate_limit\":{\"bytes_per_second\":1073741824,\"burst_bytes\":1073741824}}"
expect_status "create the load instance" 201
LOAD_TOKEN=$(jq -r .token <<<"$RESP")
$SPREAD --token "$LOAD_TOKEN" --seconds 7 --bytes 64 --interval 0.005 --max-requests 3000 \
  "$GUEST_A" "$GUEST_B" "$GUEST_C" >"$SW_TMP/load.json" 2>"$SW_TMP/load.err" &
LOAD_PID=$!
sleep 1
kill -KILL "$D_PID"; wait "$D_PID" 2>/dev/null || true
t0=$(date +%s%N)
gone=""
for i in $(seq 1 100); do
  cluster_of A
  [ "$(replica_live replica-d)" = false ] && [ "$(jq -r .live_replicas <<<"$CLUSTER")" = 3 ] && { gone=yes; break; }
  sleep 0.1
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "a replica killed with SIGKILL left A's live set in ${ms} ms"
check "the killed replica drops out of the live set" test "$gone" = yes
check "within 5 s of SIGKILL (${ms} ms)" test "$ms" -lt 5000
for r in B C; do check "$r agrees: three live replicas" wait_live "$r" 3; done
wait "$LOAD_PID" || true
echo "load during the kill: $(cat "$SW_TMP/load.json")"
check "under load across the kill: requests answered" test "$(jq -r '.statuses["200"] // 0' "$SW_TMP/load.json")" -gt 100
check "under load across the kill: zero errors ($(head -c 300 "$SW_TMP/load.err"))" \
  test "$(jq -r '.errors + (.statuses["429"] // 0)' "$SW_TMP/load.json")" = 0
via A GET /metrics
check "metrics: the killed replica counts as down" grep -qx 'seedwell_cluster_replicas{state="down"} 1' <<<"$RESP"
# D's row stays (it could not remove it) until an hour of silence; drop D from the PIDs to stop.
alive=(); for pid in "${REPLICA_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
REPLICA_PIDS=("${alive[@]}")

# Usage accumulated while PostgreSQL is away is written when it returns (the pending-usage buffer;
# nothing dropped below its bound).
U_ID=3e0c0b0d-6a22-4a17-9c1d-0e1f0a5b6c7d
via A POST /v1/instances "{\"id\":\"$U_ID\",\"project_id\":\"demo\"}"; expect_status "create the usage instance" 201
U_TOKEN=$(jq -r .token <<<"$RESP")
guest A "$U_TOKEN" "bytes=100"; check "usage instance served (warm cache)" test "$G_STATUS" = 200
bash "$SW_SOURCE_DIR/tests/testutil/pg_test_server.sh" pause "$PGDIR"
served=0
for i in $(seq 1 10); do guest A "$U_TOKEN" "bytes=100"; [ "$G_STATUS" = 200 ] && served=$((served + 1)); done
check "database away: the cached guest is served (${served}/10)" test "$served" = 10
sleep 2.5   # two or more flushes fail meanwhile
check "database away: the flush failed and kept the usage" grep -q "event=usage_flush_failed id=$U_ID" "$SW_TMP/A.log"
bash "$SW_SOURCE_DIR/tests/testutil/pg_test_server.sh" resume "$PGDIR"
usage_total=""
for i in $(seq 1 100); do
  via A GET "/v1/instances/$U_ID/usage"
  usage_total=$(jq -r '.bytes_issued // empty' <<<"$RESP")
  [ "$usage_total" = 1100 ] && break
  sleep 0.1
done
check "usage served while the database was away is written when it returns (${usage_total} of 1100 B)" test "$usage_total" = 1100
via A GET /metrics
check "metrics: no usage dropped below the bound" grep -qx 'seedwell_usage_dropped_bytes_total 0' <<<"$RESP"
# ---------------------------------------------------------------------------------------------

for pid in "${REPLICA_PIDS[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done
REPLICA_PIDS=()
sw_finish
