#!/usr/bin/env bash
# Nova's dynamic vendordata client against a real `seedwell serve`: the nova.conf lines of
# docs/nova.md, loaded by oslo.config and keystoneauth1 (the libraries Nova uses), send the exact
# request Nova sends (nova_vendordata_client.py). Checks the vendordata credential (X-Auth-Token,
# constant-time hash check, nothing else it opens), the no-auth case, and that repeated calls for
# one instance keep the guest's token working, across a restart too.
source "$(dirname "$0")/lib.sh"

NOVA=$SW_SOURCE_DIR/tests/integration/nova_vendordata_client.py
ID=2f9c7a3e-6b1d-4e8f-9a0b-1c2d3e4f5a6b
KEYGEN=$("$SW_BIN" keygen vendordata-token)
VD_TOKEN=$(awk '/^token:/ {print $2}' <<<"$KEYGEN")
VD_HASH=$(awk '/^hash:/ {print $2}' <<<"$KEYGEN")
check "keygen vendordata-token: swv_ token" grep -q '^swv_' <<<"$VD_TOKEN"
check "keygen: the hash is sha256 of the token" test "$(printf %s "$VD_TOKEN" | sha256sum | cut -d' ' -f1)" = "$VD_HASH"

sw_start --vendordata-token-hash "$VD_HASH"

# nova_conf FILE TOKEN: the nova.conf lines of docs/nova.md, pointed at this server; TOKEN empty
# leaves out [vendordata_dynamic_auth] (Nova then sends no token).
nova_conf() {
  sed -n '/<!-- nova.conf begin -->/,/<!-- nova.conf end -->/p' "$SW_SOURCE_DIR/docs/nova.md" |
    grep -v '^<!--\|^```' |
    sed "s#https://seedwell-admin.example:8081#$ADMIN_URL#; s#swv_PUT_THE_TOKEN_HERE#$2#" >"$1"
  if [ -z "$2" ]; then sed -i '/^\[vendordata_dynamic_auth\]/,$d' "$1"; fi
}
nova_call() {  # nova_call CONF: sets NOVA_OUT to the reply line of the seedwell target
  NOVA_OUT=$(/usr/bin/python3 "$NOVA" "$1" "$ID" proj-1 web-1 2>"$SW_TMP/nova.err" | jq -c 'select(.name=="seedwell")') || true
  RESP=$NOVA_OUT; RESP_STATUS=$(jq -r .status <<<"$NOVA_OUT")
}
nova_conf "$SW_TMP/nova.conf" "$VD_TOKEN"
check "docs/nova.md has the nova.conf block" grep -q '^vendordata_dynamic_targets = seedwell@' "$SW_TMP/nova.conf"

nova_call "$SW_TMP/nova.conf"
check "Nova's call: 200" test "$RESP_STATUS" = 200
check "Nova sent X-Auth-Token (keystoneauth admin_token)" test "$(jq -r '.sent_headers["X-Auth-Token"]' <<<"$NOVA_OUT")" = "$VD_TOKEN"
check "Nova sent its JSON headers" test "$(jq -r '.sent_headers["Content-Type"] + "|" + .sent_headers.Accept' <<<"$NOVA_OUT")" = "application/json|application/json"
check "reply: instance token, key, URL" jq -e '.body | (.token|startswith("swi_")) and .instance_id == "'"$ID"'" and (.public_key|length>0) and (.service_url|startswith("http"))' <<<"$NOVA_OUT"
GUEST_TOKEN=$(jq -r .body.token <<<"$NOVA_OUT")
api GET "/v1/instances/$ID"; expect_status "registered by Nova" 200
check "hostname and metadata from Nova's body" test "$(jq -r '.hostname + "|" + .metadata.role' <<<"$RESP")" = "web-1|web"

# Nova calls again whenever its metadata cache expires: the guest's token must keep working.
for i in 1 2 3; do
  nova_call "$SW_TMP/nova.conf"
  check "repeat $i: 200, same token" test "$RESP_STATUS/$(jq -r .body.token <<<"$NOVA_OUT")" = "200/$GUEST_TOKEN"
done
guest_status() {
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$GUEST_URL/v1/entropy?bytes=32"
}
check "the guest's token still draws entropy" test "$(guest_status "$GUEST_TOKEN")" = 200

