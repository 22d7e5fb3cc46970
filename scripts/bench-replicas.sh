#!/usr/bin/env bash
# The store benchmarks of issue 12, side by side in one run on one machine:
#   1. admin create+get round-trip pairs per second, one keep-alive client, N pairs: SQLite (the
#      embedded default) against PostgreSQL (a local server over TCP on 127.0.0.1);
#   2. the guest hot path: wrk -t2 -c64 for SECONDS on GET /v1/entropy?bytes=64 with an instance
#      token, against the SQLite and the PostgreSQL replica, twice each, interleaved (S P S P), with
#      the server's CPU per request from /proc/PID/stat;
#   3. the time a revocation through replica A takes to reach replica B (both on PostgreSQL):
#      median, p90 and max of REVOCATIONS.
#
#   scripts/bench-replicas.sh [SEEDWELL_BINARY] [SECONDS] [PAIRS] [REVOCATIONS]
#     defaults: build/seedwell, 10, 500, 100
# Everything listens on 127.0.0.1; the servers (PostgreSQL, three seedwell) are stopped by PID.
set -euo pipefail
BIN=${1:-build/seedwell}; DUR=${2:-10}; PAIRS=${3:-500}; REVOCATIONS=${4:-100}
SRC=$(cd "$(dirname "$0")/.." && pwd)
for tool in wrk psql curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: scripts/install-deps.sh bench"; exit 1; }
done
TMP=$(mktemp -d); PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/seedwell-pg.XXXXXX"); PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  bash "$SRC/tests/testutil/pg_test_server.sh" stop "$PGDIR" >/dev/null 2>&1 || true
  rm -rf "$TMP" "$PGDIR"
}
trap cleanup EXIT
PY="/usr/bin/python3 $SRC/bench/replicas_bench.py"
HZ=$(getconf CLK_TCK)
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

PGPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bash "$SRC/tests/testutil/pg_test_server.sh" start "$PGDIR" "$PGPORT" >/dev/null
psql -h "$PGDIR" -p "$PGPORT" -U seedwell -d postgres -X -q -c 'CREATE DATABASE seedwell'
printf 'seedwell\n' >"$TMP/pgpass"; chmod 0600 "$TMP/pgpass"
head -c 32 /dev/urandom >"$TMP/kek"; chmod 0600 "$TMP/kek"
URL="postgresql://seedwell@127.0.0.1:$PGPORT/seedwell?sslmode=disable"

# start NAME [FLAGS...]: a seedwell with its own state dir; sets GUEST_NAME, ADMIN_NAME, PID_NAME.
start() {
  local name=$1 log=$TMP/$1.log; shift
  mkdir -p "$TMP/$name"
  [ -f "$TMP/admin-token" ] && cp "$TMP/admin-token" "$TMP/$name/"
  "$BIN" serve --state-dir "$TMP/$name" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --allow-kernel-only --max-connections-per-peer 4096 "$@" >"$log" 2>&1 &
  PIDS+=($!); printf -v "PID_$name" '%s' "$!"
  for _ in $(seq 1 200); do grep -q "seedwell serving" "$log" && break; sleep 0.1; done
  grep -q "seedwell serving" "$log" || { echo "$name did not start:"; cat "$log"; exit 1; }
  printf -v "GUEST_$name" '%s' "$(grep -o 'guest listener on [^ ]*' "$log" | head -1 | awk '{print $4}')"
  printf -v "ADMIN_$name" '%s' "$(grep -o 'admin listener on [^ ]*' "$log" | head -1 | awk '{print $4}')"
  [ -f "$TMP/admin-token" ] || cp "$TMP/$name/admin-token" "$TMP/admin-token"
}
start S
start A --database "$URL" --database-password-file "$TMP/pgpass" --key-encryption-key-file "$TMP/kek"
start B --database "$URL" --database-password-file "$TMP/pgpass" --key-encryption-key-file "$TMP/kek"
T=$(cat "$TMP/admin-token")

echo "# seedwell $("$BIN" --version 2>/dev/null | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Admin create+get pairs ($PAIRS per store, one keep-alive client)"
echo "| store | pairs/s | pair p50 | pair p99 |"
echo "|---|---|---|---|"
for store in S A; do
  admin=ADMIN_$store
  out=$($PY admin "${!admin}" "$T" "$PAIRS")
  name=$([ $store = S ] && echo SQLite || echo PostgreSQL)
  echo "| $name | $(sed -E 's/.*pairs_per_s=([0-9.]+).*/\1/' <<<"$out") | $(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$out") ms | $(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$out") ms |"
done

echo
echo "## Guest signed blocks (wrk -t2 -c64 -d${DUR}s, GET /v1/entropy?bytes=64, one instance token)"
echo "| run | store | requests/s | server CPU per request | non-2xx |"
echo "|---|---|---|---|---|"
read -r _ TOK_S < <($PY instance "$ADMIN_S" "$T")
read -r _ TOK_A < <($PY instance "$ADMIN_A" "$T")
for run in 1 2; do
  for store in S A; do
    guest=GUEST_$store; pid=PID_$store; tok=TOK_$store
    t0=$(ticks "${!pid}")
    out=$(wrk -t2 -c64 -d"${DUR}s" -H "Authorization: Bearer ${!tok}" "${!guest}/v1/entropy?bytes=64")
    t1=$(ticks "${!pid}")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); bad=${bad:-0}
    cpu=$(awk -v t=$((t1 - t0)) -v n="$total" -v hz="$HZ" 'BEGIN { printf "%.1f us", t * 1e6 / hz / n }')
    name=$([ $store = S ] && echo SQLite || echo PostgreSQL)
    echo "| $run | $name | $rps | $cpu | $bad |"
  done
done

echo
echo "## Revocation through A reaching B (PostgreSQL, LISTEN/NOTIFY), $REVOCATIONS revocations"
echo "$($PY revocation "$ADMIN_A" "$ADMIN_B" "$GUEST_B" "$T" "$REVOCATIONS")"
