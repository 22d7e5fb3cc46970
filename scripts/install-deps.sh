#!/usr/bin/env bash
# Installs the Debian 12 packages seedwell needs to build, test and run.
# Idempotent: only missing packages are installed. Runs apt-get as root, or through sudo.
#
#   scripts/install-deps.sh [build|test|bench|image]    (default: build)
#   scripts/install-deps.sh --list build|runtime|image   prints a group, installs nothing
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config ccache
  libsodium-dev libssl-dev nlohmann-json3-dev libcpp-httplib-dev libexpected-dev
  libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev libpq-dev libisofs-dev libasio-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
test_pkgs=(
  clang-format clang-tidy clang libclang-rt-14-dev curl python3 python3-yaml python3-jsonschema python3-nacl
  rng-tools5 prometheus jq genisoimage xorriso cloud-init pollinate systemd util-linux openssl
  # Nova's vendordata client libraries (tests/integration/nova_vendordata_test.sh).
  python3-keystoneauth1 python3-oslo.config
  # The PostgreSQL store's tests and tests/integration/replicas_test.sh start their own server
  # (initdb + pg_ctl in a temporary directory, as the unprivileged user nobody when run as root).
  postgresql postgresql-common
  # The VM boot test (tests/integration/vm_boot_test.sh): QEMU under TCG, Debian's kernel and its
  # modules, a static busybox for the initramfs, cpio to pack it, modprobe to resolve modules.
  qemu-system-x86 linux-image-amd64 busybox-static cpio kmod
  # OVMF (UEFI firmware) for the VM test's firmware variant (tests/integration/vm_firmware_test.sh).
  ovmf
)

bench_pkgs=(
  wrk procps pollen socat xorriso pollinate
  # scripts/bench-guest.sh's ceiling (a fixed 64-byte reply) and the profilers docs/BENCHMARKS.md
  # uses (perf record -e cpu-clock, valgrind --tool=callgrind).
  nginx-light linux-perf valgrind
)

# make image (scripts/build-image.sh): root file systems from Debian's packages, and buildah.
image_pkgs=(mmdebstrap buildah curl)
# The container image's runtime base (Containerfile): the shared libraries seedwell links, as
# `ldd build/seedwell` lists them, and libpq5 for the PostgreSQL store. Only put in the image.
runtime_pkgs=(
  libc6 libgcc-s1 libstdc++6 libsodium23 libssl3 libsqlite3-0 libisofs6 libcpp-httplib0.11
  libspdlog1.10 libfmt9 libpq5
)

if [ "${1:-}" = --list ]; then
  case "${2:-}" in
    build) printf '%s\n' "${build_pkgs[@]}" ;;
    runtime) printf '%s\n' "${runtime_pkgs[@]}" ;;
    image) printf '%s\n' "${image_pkgs[@]}" ;;
    *) echo "usage: $0 --list build|runtime|image" >&2; exit 2 ;;
  esac
  exit 0
fi

want=("${build_pkgs[@]}")
if [ "${1:-build}" = bench ]; then want+=("${bench_pkgs[@]}"); fi
if [ "${1:-build}" = image ]; then want+=("${image_pkgs[@]}"); fi
if [ "${1:-build}" = test ]; then
  want+=("${test_pkgs[@]}")
  # The OpenAPI linter runs on Node.js >= 20.19 (this project's CI image has it); Debian's own
  # nodejs is installed only where there is none at all.
  command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once if they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  $sudo apt-get update -qq
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
