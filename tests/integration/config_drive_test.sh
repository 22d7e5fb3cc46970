#!/usr/bin/env bash
# Config drives end to end with real clients: the admin route and the offline CLI against a real
# `seedwell serve`; isoinfo reads the volume descriptors; xorriso extracts the ISO; cloud-init's own
# ConfigDrive reader accepts the tree and the extracted ISO; an independent PyNaCl verifier checks
# seedwell/seed.json. Bad inputs: unknown and revoked instances, traversal, bad bodies, missing,
# symlinked, unwritable and full targets, and concurrent builds of one target.
source "$(dirname "$0")/lib.sh"

ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
REVOKED=00000000-0000-4000-8000-0000000000aa
IT=$SW_SOURCE_DIR/tests/integration
PY=/usr/bin/python3
OUT=$SW_TMP/out
mkdir -p "$OUT"

# extract ISO DIR: unpacks an image with xorriso (Rock Ridge names and modes), leaving DIR
# removable by a non-root user afterwards.
extract() {
  rm -rf "$2"
  xorriso -osirrox on -indev "$1" -extract / "$2" >/dev/null 2>&1 || return 1
  chmod -R u+rwX "$2"
}

# cli ARGS...: the offline command on the same state dir as the running server.
cli() {
  "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only "$@"
}

# no_leftovers DIR: nothing but the named entries (no temporaries) remain in DIR.
leftovers() { find "$1" -maxdepth 1 -name '.*.tmp-*' | wc -l; }

audit_count() {
  $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
    "select count(*) from config_drive_builds where instance_id=?", (sys.argv[2],)).fetchone()[0])' \
    "$SW_STATE/seedwell.db" "$1"
}

sw_start
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"p1\",\"name\":\"web-1\",\"hostname\":\"web-1\",\"availability_zone\":\"az1\"}"
expect_status "create" 201
TOKEN1=$(jq -r .token <<<"$RESP")
api POST /v1/instances "{\"id\":\"$REVOKED\",\"project_id\":\"p1\"}"; expect_status "create second" 201
api DELETE "/v1/instances/$REVOKED"; expect_status "revoke second" 200
api GET /v1/keys; PUBKEY=$(jq -r '.keys[] | select(.state=="active") | .public_key' <<<"$RESP")

