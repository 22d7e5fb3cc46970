#!/usr/bin/env bash
# Firmware entropy (issue 14): the guest boots through UEFI firmware (Debian's OVMF, 4 MB build,
# a copy of its variable store as the second pflash) with virtio-rng on the instance's EGD socket.
# OVMF's VirtioRngDxe serves EFI_RNG_PROTOCOL from that device, and Linux's EFI stub seeds the
# kernel from it before the kernel runs. Asserted: the instance's EGD bytes (the real-time
# seedwell_bytes_issued_total{transport="egd"}) moved before the console shows the kernel's first
# message ("Linux version", the virtio_rng module loads seconds later from the initramfs); the
# kernel's "crng init done" comes before /init starts and loads any module (the CRNG is ready
# at once). The guest otherwise runs the bench mode of tests/vm/init.sh (no seed credited by the
# tool). 12 s on a quiet machine (8.9 s of them firmware and kernel loading), 78 s at a load
# average of 13, like the other VM tests.
#
#   bash tests/integration/vm_ovmf_test.sh PATH/TO/seedwell
T0=$(date +%s%N)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vm_lib.sh"

OVMF_CODE=${SEEDWELL_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${SEEDWELL_OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
ID=0f1e2d3c-4b5a-4697-8877-665544332211
VM_TIMEOUT=${SEEDWELL_VM_TIMEOUT:-300}
CONSOLE=$VM_DIR/console.log
m() { marker "$CONSOLE" "$1"; }
egd_bytes() {
  curl -sS -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics" |
    awk '$1 == "seedwell_bytes_issued_total{transport=\"egd\"}" {print int($2)}'
}

vm_prereqs
for f in "$OVMF_CODE" "$OVMF_VARS"; do
  [ -r "$f" ] || { echo "FAIL: $f missing (package ovmf, scripts/install-deps.sh test)"; exit 1; }
done
cp "$OVMF_VARS" "$VM_DIR/vars.fd"
sw_start --egd-socket-dir "$SW_TMP/egd"
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"vm\"}"
expect_status "register the instance" 201
api GET "/v1/instances/$ID"
SOCK=$(jq -r .egd_socket <<<"$RESP")
vm_initramfs
BEFORE=$(egd_bytes)
BEFORE=${BEFORE:-0}   # the series appears with the first EGD draw

# loglevel=7 after quiet: the kernel's first message reaches the console, so its moment is seen.
T=$(date +%s%N)
vm_start "$CONSOLE" "bench swvm.seed=none loglevel=7" -monitor none -nic none \
  -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
  -drive "if=pflash,format=raw,unit=1,file=$VM_DIR/vars.fd" \
  -object rng-egd,id=rng0,chardev=c0 -chardev "socket,id=c0,path=$SOCK" \
  -device virtio-rng-pci,rng=rng0
AT_LINUX=""
for _ in $(seq 1 $((VM_TIMEOUT * 20))); do
  if tr -d '\r' <"$CONSOLE" | grep -q 'Linux version'; then AT_LINUX=$(egd_bytes); break; fi
  kill -0 "$VM_PID" 2>/dev/null || break
  sleep 0.05
done
echo "firmware: $(ms_since "$T") ms until the kernel's first message; EGD bytes then: ${AT_LINUX:-none} (before the boot: $BEFORE)"
vm_wait_exit
echo "boot: QEMU ran $(ms_since "$T") ms (exit $VM_EXIT)"
echo "--- guest markers ---"; tr -d '\r' <"$CONSOLE" | grep -E '^SWVM|crng|EFI stub|random:' | head -30; echo "---"

RESP_STATUS=-; RESP="(see the guest markers above)"
check "QEMU exited cleanly" test "$VM_EXIT" = 0
check "guest ran to the end" console_has "$CONSOLE" '^SWVM done'
check "the console showed the kernel's first message" test -n "$AT_LINUX"
check "EGD bytes moved before the kernel's first message (${AT_LINUX:-none} > ${BEFORE:-0})" \
  test "${AT_LINUX:-0}" -gt "${BEFORE:-0}"
CRNG=$(m crng_init_before_fetch)
START=$(m init_start)
echo "crng init done at ${CRNG:-none} s (kernel clock); /init began at ${START:-?} s"
check "the CRNG was ready before /init began (${CRNG:-none} < ${START:-0})" \
  awk -v c="${CRNG:-none}" -v s="${START:-0}" 'BEGIN { exit !(c != "none" && c + 0 < s + 0) }'
sw_stop
check "server stopped cleanly" test "$SW_EXIT" = 0
echo "whole test: $(ms_since "$T0") ms"
[ "$SW_FAILS" -eq 0 ] || vm_dump "$CONSOLE"
sw_finish
