#!/usr/bin/env bash
# The Prometheus exposition of a live `seedwell serve` after real traffic (guest HTTP with a rate
# limit hit, OpenStack metadata, an EGD blocking read that waits, a config drive), checked whole by
# `promtool check metrics`, and the metrics operators alert on (docs/metrics.md) checked by name,
# type and value: rate-limit refusals per transport, DRBG reseeds, source failures and health-test
# failures as counters, the EGD latency histogram, and config-drive seed bytes in the usage.
source "$(dirname "$0")/lib.sh"

A=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
EGD_DIR=$SW_TMP/egd
CLIENT="/usr/bin/python3 $SW_SOURCE_DIR/tests/integration/egd_client.py"

sw_start --egd-socket-dir "$EGD_DIR" --reseed-interval 1
api POST /v1/instances "{\"id\":\"$A\",\"project_id\":\"p\",\"rate_limit\":{\"bytes_per_second\":255,\"burst_bytes\":512}}"
expect_status "register" 201
TOKEN=$(jq -r .token <<<"$RESP")
AUTH=(-H "Authorization: Bearer $TOKEN")

# scrape: the whole exposition into $SW_TMP/metrics.txt; sets SCRAPE_STATUS.
scrape() {
  SCRAPE_STATUS=$(curl -sS -o "$SW_TMP/metrics.txt" -w '%{http_code}' \
    -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics")
}
# sample NAME{LABELS}: the value of one sample of the last scrape (empty if absent).
sample() { awk -v m="$1" '$1 == m {print $2}' "$SW_TMP/metrics.txt"; }
# at_least NAME{LABELS} MIN: the sample exists and is >= MIN.
at_least() {
  local v; v=$(sample "$1")
  [ -n "$v" ] && awk -v v="$v" -v min="$2" 'BEGIN {exit !(v >= min)}'
}
# typed NAME TYPE: the family is declared with this type.
typed() { grep -qx "# TYPE $1 $2" "$SW_TMP/metrics.txt"; }

# Before any refusal, every transport's refusal series is already there, at 0.
scrape
check "scrape 200" test "$SCRAPE_STATUS" = 200
for t in http openstack pollen egd config_drive other; do
  check "refusals{transport=$t} starts at 0" test "$(sample "seedwell_rate_limit_refusals_total{transport=\"$t\"}")" = 0
done

# Guest HTTP: 400 bytes pass, the next 400 do not (burst 512): one refusal on http.
code=$(curl -sS -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$GUEST_URL/v1/entropy?bytes=400")
check "entropy 200" test "$code" = 200
code=$(curl -sS -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$GUEST_URL/v1/entropy?bytes=400")
check "entropy over the limit 429" test "$code" = 429
code=$(curl -sS -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$GUEST_URL/openstack/latest/meta_data.json")
check "openstack over the limit 429" test "$code" = 429

# EGD: two blocking reads of 255 bytes; the bucket is empty, so they wait (one refusal each).
for i in $(seq 1 50); do [ -S "$EGD_DIR/$A.sock" ] && break; sleep 0.1; done
ELAPSED=$($CLIENT "$EGD_DIR/$A.sock" read 2 255) || ELAPSED=fail
check "egd blocking reads served after waiting ($ELAPSED s)" test "$ELAPSED" != fail

# A config drive: its seeds count in the instance's usage, under config_drive.
RESP_STATUS=$(curl -sS -o "$SW_TMP/drive.iso" -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/v1/instances/$A/config-drive")
check "config drive built" test "$RESP_STATUS" = 200
check "usage counts the drive's seed (>= 8 KiB) under config_drive" \
  usage_until "$A" '.bytes_by_transport.config_drive >= 8192 and (.bytes_by_transport | add) == .bytes_issued'
contract "/v1/instances/{id}/usage"
DRIVE_BYTES=$(jq .bytes_by_transport.config_drive <<<"$RESP")
echo "config drive: $DRIVE_BYTES seed bytes counted under config_drive"

sleep 1.2  # one more reseed at --reseed-interval 1
scrape
check "scrape after traffic 200" test "$SCRAPE_STATUS" = 200
promtool check metrics <"$SW_TMP/metrics.txt" >"$SW_TMP/promtool.out" 2>&1 && rc=0 || rc=$?
check "promtool check metrics: clean (rc $rc: $(head -c 300 "$SW_TMP/promtool.out"))" test "$rc" = 0
check "promtool printed no lint problem" test ! -s "$SW_TMP/promtool.out"
echo "exposition: $(grep -c '^# TYPE' "$SW_TMP/metrics.txt") families, $(grep -vc '^#' "$SW_TMP/metrics.txt") samples, promtool rc $rc"
grep '^seedwell_egd_request_duration_seconds_\(sum\|count\){command="read_blocking"}' "$SW_TMP/metrics.txt" || true

check "refusals are a counter" typed seedwell_rate_limit_refusals_total counter
check "http refusal counted" at_least 'seedwell_rate_limit_refusals_total{transport="http"}' 1
check "openstack refusal counted" at_least 'seedwell_rate_limit_refusals_total{transport="openstack"}' 1
check "egd refusals counted" at_least 'seedwell_rate_limit_refusals_total{transport="egd"}' 1
check "reseeds are a counter" typed seedwell_drbg_reseeds_total counter
check "reseeds counted" at_least seedwell_drbg_reseeds_total 2
check "source failures are a counter" typed seedwell_source_failures_total counter
check "health-test failures are a counter" typed seedwell_health_test_failures_total counter
api GET /v1/status
for s in $(jq -r '.sources[].name' <<<"$RESP"); do
  check "source_failures_total{source=$s}" at_least "seedwell_source_failures_total{source=\"$s\"}" 0
  for t in rct apt startup; do
    check "health_test_failures_total{source=$s,test=$t}" \
      at_least "seedwell_health_test_failures_total{source=\"$s\",test=\"$t\"}" 0
  done
done
check "no gauge named like the old source failures" bash -c "! grep -q '^seedwell_source_failures{' '$SW_TMP/metrics.txt'"
check "signature batches are a counter" typed seedwell_signature_batches_total counter
check "the signed block was counted as a batched block" at_least seedwell_batched_blocks_total 1
check "at least one signature batch" at_least seedwell_signature_batches_total 1
check "no more batches than blocks" awk -v b="$(sample seedwell_signature_batches_total)" \
  -v n="$(sample seedwell_batched_blocks_total)" 'BEGIN { exit !(b <= n) }'
check "cluster replicas are a gauge" typed seedwell_cluster_replicas gauge
check "usage dropped is a counter, at 0" test "$(sample seedwell_usage_dropped_bytes_total)" = 0
check "with SQLite the cluster is this process: one live replica" \
  test "$(sample 'seedwell_cluster_replicas{state="live"}')" = 1
check "with SQLite no replica is down" test "$(sample 'seedwell_cluster_replicas{state="down"}')" = 0
check "status shows the cluster of one" jq -e '.cluster.live_replicas == 1 and (.cluster.replicas | length) == 1 and .cluster.replicas[0].live and .cluster.replicas[0].id == .cluster.replica_id' <<<"$RESP"
check "egd latency is a histogram" typed seedwell_egd_request_duration_seconds histogram
check "egd blocking reads observed" at_least 'seedwell_egd_request_duration_seconds_count{command="read_blocking"}' 2
check "egd +Inf bucket equals the count" test \
  "$(sample 'seedwell_egd_request_duration_seconds_bucket{command="read_blocking",le="+Inf"}')" = \
  "$(sample 'seedwell_egd_request_duration_seconds_count{command="read_blocking"}')"
check "a waiting read took >= 0.5 s in the sum" at_least 'seedwell_egd_request_duration_seconds_sum{command="read_blocking"}' 0.5
check "config-drive bytes issued counted ($DRIVE_BYTES)" \
  at_least 'seedwell_bytes_issued_total{transport="config_drive"}' "$DRIVE_BYTES"

# A negative control: promtool must reject a broken exposition, or the check above proves nothing.
{ echo '# TYPE broken_total counter'; echo 'broken_total{a="1" 1'; } >"$SW_TMP/broken.txt"
promtool check metrics <"$SW_TMP/broken.txt" >/dev/null 2>&1 && rc=0 || rc=$?
check "promtool rejects a broken exposition" test "$rc" != 0

sw_stop
sw_contract_check
sw_finish
