#!/usr/bin/env bash
# Guest-listener benchmarks, side by side in one run: seedwell's signed 64-byte JSON blocks
# (GET /v1/entropy?bytes=64 with an instance token), Debian's pollen (POST / with a challenge) and,
# as the ceiling for any small HTTP reply on these cores, nginx returning a fixed 64-byte body.
#   closed loop, wrk -t2 for SECONDS per cell: 64 keep-alive connections, 64 connections with one
#     request each, 1,000 keep-alive connections;
#   open loop, seedwell-storm (bench/storm.cpp): STORM_RATES new connections per second for
#     STORM_SECONDS from STORM_SOURCES addresses in 127.0.0.0/8, one request each, evenly spaced.
# Every cell also reports the server's CPU per request: utime + stime of the server process (all
# threads, and for nginx its worker processes) from /proc/PID/stat before and after the cell.
# wrk connects from one address, so for the closed-loop cells seedwell runs with
# --max-connections-per-peer 4096; for the storms it is restarted with every cap at its default.
#
#   scripts/bench-guest.sh [SEEDWELL_BINARY] [SECONDS] [STORM_BINARY]
#     defaults: build/seedwell, 10, seedwell-storm next to SEEDWELL_BINARY
#   environment: STORM_RATES ("5000 10000 20000"), STORM_SECONDS (1), STORM_SOURCES (256),
#     PERF_OUT (a file: after the closed-loop table, one more seedwell 64 keep-alive cell under
#     `perf record -e cpu-clock -g`, recorded there; the top entries are printed at the end),
#     SKIP_WRK=1 (storms only), INSTANCE_FIELDS (a JSON object merged into the benchmark
#     instance's registration, e.g. '{"name":"web-17","metadata":{"role":"frontend"}}').
# Everything listens on 127.0.0.1; every process started (seedwell, pollen, nginx, a /dev/log
# listener if the machine has none) is stopped by its PID; every load is bounded in time.
set -euo pipefail
BIN=${1:-build/seedwell}; DUR=${2:-10}; STORM=${3:-$(dirname "$BIN")/seedwell-storm}
STORM_RATES=${STORM_RATES:-5000 10000 20000}; STORM_SECONDS=${STORM_SECONDS:-1}
STORM_SOURCES=${STORM_SOURCES:-256}
TMP=$(mktemp -d); PIDS=(); MADE_LOG=0; SWPID=""
cleanup() {
  [ -n "$SWPID" ] && { kill "$SWPID" 2>/dev/null || true; wait "$SWPID" 2>/dev/null || true; }
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ "$MADE_LOG" = 1 ] && rm -f /dev/log
  rm -rf "$TMP"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
for tool in wrk pollen nginx socat jq curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool: scripts/install-deps.sh bench"; exit 1; }
done
[ -x "$STORM" ] || { echo "missing $STORM: cmake --build BUILD --target seedwell-storm"; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HZ=$(getconf CLK_TCK)

# ticks PID: utime + stime, in clock ticks, of PID (all its threads) and its child processes.
ticks() {
  local total=0 p t
  for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
# us_per TICKS REQUESTS: CPU microseconds per request.
us_per() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }'; }

# --- pollen, behind a /dev/log it can log to ---------------------------------------------------
# pollen logs to syslog and will not start without /dev/log. socat needs -u and an OPEN: sink:
# without them it also reads /dev/null, reaches end of file and exits at once.
if [ ! -S /dev/log ]; then
  socat -u UNIX-RECV:/dev/log,mode=666 OPEN:/dev/null & PIDS+=($!); MADE_LOG=1
  for _ in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.1; done
fi
PP=$(free_port)
pollen -http-port="$PP" -https-port= -device=/dev/urandom >"$TMP/pollen.log" 2>&1 & PPID_=$!; PIDS+=($PPID_)
CH=$(head -c 64 /dev/urandom | sha512sum | awk '{print $1}')
for _ in $(seq 1 50); do
  curl -sf -o "$TMP/pollen.out" -d "challenge=$CH" "http://127.0.0.1:$PP/" && break; sleep 0.1
done
[ "$(wc -l <"$TMP/pollen.out" 2>/dev/null || echo 0)" -ge 2 ] ||
  { echo "pollen does not answer a challenge:"; cat "$TMP/pollen.log"; exit 1; }

# --- nginx, the ceiling: a fixed 64-byte body from its own config ------------------------------
NP=$(free_port); mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<NGINX
worker_processes auto;
worker_rlimit_nofile 65536;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$NP backlog=4096;
    location / { default_type application/octet-stream; return 200 "$(printf '%064d' 0)"; }
  }
}
NGINX
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx.log" 2>&1 & NGPID=$!; PIDS+=($NGPID)
for _ in $(seq 1 50); do curl -sf -o "$TMP/nginx.out" "http://127.0.0.1:$NP/" && break; sleep 0.1; done
[ "$(wc -c <"$TMP/nginx.out" 2>/dev/null || echo 0)" = 64 ] ||
  { echo "nginx does not answer:"; cat "$TMP/nginx.log" "$TMP/nginx/error.log"; exit 1; }

