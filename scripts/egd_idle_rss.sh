#!/usr/bin/env bash
# Resident memory of a whole `seedwell serve` process holding N idle EGD connections (default
# 1,000) on one instance's Unix socket, after each connection has made one request (as QEMU's
# would). Usage: scripts/egd_idle_rss.sh PATH-TO-seedwell [N]. Prints RSS before and after, in kB.
set -euo pipefail
BIN=${1:?usage: $0 PATH-TO-seedwell [N]}
N=${2:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/seedwell-rss.XXXXXX")
PID=""; HOLD=""
cleanup() {
  for p in $HOLD $PID; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
ulimit -n 8192
"$BIN" serve --state-dir "$TMP/state" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --allow-kernel-only --egd-socket-dir "$TMP/egd" --egd-max-connections-per-peer $((N + 10)) \
  >"$TMP/log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do grep -q "seedwell serving" "$TMP/log" && break; sleep 0.1; done
ADMIN=$(grep -o 'admin listener on [^ ]*' "$TMP/log" | head -1 | awk '{print $4}')
[ -n "$ADMIN" ] || { echo "seedwell did not start"; cat "$TMP/log"; exit 1; }
ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
curl -sf -H "Authorization: Bearer $(cat "$TMP/state/admin-token")" -H 'Content-Type: application/json' \
  -d "{\"id\":\"$ID\",\"project_id\":\"bench\"}" "$ADMIN/v1/instances" >/dev/null
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
BEFORE=$(rss)
coproc H { /usr/bin/python3 "$ROOT/tests/integration/egd_client.py" "$TMP/egd/$ID.sock" hold "$N"; }
HOLD=$H_PID
read -r -t 120 SERVED <&"${H[0]}"
AFTER=$(rss)
echo "connections_served=$SERVED rss_before_kb=$BEFORE rss_after_kb=$AFTER"
