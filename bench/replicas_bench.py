#!/usr/bin/env python3
"""Store benchmarks for issue 12, run by scripts/bench-replicas.sh against live servers.

  replicas_bench.py admin ADMIN_URL TOKEN N
      N admin round-trip pairs on one keep-alive connection: POST /v1/instances, then
      GET /v1/instances/{id}. Prints "pairs_per_s=... p50_ms=... p99_ms=..." (one pair = both calls).
  replicas_bench.py instance ADMIN_URL TOKEN
      Registers one instance with a rate limit no benchmark reaches; prints its id and token.
  replicas_bench.py revocation ADMIN_A ADMIN_B GUEST_B TOKEN N
      N times: register through A, fetch a block through B until B has it cached, revoke through A
      (DELETE), then poll B's guest listener until it refuses the token. Prints the latency from
      A's 200 to B's first refusal: "median_ms=... max_ms=... p90_ms=...".
Every loop is bounded: N iterations, and each poll gives up after 5 s (reported as a failure).
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse
import uuid


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=10)


def call(conn, method, path, token, body=None):
    headers = {"Authorization": "Bearer " + token}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    return resp.status, payload


def new_instance(conn, token):
    iid = str(uuid.uuid4())
    status, payload = call(conn, "POST", "/v1/instances", token, {
        "id": iid, "project_id": "bench",
        "rate_limit": {"bytes_per_second": 1 << 30, "burst_bytes": 1 << 30}})
    if status != 201:
        sys.exit(f"create: HTTP {status}: {payload[:200]!r}")
    return iid, json.loads(payload)["token"]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def admin(url, token, n):
    conn = connect(url)
    times = []
    start = time.monotonic()
    for _ in range(n):
        t0 = time.monotonic()
        iid, _ = new_instance(conn, token)
        status, payload = call(conn, "GET", "/v1/instances/" + iid, token)
        if status != 200:
            sys.exit(f"get: HTTP {status}: {payload[:200]!r}")
        times.append(time.monotonic() - t0)
    elapsed = time.monotonic() - start
    print(f"pairs_per_s={n / elapsed:.0f} p50_ms={statistics.median(times) * 1e3:.2f} "
          f"p99_ms={percentile(times, 0.99) * 1e3:.2f}")


def instance(url, token):
    iid, guest_token = new_instance(connect(url), token)
    print(iid, guest_token)


def poll(conn, path, token, want_ok, deadline):
    while time.monotonic() < deadline:
        status, _ = call(conn, "GET", path, token)
        if (status == 200) == want_ok:
            return time.monotonic()
    return None


def revocation(admin_a, admin_b, guest_b, token, n):
    a, guest = connect(admin_a), connect(guest_b)
    latencies, lost = [], 0
    for _ in range(n):
        iid, guest_token = new_instance(a, token)
        if poll(guest, "/v1/entropy?bytes=32", guest_token, True, time.monotonic() + 5) is None:
            sys.exit("replica B never served the new instance")
        status, payload = call(a, "DELETE", "/v1/instances/" + iid, token)
        if status != 200:
            sys.exit(f"revoke: HTTP {status}: {payload[:200]!r}")
        revoked = time.monotonic()
        refused = poll(guest, "/v1/entropy?bytes=32", guest_token, False, revoked + 5)
        if refused is None:
            lost += 1
            continue
        latencies.append(refused - revoked)
    if not latencies:
        sys.exit("no revocation reached replica B within 5 s")
    print(f"median_ms={statistics.median(latencies) * 1e3:.1f} "
          f"p90_ms={percentile(latencies, 0.9) * 1e3:.1f} max_ms={max(latencies) * 1e3:.1f} "
          f"missed_5s={lost} n={n}")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    mode, args = argv[1], argv[2:]
    if mode == "admin" and len(args) == 3:
        admin(args[0], args[1], int(args[2]))
    elif mode == "instance" and len(args) == 2:
        instance(args[0], args[1])
    elif mode == "revocation" and len(args) == 5:
        revocation(args[0], args[1], args[2], args[3], int(args[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
