#!/usr/bin/env bash
# The Helm chart (helm/seedwell), checked offline as close to an install as this machine allows (no
# API server can run here, so `helm install` and `helm test` are not exercised):
#   - helm lint --strict passes for every values file in helm/seedwell/ci/ and fails, with the
#     expected reason, for every file in tests/helm/bad-values/ (unknown keys, replicas 0, bad
#     CIDRs, missing Secret references, ...);
#   - helm template of each good file renders the expected objects, and they pass
#     tools/k8s/check-manifests.mjs (Kubernetes schemas, unknown fields, the restricted Pod
#     Security profile and the chart's own policies); broken copies of a render must fail it;
#   - the arguments and environment the chart gives `seedwell serve` are settings the real binary
#     has, and the binary starts with them and answers /healthz and /readyz;
#   - every metric the alerting rules and the dashboard query exists in a live /metrics (with the
#     labels and values they filter on), their PromQL parses, and the alerts' promtool unit tests
#     pass.
source "$(dirname "$0")/../integration/lib.sh"

SRC=$SW_SOURCE_DIR
CHART=$SRC/helm/seedwell
KUBE_VERSION=1.30.0
MONITORING=(--api-versions monitoring.coreos.com/v1/ServiceMonitor
            --api-versions monitoring.coreos.com/v1/PodMonitor
            --api-versions monitoring.coreos.com/v1/PrometheusRule)

BIN_DIR=$("$SRC/scripts/k8s-tools.sh")
HELM=$BIN_DIR/helm
CHECK="node $SRC/tools/k8s/check-manifests.mjs"
OUT=$SW_TMP/out
mkdir -p "$OUT"
# HOME for helm's caches and config: nothing outside the test's own directory.
export HOME=$SW_TMP/home XDG_CACHE_HOME=$SW_TMP/home/.cache XDG_CONFIG_HOME=$SW_TMP/home/.config
mkdir -p "$HOME"

has() { grep -qE -- "$1" "$OUT/last"; }
render() {  # render NAME VALUES [EXTRA HELM FLAGS]: helm template into $SW_TMP/NAME.yaml
  local name=$1 values=$2; shift 2
  "$HELM" template sw "$CHART" --namespace seedwell --kube-version "$KUBE_VERSION" -f "$values" "$@" \
    >"$SW_TMP/$name.yaml" 2>"$OUT/last"
}
kinds() { grep -E '^kind: ' "$SW_TMP/$1.yaml" | sort | uniq -c | awk '{printf "%s=%s ", $3, $1}'; }

# --- the schema closes every object --------------------------------------------------------
python3 - "$CHART/values.schema.json" >"$OUT/last" 2>&1 <<'PY' && rc=0 || rc=$?
import json, sys
open_objects = []
# Conditions (if/then/not/anyOf/allOf) only constrain objects defined elsewhere.
CONDITIONS = {"if", "then", "else", "not", "anyOf", "allOf", "oneOf"}
def walk(node, path):
    if isinstance(node, dict):
        if "properties" in node and node.get("additionalProperties") is not False \
                and not CONDITIONS & set(path.split("/")):
            open_objects.append(path or "/")
        if node.get("type") == "object" and "properties" not in node and "additionalProperties" not in node:
            open_objects.append(path + " (untyped object)")
        for k, v in node.items():
            walk(v, path + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, "%s/%d" % (path, i))
walk(json.load(open(sys.argv[1])), "")
print(" ".join(open_objects))
sys.exit(1 if open_objects else 0)
PY
check "values.schema.json: additionalProperties false on every object (open: $(cat "$OUT/last"))" test "$rc" = 0

# --- every value documented --------------------------------------------------------------
python3 - "$CHART/values.yaml" "$SRC/docs/kubernetes.md" >"$OUT/last" 2>&1 <<'PY' && rc=0 || rc=$?
import re, sys, yaml
values, doc = yaml.safe_load(open(sys.argv[1])), open(sys.argv[2]).read()
rows = [l.split("|")[1] for l in doc.splitlines() if l.startswith("| `")]
def documented(path):
    parent, _, leaf = path.rpartition(".")
    for cell in rows:
        names = re.findall(r"`([^`]+)`", cell)
        if path in names:
            return True
        # "`admin.service.type`, `.port`": a leading dot continues the first name's parent.
        if "." + leaf in names and names and names[0].rpartition(".")[0] == parent:
            return True
    return False
