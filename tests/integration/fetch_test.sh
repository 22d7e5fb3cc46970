#!/usr/bin/env bash
# The guest tool against a real `seedwell serve`: the static seedwell-fetch and `seedwell fetch`
# read a real config drive (built by the admin route, extracted with xorriso), verify the seed
# file and a fresh sealed block, and credit the kernel (RNDADDENTROPY as root; as an unprivileged
# user they fall back to /dev/urandom and say so). Bad cases, each a non-zero exit with a clear
# message: untrusted key, another instance, a tampered seed file, a wrong token, a revoked
# instance, a replayed block (another nonce) from a hostile server, a service that is not a
# seedwell, nobody listening (bounded by --timeout), https and malformed flags.
source "$(dirname "$0")/lib.sh"

ID=4b7d3a52-0c1e-4f8a-9d2b-6e5f4a3b2c1d
IT=$SW_SOURCE_DIR/tests/integration
FETCH=$(readlink -f "${SEEDWELL_FETCH_BIN:-$(dirname "$SW_BIN")/seedwell-fetch}")
D=$SW_TMP/drive
REPLAY_PID=""

cleanup_replay() {
  if [ -n "$REPLAY_PID" ]; then kill "$REPLAY_PID" 2>/dev/null || true; wait "$REPLAY_PID" 2>/dev/null || true; fi
  REPLAY_PID=""
}
trap 'cleanup_replay; sw_cleanup' EXIT

# run_fetch NAME ARGS...: runs the static tool with a 30 s bound; output in $OUT, exit in $RC.
run_fetch() {
  RC=0
  OUT=$(timeout 30 "$FETCH" "$@" 2>&1) || RC=$?
}
has() { grep -q -- "$1" <<<"$OUT"; }
hasnt() { ! grep -q -- "$1" <<<"$OUT"; }

# start_replay MODE [HEADERS BODY]: a fake service; sets REPLAY_URL.
start_replay() {
  cleanup_replay
  /usr/bin/python3 "$IT/replay_server.py" "$@" >"$SW_TMP/replay.port" &
  REPLAY_PID=$!
  # Python's start-up can take seconds on a loaded 2-core machine: wait up to 30 s, then say so.
  for _ in $(seq 1 300); do [ -s "$SW_TMP/replay.port" ] && break; sleep 0.1; done
  [ -s "$SW_TMP/replay.port" ] || { echo "FAIL: replay_server.py $1 did not start in 30 s"; exit 1; }
  REPLAY_URL=http://127.0.0.1:$(cat "$SW_TMP/replay.port")
}

check "seedwell-fetch is statically linked (no program interpreter)" bash -c "! readelf -l '$FETCH' | grep -q INTERP"

sw_start
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"p1\"}"; expect_status "create" 201
api GET /v1/keys; PUBKEY=$(jq -r '.keys[] | select(.state=="active") | .public_key' <<<"$RESP")

# The drive as an orchestrator builds it: token, sealing key, and the URL this guest uses.
curl -sS -o "$SW_TMP/drive.iso" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H 'Content-Type: application/json' \
  --data-binary "{\"embed_token\":true,\"issue_sealing_key\":true,\"service_url\":\"$GUEST_URL\"}" \
  "$ADMIN_URL/v1/instances/$ID/config-drive" >"$SW_TMP/drive.status"
check "config drive built" test "$(cat "$SW_TMP/drive.status")" = 200
xorriso -osirrox on -indev "$SW_TMP/drive.iso" -extract / "$D" >/dev/null 2>&1
chmod -R u+rwX "$D"
check "drive carries the service URL" \
  test "$(jq -r .seedwell.service_url "$D/openstack/latest/meta_data.json")" = "$GUEST_URL"

if [ "$(id -u)" = 0 ]; then CREDIT="via RNDADDENTROPY"; else CREDIT="WITHOUT entropy credit"; fi

