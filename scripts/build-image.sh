#!/usr/bin/env bash
# Builds seedwell's container image without any image registry (make image):
#   1. the two base root file systems from Debian's packages with mmdebstrap, imported as local
#      images and kept (keyed by their package lists; rebuilt after SEEDWELL_BASE_MAX_AGE_DAYS so
#      security updates get in),
#   2. `buildah bud --isolation chroot` of the Containerfile, the host's image ccache mounted in,
#   3. `buildah push` to an OCI archive.
# Prints each step's time and the archive's size. Storage lives under SEEDWELL_IMAGE_STORE (vfs
# driver: works unprivileged and inside containers) so nothing else's container storage is touched.
#
#   scripts/build-image.sh [OUT_DIR]          (default: build-image)
#
# Environment: SEEDWELL_IMAGE_STORE (/var/tmp/seedwell-image-store), SEEDWELL_DEBIAN_MIRROR
# (http://deb.debian.org/debian), SEEDWELL_DEBIAN_SECURITY_MIRROR
# (http://deb.debian.org/debian-security), SEEDWELL_BASE_MAX_AGE_DAYS (7), SEEDWELL_IMAGE_TAG
# (localhost/seedwell:VERSION).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$src/build-image}" && cd "${1:-$src/build-image}" && pwd)
store=${SEEDWELL_IMAGE_STORE:-/var/tmp/seedwell-image-store}
mirror=${SEEDWELL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${SEEDWELL_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
max_age_days=${SEEDWELL_BASE_MAX_AGE_DAYS:-7}
version=$(sed -n 's/^project(seedwell VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
tag=${SEEDWELL_IMAGE_TAG:-localhost/seedwell:$version}
archive=$out/seedwell-$version.oci.tar

"$src/scripts/install-deps.sh" image
mkdir -p "$store/ccache"

bh() { buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# base NAME VARIANT PACKAGES...: makes sure localhost/seedwell-NAME-base:KEY exists, where KEY
# hashes everything that decides its contents; prints the image name.
base() {
  local name=$1 variant=$2; shift 2
  local list key image tar created age t
  list=$(printf '%s\n' "$@" | sort -u | paste -sd, -)
  key=$(printf '%s|%s|%s|%s|%s' "$variant" "$list" "$mirror" "$security" "$(mmdebstrap --version)" |
        sha256sum | cut -c1-16)
  image=localhost/seedwell-$name-base:$key
  if created=$(bh inspect --type image --format '{{.Docker.Created.Unix}}' "$image" 2>/dev/null); then
    age=$(( ($(date +%s) - created) / 86400 ))
    if [ "$age" -lt "$max_age_days" ]; then
      echo "image: $name base $image ($age days old), reused" >&2
      echo "$image"; return
    fi
    bh rmi "$image" >/dev/null
  fi
  t=$(now)
  tar=$out/$name-rootfs.tar
  local hooks=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
  if [ "$variant" = extract ]; then
    # Extracted packages leave dpkg's status empty; record each package's control data in
    # /var/lib/dpkg/status.d/ (as distroless images do) so image scanners see what is inside.
    hooks+=(--customize-hook='mkdir -p "$1/var/lib/dpkg/status.d" && for deb in "$1"/var/cache/apt/archives/*.deb; do dpkg-deb -f "$deb" >"$1/var/lib/dpkg/status.d/$(dpkg-deb -f "$deb" Package)"; done')
  fi
  mmdebstrap --quiet --variant="$variant" --include="$list" "${hooks[@]}" bookworm "$tar" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security bookworm-security main" >&2
  echo "image: $name root file system: $(since "$t") s, $(du -m "$tar" | cut -f1) MB" >&2
  t=$(now)
  local ctr
  ctr=$(bh from --pull=never scratch)
  bh add "$ctr" "$tar" / >/dev/null
  bh config --created-by "mmdebstrap --variant=$variant" "$ctr"
  bh commit --quiet --rm "$ctr" "$image" >/dev/null
  rm -f "$tar"
  # Older bases of this name are superseded.
  local old
  for old in $(bh images --format '{{.Name}}:{{.Tag}}' | grep "^localhost/seedwell-$name-base:" |
               grep -vx "$image"); do
    bh rmi "$old" >/dev/null || true
  done
  echo "image: $name base imported in $(since "$t") s" >&2
  echo "$image"
}

mapfile -t build_pkgs < <("$src/scripts/install-deps.sh" --list build)
mapfile -t runtime_pkgs < <("$src/scripts/install-deps.sh" --list runtime)
build_base=$(base build apt "${build_pkgs[@]}")
runtime_base=$(base runtime extract "${runtime_pkgs[@]}")

t=$(now)
bh bud --isolation chroot --pull=never --layers=false \
  -v "$store/ccache:/ccache" \
  --build-arg BUILD_BASE="$build_base" --build-arg RUNTIME_BASE="$runtime_base" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -t "$tag" -f "$src/Containerfile" "$src" >&2
echo "image: buildah bud $(since "$t") s" >&2

t=$(now)
rm -f "$archive"
bh push --quiet "$tag" "oci-archive:$archive:$tag" >&2
echo "image: $tag -> $archive ($(du -m "$archive" | cut -f1) MB) in $(since "$t") s" >&2
echo "$tag"
