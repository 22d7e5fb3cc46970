#!/usr/bin/env python3
"""A guest spreading entropy requests round-robin over several replicas (as a load balancer
would), for a bounded time and count. One keep-alive connection per replica (reopened after a
failure). Prints one JSON line: granted_bytes (bytes of 200 answers), requests, statuses (count by
HTTP status), errors (connection failures and statuses other than 200 and 429), elapsed_s (from
the first request to the last answer).

usage: spread_client.py --token T --seconds S --bytes N [--interval SEC] [--max-requests M] URL...
"""
import argparse
import http.client
import json
import sys
import time
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--token", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--interval", type=float, default=0.005)
    p.add_argument("--max-requests", type=int, default=20000)
    p.add_argument("urls", nargs="+")
    a = p.parse_args()
    targets = [urllib.parse.urlsplit(u) for u in a.urls]
    conns = [None] * len(targets)
    headers = {"Authorization": "Bearer " + a.token}
    path = "/v1/entropy?bytes=%d" % a.bytes
    granted = requests = errors = 0
    statuses = {}
    start = time.monotonic()
    deadline = start + a.seconds
    i = 0
    while time.monotonic() < deadline and requests < a.max_requests:
        k = i % len(targets)
        i += 1
        requests += 1
        try:
            if conns[k] is None:
                conns[k] = http.client.HTTPConnection(targets[k].hostname, targets[k].port, timeout=5)
            conns[k].request("GET", path, headers=headers)
            r = conns[k].getresponse()
            r.read()
            statuses[r.status] = statuses.get(r.status, 0) + 1
            if r.status == 200:
                granted += a.bytes  # a 200 carries exactly the bytes asked for
            elif r.status != 429:
                errors += 1
        except (OSError, http.client.HTTPException) as e:
            errors += 1
            statuses["error"] = statuses.get("error", 0) + 1
            print("request to %s failed: %s" % (a.urls[k], e), file=sys.stderr)
            if conns[k] is not None:
                conns[k].close()
            conns[k] = None
        time.sleep(a.interval)
    elapsed = time.monotonic() - start
    for c in conns:
        if c is not None:
            c.close()
    print(json.dumps({"granted_bytes": granted, "requests": requests, "statuses": statuses,
                      "errors": errors, "elapsed_s": round(elapsed, 3)}))


if __name__ == "__main__":
    main()
