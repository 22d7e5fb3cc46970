#!/usr/bin/env bash
# HTTP benchmarks of `seedwell serve` (issue 3): admin create+get round trips per second against the
# SQLite store, and guest-listener /healthz requests per second with wrk at 64 and 1,000 connections,
# keep-alive and one request per connection; resident memory idle and under the 1,000-connection load.
#
#   scripts/bench-http.sh [BUILD_DIR] [SECONDS]      (defaults: build, 10)
#
# All traffic stays on 127.0.0.1; every run is bounded in time; the server is stopped by its PID.
# wrk runs from one address, so the per-peer connection cap (a guard against one guest hogging the
# listener) is raised to 4096 here; everything else is the default configuration.
set -euo pipefail
build=${1:-build}
secs=${2:-10}
bin=$build/seedwell
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$bin" serve --state-dir "$tmp/state" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --allow-kernel-only --max-connections-per-peer 4096 >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "seedwell serving" "$tmp/log" && break; sleep 0.1; done
guest=$(grep -o 'guest listener on [^ ]*' "$tmp/log" | head -1 | sed 's/.*://')
admin=$(grep -o 'admin listener on [^ ]*' "$tmp/log" | head -1 | sed 's/.*://')
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status"; }
echo "seedwell $("$bin" --version) pid $pid guest :$guest admin :$admin"
echo "resident memory, idle: $(rss)"

echo
echo "== admin create+get round trips (SQLite, synchronous=FULL), ${secs}s, one keep-alive client"
/usr/bin/python3 - "$admin" "$(cat "$tmp/state/admin-token")" "$secs" <<'PY'
import http.client, json, sys, time, uuid
port, token, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
n, lat, end = 0, [], time.monotonic() + secs
while time.monotonic() < end:
    i = str(uuid.uuid4()); t = time.monotonic()
    c.request("POST", "/v1/instances", json.dumps({"id": i, "project_id": "bench"}), h); r = c.getresponse(); r.read()
    assert r.status == 201, r.status
    c.request("GET", "/v1/instances/" + i, headers=h); r = c.getresponse(); r.read()
    assert r.status == 200, r.status
    lat.append(time.monotonic() - t); n += 1
lat.sort()
print(f"{n / secs:.0f} create+get round trips/s; median {lat[len(lat)//2]*1e3:.2f} ms, p99 {lat[int(len(lat)*.99)]*1e3:.2f} ms")
PY

run_wrk() {  # name, connections, extra args...
  local name=$1 conns=$2; shift 2
  echo
  echo "== /healthz, $name, $conns connections, ${secs}s: wrk -t2 -c$conns -d${secs}s --latency $*"
  wrk -t2 -c"$conns" -d"${secs}s" --timeout 5s --latency "$@" "http://127.0.0.1:$guest/healthz" >"$tmp/wrk" 2>&1 &
  local wrk_pid=$!
  sleep $((secs / 2))
  echo "resident memory under load: $(rss)"
  wait "$wrk_pid"
  grep -E "Requests/sec|99%|50%|Socket errors|Non-2xx|requests in" "$tmp/wrk"
}
run_wrk keep-alive 64
run_wrk keep-alive 1000
run_wrk "one request per connection" 64 -H "Connection: close"
run_wrk "one request per connection" 1000 -H "Connection: close"
echo
echo "resident memory after the runs: $(rss)"
