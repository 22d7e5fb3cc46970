#!/usr/bin/env bash
# A real VM on a real `seedwell serve` (issue 6): QEMU, without KVM, boots Debian's kernel with a
# busybox initramfs (tests/vm/); its virtio-rng device draws from the instance's EGD Unix socket
# (rng-egd backend), its config drive is the instance's ISO from the admin API, and its network is
# QEMU's user mode, where the guest reaches the host's 127.0.0.1 as 10.0.2.2. The guest's /init
# (tests/vm/init.sh) prints "SWVM key=value" lines on the serial console; this script asserts them
# (rng_current is virtio_rng, /dev/hwrng yields bytes, the drive mounts, seedwell-fetch verifies the
# seed file and a fresh block and exits 0) and, on the host, that the instance's usage moved on
# both transports (EGD and HTTP). The whole test must finish within 120 s.
#
#   bash tests/integration/vm_boot_test.sh PATH/TO/seedwell
# Environment: SEEDWELL_VM_KERNEL (default: linux-image-amd64's kernel), SEEDWELL_FETCH_BIN
# (default: seedwell-fetch beside seedwell), SEEDWELL_VM_TIMEOUT (QEMU's bound, default 100 s).
T0=$(date +%s%N)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vm_lib.sh"

ID=5e0d1c2b-3a49-4f58-8e67-7d6c5b4a3921
EGD_DIR=$SW_TMP/egd
VM_TIMEOUT=${SEEDWELL_VM_TIMEOUT:-100}
CONSOLE=$VM_DIR/console.log
# marker KEY: the value of the guest's last "SWVM KEY=value" console line (empty if none).
m() { marker "$CONSOLE" "$1"; }

vm_prereqs

