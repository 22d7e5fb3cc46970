#!/bin/busybox sh
# /init of the VM tests' guest (busybox sh, PID 1). It loads the drivers, brings the network up,
# checks the virtio-rng device fed by seedwell over EGD, mounts the config drive, runs the guest
# tool seedwell-fetch, and powers off. The kernel argument swvm.mode= picks a variant: "boot"
# (default, tests/integration/vm_boot_test.sh), "firmware" (no drive, no network: the seed comes
# from SMBIOS or fw_cfg, vm_firmware_seed_test.sh), "clone" (reads /dev/hwrng across a restart of
# the service, then waits for a snapshot restore with seedwell-fetch --watch-vmgenid,
# vm_clone_test.sh), "hostrng" (reads /dev/hwrng fed by QEMU's rng-random backend on seedwell's
# host-wide FIFO, vm_host_rng_test.sh) and "bench" (only reports when the kernel CRNG became ready). Every result is a console line "SWVM key=value" that
# tests/integration/vm_boot_test.sh asserts on; this script decides nothing itself. Every wait is
# bounded, so a missing device ends in a marker line, never in a hang.

/bin/busybox --install -s /bin
export PATH=/bin
say() { echo "SWVM $*"; }

# wait_for SECONDS TEST...: polls TEST every 0.1 s; fails after SECONDS.
# shellcheck disable=SC3043  # busybox ash has local
wait_for() {
  local n=$(($1 * 10)); shift
  while [ "$n" -gt 0 ]; do
    "$@" && return 0
    n=$((n - 1)); sleep 0.1
  done
  return 1
}

finish() {
  say "uptime=$(cut -d' ' -f1 /proc/uptime)"
  say "done"
  sync
  poweroff -f
  # If the power-off did not take, end PID 1: the kernel panics and panic=-1 with QEMU's
  # -no-reboot makes QEMU exit.
  exit 1
}

# 1. Pseudo file systems, drivers, network.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo   # the console may start with the firmware's escape codes: begin the markers on a new line
say "kernel=$(uname -r)"
say "init_start=$(cut -d' ' -f1 /proc/uptime)"   # before any module is loaded
loaded=0; failed=""
while read -r mod; do
  if insmod "/lib/modules/$mod" 2>/tmp/insmod.err; then
    loaded=$((loaded + 1))
  else
    failed="$failed $mod"; cat /tmp/insmod.err
  fi
done </etc/modules
say "modules_loaded=$loaded failed=${failed:-none}"
MODE=$(sed -n 's/.*swvm\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
say "mode=${MODE:-boot}"

# crng_ready: the kernel time (s) of "crng init done", or "none" yet.
crng_ready() {
  t=$(dmesg | grep -m1 'crng init done' | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
  echo "${t:-none}"
}

if [ "$MODE" = firmware ] || [ "$MODE" = bench ]; then
  # No disk and no network: only what the firmware tables carry. Each source is read on its own.
  say "crng_init_before_fetch=$(crng_ready)"
  if [ "$MODE" = firmware ]; then
    for src in smbios fw-cfg; do
      timeout 30 /bin/seedwell-fetch --no-config-drive --firmware-seed "$src" >/tmp/fw.out 2>&1
      code=$?
      sed "s/^/fw-$src: /" /tmp/fw.out
      say "fw_${src}_exit=$code"
    done
  else
    # bench (scripts/bench-vm-crng.sh): swvm.seed= names the one seed to credit: "drive" (the
    # config drive's seed file, offline), "smbios" (the SMBIOS type 11 credential) or "none"
    # (whatever device the host gave, or nothing). Then ask for random bytes at once.
    SEED=$(sed -n 's/.*swvm\.seed=\([a-z]*\).*/\1/p' /proc/cmdline)
    say "bench_start=$(cut -d' ' -f1 /proc/uptime) seed=${SEED:-none}"
    case "$SEED" in
      drive)
        wait_for 10 test -b /dev/sr0
        timeout 30 /bin/seedwell-fetch --config-drive /dev/sr0 --offline --firmware-seed none >/tmp/fw.out 2>&1 ;;
      smbios)
        timeout 30 /bin/seedwell-fetch --no-config-drive --firmware-seed smbios >/tmp/fw.out 2>&1 ;;
    esac
    say "bench_fetch_exit=$? t=$(cut -d' ' -f1 /proc/uptime)"
    sed 's/^/bench: /' /tmp/fw.out 2>/dev/null
  fi
  head -c 16 /dev/random >/dev/null   # returns once the CRNG is ready
  say "crng_init=$(crng_ready)"
  finish
fi

if [ "$MODE" = hostrng ]; then
  # Nova's path: virtio-rng on QEMU's rng-random backend reading seedwell's host-wide FIFO, no
  # network, no drive. 256 bytes, then 16 reads of 64 bytes 0.25 s apart, each line with the
  # guest's uptime; the host may restart seedwell meanwhile. Each read is bounded by 30 s.
  RNG_FILE=/sys/class/misc/hw_random/rng_current
  wait_for 10 grep -q virtio "$RNG_FILE" 2>/dev/null
  say "rng_current=$(cat "$RNG_FILE" 2>/dev/null || echo none)"
  say "hwrng_bytes=$(timeout 20 head -c 256 /dev/hwrng 2>/dev/null | wc -c)"
  say "hwrng_loop=start"
  i=0
  while [ $i -lt 16 ]; do
    b=$(timeout 30 head -c 64 /dev/hwrng 2>/dev/null | wc -c)
    say "hwrng_tick=$i bytes=$b t=$(cut -d' ' -f1 /proc/uptime)"
    i=$((i + 1))
    sleep 0.25
  done
  say "hwrng_loop=end"
  say "crng_init=$(crng_ready)"
  finish
