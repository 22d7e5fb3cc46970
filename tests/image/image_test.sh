#!/usr/bin/env bash
# The container image end to end (ctest label image; slow, so `make test-image` runs it alone):
# builds it as `make image` does (scripts/build-image.sh: mmdebstrap bases, buildah bud, OCI
# archive), checks its configuration (entrypoint, command, non-root user, OCI labels) and the
# archive, then smoke-tests it with `buildah from` + `buildah run --isolation chroot` (podman run
# does not work in these sandboxes): `seedwell selftest`, `seedwell-fetch --help`, no shell, and
# `seedwell serve` answering /healthz and /readyz on loopback as the image's non-root user.
# It removes the containers and the image it made; the base images stay as the build's cache.
#
#   bash tests/image/image_test.sh            (SEEDWELL_SOURCE_DIR: the source tree)
set -euo pipefail

SRC=${SEEDWELL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/seedwell-image.XXXXXX")
STORE=${SEEDWELL_IMAGE_STORE:-/var/tmp/seedwell-image-store}
VERSION=$(sed -n 's/^project(seedwell VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
TAG=localhost/seedwell-test:$$
CTR=""
RUN_PID=""
PASSES=0
FAILS=0

bh() { buildah --root "$STORE/root" --runroot "$STORE/run" --storage-driver vfs "$@"; }
cleanup() {
  if [ -n "$RUN_PID" ]; then stop_serve; fi
  if [ -n "$CTR" ]; then bh rm "$CTR" >/dev/null 2>&1 || true; fi
  bh rmi "$TAG" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
check() {
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then PASSES=$((PASSES + 1)); else FAILS=$((FAILS + 1)); echo "FAIL: $name"; fi
}
# stop_serve: SIGTERM to `buildah run`, which passes it to seedwell; the seedwell process itself
# (found as the run's descendant when it started) is stopped by its PID if it outlives buildah.
stop_serve() {
  kill -TERM "$RUN_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
  if [ -n "${SERVE_PID:-}" ] && kill -0 "$SERVE_PID" 2>/dev/null; then kill -KILL "$SERVE_PID" || true; fi
  kill -KILL "$RUN_PID" 2>/dev/null || true
  wait "$RUN_PID" 2>/dev/null || true
  RUN_PID=""
}

# --- build -----------------------------------------------------------------------------------
start=$(date +%s)
SEEDWELL_IMAGE_TAG=$TAG "$SRC/scripts/build-image.sh" "$TMP/out" >"$TMP/build.log" 2>&1 && rc=0 || rc=$?
elapsed=$(( $(date +%s) - start ))
grep '^image:' "$TMP/build.log" || true
echo "image: built in $elapsed s"
if [ "$rc" != 0 ]; then tail -40 "$TMP/build.log"; fi
check "make image's script builds the image" test "$rc" = 0
ARCHIVE=$TMP/out/seedwell-$VERSION.oci.tar
check "OCI archive written" test -s "$ARCHIVE"
check "OCI archive has oci-layout and index.json" \
  bash -c "tar -tf '$ARCHIVE' | grep -qx oci-layout && tar -tf '$ARCHIVE' | grep -qx index.json"
check "OCI archive's index names the image" \
  bash -c "tar -xOf '$ARCHIVE' index.json | jq -e '.manifests[0].annotations[\"org.opencontainers.image.ref.name\"] | length > 0'"

# --- configuration ---------------------------------------------------------------------------
bh inspect --type image "$TAG" >"$TMP/inspect.json" 2>/dev/null || echo '{}' >"$TMP/inspect.json"
cfg() { jq -c "$1" "$TMP/inspect.json"; }
check "entrypoint is seedwell" test "$(cfg .OCIv1.config.Entrypoint)" = '["seedwell"]'
check "command is serve" test "$(cfg .OCIv1.config.Cmd)" = '["serve"]'
check "runs as the non-root user 65532" test "$(cfg .OCIv1.config.User)" = '"65532:65532"'
check "OCI version label" test "$(cfg '.OCIv1.config.Labels["org.opencontainers.image.version"]')" = "\"$VERSION\""
check "OCI revision label is a commit" \
  grep -qE '^"[0-9a-f]{40}"$' <<<"$(cfg '.OCIv1.config.Labels["org.opencontainers.image.revision"]')"
check "OCI title label" test "$(cfg '.OCIv1.config.Labels["org.opencontainers.image.title"]')" = '"seedwell"'
SIZE_MB=$(du -m "$ARCHIVE" 2>/dev/null | cut -f1)
echo "image: $(bh images --format '{{.Size}}' "$TAG" | head -1) in storage, OCI archive ${SIZE_MB:-?} MB"
check "image is small (archive under 100 MB: ${SIZE_MB:-?} MB)" test "${SIZE_MB:-1000}" -lt 100

# --- smoke test ------------------------------------------------------------------------------
CTR=$(bh from --pull=never "$TAG" 2>/dev/null) || CTR=""
check "buildah from the image" test -n "$CTR"
run() { bh run --isolation chroot "$CTR" -- "$@"; }
run seedwell selftest >"$TMP/selftest" 2>&1 && rc=0 || rc=$?
check "seedwell selftest passes in the image ($(tail -1 "$TMP/selftest"))" test "$rc" = 0
check "selftest says ok" grep -q '^selftest: ok' "$TMP/selftest"
run seedwell-fetch --help >"$TMP/fetch" 2>&1 && rc=0 || rc=$?
check "seedwell-fetch --help" test "$rc" = 0
check "seedwell-fetch describes itself" grep -q -- '--public-key' "$TMP/fetch"
fails_in_image() { ! run "$@"; }
check "no shell in the image" fails_in_image /bin/sh -c true
check "no coreutils in the image" fails_in_image id

# seedwell serve as the image runs it (ENTRYPOINT seedwell), on loopback ports picked by the kernel
# (buildah run --isolation chroot shares the host's network namespace).
bh run --isolation chroot "$CTR" -- seedwell serve --guest-listen 127.0.0.1:0 \
  --admin-listen 127.0.0.1:0 --allow-kernel-only >"$TMP/serve.log" 2>&1 &
RUN_PID=$!
SERVE_PID=""
for _ in $(seq 1 300); do
  grep -q "seedwell serving" "$TMP/serve.log" && break
  kill -0 "$RUN_PID" 2>/dev/null || break
  sleep 0.1
done
# The seedwell process of this run: the descendant of RUN_PID named seedwell.
descendants() { local c; for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }
for pid in $(descendants "$RUN_PID"); do
  if [ "$(ps -o comm= -p "$pid")" = seedwell ]; then SERVE_PID=$pid; fi
done
check "seedwell serve starts in the image ($(grep -m1 -iE 'error|fatal' "$TMP/serve.log"))" \
  grep -q "seedwell serving" "$TMP/serve.log"
check "seedwell serve runs as uid 65532" test "$(ps -o uid= -p "${SERVE_PID:-0}" | tr -d ' ')" = 65532
ADMIN=$(grep -o 'admin listener on [^ ]*' "$TMP/serve.log" | head -1 | awk '{print $4}')
GUEST=$(grep -o 'guest listener on [^ ]*' "$TMP/serve.log" | head -1 | awk '{print $4}')
check "admin /healthz answers ($ADMIN)" curl -sf -m 5 -o /dev/null "$ADMIN/healthz"
check "admin /readyz answers" curl -sf -m 5 -o /dev/null "$ADMIN/readyz"
check "guest /healthz answers ($GUEST)" curl -sf -m 5 -o /dev/null "$GUEST/healthz"
check "state in the image's state dir (admin token generated)" grep -q 'admin_token_generated file=/var/lib/seedwell/admin-token' "$TMP/serve.log"
stop_serve
check "seedwell serve stopped" bash -c "! kill -0 ${SERVE_PID:-999999999} 2>/dev/null"

bh rm "$CTR" >/dev/null && CTR=""
bh rmi "$TAG" >/dev/null
image_gone() { ! bh inspect --type image "$TAG"; }
check "test image removed" image_gone
echo "$PASSES passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
