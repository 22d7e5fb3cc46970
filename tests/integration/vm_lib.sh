# Shared helpers of the VM tests (vm_*_test.sh), sourced after lib.sh: the guest kernel, the
# initramfs, QEMU started in the background and always stopped by its PID, console markers.
# QEMU runs under TCG (no KVM): every boot costs seconds of CPU, so each test boots as few guests
# as it can. Every wait is bounded.

# The kernel that Debian's linux-image-amd64 pulls in (its modules include what the initramfs
# needs); the newest /boot/vmlinuz-* only as a fallback.
vm_debian_kernel() {
  local pkg
  pkg=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | grep -o 'linux-image-[^ ,]*' | head -1)
  [ -n "$pkg" ] && [ -r "/boot/vmlinuz-${pkg#linux-image-}" ] && echo "/boot/vmlinuz-${pkg#linux-image-}"
}
VM_KERNEL=${SEEDWELL_VM_KERNEL:-$(vm_debian_kernel || find /boot -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -1)}
VM_KVER=${VM_KERNEL##*/vmlinuz-}
VM_FETCH_BIN=${SEEDWELL_FETCH_BIN:-$(dirname "$SW_BIN")/seedwell-fetch}
VM_TIMEOUT=${SEEDWELL_VM_TIMEOUT:-240}
VM_DIR=$SW_TMP/vm
mkdir -p "$VM_DIR"
VM_PIDS=()

# vm_cleanup: kills every QEMU this test started, by PID, then the server and the temp dir.
vm_cleanup() {
  local pid
  for pid in "${VM_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  sw_cleanup
}
trap vm_cleanup EXIT
trap 'exit 143' TERM INT

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# vm_prereqs: the packages of `scripts/install-deps.sh test`, a kernel with modules, the guest tool.
vm_prereqs() {
  local tool
  for tool in qemu-system-x86_64 cpio modprobe "$@"; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (scripts/install-deps.sh test)"; exit 1; }
  done
  if [ ! -r "$VM_KERNEL" ] || [ ! -d "/lib/modules/$VM_KVER" ]; then
    echo "FAIL: no readable kernel with modules (linux-image-amd64): '$VM_KERNEL'"; exit 1
  fi
  [ -x "$VM_FETCH_BIN" ] || { echo "FAIL: $VM_FETCH_BIN not built"; exit 1; }
}

# vm_initramfs: builds $VM_DIR/initramfs.cpio (tests/vm/build_initramfs.sh).
vm_initramfs() {
  bash "$SW_SOURCE_DIR/tests/vm/build_initramfs.sh" "$VM_DIR/initramfs.cpio" "$VM_KVER" "$VM_FETCH_BIN" ||
    { echo "FAIL: initramfs not built"; exit 1; }
}

# vm_start CONSOLE MODE [QEMU ARGS...]: starts QEMU in the background with the kernel, the
# initramfs and swvm.mode=MODE, its serial console in the file CONSOLE; sets VM_PID.
# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can miss its ticks
# and panic ("IO-APIC + timer doesn't work"), seen with a load average of 15 on 2 cores.
vm_start() {
  local console=$1 mode=$2; shift 2
  : >"$console"
  qemu-system-x86_64 -accel tcg -machine pc -m 256M -smp 1 -no-user-config -nographic \
    -serial "file:$console" -no-reboot \
    -kernel "$VM_KERNEL" -initrd "$VM_DIR/initramfs.cpio" \
    -append "console=ttyS0 quiet panic=-1 no_timer_check swvm.mode=$mode" "$@" </dev/null >>"$VM_DIR/qemu.log" 2>&1 &
  VM_PID=$!
  VM_PIDS+=("$VM_PID")
}

# vm_wait_exit: waits up to VM_TIMEOUT s for QEMU $VM_PID to exit (the guest powers off), kills
# it past that; sets VM_EXIT.
vm_wait_exit() {
  local i
  for i in $(seq 1 $((VM_TIMEOUT * 10))); do
    kill -0 "$VM_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$VM_PID" 2>/dev/null; then
    echo "FAIL: the guest did not power off within $VM_TIMEOUT s; killing QEMU"
    kill -KILL "$VM_PID"
  fi
  VM_EXIT=0; wait "$VM_PID" || VM_EXIT=$?
}

# vm_wait_console CONSOLE PATTERN SECONDS: waits until the console holds a line matching PATTERN.
vm_wait_console() {
  local i
  for i in $(seq 1 $(($3 * 10))); do
    tr -d '\r' <"$1" | grep -q "$2" && return 0
    kill -0 "$VM_PID" 2>/dev/null || break
    sleep 0.1
  done
  tr -d '\r' <"$1" | grep -q "$2"
}

# marker CONSOLE KEY: the value of the last "SWVM KEY=value" console line (empty if none).
marker() { tr -d '\r' <"$1" | sed -n "s/^SWVM $2=//p" | tail -1; }
# console_has CONSOLE PATTERN: the console has a line matching the extended regex PATTERN.
console_has() { tr -d '\r' <"$1" | grep -qE "$2"; }

# vm_dump CONSOLE...: on a failure, the consoles' tails, QEMU's output and the server log's tail.
vm_dump() {
  local c
  for c in "$@"; do echo "--- console ($c) ---"; tr -d '\r' <"$c" | tail -60; done
  echo "--- qemu ---"; cat "$VM_DIR/qemu.log" 2>/dev/null
  echo "--- server log (tail) ---"; tail -30 "$SW_LOG"
}
