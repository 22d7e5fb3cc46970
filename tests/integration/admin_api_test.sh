#!/usr/bin/env bash
# The orchestration REST API end to end, with curl against a real `seedwell serve` on port 0:
# the instance life cycle, every error code, keys, status, metrics (promtool), the OpenAPI contract,
# concurrent creates, restart with the same state dir, and SIGTERM during requests.
source "$(dirname "$0")/lib.sh"

ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
sw_start

# Health on both listeners, without a token.
check "guest /healthz" curl -sf "$GUEST_URL/healthz" -o /dev/null
check "admin /readyz" curl -sf "$ADMIN_URL/readyz" -o /dev/null
check "admin token file is 0600" test "$(stat -c %a "$SW_STATE/admin-token")" = 600
check "guest listener has no admin routes" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN_TOKEN" "$GUEST_URL/v1/instances")" = 404

# Authentication.
RESP_STATUS=$(curl -s -o "$SW_TMP/resp" -w '%{http_code}' "$ADMIN_URL/v1/instances"); RESP=$(cat "$SW_TMP/resp")
expect_status "no token" 401
RESP_STATUS=$(curl -s -o "$SW_TMP/resp" -w '%{http_code}' -H 'Authorization: Bearer swa_wrong' "$ADMIN_URL/v1/instances"); RESP=$(cat "$SW_TMP/resp")
expect_status "wrong token" 401

# Create, get, duplicate.
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"p1\",\"name\":\"web-1\",\"hostname\":\"web-1.internal\",\"availability_zone\":\"az1\",\"metadata\":{\"role\":\"web\"},\"allowed_cidrs\":[\"10.0.0.5/32\"]}"
expect_status "create" 201; contract /v1/instances
TOKEN1=$(jq -r .token <<<"$RESP")
check "token has its prefix" grep -q '^swi_' <<<"$TOKEN1"
api GET "/v1/instances/$ID"; expect_status "get" 200; contract "/v1/instances/{id}"
check "get returns fields" test "$(jq -r '.name + "|" + .state + "|" + .metadata.role' <<<"$RESP")" = "web-1|active|web"
check "get never shows a token" test "$(jq 'has("token")' <<<"$RESP")" = false
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"p1\"}"; expect_status "duplicate" 409; contract /v1/instances

