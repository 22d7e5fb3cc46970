#!/usr/bin/env bash
# Builds the initramfs of the VM test (tests/integration/vm_boot_test.sh): an uncompressed cpio
# (newc) archive holding Debian's static busybox, the kernel modules the guest needs (virtio-pci,
# virtio-rng, virtio-net, the ATAPI CD-ROM, ISO 9660 and QEMU's fw_cfg) in dependency order, the guest tool
# seedwell-fetch when it exists, and tests/vm/init.sh as /init.
#
#   tests/vm/build_initramfs.sh OUT KERNEL-VERSION [FETCH-BINARY]
#
# Uncompressed on purpose: under TCG the kernel would spend longer inflating a gzip archive than
# QEMU spends loading the larger file. Every file in the archive belongs to root.
set -euo pipefail

OUT=${1:?usage: $0 OUT KERNEL-VERSION [FETCH-BINARY]}
KVER=${2:?usage: $0 OUT KERNEL-VERSION [FETCH-BINARY]}
FETCH=${3-}
HERE=$(cd "$(dirname "$0")" && pwd)
MODDIR=/lib/modules/$KVER
BUSYBOX=${BUSYBOX:-/bin/busybox}

# The drivers the guest loads; modprobe adds what they depend on (guest-protocols.md section 5).
TOP_MODULES=(virtio_pci virtio_rng virtio_net ata_piix sr_mod isofs qemu_fw_cfg)

[ -d "$MODDIR" ] || { echo "build_initramfs: no modules for $KVER in $MODDIR" >&2; exit 1; }
[ -x "$BUSYBOX" ] || { echo "build_initramfs: $BUSYBOX missing (package busybox-static)" >&2; exit 1; }

STAGE=$(mktemp -d "$(dirname "$OUT")/initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,dev,proc,sys,mnt/config,tmp,etc,lib/modules}

# copy_exe SRC DEST: copies an executable; when it is dynamically linked, also the libraries and
# the loader ldd names, at their own paths (the guest tool may link libc and libsodium).
copy_exe() {
  cp "$1" "$STAGE/$2"
  local lib
  for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^[:space:]]*' || true); do
    mkdir -p "$STAGE$(dirname "$lib")"
    cp -L "$lib" "$STAGE$lib"
  done
}

# Busybox; /init makes its applet links at boot (busybox --install -s).
copy_exe "$BUSYBOX" bin/busybox

# Modules in load order: modprobe resolves the dependencies (modules.dep of that kernel) and prints
# one "insmod PATH" per module, dependencies first; keep the first occurrence of each.
: >"$STAGE/etc/modules"
declare -A seen=()
while read -r verb path _; do
  [ "$verb" = insmod ] || continue          # "builtin NAME" lines need nothing
  [ -n "${seen[$path]-}" ] && continue
  seen[$path]=1
  name=$(basename "$path")
  # Debian may compress modules; busybox insmod wants a plain ELF object.
  case "$name" in
    *.ko.xz) xz -dc "$path" >"$STAGE/lib/modules/${name%.xz}"; name=${name%.xz} ;;
    *.ko.zst) zstd -qdc "$path" >"$STAGE/lib/modules/${name%.zst}"; name=${name%.zst} ;;
    *.ko.gz) gzip -dc "$path" >"$STAGE/lib/modules/${name%.gz}"; name=${name%.gz} ;;
    *) cp "$path" "$STAGE/lib/modules/$name" ;;
  esac
  echo "$name" >>"$STAGE/etc/modules"
done < <(for m in "${TOP_MODULES[@]}"; do modprobe -S "$KVER" --show-depends "$m"; done)
[ -s "$STAGE/etc/modules" ] || { echo "build_initramfs: no modules resolved" >&2; exit 1; }

# The guest tool, when built; /init reports "fetch binary missing" otherwise.
if [ -n "$FETCH" ] && [ -x "$FETCH" ]; then
  copy_exe "$FETCH" bin/seedwell-fetch
fi

cp "$HERE/init.sh" "$STAGE/init"
chmod 0755 "$STAGE/init" "$STAGE/bin/busybox"

# The archive: relative names, owner root, written to a temporary then renamed.
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