# What the vendordata credential does not open, and what does not open vendordata.
for route in /v1/instances "/v1/instances/$ID" /v1/status /metrics; do
  check "vendordata token as X-Auth-Token on $route: 401" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $VD_TOKEN" "$ADMIN_URL$route")" = 401
  check "vendordata token as Bearer on $route: 401" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $VD_TOKEN" "$ADMIN_URL$route")" = 401
done
BODY="{\"project-id\":\"proj-1\",\"instance-id\":\"$ID\"}"
vd_curl() {  # vd_curl HEADER...: POST the vendordata body with these headers; sets RESP_STATUS/RESP
  RESP_STATUS=$(curl -s -o "$SW_TMP/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@" \
    --data-binary "$BODY" "$ADMIN_URL/v1/vendordata"); RESP=$(cat "$SW_TMP/resp")
}
vd_curl -H "X-Auth-Token: $("$SW_BIN" keygen vendordata-token | awk '/^token:/ {print $2}')"
expect_status "another vendordata token" 401
vd_curl -H "X-Auth-Token: swv_short"; expect_status "malformed X-Auth-Token" 401
vd_curl -H "X-Auth-Token: $GUEST_TOKEN"; expect_status "an instance token" 401
vd_curl -H "Authorization: Bearer $VD_TOKEN"; expect_status "vendordata token as Bearer" 200
vd_curl -H "Authorization: Bearer $ADMIN_TOKEN"; expect_status "admin token as Bearer" 200
vd_curl -H "X-Auth-Token: $ADMIN_TOKEN"; expect_status "admin token as X-Auth-Token" 200
check "all of them returned the guest's token" test "$(jq -r .token <<<"$RESP")" = "$GUEST_TOKEN"

# Nova without [vendordata_dynamic_auth] sends no token ("Passing insecure dynamic vendordata
# requests"): refused; Nova logs the error and serves the guest no seedwell credentials.
nova_conf "$SW_TMP/nova-noauth.conf" ""
nova_call "$SW_TMP/nova-noauth.conf"
check "Nova without auth: 401" test "$RESP_STATUS" = 401
check "Nova without auth sent no token" test "$(jq -r '.sent_headers | has("X-Auth-Token")' <<<"$NOVA_OUT")" = false
check "Nova without auth: JSON error" jq -e '.body.error.code == "unauthenticated"' <<<"$NOVA_OUT"

# An admin rotation (after a leak) retires the token; Nova's next call hands out a new, stable one.
api POST "/v1/instances/$ID/token"; expect_status "admin rotation" 200
nova_call "$SW_TMP/nova.conf"
NEW_TOKEN=$(jq -r .body.token <<<"$NOVA_OUT")
check "after rotation: a new token" test "$NEW_TOKEN" != "$GUEST_TOKEN"
check "the leaked token is dead" test "$(guest_status "$GUEST_TOKEN")" = 401
nova_call "$SW_TMP/nova.conf"
check "after rotation: stable again" test "$(jq -r .body.token <<<"$NOVA_OUT")" = "$NEW_TOKEN"

# A restart (same state dir; the credential now from a file) keeps the guest's token.
sw_stop
printf '%s\n' "$VD_TOKEN" >"$SW_TMP/vendordata-token"; chmod 600 "$SW_TMP/vendordata-token"
sw_start --vendordata-token-file "$SW_TMP/vendordata-token"
check "token-key is 0600" test "$(stat -c %a "$SW_STATE/token-key")" = 600
nova_conf "$SW_TMP/nova.conf" "$VD_TOKEN"  # the new admin port
nova_call "$SW_TMP/nova.conf"
check "after restart: same token" test "$RESP_STATUS/$(jq -r .body.token <<<"$NOVA_OUT")" = "200/$NEW_TOKEN"
check "after restart: the guest's token works" test "$(guest_status "$NEW_TOKEN")" = 200
cat "$SW_TMP"/serve.*.log >"$SW_TMP/all.log"
check "the logs were read" grep -q 'event=vendordata' "$SW_TMP/all.log"
check "no token reaches the log" bash -c '! grep -qF -e "$1" -e "$2" -e "$3" "$4"' _ \
  "$NEW_TOKEN" "$GUEST_TOKEN" "$VD_TOKEN" "$SW_TMP/all.log"

sw_stop
check "both flags at once are refused" bash -c '! timeout 10 "$@" >/dev/null 2>&1' _ "$SW_BIN" serve --state-dir "$SW_STATE" \
  --vendordata-token-file "$SW_TMP/vendordata-token" --vendordata-token-hash "$VD_HASH" --allow-kernel-only
sw_finish
