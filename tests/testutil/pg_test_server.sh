#!/usr/bin/env bash
# pg_test_server.sh: a throwaway PostgreSQL server for tests, in a directory of its own.
#
#   pg_test_server.sh start DIR [PORT]   initdb + pg_ctl start; socket in DIR, TCP on 127.0.0.1:PORT
#                                        when PORT is given (else no TCP); superuser "seedwell",
#                                        trust on the socket, scram-sha-256 (password "seedwell")
#                                        on TCP
#   pg_test_server.sh stop DIR           pg_ctl stop (fast), then removes DIR/data
#   pg_test_server.sh pause|resume DIR   stops the server keeping its data / starts it again (fault
#                                        tests: the database restarting under running replicas)
#
# PostgreSQL refuses to run as root, so as root the server runs as the unprivileged user nobody
# (DIR is handed to it). Durability is off (fsync, full_page_writes): the data is thrown away.
set -euo pipefail

cmd=${1:?usage: pg_test_server.sh start|stop DIR [PORT]}
dir=${2:?usage: pg_test_server.sh start|stop DIR [PORT]}
port=${3:-}

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
[ -x "$bindir/initdb" ] || { echo "pg_test_server: initdb not found (install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

server_start() {
  local port listen="''"
  port=$(cat "$dir/port")
  [ -n "$port" ] && listen=127.0.0.1
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o \
    "-k $dir -p ${port:-5432} -c listen_addresses=$listen -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

case "$cmd" in
  start)
    # A server left behind by an interrupted run is stopped and its data thrown away.
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir/data"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown nobody "$dir"; fi
    chmod 0700 "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U seedwell -A trust --auth-host=scram-sha-256 \
      --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    server_start
    "$bindir/psql" -h "$dir" -p "${port:-5432}" -U seedwell -d postgres -qAtc \
      "ALTER USER seedwell PASSWORD 'seedwell'" >/dev/null
    ;;
  pause)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    server_start
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir/data"
    ;;
  *)
    echo "usage: pg_test_server.sh start|stop|pause|resume DIR [PORT]" >&2
    exit 2
    ;;
esac