# --- Admin route: the ISO ------------------------------------------------------------------
drive_api() {  # drive_api FILE [BODY]
  local args=(-sS -o "$1" -w '%{http_code} %{content_type}\n' -X POST -H "Authorization: Bearer $ADMIN_TOKEN")
  if [ -n "${2-}" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$2"); fi
  read -r RESP_STATUS CTYPE < <(curl "${args[@]}" "$ADMIN_URL/v1/instances/$ID/config-drive")
  RESP=""; LAST_METHOD=POST
}
drive_api "$OUT/a.iso"
check "api iso: 200" test "$RESP_STATUS" = 200
check "api iso: content type" test "$CTYPE" = application/x-iso9660-image
contract "/v1/instances/{id}/config-drive"
isoinfo -d -i "$OUT/a.iso" >"$OUT/a.info"
check "isoinfo: label config-2" grep -qx 'Volume id: config-2' "$OUT/a.info"
check "isoinfo: Rock Ridge" grep -q 'Rock Ridge signatures' "$OUT/a.info"
check "isoinfo: Joliet" grep -q 'Joliet with UCS level' "$OUT/a.info"
check "xorriso extracts" extract "$OUT/a.iso" "$OUT/a"
$PY "$IT/read_config_drive.py" "$OUT/a" >"$OUT/a.json" || true
check "cloud-init reads the ISO: instance id" test "$(jq -r .instance_id "$OUT/a.json")" = "$ID"
check "cloud-init reads the ISO: 512-byte seed" test "$(jq -r .seed_bytes "$OUT/a.json")" = 512
check "cloud-init reads the ISO: ec2 id" test "$(jq -r .ec2_instance_id "$OUT/a.json")" = i-6a1f2c1e
check "seed.json verifies (PyNaCl)" test "$($PY "$IT/verify_seed_file.py" "$OUT/a/seedwell/seed.json" "$PUBKEY" "$ID")" = 4096
check "no token unless asked" test ! -e "$OUT/a/seedwell/token"

drive_api "$OUT/b.iso" '{"user_data":"I2Nsb3VkLWNvbmZpZwo=","seed_bytes":64,"vendor_data":{"v":1}}'
check "api iso with body: 200" test "$RESP_STATUS" = 200
extract "$OUT/b.iso" "$OUT/b"
$PY "$IT/read_config_drive.py" "$OUT/b" >"$OUT/b.json" || true
check "user_data reaches cloud-init" test "$(jq -r .userdata "$OUT/b.json")" = "#cloud-config"
check "two drives carry different seeds" test "$(jq -r .seed_b64 "$OUT/a.json")" != "$(jq -r .seed_b64 "$OUT/b.json")"
check "seed files differ too" test "$(jq -r .data "$OUT/a/seedwell/seed.json")" != "$(jq -r .data "$OUT/b/seedwell/seed.json")"
check "seed size honoured" test "$($PY "$IT/verify_seed_file.py" "$OUT/b/seedwell/seed.json" "$PUBKEY" "$ID")" = 64
check "audit: two builds recorded" test "$(audit_count "$ID")" = 2

drive_api "$OUT/t.iso" '{"embed_token":true,"issue_sealing_key":true}'
check "api iso with credentials: 200" test "$RESP_STATUS" = 200
isoinfo -R -l -i "$OUT/t.iso" >"$OUT/t.list"
check "token is 0400 on the ISO" grep -qE '^-r-------- .* token *$' "$OUT/t.list"
check "sealing key is 0400 on the ISO" grep -qE '^-r-------- .* sealing_key *$' "$OUT/t.list"
extract "$OUT/t.iso" "$OUT/t"
check "embedded token is a fresh one" test "$(cat "$OUT/t/seedwell/token")" != "$TOKEN1"
api GET "/v1/instances/$ID"
check "issued sealing key is registered" test "$(jq -r .sealing_public_key <<<"$RESP")" = \
  "$($PY -c 'import sys,base64,nacl.public; print(base64.b64encode(bytes(nacl.public.PrivateKey(base64.b64decode(open(sys.argv[1]).read())).public_key)).decode())' "$OUT/t/seedwell/sealing_key")"

# --- ISO 9660 and Joliet names match Nova's genisoimage ---------------------------------------
# Nova builds config drives with exactly this command (nova/virt/configdrive.py); the same tree
# through it must list the same plain ISO 9660 and Joliet names as seedwell's image.
iso_names() {  # iso_names ISO [isoinfo flags]: directory headings and entry names, in order
  isoinfo "${@:2}" -l -i "$1" | awk '/^Directory listing/ {print; next} NF {print $NF}'
}
for drive in b t; do
  genisoimage -o "$OUT/nova-$drive.iso" -ldots -allow-lowercase -allow-multidot -l \
    -publisher "seedwell-test" -quiet -J -r -V config-2 "$OUT/$drive" 2>/dev/null
  check "ISO 9660 names match genisoimage ($drive)" \
    diff <(iso_names "$OUT/nova-$drive.iso") <(iso_names "$OUT/$drive.iso")
  check "Joliet names match genisoimage ($drive)" \
    diff <(iso_names "$OUT/nova-$drive.iso" -J) <(iso_names "$OUT/$drive.iso" -J)
done
check "ISO 9660 names are genisoimage's (meta_data.json;1, user_data.;1)" \
  grep -qx 'user_data.;1' <(iso_names "$OUT/b.iso")
check "Joliet names are plain (no ;1, no trailing dot)" \
  bash -c '! isoinfo -J -l -i "$1" | awk "NF {print \$NF}" | grep -E ";1$|[^.]\.$"' _ "$OUT/t.iso"

# --- Admin route: deep JSON is refused, and the service lives on ------------------------------
# 60,000 nested arrays (about 117 KB, under the route's 256 KiB limit) used to overflow the stack
# when the drive's vendor_data.json was serialised, killing every listener.
printf '{"vendor_data":%s%s}' "$(printf '[%.0s' $(seq 60000))" "$(printf ']%.0s' $(seq 60000))" \
  >"$OUT/deep.json"
RESP_STATUS=$(curl -sS -o "$SW_TMP/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$OUT/deep.json" "$ADMIN_URL/v1/instances/$ID/config-drive")
RESP=$(cat "$SW_TMP/resp"); LAST_METHOD=POST
expect_status "60,000-deep vendor_data" 400
check "deep: the message names the bound" grep -q 'deeper than 64 levels' <<<"$RESP"
contract "/v1/instances/{id}/config-drive"
check "deep: the service still answers" test "$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN_URL/healthz")" = 200
check "deep: the guest listener too" test "$(curl -s -o /dev/null -w '%{http_code}' "$GUEST_URL/healthz")" = 200
# The bound counts the whole body: the body, vendor_data (an object) and 62 arrays are 64 levels.
drive_api "$OUT/d64.iso" "{\"vendor_data\":{\"a\":$(printf '[%.0s' $(seq 62))$(printf ']%.0s' $(seq 62))}}"
check "a body 64 levels deep (the bound) is accepted" test "$RESP_STATUS" = 200
drive_api "$OUT/d65.iso" "{\"vendor_data\":{\"a\":$(printf '[%.0s' $(seq 63))$(printf ']%.0s' $(seq 63))}}"
check "a body 65 levels deep is refused" test "$RESP_STATUS" = 400
check "cli: deep vendor data file is refused" bash -c '! "$@" 2>'"$OUT/deep.err" cli_ "$SW_BIN" config-drive \
  --state-dir "$SW_STATE" --allow-kernel-only --instance "$ID" --out "$OUT/deep.iso" --vendor-data "$OUT/deep.json"
