#!/usr/bin/env bash
# Guest entropy over HTTP end to end, with curl against a real `seedwell serve` on port 0: signed
# blocks checked by an independent verifier (tests/tools/verify_block.py, PyNaCl) with negative
# cases, sealed blocks, every identity mode positive and negative, rate limits (429 +
# Retry-After), bad parameters, 405s (HEAD never draws), oversize headers, slow clients, and the
# OpenAPI contract of the guest routes.
source "$(dirname "$0")/lib.sh"

VERIFY="/usr/bin/python3 $SW_SOURCE_DIR/tests/tools/verify_block.py"
A=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
B=00000000-0000-4000-8000-0000000000b0

# gcall METHOD PATH [CURL ARGS...]: a guest call; sets RESP_STATUS, RESP (body), RESP_HEADERS.
gcall() {
  LAST_METHOD=$1
  local method=$1 path=$2; shift 2
  local m=(-X "$method"); [ "$method" = HEAD ] && m=(-I)
  RESP_STATUS=$(curl -sS "${m[@]}" -o "$SW_TMP/resp" -D "$SW_TMP/headers" -w '%{http_code}' "$@" "$GUEST_URL$path")
  RESP=$(cat "$SW_TMP/resp"); RESP_HEADERS=$(cat "$SW_TMP/headers")
}
verify() { printf '%s' "$RESP" >"$SW_TMP/block.json"; $VERIFY "$SW_TMP/keys.json" "$SW_TMP/block.json" "$@" 2>/dev/null; }
not() { ! "$@"; }
usage_of() { sleep 1.3; api GET "/v1/instances/$1/usage"; jq .bytes_issued <<<"$RESP"; }

sw_start
api POST /v1/instances "{\"id\":\"$A\",\"project_id\":\"pa\",\"name\":\"a\"}"; TA=$(jq -r .token <<<"$RESP")
api POST /v1/instances "{\"id\":\"$B\",\"project_id\":\"pb\"}"; TB=$(jq -r .token <<<"$RESP")
AUTH=(-H "Authorization: Bearer $TA")

# Keys on the guest listener, without a token.
gcall GET /v1/keys; expect_status "guest keys" 200; contract /v1/keys
printf '%s' "$RESP" >"$SW_TMP/keys.json"

# A signed block (batched signatures by default), verified independently.
NONCE=00112233445566778899aabbccddeeff
gcall GET "/v1/entropy?bytes=64&nonce=$NONCE" "${AUTH[@]}"; expect_status "entropy" 200; contract /v1/entropy
check "64 bytes" test "$(jq -r .data <<<"$RESP" | base64 -d | wc -c)" = 64
check "nonce echoed" test "$(jq -r .nonce <<<"$RESP")" = "$NONCE"
check "no-store" grep -qi '^cache-control: no-store' <<<"$RESP_HEADERS"
check "verifies" verify --instance "$A" --nonce "$NONCE"
GOOD=$RESP
RESP=$(jq -c '.data |= (@base64d | explode | .[0] = ((.[0] + 1) % 256) | implode | @base64)' <<<"$GOOD" 2>/dev/null || true)
[ -n "$RESP" ] || RESP=$(jq -c '.data = "AAAA" + .data[4:]' <<<"$GOOD")
check "flipped data byte fails" not verify
RESP=$(jq -c '.instance_id = "'$B'"' <<<"$GOOD"); check "other instance fails" not verify
RESP=$GOOD; check "expected other instance fails" not verify --instance "$B"
RESP=$(jq -c '.nonce = "00"' <<<"$GOOD"); check "other nonce fails" not verify
RESP=$GOOD; check "expected other nonce fails" not verify --nonce 00
RESP=$(jq -c '.issued_at_unix_ms += 1' <<<"$GOOD"); check "other time fails" not verify
RESP=$(jq -c '.sealed = true' <<<"$GOOD"); check "sealed flag flip fails" not verify
jq '.keys[].state = "retired"' "$SW_TMP/keys.json" >"$SW_TMP/keys-retired.json"
RESP=$GOOD; printf '%s' "$RESP" >"$SW_TMP/block.json"
check "retired key fails" not $VERIFY "$SW_TMP/keys-retired.json" "$SW_TMP/block.json" 2>/dev/null
gcall GET /v1/entropy "${AUTH[@]}"
check "server-chosen nonce is 16 bytes" test "$(jq -r .nonce <<<"$RESP" | wc -c)" = 33
check "default 64 bytes" test "$(jq -r .data <<<"$RESP" | base64 -d | wc -c)" = 64
check "server-nonce block verifies" verify
gcall POST /v1/entropy "${AUTH[@]}" --data "bytes=32&nonce=aa"; expect_status "POST form" 200; contract /v1/entropy
check "POST block verifies" verify --nonce aa
check "POST 32 bytes" test "$(jq -r .data <<<"$RESP" | base64 -d | wc -c)" = 32

