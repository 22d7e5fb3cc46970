#!/usr/bin/env bash
# Real, unmodified guest clients against a real `seedwell serve` on port 0: cloud-init's own
# OpenStack metadata reader (Debian's cloud-init, /usr/bin/python3) and pollinate --testing.
source "$(dirname "$0")/lib.sh"

ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
sw_start --guest-identity token,source-address
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"demo\",\"name\":\"vm1\",\"hostname\":\"vm1.internal\",\"availability_zone\":\"az1\",\"allowed_cidrs\":[\"127.0.0.1/32\"]}"
expect_status "register" 201
TOKEN=$(jq -r .token <<<"$RESP")

# cloud-init reads the metadata service (source-address identity, as from a VM) and gets the
# instance id and a 512-byte seed; two reads give different seeds.
cat >"$SW_TMP/ci.py" <<'PY'
import base64, json, sys
from unittest import mock
from cloudinit.sources import DataSourceOpenStack
from cloudinit.sources.helpers import openstack
with mock.patch.object(openstack.MetadataReader, "_read_ec2_metadata", return_value={}):
    a = DataSourceOpenStack.read_metadata_service(sys.argv[1], timeout=2, retries=0)
    b = DataSourceOpenStack.read_metadata_service(sys.argv[1], timeout=2, retries=0)
seed_a = a["metadata"]["random_seed"]
seed_b = b["metadata"]["random_seed"]
print(json.dumps({"uuid": a["metadata"]["uuid"], "instance_id": a["metadata"].get("instance-id"),
                  "version": a.get("version"), "seed_len": len(seed_a) if isinstance(seed_a, bytes) else len(base64.b64decode(seed_a, validate=True)),
                  "fresh": seed_a != seed_b, "hostname": a["metadata"].get("hostname")}))
PY
OUT=$(/usr/bin/python3 "$SW_TMP/ci.py" "$GUEST_URL" 2>"$SW_TMP/ci.err") || { cat "$SW_TMP/ci.err"; OUT='{}'; }
echo "cloud-init: $OUT"
check "cloud-init reads the instance id" test "$(jq -r .uuid <<<"$OUT")" = "$ID"
check "cloud-init gets a 512-byte seed" test "$(jq -r .seed_len <<<"$OUT")" = 512
check "two reads, two seeds" test "$(jq -r .fresh <<<"$OUT")" = true
check "cloud-init metadata format version 2" test "$(jq -r .version <<<"$OUT")" = 2

# pollinate --testing --strict (failures exit non-zero) accepts the reply unchanged, with the token passed through its curl options.
export TMPDIR=$SW_TMP HOME=$SW_TMP
timeout 30 pollinate --testing --strict -s "$GUEST_URL/" -c "--oauth2-bearer $TOKEN" >"$SW_TMP/p.out" 2>"$SW_TMP/p.err" && prc=0 || prc=$?
check "pollinate --testing succeeds" test "$prc" = 0
# Debian's /etc/default/pollinate sets BINARY=1: the seed is SHA-512 of the reply, 64 raw bytes.
check "pollinate printed its 64-byte seed" test "$(wc -c <"$SW_TMP/p.out")" = 64
[ "$prc" = 0 ] || cat "$SW_TMP/p.err"

# A server that answers the challenge wrongly fails pollinate: a one-shot fake on another port.
cat >"$SW_TMP/fake.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = ("0" * 128 + "\n" + "1" * 128 + "\n").encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.handle_request()
PY
/usr/bin/python3 "$SW_TMP/fake.py" >"$SW_TMP/fake.port" &
FAKE=$!
for _ in $(seq 1 50); do [ -s "$SW_TMP/fake.port" ] && break; sleep 0.1; done
timeout 30 pollinate --testing --strict -s "http://127.0.0.1:$(cat "$SW_TMP/fake.port")/" >/dev/null 2>&1 && frc=0 || frc=$?
kill "$FAKE" 2>/dev/null || true; wait "$FAKE" 2>/dev/null || true
check "pollinate rejects a wrong challenge answer" test "$frc" != 0

# Without identity (token mode only), pollinate fails.
sw_stop; sw_start --guest-identity token
timeout 30 pollinate --testing --strict -s "$GUEST_URL/" >/dev/null 2>&1 && nrc=0 || nrc=$?
check "pollinate without a token is refused" test "$nrc" != 0
sw_stop
sw_finish