check "cli: deep vendor data message" grep -q 'deeper than 64 levels' "$OUT/deep.err"

# --- Admin route: errors -------------------------------------------------------------------
api POST "/v1/instances/00000000-0000-4000-8000-000000000999/config-drive"; expect_status "unknown instance" 404
contract "/v1/instances/{id}/config-drive"
api POST "/v1/instances/$REVOKED/config-drive"; expect_status "revoked instance" 422
contract "/v1/instances/{id}/config-drive"
check "revoked: nothing recorded" test "$(audit_count "$REVOKED")" = 0
api POST "/v1/instances/..%2F..%2Fetc%2Fpasswd/config-drive"; expect_status "traversal id" 404
api POST "/v1/instances/$ID/config-drive" '{"colour":"red"}'; expect_status "unknown field" 400
contract "/v1/instances/{id}/config-drive"
api POST "/v1/instances/$ID/config-drive" '{"user_data":"not base64!"}'; expect_status "bad user_data" 400
api POST "/v1/instances/$ID/config-drive" '{"seed_bytes":1}'; expect_status "seed too small" 400
api POST "/v1/instances/$ID/config-drive" '{"network_data":[1]}'; expect_status "network_data not an object" 400
RESP_STATUS=$(curl -s -o "$SW_TMP/resp" -w '%{http_code}' -X POST "$ADMIN_URL/v1/instances/$ID/config-drive"); RESP=$(cat "$SW_TMP/resp")
expect_status "no admin token" 401
check "guest listener has no config-drive route" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN_TOKEN" "$GUEST_URL/v1/instances/$ID/config-drive")" = 404

# --- CLI, offline against the same state ----------------------------------------------------
printf '#cloud-config\nhostname: from-cli\n' >"$OUT/ud"
check "cli dir" cli --instance "$ID" --out "$OUT/tree" --format dir --user-data "$OUT/ud"
$PY "$IT/read_config_drive.py" "$OUT/tree" >"$OUT/tree.json" || true
check "cloud-init reads the tree: instance id" test "$(jq -r .instance_id "$OUT/tree.json")" = "$ID"
check "cloud-init reads the tree: 512-byte seed" test "$(jq -r .seed_bytes "$OUT/tree.json")" = 512
check "cloud-init reads the tree: user data" grep -q 'hostname: from-cli' <<<"$(jq -r .userdata "$OUT/tree.json")"
check "tree seed.json is 0600" test "$(stat -c %a "$OUT/tree/seedwell/seed.json")" = 600
check "tree seed.json verifies" test "$($PY "$IT/verify_seed_file.py" "$OUT/tree/seedwell/seed.json" "$PUBKEY" "$ID")" = 4096
check "cli iso" cli --instance "$ID" --out "$OUT/cli.iso" --seed-bytes 8192
check "cli iso: label" grep -qx 'Volume id: config-2' <(isoinfo -d -i "$OUT/cli.iso")
extract "$OUT/cli.iso" "$OUT/cli"
check "cloud-init reads the CLI ISO" test "$($PY "$IT/read_config_drive.py" "$OUT/cli" | jq -r .instance_id)" = "$ID"
check "cli iso is 0600" test "$(stat -c %a "$OUT/cli.iso")" = 600
BEFORE=$(audit_count "$ID")