# Concurrent requests share batches; every block still verifies on its own.
pids=()
for i in $(seq 1 40); do
  curl -s "${AUTH[@]}" "$GUEST_URL/v1/entropy?bytes=16&nonce=$(printf %02x "$i")" -o "$SW_TMP/c$i.json" &
  pids+=($!)
done
wait "${pids[@]}"
bad=0; batched=0
for i in $(seq 1 40); do
  $VERIFY "$SW_TMP/keys.json" "$SW_TMP/c$i.json" --nonce "$(printf %02x "$i")" 2>/dev/null || bad=$((bad + 1))
  if [ "$(jq .batch.leaf_count "$SW_TMP/c$i.json")" -gt 1 ]; then batched=$((batched + 1)); fi
done
check "40 concurrent blocks verify" test "$bad" = 0
echo "info: $batched of 40 concurrent blocks were in batches of more than one"

# Octet-stream: raw bytes, binding in headers.
gcall GET "/v1/entropy?bytes=48&nonce=beef" "${AUTH[@]}" -H 'Accept: application/octet-stream'
expect_status "octets" 200
check "48 raw bytes" test "$(wc -c <"$SW_TMP/resp")" = 48
hdr() { grep -i "^$1:" <<<"$RESP_HEADERS" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
RESP=$(jq -cn --arg id "$(hdr Seedwell-Instance-Id)" --arg n "$(hdr Seedwell-Nonce)" --arg k "$(hdr Seedwell-Kid)" \
  --argjson t "$(hdr Seedwell-Issued-At-Unix-Ms)" --arg d "$(base64 -w0 "$SW_TMP/resp")" \
  --arg rs "$(hdr Seedwell-Batch-Root-Signature)" --argjson li "$(hdr Seedwell-Batch-Leaf-Index)" \
  --argjson lc "$(hdr Seedwell-Batch-Leaf-Count)" --arg p "$(hdr Seedwell-Batch-Path)" \
  '{instance_id:$id, nonce:$n, kid:$k, issued_at_unix_ms:$t, sealed:false, data:$d,
    batch:{root_signature:$rs, leaf_index:$li, leaf_count:$lc, path:($p | split(",") | map(select(. != "")))}}')
check "octet block verifies from headers" verify --nonce beef --instance "$A"
gcall GET /v1/entropy "${AUTH[@]}" -H 'Accept: text/html'; expect_status "unacceptable Accept" 406

# Bad parameters.
for q in bytes=0 bytes=-1 bytes=1e12 bytes=abc bytes= bytes=4097 'bytes=1&bytes=2' nonce=xyz nonce=abc \
  "nonce=$(printf 'a%.0s' $(seq 1 130))" 'nonce=aa&nonce=bb' colour=red recipient=notakey; do
  gcall GET "/v1/entropy?$q" "${AUTH[@]}"; expect_status "bad parameter $q" 400
done
contract /v1/entropy

# Methods: HEAD never draws entropy; other methods 405 with Allow.
before=$(usage_of "$A")
gcall HEAD /v1/entropy "${AUTH[@]}"; check "HEAD entropy 405" test "$RESP_STATUS" = 405
gcall HEAD /openstack/latest/meta_data.json "${AUTH[@]}"; check "HEAD meta_data 405" test "$RESP_STATUS" = 405
gcall HEAD "/?challenge=x" "${AUTH[@]}"; check "HEAD pollen 405" test "$RESP_STATUS" = 405
check "HEAD drew nothing" test "$(usage_of "$A")" = "$before"
# So far A drew only blocks (64 + 64 + 32 + 40 * 16 + 48 bytes), all counted under http.
check "usage counted under http alone" \
  usage_until "$A" '.bytes_by_transport == {http: .bytes_issued} and .bytes_issued >= 848'
contract "/v1/instances/{id}/usage"
gcall PUT /v1/entropy "${AUTH[@]}"; expect_status "PUT 405" 405
check "Allow lists GET, POST" grep -qi '^allow: .*GET.*POST' <<<"$RESP_HEADERS"
gcall DELETE / "${AUTH[@]}"; expect_status "DELETE / 405" 405
gcall GET /v1/instances -H "Authorization: Bearer $ADMIN_TOKEN"; expect_status "no admin routes on the guest listener" 404
gcall POST /v1/keys/rotate -H "Authorization: Bearer $ADMIN_TOKEN"; check "no key rotation on guest" test "$RESP_STATUS" -ge 400

# Token identity: missing, malformed, unknown, other instance, rotated, revoked.
gcall GET /v1/entropy; expect_status "no token" 401; contract /v1/entropy
check "WWW-Authenticate" grep -qi '^www-authenticate: Bearer' <<<"$RESP_HEADERS"
gcall GET /v1/entropy -H 'Authorization: Bearer nonsense'; expect_status "malformed token" 401
gcall GET /v1/entropy -H "Authorization: Bearer swi_$(printf 'A%.0s' $(seq 1 49))"; expect_status "unknown token" 401
gcall GET /v1/entropy -H "Authorization: Basic Zm9vOmJhcg=="; expect_status "basic auth" 401
gcall GET /v1/entropy "${AUTH[@]}" "${AUTH[@]}"; expect_status "two Authorization headers" 400
gcall GET "/v1/entropy?nonce=cc" -H "Authorization: Bearer $TB"; expect_status "other instance token" 200
check "B's token gives a B block" verify --instance "$B"
check "B's block is not A's" not verify --instance "$A"
api POST "/v1/instances/$B/token"; TB2=$(jq -r .token <<<"$RESP")
gcall GET /v1/entropy -H "Authorization: Bearer $TB"; expect_status "rotated-out token" 401
gcall GET /v1/entropy -H "Authorization: Bearer $TB2"; expect_status "new token" 200
api DELETE "/v1/instances/$B"
gcall GET /v1/entropy -H "Authorization: Bearer $TB2"; expect_status "revoked" 403; contract /v1/entropy
gcall GET /openstack/latest/meta_data.json -H "Authorization: Bearer $TB2"; expect_status "revoked metadata" 403
gcall POST / -H "Authorization: Bearer $TB2" --data challenge=abc; expect_status "revoked pollen" 403

# Sealed blocks: opened with the instance's key, not with another.
KP=$("$SW_BIN" keygen sealing-key); PUB=$(awk '/^public_key/ {print $2}' <<<"$KP"); SEC=$(awk '/^secret_key/ {print $2}' <<<"$KP")
OTHER=$("$SW_BIN" keygen sealing-key | awk '/^secret_key/ {print $2}')
OTHERPUB=$("$SW_BIN" keygen sealing-key | awk '/^public_key/ {print $2}')
api PATCH "/v1/instances/$A" "{\"sealing_public_key\":\"$PUB\"}"; expect_status "register sealing key" 200
gcall GET "/v1/entropy?bytes=64&nonce=5e" "${AUTH[@]}"; expect_status "sealed" 200; contract /v1/entropy
check "sealed flag" test "$(jq .sealed <<<"$RESP")" = true
check "box is 48 bytes longer" test "$(jq -r .data <<<"$RESP" | base64 -d | wc -c)" = 112
check "sealed block verifies and opens to 64 bytes" test "$(verify --open "$SEC")" = 64
check "another key cannot open it" not verify --open "$OTHER"
gcall GET "/v1/entropy?recipient=$(jq -rn --arg k "$PUB" '$k|@uri')" "${AUTH[@]}"; expect_status "naming own key" 200
gcall GET "/v1/entropy?recipient=$(jq -rn --arg k "$OTHERPUB" '$k|@uri')" "${AUTH[@]}"; expect_status "naming another key" 422
api PATCH "/v1/instances/$A" '{"sealing_public_key":null}'

# Rate limit: 429 with Retry-After, counted in the instance's usage.
api PATCH "/v1/instances/$A" '{"rate_limit":{"bytes_per_second":64,"burst_bytes":128}}'
gcall GET "/v1/entropy?bytes=128" "${AUTH[@]}"; expect_status "within burst" 200
gcall GET "/v1/entropy?bytes=64" "${AUTH[@]}"; expect_status "over the limit" 429; contract /v1/entropy
check "Retry-After" grep -qi '^retry-after: [1-9]' <<<"$RESP_HEADERS"
gcall GET /openstack/latest/meta_data.json "${AUTH[@]}"; expect_status "metadata rate limited" 429
gcall POST / "${AUTH[@]}" --data challenge=abc; expect_status "pollen rate limited" 429
api PATCH "/v1/instances/$A" '{"rate_limit":null}'

# OpenStack paths.
gcall GET /openstack; expect_status "versions" 200
check "2018-08-27 then latest" test "$(tail -n2 <<<"$RESP" | tr '\n' ' ')" = "2018-08-27 latest "
gcall GET /openstack/2018-08-27; expect_status "file list" 200
check "lists meta_data.json" grep -qx meta_data.json <<<"$RESP"
gcall GET /openstack/1999-01-01; expect_status "unknown version" 404
gcall GET /openstack/1999-01-01/meta_data.json "${AUTH[@]}"; expect_status "unknown version doc" 404
gcall GET /openstack/latest/user_data "${AUTH[@]}"; expect_status "no user_data" 404
gcall GET /openstack/latest/meta_data.json; expect_status "metadata without identity" 401
gcall GET /openstack/2018-08-27/meta_data.json "${AUTH[@]}"; expect_status "meta_data" 200
check "uuid" test "$(jq -r .uuid <<<"$RESP")" = "$A"
check "512-byte padded seed" test "$(jq -r .random_seed <<<"$RESP" | base64 -d | wc -c)" = 512
check "seedwell key" test "$(jq -r .seedwell.key_id <<<"$RESP")" = "$(jq -r '.keys[-1].kid' "$SW_TMP/keys.json")"
S1=$(jq -r .random_seed <<<"$RESP")
gcall GET /openstack/2018-08-27/meta_data.json "${AUTH[@]}"
check "fresh seed each GET" test "$(jq -r .random_seed <<<"$RESP")" != "$S1"
gcall GET /openstack/latest/network_data.json "${AUTH[@]}"; expect_status "network_data" 200
gcall GET /openstack/latest/vendor_data.json "${AUTH[@]}"; expect_status "vendor_data" 200

# pollen protocol with curl (pollinate itself runs in guest_clients_test.sh).
CH=$(head -c 64 /dev/urandom | sha512sum | awk '{print $1}')
gcall POST / "${AUTH[@]}" --data "challenge=$CH"; expect_status "pollen" 200
check "pollen line 1" test "$(head -n1 <<<"$RESP")" = "$(printf %s "$CH" | sha512sum | awk '{print $1}')"
check "pollen 258 bytes" test "$(wc -c <"$SW_TMP/resp")" = 258
check "pollen line 2 hex" grep -Eqx '[0-9a-f]{128}' <<<"$(sed -n 2p <<<"$RESP")"
gcall GET "/?challenge=$CH" "${AUTH[@]}"; expect_status "pollen GET" 200
gcall POST / "${AUTH[@]}"; expect_status "pollen without challenge" 400
gcall POST / "${AUTH[@]}" --data "challenge=$(head -c 600 /dev/zero | tr '\0' a)"; expect_status "oversize challenge body" 413
gcall GET "/?challenge=$(head -c 600 /dev/zero | tr '\0' a)" "${AUTH[@]}"; expect_status "oversize challenge" 400
gcall POST / --data "challenge=$CH"; expect_status "pollen without identity" 401

# A's usage per transport: blocks, two 512-byte metadata seeds and pollen, each counted apart.
check "usage split by transport" usage_until "$A" '(.bytes_by_transport | keys) == ["http", "openstack", "pollen"]
  and .bytes_by_transport.openstack >= 1024 and .bytes_by_transport.pollen >= 64
  and .bytes_by_transport.http >= 848 and (.bytes_by_transport | add) == .bytes_issued'
contract "/v1/instances/{id}/usage"

# Oversize headers, too many headers, oversize body.
gcall GET /v1/entropy "${AUTH[@]}" -H "X-Big: $(head -c 6000 /dev/zero | tr '\0' a)"
check "long header line refused" test "$RESP_STATUS" -ge 400 -a "$RESP_STATUS" -lt 500
hdrs=(); for i in $(seq 1 100); do hdrs+=(-H "X-H$i: v"); done
gcall GET /v1/entropy "${AUTH[@]}" "${hdrs[@]}"; check "100 headers refused" test "$RESP_STATUS" = 431
gcall POST /v1/entropy "${AUTH[@]}" --data "nonce=$(head -c 3000 /dev/zero | tr '\0' a)"; expect_status "oversize body" 413

# Slow clients: 100 connections dribbling a request leave other guests served promptly, and are
# cut at the request deadline.
cat >"$SW_TMP/slow.py" <<'PY'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.create_connection((host, port)); s.sendall(b"GET /v1/entropy HTTP/1.1\r\nHost: x\r\n"); socks.append(s)
time.sleep(float(sys.argv[4]))
closed = 0
for s in socks:
    try:
        s.settimeout(0.5); s.sendall(b"X-A: b\r\n"); d = s.recv(4096)
        closed += 1 if (not d or b" 408 " in d or b" 503 " in d) else 0
    except OSError:
        closed += 1
print(closed)
PY
HP=${GUEST_URL#http://}
sw_stop; sw_start --max-connections-per-peer 400 --request-timeout-ms 1500
gcall GET /v1/keys; printf '%s' "$RESP" >"$SW_TMP/keys.json"
/usr/bin/python3 "$SW_TMP/slow.py" "$(cut -d: -f1 <<<"${GUEST_URL#http://}")" "${GUEST_URL##*:}" 100 3 >"$SW_TMP/slow.out" &
SLOW=$!
sleep 0.5
t0=$(date +%s%N)
gcall GET /v1/entropy "${AUTH[@]}"; expect_status "served during slow clients" 200
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "served within 500 ms (took $ms ms)" test "$ms" -lt 500
wait "$SLOW"
check "slow clients cut at the deadline" test "$(cat "$SW_TMP/slow.out")" = 100

# Neutron metadata proxy identity.
sw_stop
printf 'proxy-secret\n' >"$SW_TMP/secret"
"$SW_BIN" serve --state-dir "$SW_TMP/x" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --allow-kernel-only --guest-identity token,proxy >"$SW_TMP/noproxy.log" 2>&1 && rc=0 || rc=$?
check "proxy mode refuses to start without a secret" test "$rc" -ne 0
sw_start --guest-identity token,proxy --guest-proxy-secret-file "$SW_TMP/secret"
gcall GET /v1/keys; printf '%s' "$RESP" >"$SW_TMP/keys.json"
SIG=$(printf %s "$A" | openssl dgst -sha256 -hmac proxy-secret | awk '{print $NF}')
PX=(-H "X-Instance-ID: $A" -H "X-Tenant-ID: pa" -H "X-Forwarded-For: 10.0.0.7")
gcall GET "/v1/entropy?nonce=01" "${PX[@]}" -H "X-Instance-ID-Signature: $SIG"; expect_status "proxy" 200
check "proxy block for A" verify --instance "$A" --nonce 01
gcall GET /openstack/latest/meta_data.json "${PX[@]}" -H "X-Instance-ID-Signature: $SIG"; expect_status "proxy metadata" 200
FORGED=$(printf %s "$A" | openssl dgst -sha256 -hmac wrong | awk '{print $NF}')
gcall GET /v1/entropy "${PX[@]}" -H "X-Instance-ID-Signature: $FORGED"; expect_status "forged proxy signature" 403
gcall GET /v1/entropy "${PX[@]}"; expect_status "missing signature" 400
gcall GET /v1/entropy -H "X-Instance-ID: $A" -H "X-Instance-ID-Signature: $SIG"; expect_status "missing tenant" 400
gcall GET /v1/entropy "${PX[@]}" -H "X-Instance-ID: $A" -H "X-Instance-ID-Signature: $SIG"; expect_status "duplicated instance id" 400
gcall GET /v1/entropy -H "X-Instance-ID: $A" -H "X-Tenant-ID: other" -H "X-Instance-ID-Signature: $SIG"; expect_status "tenant mismatch" 404
SIGB=$(printf %s "$B" | openssl dgst -sha256 -hmac proxy-secret | awk '{print $NF}')
gcall GET /v1/entropy -H "X-Instance-ID: $B" -H "X-Tenant-ID: pb" -H "X-Instance-ID-Signature: $SIGB"; expect_status "proxy revoked" 403

# Source-address identity and X-Forwarded-For trust.
sw_stop
sw_start --guest-identity source-address
api POST /v1/instances '{"id":"00000000-0000-4000-8000-0000000000c0","project_id":"pc","allowed_cidrs":["10.9.9.9/32"]}'
gcall GET /v1/keys; printf '%s' "$RESP" >"$SW_TMP/keys.json"
gcall GET /v1/entropy; expect_status "unregistered source" 401
gcall GET /v1/entropy -H "X-Forwarded-For: 10.9.9.9"; expect_status "spoofed XFF from untrusted peer ignored" 401
api POST /v1/instances '{"id":"00000000-0000-4000-8000-0000000000d0","project_id":"pd","allowed_cidrs":["127.0.0.1/32"]}'
gcall GET /v1/entropy; expect_status "registered source" 200
check "block for the source's instance" verify --instance 00000000-0000-4000-8000-0000000000d0
sw_stop; sw_start --guest-identity source-address --guest-untrusted-forwarded-for refuse
gcall GET /v1/entropy -H "X-Forwarded-For: 10.9.9.9"; expect_status "XFF from untrusted peer refused" 403
sw_stop; sw_start --guest-identity source-address --guest-trusted-proxies 127.0.0.0/8
gcall GET /v1/entropy -H "X-Forwarded-For: 10.9.9.9"; expect_status "XFF from trusted proxy" 200
check "XFF identified the forwarded instance" test "$(jq -r .instance_id <<<"$RESP")" = 00000000-0000-4000-8000-0000000000c0
gcall GET /v1/entropy -H "X-Forwarded-For: 10.9.9.9, 10.1.1.1"; expect_status "rightmost untrusted hop decides" 401
gcall GET /v1/entropy -H "X-Forwarded-For: junk"; expect_status "malformed XFF" 400

# Anonymous access: only when allowed, strictly rate-limited per source.
sw_stop; sw_start --guest-allow-anonymous --guest-anonymous-burst-bytes 100 --guest-anonymous-rate-bytes-per-second 1 --guest-signing direct
gcall GET /v1/keys; printf '%s' "$RESP" >"$SW_TMP/keys.json"
gcall GET "/v1/entropy?bytes=64"; expect_status "anonymous" 200
check "anonymous block bound to the source" test "$(jq -r .instance_id <<<"$RESP")" = anonymous:127.0.0.1
check "direct signature" test "$(jq -r 'has("signature")' <<<"$RESP")" = true
check "direct block verifies" verify
gcall GET "/v1/entropy?bytes=64"; expect_status "anonymous limit" 429
gcall GET /openstack/latest/meta_data.json; expect_status "anonymous gets no metadata" 401

sw_stop
check "clean exit" test "$SW_EXIT" = 0
sw_contract_check
sw_finish