# --- seedwell -----------------------------------------------------------------------------------
# start_seedwell FLAGS...: (re)starts seedwell on the same state dir; sets SWPID, GURL, AURL.
start_seedwell() {
  if [ -n "$SWPID" ]; then kill "$SWPID"; wait "$SWPID" 2>/dev/null || true; SWPID=""; fi
  : >"$TMP/sw.log"
  "$BIN" serve --state-dir "$TMP/state" --guest-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --allow-kernel-only "$@" >"$TMP/sw.log" 2>&1 & SWPID=$!
  for _ in $(seq 1 100); do grep -q "seedwell serving" "$TMP/sw.log" 2>/dev/null && break; sleep 0.1; done
  GURL=$(grep -o 'guest listener on [^ ]*' "$TMP/sw.log" | awk '{print $4}')
  AURL=$(grep -o 'admin listener on [^ ]*' "$TMP/sw.log" | awk '{print $4}')
  [ -n "$GURL" ] || { echo "seedwell did not start"; cat "$TMP/sw.log"; exit 1; }
}
start_seedwell --max-connections 4096 --max-connections-per-peer 4096
INSTANCE=$(jq -cn --argjson extra "${INSTANCE_FIELDS:-{\}}" '{id: "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e",
  project_id: "bench", rate_limit: {bytes_per_second: 1073741824, burst_bytes: 4294967296}} + $extra')
TOKEN=$(curl -s -H "Authorization: Bearer $(cat "$TMP/state/admin-token")" -H 'Content-Type: application/json' \
  -d "$INSTANCE" "$AURL/v1/instances" | jq -r .token)
curl -sf "$GURL/v1/entropy?bytes=64" -H "Authorization: Bearer $TOKEN" | jq -e .batch >/dev/null ||
  { echo "seedwell does not serve a signed block"; exit 1; }

cat >"$TMP/pollen.lua" <<LUA
wrk.method = "POST"
wrk.body = "challenge=$CH"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

echo "machine: $(nproc) CPUs, $(uptime | sed 's/.*load/load/') at start; seedwell $("$BIN" --version 2>/dev/null || echo '?'), $(nginx -v 2>&1 | sed 's/.*: //'), pollen $(dpkg-query -W -f='${Version}' pollen 2>/dev/null)"

# wrk_cell PID CONNS MODE URL ARGS... -> "req/s p50 p99 errors cpu_us_per_request"
wrk_cell() {
  local pid=$1 conns=$2 mode=$3 url=$4; shift 4
  local extra=(); [ "$mode" = close ] && extra=(-H "Connection: close")
  local t0 t1; t0=$(ticks "$pid")
  wrk -t2 -c"$conns" -d"${DUR}s" --timeout 5s --latency "${extra[@]}" "$@" "$url" >"$TMP/wrk.out" 2>&1 || true
  t1=$(ticks "$pid")
  local rps p50 p99 errs non2xx n
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$TMP/wrk.out")
  p50=$(awk '$1 == "50%" {print $2}' "$TMP/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out")
  n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
  errs=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' "$TMP/wrk.out"); errs=${errs:-0}
  non2xx=$(awk '/Non-2xx/ {print $5}' "$TMP/wrk.out"); non2xx=${non2xx:-0}
  echo "${rps:-0} ${p50:-n/a} ${p99:-n/a} $((errs + non2xx)) $(us_per $((t1 - t0)) "${n:-0}")"
  sleep 1
}

echo
echo "| load | server | req/s | p50 | p99 | errors | server CPU per request | vs nginx | vs pollen |"
echo "|---|---|---|---|---|---|---|---|---|"
WRK_CELLS=("64 keep-alive" "64 close" "1000 keep-alive"); [ "${SKIP_WRK:-0}" = 1 ] && WRK_CELLS=()
for cell in "${WRK_CELLS[@]}"; do
  read -r conns mode <<<"$cell"
  label="$conns $( [ "$mode" = close ] && echo "one request per connection" || echo keep-alive)"
  read -r srps sp50 sp99 serr scpu < <(wrk_cell "$SWPID" "$conns" "$mode" "$GURL/v1/entropy?bytes=64" \
    -H "Authorization: Bearer $TOKEN" -H "Accept: application/json")
  read -r prps pp50 pp99 perr pcpu < <(wrk_cell "$PPID_" "$conns" "$mode" "http://127.0.0.1:$PP/" -s "$TMP/pollen.lua")
  read -r nrps np50 np99 nerr ncpu < <(wrk_cell "$NGPID" "$conns" "$mode" "http://127.0.0.1:$NP/")
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
  echo "| $label | seedwell (signed) | $srps | $sp50 | $sp99 | $serr | $scpu us | $(ratio "$srps" "$nrps") | $(ratio "$srps" "$prps") |"
  echo "| $label | pollen | $prps | $pp50 | $pp99 | $perr | $pcpu us | $(ratio "$prps" "$nrps") | 1.00x |"
  echo "| $label | nginx (static 64 B) | $nrps | $np50 | $np99 | $nerr | $ncpu us | 1.00x | $(ratio "$nrps" "$prps") |"