# Bad requests.
api POST /v1/instances '{"id": '; expect_status "malformed JSON" 400; contract /v1/instances
api POST /v1/instances '{"id": 5, "project_id": "p"}'; expect_status "wrong field type" 400
api POST /v1/instances '{"id": "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8f", "project_id": "p", "colour": "red"}'
expect_status "unknown field" 400
api POST /v1/instances '{"id": "not-a-uuid", "project_id": "p"}'; expect_status "bad uuid" 422; contract /v1/instances
api POST /v1/instances '{"id": "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8f", "project_id": "p", "allowed_cidrs": ["10.0.0.0/33"]}'
expect_status "bad cidr" 422
RESP_STATUS=$(curl -s -o "$SW_TMP/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H 'Content-Type: text/plain' --data 'x' "$ADMIN_URL/v1/instances"); RESP=$(cat "$SW_TMP/resp")
expect_status "wrong content type" 415
head -c 200000 /dev/zero | tr '\0' 'a' >"$SW_TMP/big"
RESP_STATUS=$(curl -s -o "$SW_TMP/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$SW_TMP/big" "$ADMIN_URL/v1/instances"); RESP=$(cat "$SW_TMP/resp")
expect_status "oversize body" 413
api GET /v1/instances/6a1f2c1e-9a55-4b39-9d3c-000000000000; expect_status "unknown instance" 404
contract "/v1/instances/{id}"
api GET /v1/nowhere; expect_status "unknown route" 404
api PUT "/v1/instances/$ID" '{}'; expect_status "wrong method" 405
api GET '/v1/instances?limit=0'; expect_status "bad limit" 400; contract /v1/instances

# Update, usage, token rotation.
api PATCH "/v1/instances/$ID" '{"metadata":{"role":"db"},"rate_limit":{"bytes_per_second":4096,"burst_bytes":8192}}'
expect_status "patch" 200; contract "/v1/instances/{id}"
check "patch applied" test "$(jq -r '.metadata.role + "|" + (.rate_limit.burst_bytes|tostring)' <<<"$RESP")" = "db|8192"
api PATCH "/v1/instances/$ID" '{"id":"6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8f"}'; expect_status "patch id refused" 400
api GET "/v1/instances/$ID/usage"; expect_status "usage" 200; contract "/v1/instances/{id}/usage"
check "usage starts at zero" test "$(jq .bytes_issued <<<"$RESP")" = 0
check "no transport has issued anything" test "$(jq -c .bytes_by_transport <<<"$RESP")" = '{}'
api POST "/v1/instances/$ID/token"; expect_status "rotate token" 200; contract "/v1/instances/{id}/token"
check "rotated token differs" test "$(jq -r .token <<<"$RESP")" != "$TOKEN1"

# Listing with filters and cursor pagination.
for i in 1 2 3 4 5; do
  api POST /v1/instances "{\"id\":\"00000000-0000-4000-8000-00000000000$i\",\"project_id\":\"p2\"}"
  expect_status "create p2/$i" 201
done
seen=0; cursor=""
for page in 1 2 3 4 5; do
  api GET "/v1/instances?project_id=p2&limit=2${cursor:+&cursor=$cursor}"; expect_status "list page $page" 200
  contract /v1/instances
  seen=$((seen + $(jq '.instances | length' <<<"$RESP")))
  cursor=$(jq -r '.next_cursor // empty' <<<"$RESP")
  [ -n "$cursor" ] || break
done
check "pagination visits all five" test "$seen" = 5
api GET "/v1/instances?state=revoked"; check "no revoked yet" test "$(jq '.instances | length' <<<"$RESP")" = 0

# Revoke, then purge.
api DELETE "/v1/instances/00000000-0000-4000-8000-000000000001"; expect_status "revoke" 200
contract "/v1/instances/{id}"
check "revoked state" test "$(jq -r .state <<<"$RESP")" = revoked
api POST "/v1/instances/00000000-0000-4000-8000-000000000001/token"; expect_status "token for revoked" 422
api DELETE "/v1/instances/00000000-0000-4000-8000-000000000002?purge=true"; expect_status "purge" 204
contract "/v1/instances/{id}"
api GET "/v1/instances/00000000-0000-4000-8000-000000000002"; expect_status "purged is gone" 404

# Nova dynamic vendordata: registers once, idempotently.
VD='{"project-id":"p3","instance-id":"11111111-2222-4333-8444-555555555555","image-id":"img","user-data":null,"hostname":"vm-a","metadata":{"k":"v"}}'
api POST /v1/vendordata "$VD"; expect_status "vendordata" 200; contract /v1/vendordata
check "vendordata carries a token and key" jq -e '(.token|startswith("swi_")) and (.key_id|length>0) and (.public_key|length>0)' <<<"$RESP"
api POST /v1/vendordata "$VD"; expect_status "vendordata again" 200
api GET /v1/instances/11111111-2222-4333-8444-555555555555; expect_status "vendordata registered" 200
check "vendordata hostname" test "$(jq -r .hostname <<<"$RESP")" = vm-a
api POST /v1/vendordata '{"instance-id":"bad","project-id":"p3"}'; expect_status "vendordata bad uuid" 422
contract /v1/vendordata
api POST /v1/vendordata '{"instance-id":"11111111-2222-4333-8444-555555555556"}'
expect_status "vendordata without project" 400

# Keys and status.
api GET /v1/keys; expect_status "keys" 200; contract /v1/keys
KID1=$(jq -r '.keys[] | select(.state=="active") | .kid' <<<"$RESP")
check "one active key" test "$(jq '[.keys[] | select(.state=="active")] | length' <<<"$RESP")" = 1
api POST /v1/keys/rotate; expect_status "rotate keys" 200; contract /v1/keys/rotate
check "old key verify-only" test "$(jq -r --arg k "$KID1" '.keys[] | select(.kid==$k) | .state' <<<"$RESP")" = verify_only
KID2=$(jq -r '.keys[] | select(.state=="active") | .kid' <<<"$RESP")
check "new active key" test -n "$KID2" -a "$KID2" != "$KID1"
api GET /v1/status; expect_status "status" 200; contract /v1/status
check "status ready" jq -e '.ready == true and (.sources | length) > 0' <<<"$RESP"

# Metrics: Prometheus text that promtool accepts.
curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics" >"$SW_TMP/metrics"
check "promtool check metrics" bash -c "promtool check metrics <'$SW_TMP/metrics'"
check "metrics count requests" grep -q '^seedwell_http_requests_total{' "$SW_TMP/metrics"
check "metrics count instances" grep -q '^seedwell_instances{state="active"}' "$SW_TMP/metrics"

# Concurrent creates of one id: exactly one wins.
CID=99999999-0000-4000-8000-000000000000
pids=()
for i in $(seq 1 12); do
  curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' --data "{\"id\":\"$CID\",\"project_id\":\"race\"}" \
    "$ADMIN_URL/v1/instances" >>"$SW_TMP/race" &
  pids+=($!)
done
wait "${pids[@]}"
check "exactly one create wins" test "$(grep -c '^201$' "$SW_TMP/race")" = 1
check "the others conflict" test "$(grep -c '^409$' "$SW_TMP/race")" = 11

sw_contract_check

# Restart with the same state dir: nothing lost, the admin token is not overwritten.
TOKEN_BEFORE=$ADMIN_TOKEN
sw_stop
check "clean exit on SIGTERM" test "$SW_EXIT" = 0
sw_start
check "admin token kept" test "$ADMIN_TOKEN" = "$TOKEN_BEFORE"
api GET "/v1/instances/$ID"; expect_status "instance survives restart" 200
check "patch survives restart" test "$(jq -r .metadata.role <<<"$RESP")" = db
api GET /v1/keys
check "keys survive restart" test "$(jq -r '.keys[] | select(.state=="active") | .kid' <<<"$RESP")" = "$KID2"

# SIGTERM during requests: in-flight requests complete; nothing hangs.
pids=()
for i in $(seq 1 20); do
  curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $ADMIN_TOKEN" \
    "$ADMIN_URL/v1/instances?limit=100" >>"$SW_TMP/inflight" 2>/dev/null &
  pids+=($!)
done
sw_stop
check "clean exit with requests in flight" test "$SW_EXIT" = 0
wait "${pids[@]}" || true
check "in-flight requests got whole answers or none" bash -c "! grep -vE '^(200|000)$' '$SW_TMP/inflight'"

sw_finish
