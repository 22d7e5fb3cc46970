#!/usr/bin/env bash
# Bounds on what an untrusted peer controls (docs/security.md), against a real `seedwell serve`:
# JSON nesting in admin bodies (curl), request methods as metric labels (raw sockets), and the
# minimum charge per request on the HTTP and EGD transports (curl, the EGD test client).
source "$(dirname "$0")/lib.sh"

EGD_DIR=$SW_TMP/egd
mkdir -p "$EGD_DIR"
# A burst of 1,024 bytes that refills at 1 byte/s: with the default minimum charge of 64 bytes a
# request, an instance gets 1024 / 64 = 16 requests of one byte, not 1,024.
sw_start --rate-bytes-per-second 1 --rate-burst-bytes 1024 --egd-socket-dir "$EGD_DIR"
EGD="/usr/bin/python3 $SW_SOURCE_DIR/tests/integration/egd_client.py"

nested() {  # nested DEPTH: DEPTH nested JSON arrays
  printf '[%.0s' $(seq "$1"); printf ']%.0s' $(seq "$1")
}

# --- 1. Deep JSON in instance create ---------------------------------------------------------
ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
printf '{"id":"%s","project_id":"p","metadata":%s}' "$ID" "$(nested 60000)" >"$SW_TMP/deep60k.json"
printf '{"id":"%s","project_id":"p","metadata":%s}' "$ID" "$(nested 30000)" >"$SW_TMP/deep30k.json"
post_file() {  # post_file PATH FILE: admin POST of a JSON file
  RESP_STATUS=$(curl -sS -o "$SW_TMP/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' --data-binary @"$2" "$ADMIN_URL$1")
  RESP=$(cat "$SW_TMP/resp")
}
post_file /v1/instances "$SW_TMP/deep60k.json"
expect_status "create, 60,000 deep (117 KB: over the 64 KiB admin limit)" 413
post_file /v1/instances "$SW_TMP/deep30k.json"
expect_status "create, 30,000 deep (under the limit)" 400
check "create, deep: the message names the bound" grep -q 'deeper than 64 levels' <<<"$RESP"
post_file /v1/vendordata "$SW_TMP/deep30k.json"
expect_status "vendordata, 30,000 deep" 400
check "deep: admin still answers" test "$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN_URL/healthz")" = 200
check "deep: guest still answers" test "$(curl -s -o /dev/null -w '%{http_code}' "$GUEST_URL/healthz")" = 200
check "deep: the process lives" kill -0 "$SW_PID"

# --- 5. Invented methods add no metric series ------------------------------------------------
series() {
  curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics" | grep -c '^seedwell_http_requests_total{'
}
/usr/bin/python3 - "$GUEST_URL" 5 <<'PY' >/dev/null
import socket, sys
host, port = sys.argv[1].removeprefix("http://").rsplit(":", 1)
for i in range(int(sys.argv[2])):
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"WARMUP%d / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % i)
        while s.recv(65536):
            pass
PY
series >/dev/null  # the first scrape adds its own series (GET /metrics 200)
BEFORE=$(series)
START=$(date +%s)
SENT=$(/usr/bin/python3 - "$GUEST_URL" 2000 <<'PY'
import socket, sys, time
host, port = sys.argv[1].removeprefix("http://").rsplit(":", 1)
deadline, sent = time.monotonic() + 60, 0
for i in range(int(sys.argv[2])):
    if time.monotonic() > deadline:
        break
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"INVENTED%d / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % i)
        reply = s.recv(65536)
        while s.recv(65536):
            pass
        sent += reply.startswith(b"HTTP/1.1 ")
print(sent)
PY
)
check "2,000 invented methods answered" test "$SENT" = 2000
check "2,000 invented methods add no series" test "$(series)" = "$BEFORE"
check "they are counted as method=\"other\"" bash -c "curl -sf -H 'Authorization: Bearer $ADMIN_TOKEN' '$ADMIN_URL/metrics' | grep -q 'method=\"other\"'"
check "no invented method reaches /metrics" bash -c "! curl -sf -H 'Authorization: Bearer $ADMIN_TOKEN' '$ADMIN_URL/metrics' | grep -q INVENTED"
echo "invented methods: $SENT requests in $(( $(date +%s) - START )) s, series before=$BEFORE after=$(series)"

# --- 8. A minimum charge per request, on every transport --------------------------------------
create() {  # create ID: registers the instance, sets TOKEN
  api POST /v1/instances "{\"id\":\"$1\",\"project_id\":\"p\"}"; TOKEN=$(jq -r .token <<<"$RESP")
}
http_ones() {  # http_ones TOKEN MAX: one-byte entropy requests until the first 429; prints the count
  local i n=0 code
  for i in $(seq "$2"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$GUEST_URL/v1/entropy?bytes=1")
    [ "$code" = 200 ] || break
    n=$((n + 1))
  done
  echo "$n"
}
H=11111111-0000-4000-8000-000000000001
create "$H"
check "HTTP: 16 one-byte requests fit a 1,024-byte burst" test "$(http_ones "$TOKEN" 40)" = 16
E=11111111-0000-4000-8000-000000000002
create "$E"
for i in $(seq 50); do [ -S "$EGD_DIR/$E.sock" ] && break; sleep 0.1; done
check "EGD: 16 one-byte reads fit a 1,024-byte burst" test "$($EGD "$EGD_DIR/$E.sock" nonblocking 40 1)" = 16
M=11111111-0000-4000-8000-000000000003
create "$M"
for i in $(seq 50); do [ -S "$EGD_DIR/$M.sock" ] && break; sleep 0.1; done
check "HTTP then EGD share one bucket: 8 + 8" test "$(http_ones "$TOKEN" 8)/$($EGD "$EGD_DIR/$M.sock" nonblocking 40 1)" = 8/8
usage_until "$H" '.bytes_issued == 16'
check "usage counts the bytes handed out, not the charge" test "$(jq .bytes_issued <<<"$RESP")" = 16

sw_stop
sw_start --rate-bytes-per-second 1 --rate-burst-bytes 1024 --rate-min-charge-bytes 0
create 11111111-0000-4000-8000-000000000004
check "--rate-min-charge-bytes 0: one-byte requests cost one byte" test "$(http_ones "$TOKEN" 40)" = 40

sw_finish
