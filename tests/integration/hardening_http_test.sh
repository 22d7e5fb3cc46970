#!/usr/bin/env bash
# The HTTP listeners under the attacks of issue 10 (items 2, 3, 6), against a real `seedwell serve`:
# 2,048 idle connections from 32 addresses (plus a flood that reconnects whatever is closed) leave
# a registered guest's p99 under 100 ms; under an open-file limit of 1,024 the caps are fitted to
# it, 1,100 guest connections leave the admin /healthz, a registered guest and the EGD listener
# answering, explicit caps that cannot fit are refused at start; Host rules (RFC 9112 section 3.2)
# on both listeners. docs/security.md lists the bounds these prove.
source "$(dirname "$0")/lib.sh"

FLOOD="/usr/bin/python3 $SW_SOURCE_DIR/tests/integration/http_flood.py"
A=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
not() { ! "$@"; }
# flood NAME ARGS...: runs http_flood.py with ARGS, shows its figures, records a pass or a failure.
flood() {
  local name=$1 code=0; shift
  $FLOOD "$@" >"$SW_TMP/flood.out" 2>&1 || code=$?
  sed 's/^/  /' "$SW_TMP/flood.out"
  check "$name" test "$code" = 0
}
port_of() { sed 's/.*://' <<<"$1"; }
# raw URL REQUEST: sends REQUEST as is to URL's port; sets RESP_STATUS and RESP (the body).
raw() {
  local out
  out=$(/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode())
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("latin-1"))' "$(port_of "$1" | sed 's|/.*||')" "$2")
  RESP_STATUS=$(head -1 <<<"$out" | awk '{print $2}')
  RESP=$(sed '1,/^\r$/d' <<<"$out")
}

# --- Item 6: Host rules, on both listeners -------------------------------------------------------
sw_start
api POST /v1/instances "{\"id\":\"$A\",\"project_id\":\"p\"}"; expect_status "register" 201
TOKEN=$(jq -r .token <<<"$RESP")
for url in "$GUEST_URL/healthz" "$ADMIN_URL/healthz"; do
  RESP_STATUS=$(curl -sS -o "$SW_TMP/resp" -w '%{http_code}' -H 'Host:' "$url"); RESP=$(cat "$SW_TMP/resp")
  expect_status "no Host ($url)" 400
  check "no Host message ($url)" grep -q 'missing Host header' <<<"$RESP"
  raw "$url" $'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'  # curl sends one Host only
  expect_status "two Hosts ($url)" 400
  check "two Hosts message ($url)" grep -q 'repeated Host header' <<<"$RESP"
  RESP_STATUS=$(curl -sS -o "$SW_TMP/resp" -w '%{http_code}' -H 'Host: a b' "$url"); RESP=$(cat "$SW_TMP/resp")
  expect_status "bad Host ($url)" 400
  RESP_STATUS=$(curl -sS -o "$SW_TMP/resp" -w '%{http_code}' --http1.0 -H 'Host:' "$url"); RESP=$(cat "$SW_TMP/resp")
  check "HTTP/1.0 without Host is served ($url)" test "$RESP_STATUS" = 200
done
RESP_STATUS=$(curl -sS -o "$SW_TMP/resp" -w '%{http_code}' -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/v1/status"); RESP=$(cat "$SW_TMP/resp")
expect_status "two Authorization headers (admin)" 400

# --- Item 2: 2,048 idle connections from 32 addresses --------------------------------------------
GPORT=$(port_of "$GUEST_URL")
check "default guest cap is 2048 with a generous limit" grep -q 'guest_max_connections=2048' "$SW_LOG"
flood "idle flood: registered guest p99 < 100 ms" idle --port "$GPORT" --addresses 32 \
  --per-address 64 --token "$TOKEN" --requests 300 --max-p99-ms 100
flood "reconnecting flood: registered guest p99 < 100 ms" idle --port "$GPORT" --addresses 32 \
  --per-address 64 --reconnect --token "$TOKEN" --requests 300 --max-p99-ms 100
check "no accept failures" not grep -q 'accept failed' "$SW_LOG"
sw_stop

# --- Item 3: an open-file limit of 1,024 ----------------------------------------------------------
REAL_BIN=$SW_BIN
cat >"$SW_TMP/seedwell-1024" <<WRAP
#!/bin/sh
exec prlimit --nofile=1024:1024 "$REAL_BIN" "\$@"
WRAP
chmod +x "$SW_TMP/seedwell-1024"
SW_BIN=$SW_TMP/seedwell-1024

# Caps the operator set that cannot fit are refused at once, naming the settings.
set +e
"$SW_BIN" serve --state-dir "$SW_STATE" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --allow-kernel-only --max-connections 2048 >"$SW_TMP/refused.log" 2>&1
CODE=$?
set -e
check "explicit caps over the limit: exit 1" test "$CODE" = 1
check "the refusal names the settings" grep -q 'open-file limit 1024.*--max-connections 2048.*--admin-max-connections.*--egd-max-connections' "$SW_TMP/refused.log"

sw_start --egd-listen 127.0.0.1:0 --egd-allow-anonymous
check "caps fitted to 1024" grep -q 'open_file_limit=1024' "$SW_LOG"
EPORT=$(grep -o 'egd listener on [^ ]*' "$SW_LOG" | head -1 | sed 's/.*://')
flood "1,100 guest connections leave admin, guest and EGD answering" hold \
  --port "$(port_of "$GUEST_URL")" --addresses 18 --per-address 62 --admin-port "$(port_of "$ADMIN_URL")" \
  --token "$TOKEN" --egd-port "$EPORT" --pid "$SW_PID" --max-fds 1024
check "no accept failures under 1024" not grep -q 'accept failed' "$SW_LOG"
sw_stop
check "clean exit" test "$SW_EXIT" = 0
SW_BIN=$REAL_BIN

sw_finish