def leaves(d, prefix=""):
    for k, v in d.items():
        p = prefix + k
        if isinstance(v, dict) and v and not p.startswith(("probes.", "grafanaDashboard.labels")) \
                and p not in ("resources", "nodeAgent.resources"):
            yield from leaves(v, p + ".")
        else:
            yield p
missing = [p for p in leaves(values) if not documented(p)]
print(" ".join(missing))
sys.exit(1 if missing else 0)
PY
check "every value is in docs/kubernetes.md's table (missing: $(cat "$OUT/last"))" test "$rc" = 0

# --- lint: good values ---------------------------------------------------------------------
GOOD=("$CHART"/ci/*-values.yaml)
check "four or more good values files" test "${#GOOD[@]}" -ge 4
for f in "${GOOD[@]}"; do
  n=$(basename "$f" -values.yaml)
  "$HELM" lint --strict "$CHART" --kube-version "$KUBE_VERSION" -f "$f" >"$OUT/last" 2>&1 && rc=0 || rc=$?
  check "lint $n passes ($(grep -E 'ERROR|WARNING' "$OUT/last" | head -3))" test "$rc" = 0
done
"$HELM" lint --strict "$CHART" >"$OUT/last" 2>&1 && rc=0 || rc=$?
check "lint with the defaults alone fails (no Secrets named)" test "$rc" != 0
check "  ... naming the database Secret" has "/database/existingSecret"

# --- lint and template: bad values ---------------------------------------------------------
BAD=("$SRC"/tests/helm/bad-values/*.yaml)
check "ten or more bad values files" test "${#BAD[@]}" -ge 10
for f in "${BAD[@]}"; do
  n=$(basename "$f" .yaml)
  expect=$(sed -n 's/^# expect: //p' "$f")
  check "$n declares what it expects" test -n "$expect"
  if ! grep -q '^# only: template' "$f"; then
    "$HELM" lint --strict "$CHART" --kube-version "$KUBE_VERSION" -f "$f" >"$OUT/last" 2>&1 && rc=0 || rc=$?
    check "lint $n fails" test "$rc" != 0
    check "lint $n says why: $expect ($(grep -m1 -E 'ERROR|Error' "$OUT/last"))" has "$expect"
  fi
  api=()
  if grep -q '^# api: monitoring' "$f"; then api=("${MONITORING[@]}"); fi
  render "bad-$n" "$f" "${api[@]}" && rc=0 || rc=$?
  check "template $n fails" test "$rc" != 0
  check "template $n says why: $expect ($(head -c 200 "$OUT/last"))" has "$expect"
done

# --- template: each good file, validated ---------------------------------------------------
declare -A EXPECT=(
  [minimal]="Deployment=1 NetworkPolicy=1 PodDisruptionBudget=1 Service=2 ServiceAccount=1"
  [ha]="Deployment=1 NetworkPolicy=1 Pod=1 PodDisruptionBudget=1 PrometheusRule=1 Service=2 ServiceAccount=1 ServiceMonitor=1"
  [node-agent]="DaemonSet=1 Deployment=1 NetworkPolicy=2 PodDisruptionBudget=1 Service=2 ServiceAccount=1"
  [monitoring]="ConfigMap=1 DaemonSet=1 Deployment=1 NetworkPolicy=2 PodDisruptionBudget=1 PodMonitor=1 PrometheusRule=1 Service=2 ServiceAccount=1 ServiceMonitor=1"
)
RENDERS=()
for f in "${GOOD[@]}"; do
  n=$(basename "$f" -values.yaml)
  api=()
  if [ "$n" = ha ] || [ "$n" = monitoring ]; then api=("${MONITORING[@]}"); fi
  render "$n" "$f" "${api[@]}" && rc=0 || rc=$?
  check "template $n renders ($(head -c 300 "$OUT/last"))" test "$rc" = 0
  check "template $n renders ${EXPECT[$n]} (got $(kinds "$n"))" \
    test "$(kinds "$n" | sed 's/ $//')" = "${EXPECT[$n]}"
  RENDERS+=("$SW_TMP/$n.yaml")
done
# section FILE: the checker's lines about FILE (from a --each run in $OUT/each).
section() { awk -v f="== $1" '$0 == f {on = 1; next} /^== / {on = 0} on' "$OUT/each"; }
$CHECK --each "${RENDERS[@]}" >"$OUT/each" 2>&1 || true
for r in "${RENDERS[@]}"; do
  check "$(basename "$r" .yaml) passes the manifest checks: $(section "$r" | grep -v '^ok' | head -5)" \
    test "$(section "$r" | grep -c '^FAIL')" = 0 -a "$(section "$r" | grep -c '^ok')" = 1
done
# The Prometheus Operator objects exist only where the cluster serves their API.
render monitoring-no-api "$CHART/ci/monitoring-values.yaml"
check "without monitoring.coreos.com: no ServiceMonitor, PodMonitor or PrometheusRule" \
  test "$(grep -cE '^kind: (ServiceMonitor|PodMonitor|PrometheusRule)' "$SW_TMP/monitoring-no-api.yaml")" = 0
# The rules in the PrometheusRule are files/alerts.yaml, unchanged.
python3 - "$SW_TMP/monitoring.yaml" "$CHART/files/alerts.yaml" >"$OUT/last" 2>&1 <<'PY' && rc=0 || rc=$?
import sys, yaml
rule = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "PrometheusRule")
assert rule["spec"] == yaml.safe_load(open(sys.argv[2])), "PrometheusRule differs from alerts.yaml"
PY
check "PrometheusRule carries files/alerts.yaml ($(cat "$OUT/last"))" test "$rc" = 0
# The dashboard ConfigMap carries files/dashboard.json, unchanged.
python3 - "$SW_TMP/monitoring.yaml" "$CHART/files/dashboard.json" >"$OUT/last" 2>&1 <<'PY' && rc=0 || rc=$?
import json, sys, yaml
cm = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "ConfigMap")
assert cm["metadata"]["labels"]["grafana_dashboard"] == "1", "no grafana_dashboard label"
assert json.loads(cm["data"]["seedwell.json"]) == json.load(open(sys.argv[2])), "dashboard differs"
PY
check "dashboard ConfigMap carries files/dashboard.json ($(cat "$OUT/last"))" test "$rc" = 0
# NOTES.txt renders (helm install --dry-run=client needs no API server).
"$HELM" install sw "$CHART" --namespace seedwell --dry-run=client \
  -f "$CHART/ci/minimal-values.yaml" >"$OUT/last" 2>&1 && rc=0 || rc=$?
check "install --dry-run=client renders NOTES.txt" test "$rc" = 0
check "  ... telling how to register a first instance" has "/v1/instances"
"$HELM" package "$CHART" --destination "$SW_TMP" >"$OUT/last" 2>&1 && rc=0 || rc=$?
check "helm package" test "$rc" = 0

# --- the checker can fail: one broken copy per rule ----------------------------------------
count=$(python3 "$SRC/tests/helm/mutate_manifests.py" "$SW_TMP/ha.yaml" "$SW_TMP/mutated")
check "twenty or more mutations" test "$count" -ge 20
$CHECK --each "$SW_TMP"/mutated/*.yaml >"$OUT/each" 2>&1 && rc=0 || rc=$?
check "checker exits 1 on the mutations" test "$rc" = 1
for f in "$SW_TMP"/mutated/*.yaml; do
  n=$(basename "$f" .yaml)
  expect=$(cat "${f%.yaml}.expect")
  check "checker rejects $n: $expect (said: $(section "$f" | head -2))" \
    grep -qE -- "^FAIL .*$expect" <(section "$f")
done

# --- what the chart passes to seedwell serve -----------------------------------------------
"$SW_BIN" serve --help >"$SW_TMP/help.txt"
known_flag() { grep -qE -- "^ +--$1( |,|$)" "$SW_TMP/help.txt"; }
# workload_args NAME KIND: the container's args and env names of the rendered workload, one a line.
workload_args() {
  python3 - "$SW_TMP/$1.yaml" "$2" <<'PY'
import sys, yaml
obj = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == sys.argv[2])
c = obj["spec"]["template"]["spec"]["containers"][0]
for a in c["args"]:
    print("arg " + a)
for e in c.get("env", []):
    print("env " + e["name"])
PY
}
for pair in minimal:Deployment ha:Deployment node-agent:DaemonSet; do
  n=${pair%%:*} kind=${pair#*:}
  workload_args "$n" "$kind" >"$SW_TMP/$n.args"
  check "$n $kind runs 'serve'" test "$(sed -n 1p "$SW_TMP/$n.args")" = "arg serve"
  while read -r what item; do
    if [ "$what" = arg ] && [ "$item" != serve ]; then
      flag=${item#--}; flag=${flag%%=*}
      check "$n $kind: seedwell serve knows --$flag" known_flag "$flag"
    elif [ "$what" = env ]; then
      flag=$(tr 'A-Z_' 'a-z-' <<<"${item#SEEDWELL_}")
      check "$n $kind: $item is a setting (--$flag)" known_flag "$flag"
    fi
  done <"$SW_TMP/$n.args"
done

# The binary accepts what the chart renders: start it with the HA render's flags (every optional
# setting on: TLS admin, proxy identity, trusted proxies) and the node agent's (EGD sockets), files
# under a stand-in root, loopback listeners on port 0, and without the PostgreSQL URL and password
# (no database server runs here: the SQLite store in the state dir serves). The key-encryption key
# is a real 32-byte file mounted as the chart mounts it (mode 0440): serve checks it with SQLite too.
ROOT=$SW_TMP/root
mkdir -p "$ROOT/var/run/secrets/seedwell/admin" "$ROOT/var/run/secrets/seedwell/admin-tls" \
  "$ROOT/var/run/secrets/seedwell/key-encryption-key" \
  "$ROOT/var/run/secrets/seedwell/guest-proxy" "$ROOT/var/lib/seedwell" "$ROOT/run/seedwell-egd"
"$SW_BIN" keygen admin-token | awk '/^token:/ {print $2}' >"$ROOT/var/run/secrets/seedwell/admin/token"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$ROOT/var/run/secrets/seedwell/guest-proxy/secret"
head -c 32 /dev/urandom >"$ROOT/var/run/secrets/seedwell/key-encryption-key/key"
chmod 0440 "$ROOT/var/run/secrets/seedwell/key-encryption-key/key"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=seedwell-admin \
  -addext subjectAltName=DNS:seedwell-admin \
  -keyout "$ROOT/var/run/secrets/seedwell/admin-tls/tls.key" \
  -out "$ROOT/var/run/secrets/seedwell/admin-tls/tls.crt" 2>/dev/null
for n in ha node-agent; do
  ARGS=()
  while read -r what item; do
    [ "$what" = arg ] && [ "$item" != serve ] || continue
    flag=${item#--}; flag=${flag%%=*}
    case $flag in
      database-password-file) continue ;;
      guest-listen|admin-listen) item="--$flag=127.0.0.1:0" ;;
    esac
    ARGS+=("$(sed -E "s#=/(var|run|etc)/#=$ROOT/\1/#" <<<"$item")")
  done <"$SW_TMP/$n.args"
  SW_LOG=$SW_TMP/rendered-$n.log
  # The DaemonSet names the node through the downward API (SEEDWELL_NODE), as the kubelet would.
  NODE_ENV=()
  if [ "$n" = node-agent ]; then NODE_ENV=(SEEDWELL_NODE=worker-1); fi
  env "${NODE_ENV[@]}" "$SW_BIN" serve "${ARGS[@]}" >"$SW_LOG" 2>&1 &
  SW_PID=$!
  for _ in $(seq 1 200); do
    grep -q "seedwell serving" "$SW_LOG" && break
    kill -0 "$SW_PID" 2>/dev/null || break
    sleep 0.1
  done
  check "$n: seedwell serve starts with the rendered flags ($(grep -m1 -iE 'error|invalid|unknown|requires' "$SW_LOG"))" \
    grep -q "seedwell serving" "$SW_LOG"
  ADMIN=$(grep -o 'admin listener on [^ ]*' "$SW_LOG" | head -1 | awk '{print $4}')
  PORT=${ADMIN##*:}
  CURL=(curl -sf -m 5 -o /dev/null)
  if [ "$n" = ha ]; then
    check "ha: the admin listener serves TLS as rendered ($ADMIN)" grep -q '^https://' <<<"$ADMIN"
    CURL+=(--cacert "$ROOT/var/run/secrets/seedwell/admin-tls/tls.crt"
           --connect-to "seedwell-admin:$PORT:127.0.0.1:$PORT")
    BASE=https://seedwell-admin:$PORT
  else
    BASE=$ADMIN
  fi
  for path in /healthz /readyz; do
    check "$n: rendered serve answers $path (probes)" "${CURL[@]}" "$BASE$path"
  done
  if [ "$n" = node-agent ]; then
    check "node-agent: runs as the node agent of SEEDWELL_NODE" grep -q 'event=node_agent node=worker-1' "$SW_LOG"
  fi
  sw_stop
  check "$n: rendered serve exits 0 on SIGTERM" test "$SW_EXIT" = 0
done
# The node agent's rendered flags put the EGD sockets where the hostPath is.
check "node-agent: EGD sockets in the hostPath directory" grep -q -- "--egd-socket-dir=/run/seedwell-egd" "$SW_TMP/node-agent.args"

# --- metrics the alerts and the dashboard query --------------------------------------------
# A live seedwell that has served HTTP (200 and 401) and EGD, so the labelled series exist.
sw_start --egd-socket-dir "$SW_TMP/egd"
ID=6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e
api POST /v1/instances "{\"id\":\"$ID\",\"project_id\":\"helm\"}"
check "register an instance" test "$RESP_STATUS" = 201
TOKEN=$(jq -r .token <<<"$RESP")
check "guest block (200)" curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$GUEST_URL/v1/entropy?bytes=32"
check "guest without identity (401)" test "$(curl -s -o /dev/null -w '%{http_code}' "$GUEST_URL/v1/entropy?bytes=32")" = 401
check "EGD read" /usr/bin/python3 "$SRC/tests/integration/egd_client.py" "$SW_TMP/egd/$ID.sock" read 1 16
usage_until "$ID" '.bytes_by_transport.egd > 0' || true
curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/metrics" >"$SW_TMP/metrics.txt"
check "scraped /metrics" test -s "$SW_TMP/metrics.txt"
python3 "$SRC/tests/helm/check_metric_refs.py" "$SW_TMP/metrics.txt" "$CHART/files/alerts.yaml" \
  "$CHART/files/dashboard.json" "$SW_TMP/dashboard-rules.yaml" >"$OUT/last" 2>&1 && rc=0 || rc=$?
grep -E '^[0-9]+ metrics' "$OUT/last" || true
check "every metric queried exists with its labels: $(grep FAIL "$OUT/last" | head -5)" test "$rc" = 0
check "alerting rules are valid (promtool)" promtool check rules "$CHART/files/alerts.yaml"
check "every dashboard query parses (promtool)" promtool check rules "$SW_TMP/dashboard-rules.yaml"
promtool test rules "$SRC/tests/helm/alerts_test.yaml" >"$OUT/last" 2>&1 && rc=0 || rc=$?
check "alert unit tests pass (promtool test rules): $(grep -A3 FAILED "$OUT/last" | head -4)" test "$rc" = 0
python3 - "$CHART/files/dashboard.json" >"$OUT/last" 2>&1 <<'PY' && rc=0 || rc=$?
import json, sys
d = json.load(open(sys.argv[1]))
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "duplicate panel ids"
for p in d["panels"]:
    if p["type"] == "row":
        continue
    assert p["targets"], p["title"] + ": no queries"
    assert p["datasource"]["uid"] == "${datasource}", p["title"] + ": fixed data source"
titles = " ".join(p["title"].lower() for p in d["panels"])
for topic in ("sources", "drbg", "transport", "refusals", "latency", "replicas"):
    assert topic in titles, "no panel about " + topic
PY
check "dashboard: unique ids, a query and the data source variable on every panel, every topic ($(cat "$OUT/last"))" test "$rc" = 0

sw_finish