fi

ip link set lo up
if wait_for 10 test -e /sys/class/net/eth0; then
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
  say "eth0=up addr=$(ip -4 -o addr show eth0 | awk '{print $4}')"
else
  say "eth0=missing"
fi

# 2. The hardware RNG: virtio-rng must be the current one, and /dev/hwrng must yield bytes (each
# read is a 0x02 request to seedwell's EGD socket through QEMU's rng-egd backend).
RNG_FILE=/sys/class/misc/hw_random/rng_current
wait_for 10 grep -q virtio "$RNG_FILE" 2>/dev/null
say "rng_current=$(cat "$RNG_FILE" 2>/dev/null || echo none)"
say "rng_available=$(cat /sys/class/misc/hw_random/rng_available 2>/dev/null || echo none)"
say "hwrng_bytes=$(timeout 20 head -c 256 /dev/hwrng 2>/dev/null | wc -c)"

if [ "$MODE" = clone ]; then
  # 2b. Reads across a restart of the service: 40 reads of 64 bytes from /dev/hwrng, each line
  # with the guest's uptime; the host restarts seedwell while they run (it only watches the
  # console: the loop ends by itself). Each read is bounded by 90 s.
  say "hwrng_loop=start"
  i=0
  while [ $i -lt 40 ]; do
    b=$(timeout 90 head -c 64 /dev/hwrng 2>/dev/null | wc -c)
    say "hwrng_tick=$i bytes=$b t=$(cut -d' ' -f1 /proc/uptime)"
    i=$((i + 1))
    sleep 0.25
  done
  say "hwrng_loop=end"
  # 2c. Clones and snapshot restores: the guest tool verifies and credits the drive's seed and a
  # block, then waits for the kernel's NEW_VMGENID uevent; the host snapshots and restores the VM.
  # Its output goes straight to the console, so a restored guest's progress shows as it happens.
  /bin/seedwell-fetch --config-drive /dev/sr0 --watch-vmgenid --watch-max-events 1 \
    2>&1 | tee /tmp/watch.out >/dev/console &
  watcher=$!
  wait_for 30 grep -q 'watching for VM generation changes' /tmp/watch.out
  say "ready_for_snapshot"
  # From here on the host may stop, save and restore this VM at any moment. A heartbeat every
  # 5 s shows that the guest runs; at most 120 s (guest clock).
  n=0
  while kill -0 $watcher 2>/dev/null && [ $n -lt 1200 ]; do
    sleep 0.1; n=$((n + 1))
    [ $((n % 50)) -eq 0 ] && say "waiting=$n vmgenid_fork_logged=$(dmesg | grep -c 'virtual machine fork')"
  done
  if grep -q 'done in\|FAILED in' /tmp/watch.out && ! kill -0 $watcher 2>/dev/null; then
    say "watch_exit=$(grep -c 'FAILED in' /tmp/watch.out)"
  else
    say "watch_exit=still-running"
  fi
  sed 's/^/watch2: /' /tmp/watch.out
  dmesg | grep -i 'vmgenid\|virtual machine fork' | sed 's/^/kernel: /'
  finish
fi

# 3. The config drive: ISO 9660, label config-2, on the ATAPI CD-ROM.
if wait_for 15 test -b /dev/sr0 && mount -t iso9660 -o ro /dev/sr0 /mnt/config; then
  say "config_drive=mounted"
  for f in seedwell/seed.json openstack/latest/meta_data.json seedwell/token seedwell/sealing_key; do
    if [ -f "/mnt/config/$f" ]; then say "drive_file=$f present"; else say "drive_file=$f missing"; fi
  done
else
  say "config_drive=missing"
fi

# The service as the drive names it, reached through user-mode networking (10.0.2.2 is the host's
# 127.0.0.1): a plain GET of the public keys shows the path works before the guest tool runs.
url=$(grep -o '"service_url": *"[^"]*"' /mnt/config/openstack/latest/meta_data.json 2>/dev/null |
  sed 's/.*"\([^"]*\)"$/\1/')
say "service_url=${url:-none}"
if [ -n "$url" ] && timeout 20 wget -q -O /tmp/keys.json "$url/v1/keys"; then
  say "http_keys=ok bytes=$(wc -c </tmp/keys.json)"
else
  say "http_keys=fail"
fi

# 4. The guest tool: verify and credit the drive's seed file, fetch, verify and credit a block. It is
# given the block device, as on a real guest, so it mounts the drive itself (read-only, private).
umount /mnt/config 2>/dev/null
if [ -x /bin/seedwell-fetch ]; then
  say "entropy_avail_before=$(cat /proc/sys/kernel/random/entropy_avail)"
  timeout 60 /bin/seedwell-fetch --config-drive /dev/sr0 >/tmp/fetch.out 2>&1
  code=$?
  sed 's/^/fetch: /' /tmp/fetch.out
  say "entropy_avail_after=$(cat /proc/sys/kernel/random/entropy_avail)"
else
  echo "fetch binary missing"
  code=127
fi
say "fetch_exit=$code"

# 5. Done: power off so that QEMU exits.
finish