# --- CLI: bad inputs; nothing half-written, nothing recorded ---------------------------------
cp "$OUT/cli.iso" "$OUT/keep.iso"; SUM=$(sha256sum <"$OUT/keep.iso")
check "cli: unknown instance fails" bash -c '! "$@" 2>'"$OUT/err" cli_ "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only --instance 00000000-0000-4000-8000-000000000999 --out "$OUT/keep.iso"
check "cli: unknown instance says not_found" grep -q not_found "$OUT/err"
check "cli: revoked instance fails" bash -c '! "$@" 2>'"$OUT/err" cli_ "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only --instance "$REVOKED" --out "$OUT/keep.iso"
check "cli: revoked says revoked" grep -q revoked "$OUT/err"
check "cli: traversal instance id fails" bash -c '! "$@" 2>/dev/null' cli_ "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only --instance "../../../tmp/x" --out "$OUT/keep.iso"
check "cli: missing output dir fails" bash -c '! "$@" 2>/dev/null' cli_ "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only --instance "$ID" --out "$OUT/nowhere/x.iso"
ln -s "$OUT/keep.iso" "$OUT/link.iso"
check "cli: symlink target refused" bash -c '! "$@" 2>/dev/null' cli_ "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only --instance "$ID" --out "$OUT/link.iso"
check "cli: symlink still a symlink" test -L "$OUT/link.iso"
check "cli: unwritable target fails" bash -c '! "$@" 2>/dev/null' cli_ "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only --instance "$ID" --out /proc/seedwell-drive.iso
check "cli: missing state refused" bash -c '! "$@" 2>/dev/null' cli_ "$SW_BIN" config-drive --state-dir "$SW_TMP/nostate" --allow-kernel-only --instance "$ID" --out "$OUT/x.iso"
check "cli: missing state not created" test ! -e "$SW_TMP/nostate"
# A full disk without root: a 4 MiB file size limit (SIGXFSZ ignored, so write() gets EFBIG) and
# a drive of about 7 MiB (1 MiB of vendor data in each of 7 versions). The database and its WAL
# stay far below the limit.
$PY -c 'import json; print(json.dumps({"pad": "x" * 1000000}))' >"$OUT/big-vendor.json"
check "cli: full target fails" bash -c 'ulimit -f 4096; trap "" XFSZ; ! "$@" 2>'"$OUT/err" cli_ "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only --instance "$ID" --out "$OUT/keep.iso" --vendor-data "$OUT/big-vendor.json"
check "cli: full target says so" grep -q "File too large" "$OUT/err"
check "cli: old drive intact after failures" test "$(sha256sum <"$OUT/keep.iso")" = "$SUM"
check "cli: full tree target fails" bash -c 'ulimit -f 768; trap "" XFSZ; ! "$@" 2>'"$OUT/err" cli_ "$SW_BIN" config-drive --state-dir "$SW_STATE" --allow-kernel-only --instance "$ID" --out "$OUT/tree" --format dir --vendor-data "$OUT/big-vendor.json"
check "cli: full tree target says so" grep -q "File too large" "$OUT/err"
check "cli: old tree intact" test "$($PY "$IT/read_config_drive.py" "$OUT/tree" | jq -r .instance_id)" = "$ID"
check "cli: no temporaries left" test "$(leftovers "$OUT")" = 0
check "cli: failures recorded nothing" test "$(audit_count "$ID")" = "$BEFORE"

# --- Concurrent builds of one target: each commit is a whole drive ---------------------------
pids=()
for i in 1 2 3 4; do
  cli --instance "$ID" --out "$OUT/race.iso" >/dev/null 2>&1 & pids+=($!)
  cli --instance "$ID" --out "$OUT/race" --format dir >/dev/null 2>&1 & pids+=($!)
done
ok=0; for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
check "concurrent builds all succeed" test "$ok" = 8
check "concurrent: ISO is whole" grep -qx 'Volume id: config-2' <(isoinfo -d -i "$OUT/race.iso")
extract "$OUT/race.iso" "$OUT/race-x"
check "concurrent: ISO readable by cloud-init" test "$($PY "$IT/read_config_drive.py" "$OUT/race-x" | jq -r .seed_bytes)" = 512
check "concurrent: tree readable by cloud-init" test "$($PY "$IT/read_config_drive.py" "$OUT/race" | jq -r .seed_bytes)" = 512
check "concurrent: no temporaries left" test "$(leftovers "$OUT")" = 0
check "concurrent: every build recorded" test "$(audit_count "$ID")" = "$((BEFORE + 8))"

sw_contract_check
sw_stop
check "clean shutdown" test "$SW_EXIT" = 0
sw_finish
