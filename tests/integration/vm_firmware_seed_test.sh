#!/usr/bin/env bash
# Seeds with no disk and no network (issue 14): the admin route POST /v1/instances/{id}/smbios-seed
# gives the instance's signed seed as a systemd credential with the exact QEMU arguments; a guest
# started with only those (no config drive, no network device, no virtio-rng) runs seedwell-fetch,
# which finds the seed in the SMBIOS type 11 table and, separately, in the fw_cfg file, verifies it
# against the instance and the key, credits it and says which source it used. On the host the
# route's errors are checked too. One boot.
#
#   bash tests/integration/vm_firmware_seed_test.sh PATH/TO/seedwell
T0=$(date +%s%N)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vm_lib.sh"
vm_prereqs

ID=7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e
CONSOLE=$VM_DIR/console.log
sw_start
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"vm\"}"
expect_status "register the instance" 201

# --- The admin route --------------------------------------------------------------------------
api POST "/v1/instances/$ID/smbios-seed" '{"seed_bytes":256}'
expect_status "smbios-seed" 200
contract "/v1/instances/{id}/smbios-seed"
SEED=$RESP
check "the credential's name" jq -e '.credential_name == "seedwell.seed" and .seed_bytes == 256' <<<"$SEED"
check "an OEM string in systemd's form" \
  jq -e '.smbios_oem_string | startswith("io.systemd.credential.binary:seedwell.seed=")' <<<"$SEED"
check "the QEMU -smbios argument wraps it" \
  jq -e '.qemu_args.smbios == ["-smbios", "type=11,value=" + .smbios_oem_string]' <<<"$SEED"
check "the fw_cfg argument doubles the seed file's commas" \
  jq -e '.qemu_args.fw_cfg[1] | startswith("name=opt/io.systemd.credentials/seedwell.seed,string={") and contains(",,\"instance_id\"")' <<<"$SEED"
check "libvirt XML for SMBIOS" jq -e '.libvirt_xml.smbios | startswith("<sysinfo type='"'smbios'"'><oemStrings><entry>io.systemd")' <<<"$SEED"
check "libvirt XML for fw_cfg" jq -e '.libvirt_xml.fw_cfg | contains("&quot;format&quot;:&quot;seedwell-seed-v1&quot;")' <<<"$SEED"
check "the payload is the signed seed file of this instance" \
  jq -e --arg id "$ID" '(.smbios_oem_string | split("=")[1:] | join("=") | @base64d | fromjson) |
     .format == "seedwell-seed-v1" and .instance_id == $id and (.signature | length) == 88' <<<"$SEED"
api POST "/v1/instances/$ID/smbios-seed" '{"seed_bytes":100000}'
expect_status "seed_bytes past the SMBIOS bound" 400
contract "/v1/instances/{id}/smbios-seed"
api POST "/v1/instances/$ID/smbios-seed" '{"name":"a,b"}'
expect_status "a credential name QEMU would split" 400
api POST "/v1/instances/$ID/smbios-seed" '{"colour":"red"}'
expect_status "unknown member" 400
api POST "/v1/instances/00000000-0000-4000-8000-000000000000/smbios-seed"
expect_status "unknown instance" 404
contract "/v1/instances/{id}/smbios-seed"

# --- The guest: only the firmware tables -------------------------------------------------------
vm_initramfs
mapfile -t SMBIOS_ARGS < <(jq -r '.qemu_args.smbios[]' <<<"$SEED")
mapfile -t FWCFG_ARGS < <(jq -r '.qemu_args.fw_cfg[]' <<<"$SEED")
T=$(date +%s%N)
vm_start "$CONSOLE" firmware -nic none "${SMBIOS_ARGS[@]}" "${FWCFG_ARGS[@]}"
vm_wait_exit
echo "boot: QEMU ran $(ms_since "$T") ms (exit $VM_EXIT)"
echo "--- guest markers ---"; tr -d '\r' <"$CONSOLE" | grep -E '^(SWVM|fw-)' || true; echo "---"
RESP_STATUS=-; RESP="(see the guest markers above)"
check "QEMU exited cleanly" test "$VM_EXIT" = 0
check "guest ran to the end" console_has "$CONSOLE" '^SWVM done'
check "the guest had no eth0" bash -c "! tr -d '\r' <'$CONSOLE' | grep -q '^SWVM eth0='"
for src in smbios fw-cfg; do
  check "$src: seedwell-fetch exited 0" test "$(marker "$CONSOLE" "fw_${src}_exit")" = 0
  check "$src: no config drive, no service: the firmware seed only" \
    console_has "$CONSOLE" "^fw-$src: .*no service URL .*firmware seed only"
  check "$src: verified for this instance" \
    console_has "$CONSOLE" "^fw-$src: .*firmware seed verified: 256 bytes, instance $ID, key sw1_"
  check "$src: credited via RNDADDENTROPY" \
    console_has "$CONSOLE" "^fw-$src: .*firmware seed credited 256 bytes \\(2048 bits\\) via RNDADDENTROPY"
done
check "smbios: says it read the SMBIOS type 11 table" \
  console_has "$CONSOLE" "^fw-smbios: .*from SMBIOS type 11 OEM string \\(/sys/firmware/dmi/entries/11-[0-9]+/raw\\)"
check "fw-cfg: says it read the fw_cfg file" \
  console_has "$CONSOLE" "^fw-fw-cfg: .*from fw_cfg file \\(/sys/firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials/seedwell.seed/raw\\)"
check "the kernel CRNG became ready" test "$(marker "$CONSOLE" crng_init)" != none

# Nothing was drawn over any transport: the seed was made on the admin side.
api GET "/v1/instances/$ID/usage"
check "no transport was used" jq -e '.bytes_by_transport == {}' <<<"$RESP"

sw_contract_check
sw_stop
check "server stopped cleanly" test "$SW_EXIT" = 0
TOTAL_MS=$(ms_since "$T0")
echo "whole test: $TOTAL_MS ms"
check "whole test under 300 s ($TOTAL_MS ms)" test "$TOTAL_MS" -lt 300000
[ "$SW_FAILS" -gt 0 ] && vm_dump "$CONSOLE"
sw_finish
