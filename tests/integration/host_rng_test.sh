#!/usr/bin/env bash
# The host-wide entropy FIFO (--host-rng-fifo, Nova's rng_dev_path) without a VM: a real reader
# reads it for 3 s and gets no more than the budget allows (burst + rate x time, plus the one
# page the pipe holds); the bytes show in seedwell_bytes_issued_total{transport="host_rng"}; a
# removed FIFO comes back; a reader that keeps the FIFO open across a restart is fed again; bad
# paths (a regular file, a read-only or missing directory) and settings stop the start with a
# clear message and exit status 1.
#
#   bash tests/integration/host_rng_test.sh PATH/TO/seedwell
source "$(dirname "$0")/lib.sh"

RATE=4096
BURST=8192
FIFO=$SW_TMP/host-rng
FLAGS=(--host-rng-fifo "$FIFO" --host-rng-rate-bytes-per-second $RATE --host-rng-burst-bytes $BURST)
host_rng_bytes() {
  curl -sS -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics" |
    awk '$1 == "seedwell_bytes_issued_total{transport=\"host_rng\"}" {print int($2)}'
}
# read_for PATH SECONDS: bytes a reader gets from PATH in SECONDS (opened without blocking).
read_for() {
  python3 - "$1" "$2" <<'PY'
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
end, total = time.monotonic() + float(sys.argv[2]), 0
while time.monotonic() < end:
    if select.select([fd], [], [], 0.05)[0]:
        data = os.read(fd, 65536)
        if not data:
            break
        total += len(data)
print(total)
PY
}
# start_fails NAME PATTERN FLAGS...: seedwell serve must exit 1 within 20 s, logging PATTERN.
start_fails() {
  local name=$1 pattern=$2 rc=0; shift 2
  timeout 20 "$SW_BIN" serve --state-dir "$SW_STATE" --guest-listen 127.0.0.1:0 \
    --admin-listen 127.0.0.1:0 --allow-kernel-only "$@" >"$SW_TMP/fail.log" 2>&1 || rc=$?
  check "$name: exit 1 (got $rc)" test "$rc" = 1
  check "$name: says '$pattern' ($(grep -m1 -o 'error=.*' "$SW_TMP/fail.log" | head -c 200))" \
    grep -q "$pattern" "$SW_TMP/fail.log"
}

# --- Budget ------------------------------------------------------------------------------------
sw_start "${FLAGS[@]}"
check "the FIFO exists" test -p "$FIFO"
check "mode 0660" test "$(stat -c %a "$FIFO")" = 660
check "owned by the serving user" test "$(stat -c %u "$FIFO")" = "$(id -u)"
GOT=$(read_for "$FIFO" 3)
MAX=$((4096 + BURST + RATE * 3 + RATE / 2))   # the pipe's page, the burst, 3 s of rate, slack
echo "budget: read $GOT bytes in 3 s at $RATE B/s, burst $BURST (at most $MAX)"
check "the reader got bytes ($GOT)" test "$GOT" -ge $((RATE * 3 / 2))
check "no more than the budget ($GOT <= $MAX)" test "$GOT" -le "$MAX"
COUNTED=$(host_rng_bytes)
check "metric transport=host_rng covers what was read ($COUNTED >= $GOT)" test "${COUNTED:-0}" -ge "$GOT"

# --- Removed, recreated -----------------------------------------------------------------------
rm -f "$FIFO"
for _ in $(seq 1 40); do [ -p "$FIFO" ] && break; sleep 0.1; done
check "a removed FIFO is created again" test -p "$FIFO"
check "the server logged it" grep -q 'event=host_rng_fifo_recreated' "$SW_LOG"
check "the new FIFO feeds readers" test "$(read_for "$FIFO" 1)" -gt 0

# --- A reader across a restart -------------------------------------------------------------------
python3 - "$FIFO" >"$SW_TMP/held.out" 2>&1 <<'PY' &
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)   # like QEMU: opened once
def read_for(seconds):
    end, total, eof = time.monotonic() + seconds, 0, False
    while time.monotonic() < end:
        if select.select([fd], [], [], 0.05)[0]:
            data = os.read(fd, 65536)
            if not data:
                eof = True; time.sleep(0.05); continue
            total += len(data)
    return total, eof
print("before", *read_for(1.0), flush=True)
open(sys.argv[1] + ".phase", "w").close()
time.sleep(3)   # the server restarts meanwhile
print("after", *read_for(2.0), flush=True)
PY
HELD=$!
for _ in $(seq 1 50); do [ -e "$FIFO.phase" ] && break; sleep 0.1; done
sw_stop
check "server stopped cleanly" test "$SW_EXIT" = 0
check "the FIFO stays while seedwell is down" test -p "$FIFO"
sw_start "${FLAGS[@]}"
wait "$HELD" || true
echo "held reader: $(tr '\n' ' ' <"$SW_TMP/held.out")"
check "the held reader got bytes before the restart" \
  awk '$1 == "before" && $2 > 0 {ok=1} END {exit !ok}' "$SW_TMP/held.out"
check "the held reader is fed again after the restart" \
  awk '$1 == "after" && $2 > 0 {ok=1} END {exit !ok}' "$SW_TMP/held.out"
sw_stop

# --- Bad paths and settings ---------------------------------------------------------------------
rm -f "$FIFO"
echo "not a fifo" >"$SW_TMP/regular"
start_fails "a regular file at the path" "exists and is not a FIFO" --host-rng-fifo "$SW_TMP/regular"
check "the regular file is untouched" test "$(cat "$SW_TMP/regular")" = "not a fifo"
start_fails "a missing directory" "No such file or directory" --host-rng-fifo "$SW_TMP/missing/host-rng"
mkdir -p "$SW_TMP/ro"
if [ "$(id -u)" = 0 ]; then
  # root writes through directory permissions: make it a read-only bind mount in a private
  # mount namespace instead.
  rc=0
  timeout 20 unshare -m sh -c 'mount --bind -o ro "$1" "$1" && shift && exec "$@"' sh "$SW_TMP/ro" \
    "$SW_BIN" serve --state-dir "$SW_STATE" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --allow-kernel-only --host-rng-fifo "$SW_TMP/ro/host-rng" >"$SW_TMP/fail.log" 2>&1 || rc=$?
  check "a read-only directory: exit 1 (got $rc)" test "$rc" = 1
  check "a read-only directory: says why ($(grep -m1 -o 'error=.*' "$SW_TMP/fail.log" | head -c 200))" \
    grep -q "cannot create: Read-only file system" "$SW_TMP/fail.log"
else
  chmod 0555 "$SW_TMP/ro"
  start_fails "an unwritable directory" "cannot create: Permission denied" --host-rng-fifo "$SW_TMP/ro/host-rng"
fi
check "nothing created in the read-only directory" test ! -e "$SW_TMP/ro/host-rng"
start_fails "a burst below the rate" "host-rng-burst-bytes must be >=" \
  --host-rng-fifo "$FIFO" --host-rng-rate-bytes-per-second 1000 --host-rng-burst-bytes 10
start_fails "a bad mode" "host-rng-mode must be octal" --host-rng-fifo "$FIFO" --host-rng-mode 0999
sw_finish
