#!/usr/bin/env bash
# Nova's path (issue 14): stock Nova gives QEMU only the rng-random backend on one host path
# ([libvirt] rng_dev_path). `seedwell serve --host-rng-fifo PATH` keeps a FIFO there, fed from
# its DRBG under a host-wide budget. A real guest under QEMU (TCG) reads its /dev/hwrng through
# `-object rng-random,filename=PATH -device virtio-rng-pci`, no network, no drive
# (tests/vm/init.sh, swvm.mode=hostrng). Asserted: the guest's current hwrng is virtio-rng and
# yields bytes; seedwell_bytes_issued_total{transport="host_rng"} covers them; seedwell restarts
# under the guest's reads and every read still completes (the FIFO is reused, so QEMU's open
# descriptor keeps working); the restarted server's metric moves. 30 to 45 s (bound: 120 s, as
# vm_boot_test).
#
#   bash tests/integration/vm_host_rng_test.sh PATH/TO/seedwell
T0=$(date +%s%N)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vm_lib.sh"

FIFO=$SW_TMP/host-rng
VM_TIMEOUT=${SEEDWELL_VM_TIMEOUT:-100}
CONSOLE=$VM_DIR/console.log
FLAGS=(--host-rng-fifo "$FIFO" --host-rng-rate-bytes-per-second 65536 --host-rng-burst-bytes 65536)
m() { marker "$CONSOLE" "$1"; }
# host_rng_bytes: seedwell_bytes_issued_total{transport="host_rng"} of the running server.
host_rng_bytes() {
  curl -sS -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics" |
    awk '$1 == "seedwell_bytes_issued_total{transport=\"host_rng\"}" {print int($2)}'
}

vm_prereqs
sw_start "${FLAGS[@]}"
check "the FIFO exists" test -p "$FIFO"
check "the FIFO has mode 0660" test "$(stat -c %a "$FIFO")" = 660
vm_initramfs

vm_start "$CONSOLE" hostrng -monitor none -nic none \
  -object "rng-random,id=rng0,filename=$FIFO" -device virtio-rng-pci,rng=rng0,max-bytes=4096,period=1000
RESP_STATUS=-; RESP="(see the guest markers)"
if vm_wait_console "$CONSOLE" '^SWVM hwrng_tick=3 ' 60; then
  BEFORE=$(host_rng_bytes)
  TR=$(date +%s%N)
  sw_stop
  check "server stopped cleanly under a reading QEMU" test "$SW_EXIT" = 0
  check "the FIFO stays while seedwell is down" test -p "$FIFO"
  sw_start "${FLAGS[@]}"
  echo "restart: service down for $(ms_since "$TR") ms; host_rng bytes before it: $BEFORE"
else
  check "the guest reached its /dev/hwrng loop" false
fi
vm_wait_exit
echo "--- guest markers ---"
tr -d '\r' <"$CONSOLE" | grep -E '^SWVM' || true
echo "---------------------"

check "QEMU exited cleanly" test "$VM_EXIT" = 0
check "guest ran to the end" console_has "$CONSOLE" '^SWVM done'
check "rng_current is virtio_rng" grep -q '^virtio_rng' <<<"$(m rng_current)"
check "/dev/hwrng yielded 256 bytes" test "$(m hwrng_bytes)" = 256
check "the read loop finished" console_has "$CONSOLE" '^SWVM hwrng_loop=end'
check "16 reads, every one 64 bytes, across the restart" \
  test "$(tr -d '\r' <"$CONSOLE" | grep -c '^SWVM hwrng_tick=.* bytes=64 ')" = 16
GAP=$(tr -d '\r' <"$CONSOLE" | sed -n 's/^SWVM hwrng_tick=.* t=//p' |
  awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END { printf "%.2f", g }')
echo "restart: longest gap between two guest reads: $GAP s (guest clock)"
AFTER=$(host_rng_bytes)
echo "host_rng bytes counted by the restarted server: $AFTER"
check "the host metric moved before the restart (${BEFORE:-0} >= 256 + 16 x 64 read so far)" \
  test "${BEFORE:-0}" -ge 448
check "the restarted server fed the guest (${AFTER:-0} > 0)" test "${AFTER:-0}" -gt 0

sw_stop
check "server stopped cleanly" test "$SW_EXIT" = 0
TOTAL_MS=$(ms_since "$T0")
echo "whole test: $TOTAL_MS ms"
check "whole test under 120 s ($TOTAL_MS ms)" test "$TOTAL_MS" -lt 120000
[ "$SW_FAILS" -eq 0 ] || vm_dump "$CONSOLE"
sw_finish
