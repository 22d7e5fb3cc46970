#!/usr/bin/env bash
# Time from the guest kernel's start to "random: crng init done", side by side in one run, for
# each way seedwell can seed a guest at boot (issue 14): no entropy device at all; virtio-rng on
# the instance's EGD socket (rng-egd); the SMBIOS type 11 seed only; the config drive's seed file
# only; virtio-rng on the host-wide FIFO (rng-random, Nova's rng_dev_path). The guest is the VM
# tests' initramfs in swvm.mode=bench (tests/vm/init.sh): it loads the same modules in every
# variant, credits the one seed it is told to (swvm.seed=), then reads /dev/random, and prints the
# kernel timestamp of "crng init done". QEMU runs under TCG, as in the VM tests. Variants are
# interleaved within each round so that load drift hits them alike; medians of RUNS rounds.
# Not part of make test; docs/BENCHMARKS.md records the figures.
#
#   scripts/bench-vm-crng.sh [PATH/TO/seedwell] [RUNS]      (defaults: build/seedwell, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
export SEEDWELL_SOURCE_DIR=$PWD
RUNS=${2:-3}
set -- "${1:-build/seedwell}"
source tests/integration/lib.sh
source tests/integration/vm_lib.sh
VM_TIMEOUT=${SEEDWELL_VM_TIMEOUT:-90}
ID=3b6f0d2a-1c4e-4a8b-9e7d-5f2a1c0b9d8e
FIFO=$SW_TMP/host-rng

vm_prereqs
sw_start --egd-socket-dir "$SW_TMP/egd" --host-rng-fifo "$FIFO" \
  --host-rng-rate-bytes-per-second 65536 --host-rng-burst-bytes 65536
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"bench\"}"
[ "$RESP_STATUS" = 201 ] || { echo "register: $RESP_STATUS $RESP"; exit 1; }
api GET "/v1/instances/$ID"
SOCK=$(jq -r .egd_socket <<<"$RESP")
curl -sS -f -o "$VM_DIR/drive.iso" -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H 'Content-Type: application/json' --data-binary '{}' "$ADMIN_URL/v1/instances/$ID/config-drive"
vm_initramfs

VARIANTS=(none egd smbios drive fifo)
# variant_args VARIANT: the QEMU arguments of VARIANT (a fresh SMBIOS seed for each boot).
variant_args() {
  ARGS=(-nic none)
  case "$1" in
    egd) ARGS+=(-object rng-egd,id=rng0,chardev=c0 -chardev "socket,id=c0,path=$SOCK"
                -device virtio-rng-pci,rng=rng0) ;;
    smbios)
      api POST "/v1/instances/$ID/smbios-seed" '{}'
      mapfile -t -O 2 ARGS < <(jq -r '.qemu_args.smbios[]' <<<"$RESP") ;;
    drive) ARGS+=(-cdrom "$VM_DIR/drive.iso") ;;
    fifo) ARGS+=(-object "rng-random,id=rng0,filename=$FIFO" -device virtio-rng-pci,rng=rng0) ;;
  esac
}
seed_of() { case "$1" in smbios | drive) echo "$1" ;; *) echo none ;; esac; }

declare -A CRNG INIT QEMU_MS AFTER
for round in $(seq 1 "$RUNS"); do
  for v in "${VARIANTS[@]}"; do
    # A boot that fails (on a loaded host, TCG guests now and then hang before the kernel's
    # clock starts) is retried twice, and said so; a third failure ends the benchmark.
    for attempt in 1 2 3; do
      variant_args "$v"
      console=$VM_DIR/console-$v-$round-$attempt.log
      T=$(date +%s%N)
      vm_start "$console" "bench swvm.seed=$(seed_of "$v")" -monitor none "${ARGS[@]}"
      vm_wait_exit
      ms=$(ms_since "$T")
      [ "$VM_EXIT" = 0 ] && console_has "$console" '^SWVM done' && break
      echo "round $round $v: boot $attempt failed (exit $VM_EXIT after $ms ms), console tail: $(tr -d '\r' <"$console" | tail -2 | tr '\n' ' ')"
    done
    crng=$(marker "$console" crng_init)
    init=$(marker "$console" init_start)
    asks=$(marker "$console" bench_start | cut -d' ' -f1)
    fetch=$(tr -d '\r' <"$console" | grep -m1 -E '^bench: .*(credited|FAILED|error)' || true)
    printf 'round %d %-7s crng_init_done=%-10s init_start=%-6s asks_at=%-6s qemu=%5d ms exit=%s %s\n' \
      "$round" "$v" "${crng:-?}" "${init:-?}" "${asks:-?}" "$ms" "$VM_EXIT" "${fetch#bench: }"
    if [ "$VM_EXIT" != 0 ] || [ -z "$crng" ] || [ "$crng" = none ] || [ -z "$init" ]; then
      echo "boot failed:"; tr -d '\r' <"$console" | tail -20; exit 1
    fi
    CRNG[$v]+="$crng "; INIT[$v]+="$init "; QEMU_MS[$v]+="$ms "
    AFTER[$v]+="$(awk -v c="$crng" -v i="$init" 'BEGIN { printf "%.2f", c - i }') "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "| variant | crng init done (s, kernel clock) | runs | /init starts (s) | crng ready after /init starts (s) | QEMU run (ms) |"
echo "|---|---|---|---|---|---|"
for v in "${VARIANTS[@]}"; do
  printf '| %s | %s | %s| %s | %s | %s |\n' "$v" "$(median <<<"${CRNG[$v]}")" "${CRNG[$v]}" \
    "$(median <<<"${INIT[$v]}")" "$(median <<<"${AFTER[$v]}")" "$(median <<<"${QEMU_MS[$v]}")"
done
sw_stop