done

# The profile is a cell of its own, outside the table: perf's sampling with call graphs costs the
# server enough to distort the figures of the cell it watches.
if [ -n "${PERF_OUT:-}" ]; then
  perf record -e cpu-clock -g -p "$SWPID" -o "$PERF_OUT" -- sleep $((DUR > 2 ? DUR - 2 : 1)) \
    >"$TMP/perf.log" 2>&1 & PERFPID=$!
  wrk_cell "$SWPID" 64 keep-alive "$GURL/v1/entropy?bytes=64" -H "Authorization: Bearer $TOKEN" \
    -H "Accept: application/json" >/dev/null
  wait "$PERFPID" || true
fi

# --- storms: seedwell with its default caps -------------------------------------------------------
start_seedwell
# storm_cell PID ARGS... -> one table row's fields
storm_cell() {
  local pid=$1; shift
  local t0 t1 line; t0=$(ticks "$pid")
  timeout $((STORM_SECONDS + 30)) "$STORM" --rate "$RATE" --duration "$STORM_SECONDS" \
    --sources "$STORM_SOURCES" --timeout-ms 5000 "$@" >"$TMP/storm.out" 2>&1 || true
  t1=$(ticks "$pid")
  line=$(grep '^RESULT ' "$TMP/storm.out" || echo "RESULT count=0")
  local count=0 ok=0 non2xx=0 errors=0 p50_us=0 p99_us=0 p999_us=0 max_us=0 lag_p99_us=0
  local cpu_us_per_conn=0 connect=0 refused=0 timeout=0 read=0 skipped=0 kv kinds=""
  for kv in ${line#RESULT }; do
    case ${kv%%=*} in
      count | ok | non2xx | errors | p50_us | p99_us | p999_us | max_us | lag_p99_us | cpu_us_per_conn | \
        connect | refused | timeout | read | skipped) printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
    esac
  done
  local codes=-
  for kv in ${line#RESULT }; do [ "${kv%%=*}" = codes ] && codes=${kv#*=}; done
  for kv in connect refused timeout read non2xx skipped; do
    [ "${!kv}" != 0 ] && kinds+="${kinds:+, }$kv ${!kv}"
  done
  [ "$codes" != - ] && kinds+=" [status:count $codes]"
  ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
  echo "$count | $errors${kinds:+ ($kinds)} | $(ms "$p50_us") | $(ms "$p99_us") | $(ms "$p999_us") | $(ms "$max_us") | $(us_per $((t1 - t0)) $((ok + non2xx))) us | ${cpu_us_per_conn} us, lag p99 $(ms "$lag_p99_us") ms"
  sleep 2
}
echo
echo "| storm (new connections/s, ${STORM_SECONDS} s, $STORM_SOURCES addresses) | server | connections | errors | p50 ms | p99 ms | p99.9 ms | max ms | server CPU per answered request | generator CPU per connection, start lag |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for RATE in $STORM_RATES; do
  echo "| $RATE | seedwell (signed, default caps) | $(storm_cell "$SWPID" --port "${GURL##*:}" \
    --path '/v1/entropy?bytes=64' --header "Authorization: Bearer $TOKEN" --header 'Accept: application/json') |"
  echo "| $RATE | pollen | $(storm_cell "$PPID_" --port "$PP" --method POST --path / \
    --header 'Content-Type: application/x-www-form-urlencoded' --body "challenge=$CH") |"
  echo "| $RATE | nginx (static 64 B) | $(storm_cell "$NGPID" --port "$NP" --path /) |"
done
echo
echo "machine at end: $(uptime | sed 's/.*load/load/')"

if [ -n "${PERF_OUT:-}" ] && [ -s "$PERF_OUT" ]; then
  echo
  echo "perf: seedwell during its 64 keep-alive cell (perf report -i $PERF_OUT --no-children --sort dso,sym)"
  perf report -i "$PERF_OUT" --no-children --sort dso,sym --stdio --percent-limit 0.7 -g none 2>/dev/null |
    grep -E '^ +[0-9]' | head -40
  echo "by shared object:"
  perf report -i "$PERF_OUT" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -12
  echo "system calls (children = inclusive share of all samples, self):"
  perf report -i "$PERF_OUT" --children --sort sym --stdio -g none 2>/dev/null |
    grep -E '\] (__x64_sys_|do_syscall_64|asm_sysvec|irqentry_exit)' | head -15
fi