# --- The service, and the instance with its EGD socket ----------------------------------------------
sw_start --egd-socket-dir "$EGD_DIR"
PORT=${GUEST_URL##*:}
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"vm\",\"name\":\"vm-boot\",\"hostname\":\"vm-boot\"}"
expect_status "register the instance" 201
api GET "/v1/instances/$ID"
SOCK=$(jq -r .egd_socket <<<"$RESP")
check "instance has its EGD socket ($SOCK)" test -S "$SOCK"

# --- The config drive: admin route, with a fresh token, a sealing key, and the service's URL as the
# guest sees it (QEMU's user-mode network maps 10.0.2.2 to the host's 127.0.0.1) ------------------
T=$(date +%s%N)
RESP_STATUS=$(curl -sS -o "$VM_DIR/drive.iso" -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
  --data-binary "{\"embed_token\":true,\"issue_sealing_key\":true,\"service_url\":\"http://10.0.2.2:$PORT\"}" \
  "$ADMIN_URL/v1/instances/$ID/config-drive")
RESP=""
check "config drive built" test "$RESP_STATUS" = 200
echo "config drive: $(stat -c %s "$VM_DIR/drive.iso") bytes in $(ms_since "$T") ms"
api GET "/v1/instances/$ID"
check "sealing key registered (blocks come sealed)" jq -e '.sealing_public_key | strings' <<<"$RESP"

# --- The initramfs: busybox, modules, seedwell-fetch, /init --------------------------------------
T=$(date +%s%N)
vm_initramfs
echo "initramfs: $(stat -c %s "$VM_DIR/initramfs.cpio" 2>/dev/null) bytes in $(ms_since "$T") ms (kernel $VM_KVER)"

# --- Boot -------------------------------------------------------------------------------------------
api GET "/v1/instances/$ID/usage"
# Only the config drive's seeds (its signed seed file, nonce and random_seeds) count so far.
check "no usage before the boot but the config drive's seeds" jq -e \
  '.bytes_by_transport | keys == ["config_drive"] and .config_drive >= 4096' <<<"$RESP"
T=$(date +%s%N)
# (romfile= drops virtio-net's iPXE option ROM: the kernel is loaded directly, nothing netboots.)
vm_start "$CONSOLE" boot -monitor none \
  -object rng-egd,id=rng0,chardev=c0 -chardev "socket,id=c0,path=$SOCK" \
  -device virtio-rng-pci,rng=rng0 \
  -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
  -cdrom "$VM_DIR/drive.iso"
# Bounded wait: the guest powers off by itself; past VM_TIMEOUT it is killed.
vm_wait_exit
QEMU_EXIT=$VM_EXIT
BOOT_MS=$(ms_since "$T")
echo "boot: QEMU ran $BOOT_MS ms (exit $QEMU_EXIT), guest uptime at power-off $(m uptime) s"
touch "$CONSOLE"
echo "--- guest markers ---"
tr -d '\r' <"$CONSOLE" | grep -E '^(SWVM|fetch: |fetch binary missing)' || true
echo "---------------------"

# --- Inside the guest ----------------------------------------------------------------------------
RESP_STATUS=-; RESP="(see the guest markers above)"   # what check prints on a failure
HWRNG_BYTES=$(m hwrng_bytes)
drive_files() { tr -d '\r' <"$CONSOLE" | sed -n 's/^SWVM drive_file=//p'; }
check "QEMU exited cleanly" test "$QEMU_EXIT" = 0
check "guest ran to the end" grep -q '^SWVM done' <(tr -d '\r' <"$CONSOLE")
check "the guest runs kernel $VM_KVER" test "$(m kernel)" = "$VM_KVER"
check "every module loaded" test "$(m modules_loaded | sed 's/.*failed=//')" = none
check "eth0 up" grep -q '^up' <<<"$(m eth0)"
check "rng_current is virtio_rng" grep -q '^virtio_rng' <<<"$(m rng_current)"
check "/dev/hwrng yielded bytes" test "${HWRNG_BYTES:-0}" -gt 0
check "config drive mounted" test "$(m config_drive)" = mounted
check "seed.json on the drive" grep -qx 'seedwell/seed.json present' <(drive_files)
check "meta_data.json on the drive" grep -qx 'openstack/latest/meta_data.json present' <(drive_files)
check "the drive names the service as 10.0.2.2" test "$(m service_url)" = "http://10.0.2.2:$PORT"
check "guest reached the service over HTTP" grep -q '^ok' <<<"$(m http_keys)"
check "fetch binary present" test -x "$VM_FETCH_BIN"
check "seedwell-fetch exited 0" test "$(m fetch_exit)" = 0
check "fetch: seed file verified" grep -q '^fetch: .*seed file verified' <(tr -d '\r' <"$CONSOLE")
check "fetch: block verified" grep -q '^fetch: .*block verified' <(tr -d '\r' <"$CONSOLE")
check "fetch: the block was sealed" grep -q '^fetch: .*block verified: .*, sealed,' <(tr -d '\r' <"$CONSOLE")
check "fetch: credited" grep -q '^fetch: .*credited' <(tr -d '\r' <"$CONSOLE")

# --- On the host: the instance's usage moved on both transports -----------------------------------
# GET /v1/instances/{id}/usage counts per transport (flushed about once a second, so poll, bounded).
# Every byte the guest read from /dev/hwrng came through the EGD socket (plus the kernel's own
# reads at boot); the guest tool's block came over HTTP (64 bytes); the config drive's seeds were
# counted when it was built.
usage_until "$ID" "(.bytes_by_transport.egd // 0) >= ${HWRNG_BYTES:-1} and (.bytes_by_transport.http // 0) >= 64" || true
EGD_BYTES=$(jq -r '.bytes_by_transport.egd // 0' <<<"$RESP")
HTTP_BYTES=$(jq -r '.bytes_by_transport.http // 0' <<<"$RESP")
echo "usage: $RESP"
check "the instance's EGD usage covers what the guest read ($EGD_BYTES >= ${HWRNG_BYTES:-?})" \
  test "$EGD_BYTES" -ge "${HWRNG_BYTES:-1}"
check "the instance's HTTP usage covers the fetched block ($HTTP_BYTES >= 64)" test "$HTTP_BYTES" -ge 64
check "the total is the sum of the transports" \
  jq -e '.bytes_issued == ([.bytes_by_transport[]] | add)' <<<"$RESP"
check "no other transport was used" \
  jq -e '.bytes_by_transport | keys == ["config_drive", "egd", "http"]' <<<"$RESP"

sw_stop
check "server stopped cleanly" test "$SW_EXIT" = 0
TOTAL_MS=$(ms_since "$T0")
echo "whole test: $TOTAL_MS ms"
check "whole test under 120 s ($TOTAL_MS ms)" test "$TOTAL_MS" -lt 120000
[ "$SW_FAILS" -eq 0 ] || vm_dump "$CONSOLE"
sw_finish
