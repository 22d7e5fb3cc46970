#!/usr/bin/env bash
# Boot-time client wall time, start to credited, in one run against one `seedwell serve`:
#   - seedwell-fetch (static) with the config drive: seed file + fresh sealed 64-byte block;
#   - seedwell-fetch, fresh block only (--skip-seed-file);
#   - Ubuntu's pollinate (--testing, against seedwell's pollen-compatible endpoint), the client it
#     replaces, as the baseline.
# Each is run N times, alternating, so machine noise hits all alike; prints median and p90 (ms)
# and each median's ratio to pollinate's, as a Markdown table for docs/BENCHMARKS.md.
#   scripts/bench-fetch.sh [SEEDWELL_BINARY] [N]
# Every process it starts is stopped by its PID.
set -euo pipefail
BIN=$(readlink -f "${1:-build/seedwell}"); N=${2:-30}
FETCH=$(dirname "$BIN")/seedwell-fetch
TMP=$(mktemp -d); SW_PID=""
cleanup() {
  if [ -n "$SW_PID" ]; then kill "$SW_PID" 2>/dev/null || true; wait "$SW_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

"$BIN" serve --state-dir "$TMP/state" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --allow-kernel-only >"$TMP/sw.log" 2>&1 & SW_PID=$!
for _ in $(seq 1 100); do grep -q "seedwell serving" "$TMP/sw.log" 2>/dev/null && break; sleep 0.1; done
GURL=$(grep -o 'guest listener on [^ ]*' "$TMP/sw.log" | awk '{print $4}')
AURL=$(grep -o 'admin listener on [^ ]*' "$TMP/sw.log" | awk '{print $4}')
[ -n "$GURL" ] || { echo "seedwell did not start"; cat "$TMP/sw.log"; exit 1; }
ADMIN=(-H "Authorization: Bearer $(cat "$TMP/state/admin-token")" -H 'Content-Type: application/json')
ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
curl -sf "${ADMIN[@]}" -d "{\"id\":\"$ID\",\"project_id\":\"bench\",\"rate_limit\":{\"bytes_per_second\":1073741824,\"burst_bytes\":4294967296}}" \
  "$AURL/v1/instances" >/dev/null
curl -sf -o "$TMP/drive.iso" "${ADMIN[@]}" \
  -d "{\"embed_token\":true,\"issue_sealing_key\":true,\"service_url\":\"$GURL\"}" "$AURL/v1/instances/$ID/config-drive"
xorriso -osirrox on -indev "$TMP/drive.iso" -extract / "$TMP/drive" >/dev/null 2>&1
TOKEN=$(cat "$TMP/drive/seedwell/token")

# time_ms CMD...: wall milliseconds (3 decimals) of one run; fails if the command fails.
time_ms() {
  local t0 t1
  t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) / 1e6}'
}
# pollinate, as tests/integration/guest_clients_test.sh runs it: the token through its curl options.
run_pollinate() { pollinate --testing --strict -s "$GURL/" -c "--oauth2-bearer $TOKEN"; }
for i in $(seq 1 "$N"); do
  time_ms "$FETCH" --config-drive "$TMP/drive" >>"$TMP/full"
  time_ms "$FETCH" --config-drive "$TMP/drive" --skip-seed-file >>"$TMP/block"
  time_ms run_pollinate >>"$TMP/pollinate"
done

stats() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.1f %.1f\n", a[int((NR+1)/2)], a[int(NR*0.9+0.999)]}'; }
read -r P50 P90 < <(stats "$TMP/pollinate")
echo "| client ($N runs each, alternating) | median ms | p90 ms | median vs pollinate |"
echo "|---|---|---|---|"
for c in full block; do
  read -r m p < <(stats "$TMP/$c")
  label="seedwell-fetch: seed file + sealed 64-byte block, verified, credited"
  [ "$c" = block ] && label="seedwell-fetch: sealed 64-byte block only, verified, credited"
  echo "| $label | $m | $p | $(awk -v a="$m" -v b="$P50" 'BEGIN {printf "%.2f", a / b}')x |"
done
echo "| pollinate --testing --strict (unauthenticated, nothing credited) | $P50 | $P90 | 1.00x |"