# --- Success: the drive alone configures everything ------------------------------------------
run_fetch --config-drive "$D"
check "static tool: exit 0 ($OUT)" test "$RC" = 0
check "static tool: seed file verified" has "seed file verified: 4096 bytes, instance $ID"
check "static tool: block verified, sealed, fresh nonce" has "block verified: 64 bytes, instance $ID, key sw1_.*, sealed.*fresh nonce"
check "static tool: seed file credited" has "seed file .* 4096 bytes.*$CREDIT"
check "static tool: block credited" has "block .* 64 bytes.*$CREDIT"
check "static tool: prints no secret" hasnt "$(cat "$D/seedwell/token")"

OUT=$("$SW_BIN" fetch --config-drive "$D" --bytes 256 --skip-seed-file 2>&1) && RC=0 || RC=$?
check "seedwell fetch: exit 0 ($OUT)" test "$RC" = 0
check "seedwell fetch: 256 bytes verified" has "block verified: 256 bytes"
check "seedwell fetch: skipped the seed file" hasnt "seed file verified"

# Flags only, as an unprivileged user: crediting falls back to /dev/urandom, and says why.
FL=$SW_TMP/flags; mkdir -p "$FL"; chmod 0711 "$SW_TMP"
cp "$D/seedwell/token" "$D/seedwell/sealing_key" "$FL/"; chmod 0755 "$FL"; chmod 0644 "$FL"/*
FLAGS=(--no-config-drive --url "$GUEST_URL" --instance-id "$ID" --public-key "$PUBKEY"
       --token-file "$FL/token" --sealing-key-file "$FL/sealing_key")
AS_NOBODY=()
if [ "$(id -u)" = 0 ]; then AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
OUT=$(timeout 30 "${AS_NOBODY[@]}" "$FETCH" "${FLAGS[@]}" 2>&1) && RC=0 || RC=$?
check "unprivileged: exit 0 ($OUT)" test "$RC" = 0
check "unprivileged: mixed without credit, says why" has "WITHOUT entropy credit.*CAP_SYS_ADMIN"

# --- Refusals --------------------------------------------------------------------------------
OTHER_KEY=$("$SW_BIN" keygen sealing-key | awk '/^public_key:/ {print $2}')
run_fetch --config-drive "$D" --public-key "$OTHER_KEY"
check "untrusted key: exit 1" test "$RC" = 1
check "untrusted key: named ($OUT)" has "not a trusted key"

run_fetch --config-drive "$D" --instance-id 00000000-0000-4000-8000-000000000001 --skip-seed-file
check "another instance: exit 1" test "$RC" = 1
check "another instance: named" has "REJECTED: block was issued to instance '$ID'"

cp -r "$D" "$SW_TMP/tampered"
jq -c '.issued_at_unix_ms += 1' "$D/seedwell/seed.json" >"$SW_TMP/tampered/seedwell/seed.json"
run_fetch --config-drive "$SW_TMP/tampered" --offline
check "tampered seed file: exit 1" test "$RC" = 1
check "tampered seed file: rejected" has "seed file on .* REJECTED"

echo "swi_not-a-token" >"$FL/bad-token"
run_fetch --config-drive "$D" --skip-seed-file --token-file "$FL/bad-token"
check "wrong token: exit 1 without retrying" test "$RC" = 1
check "wrong token: the service's 401 is shown" has "refused the request (401)"
check "wrong token: one attempt" has "after 1 attempt"

run_fetch --config-drive "$D" --sealing-key-file /nonexistent
check "missing sealing key file: exit 1" test "$RC" = 1

# A replayed block: recorded from the real service for one nonce, served for another.
curl -sS -D "$SW_TMP/rec.h" -o "$SW_TMP/rec.b" -H "Authorization: Bearer $(cat "$D/seedwell/token")" \
  -H 'Accept: application/octet-stream' "$GUEST_URL/v1/entropy?bytes=64&nonce=00112233"
start_replay replay "$SW_TMP/rec.h" "$SW_TMP/rec.b"
run_fetch --config-drive "$D" --skip-seed-file --url "$REPLAY_URL"
check "replayed block: exit 1" test "$RC" = 1
check "replayed block: stale nonce named ($OUT)" has "answers another nonce"

start_replay busy "$SW_TMP/rec.h" "$SW_TMP/rec.b"
run_fetch --config-drive "$D" --skip-seed-file --url "$REPLAY_URL"
check "503 then retry: the retry is logged ($OUT)" has "attempt 1 failed (service answered 503: unavailable: busy); retrying in 1000 ms"
check "503 then retry: still refuses the replay" has "answers another nonce"

start_replay garbage
run_fetch --config-drive "$D" --skip-seed-file --url "$REPLAY_URL"
check "not a seedwell: exit 1" test "$RC" = 1
check "not a seedwell: named" has "not a seedwell-block-v1 block"
cleanup_replay

START=$(date +%s%N)
run_fetch --config-drive "$D" --skip-seed-file --url "http://127.0.0.1:1" --timeout 1.5
ELAPSED_MS=$(( ($(date +%s%N) - START) / 1000000 ))
check "nobody listening: exit 1" test "$RC" = 1
check "nobody listening: retried, then named the cause" has "failed after [0-9]* attempt(s): cannot connect"
check "nobody listening: bounded by --timeout ($ELAPSED_MS ms)" test "$ELAPSED_MS" -lt 5000

run_fetch --config-drive "$D" --url "https://127.0.0.1/"
check "https: refused with the reason" has "https is not supported"
run_fetch --config-drive "$D" --bytes 0
check "bytes 0: exit 1" test "$RC" = 1
run_fetch --config-drive "$SW_TMP/no-such-drive"
check "missing drive: exit 1 and named" has "config drive $SW_TMP/no-such-drive"
run_fetch --no-config-drive
check "no configuration: exit 1 and named" has "instance's id is unknown"
run_fetch --bogus-flag
check "unknown flag: usage error" test "$RC" -ne 0 -a "$RC" -ne 1

api DELETE "/v1/instances/$ID"; expect_status "revoke" 200
run_fetch --config-drive "$D" --skip-seed-file
check "revoked instance: exit 1" test "$RC" = 1

# --- What ships for guests: the systemd unit and the cloud-config snippet ------------------------
sed "s|/usr/local/bin/seedwell-fetch|$FETCH|" "$SW_SOURCE_DIR/guest/dist/seedwell-fetch.service" \
  >"$SW_TMP/seedwell-fetch.service"
check "systemd unit verifies" systemd-analyze verify "$SW_TMP/seedwell-fetch.service"
check "systemd unit orders itself before ssh" grep -q '^Before=ssh.service' "$SW_TMP/seedwell-fetch.service"
sed "s|/usr/local/bin/seedwell-fetch|$FETCH|" "$SW_SOURCE_DIR/guest/dist/seedwell-vmgenid.service" \
  >"$SW_TMP/seedwell-vmgenid.service"
check "vmgenid unit verifies" systemd-analyze verify "$SW_TMP/seedwell-vmgenid.service"
check "vmgenid unit runs the after-vmgenid mode" grep -q -- '--after-vmgenid' "$SW_TMP/seedwell-vmgenid.service"
check "udev rule starts it on NEW_VMGENID" grep -qE \
  '^ACTION=="change", ENV\{NEW_VMGENID\}=="1", RUN\+="/usr/bin/systemctl --no-block start seedwell-vmgenid.service"$' \
  "$SW_SOURCE_DIR/guest/dist/70-seedwell-vmgenid.rules"
check "cloud-config snippet is valid" cloud-init schema --config-file "$SW_SOURCE_DIR/guest/dist/cloud-config.yaml"

sw_stop
check "server exits cleanly" test "$SW_EXIT" = 0
sw_finish
