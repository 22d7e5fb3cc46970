# Shared setup for the tests that run `seedwell serve` replicas on one real PostgreSQL
# (replicas_test.sh, node_agents_test.sh). Source it after lib.sh. It starts the server
# (tests/testutil/pg_test_server.sh, 127.0.0.1 on a free port, password authentication), creates
# the database `seedwell`, and sets a trap that kills every replica started here (by PID), stops
# the server and removes the temp dirs.
#
# Sets: PGDIR PGPORT DB_URL (the password is in $SW_TMP/pgpass), REPLICA_PIDS.
# Defines: psql_q DB SQL, pg_stop, start_replica NAME [FLAGS...], via NAME METHOD PATH [BODY].

# Beside, not inside, $SW_TMP: the server's user (nobody, when run as root) must reach it.
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/seedwell-pg.XXXXXX")
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bash "$SW_SOURCE_DIR/tests/testutil/pg_test_server.sh" start "$PGDIR" "$PGPORT"
pg_stop() {
  bash "$SW_SOURCE_DIR/tests/testutil/pg_test_server.sh" stop "$PGDIR" || true
  rm -rf "$PGDIR"
}
REPLICA_PIDS=()
replicas_cleanup() {
  local pid
  for pid in "${REPLICA_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pg_stop
  sw_cleanup
}
trap replicas_cleanup EXIT

psql_q() { psql -h "$PGDIR" -p "$PGPORT" -U seedwell -d "$1" -X -qAt -v ON_ERROR_STOP=1 -c "$2"; }
psql_q postgres "CREATE DATABASE seedwell" >/dev/null
printf 'seedwell\n' >"$SW_TMP/pgpass"
chmod 0600 "$SW_TMP/pgpass"
DB_URL="postgresql://seedwell@127.0.0.1:$PGPORT/seedwell?sslmode=disable"

# One admin token for all replicas (as a Kubernetes Secret would hold it); the signing keys are in
# the database, sealed under the key-encryption key every replica reads from its file.
mkdir -p "$SW_TMP/shared"
head -c 32 /dev/urandom >"$SW_TMP/kek"
chmod 0600 "$SW_TMP/kek"

# start_replica NAME [FLAGS...]: starts a replica with its own state dir (the admin token copied
# from the first one) and FLAGS added; sets URLs in GUEST_<NAME> and ADMIN_<NAME>, its log is
# $SW_TMP/NAME.log. Exits the test if it is not serving within 20 s.
start_replica() {
  local name=$1 state=$SW_TMP/state-$1 log=$SW_TMP/$1.log
  shift
  mkdir -p "$state"
  : >"$log"
  if [ -f "$SW_TMP/shared/admin-token" ]; then cp -a "$SW_TMP/shared/admin-token" "$state/"; fi
  "$SW_BIN" serve --state-dir "$state" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --allow-kernel-only --database "$DB_URL" --database-password-file "$SW_TMP/pgpass" \
    --key-encryption-key-file "$SW_TMP/kek" "$@" >"$log" 2>&1 &
  REPLICA_PIDS+=($!)
  local i
  for i in $(seq 1 200); do
    grep -q "seedwell serving" "$log" && break
    kill -0 "${REPLICA_PIDS[-1]}" 2>/dev/null || { echo "replica $name exited:"; cat "$log"; exit 1; }
    sleep 0.1
  done
  grep -q "seedwell serving" "$log" || { echo "replica $name did not start:"; cat "$log"; exit 1; }
  printf -v "GUEST_$name" '%s' "$(grep -o 'guest listener on [^ ]*' "$log" | head -1 | awk '{print $4}')"
  printf -v "ADMIN_$name" '%s' "$(grep -o 'admin listener on [^ ]*' "$log" | head -1 | awk '{print $4}')"
  if [ ! -f "$SW_TMP/shared/admin-token" ]; then cp -a "$state/admin-token" "$SW_TMP/shared/"; fi
}

# via NAME METHOD PATH [BODY]: an admin call through replica NAME (lib.sh's api).
via() { local v="ADMIN_$1"; ADMIN_URL=${!v}; shift; api "$@"; }
