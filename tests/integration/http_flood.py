#!/usr/bin/env python3
"""Connection floods against seedwell's HTTP listeners, for hardening_http_test.sh.

Usage:
  http_flood.py idle --port P --addresses N --per-address M [--reconnect] --token T
                --requests R --max-p99-ms MS
      Opens N x M idle connections to 127.0.0.1:P from 127.0.0.2.. (bind before connect), with
      --reconnect reopening every connection the server closes (an attacker keeping the listener
      full), then makes R guest requests, one connection each, with the instance token T, and
      checks every one is a 200 and the p99 latency is under MS.
  http_flood.py hold --port P --addresses N --per-address M --admin-port A --token T
                [--egd-port E] [--pid PID --max-fds F]
      Holds N x M guest connections open, then checks the admin listener's /healthz answers
      promptly, a registered guest is still served, the EGD TCP listener (if given) answers, and
      the server process (if given) holds at most F descriptors.
Every socket has a timeout and every loop a bound; exit status 0 on success, 1 with a message.
"""
import argparse
import resource
import selectors
import socket
import sys
import threading
import time


def raise_nofile(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def connect_from(source, port, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def http_get(port, path, headers, source="127.0.0.1", timeout=5.0):
    """One request on a new connection; returns (status, seconds)."""
    start = time.monotonic()
    s = connect_from(source, port, timeout)
    try:
        head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % path
        for k, v in headers.items():
            head += "%s: %s\r\n" % (k, v)
        s.sendall((head + "\r\n").encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    except OSError:
        status = 0
    finally:
        s.close()
    return status, time.monotonic() - start


class Flood:
    """N x M idle connections; with reconnect, a thread reopens any the server closes."""

    def __init__(self, port, addresses, per_address, reconnect):
        self.port = port
        self.sel = selectors.DefaultSelector()
        self.reconnects = 0
        self.refused = 0
        self.stop = threading.Event()
        for a in range(addresses):
            source = "127.0.0.%d" % (a + 2)
            for _ in range(per_address):
                self._open(source)
        self.thread = None
        if reconnect:
            self.thread = threading.Thread(target=self._loop, daemon=True)
            self.thread.start()

    def _open(self, source):
        try:
            s = connect_from(source, self.port)
        except OSError:
            self.refused += 1
            return
        s.setblocking(False)
        self.sel.register(s, selectors.EVENT_READ, source)

    def _loop(self):
        deadline = time.monotonic() + 120  # bounded
        while not self.stop.is_set() and time.monotonic() < deadline:
            for key, _ in self.sel.select(timeout=0.05):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:  # a 503 refusal: the server will close it; drop it now
                    pass
                self.sel.unregister(s)
                s.close()
                self.reconnects += 1
                self._open(key.data)

    def count(self):
        return len(self.sel.get_map())

    def close(self):
        self.stop.set()
        if self.thread:
            self.thread.join(5)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def idle(args):
    raise_nofile(args.addresses * args.per_address + 256)
    flood = Flood(args.port, args.addresses, args.per_address, args.reconnect)
    time.sleep(0.5)
    print("flood: %d connections open" % flood.count())
    latencies, bad = [], []
    auth = {"Authorization": "Bearer " + args.token}
    for _ in range(args.requests):
        status, took = http_get(args.port, "/v1/entropy?bytes=16", auth)
        latencies.append(took)
        if status != 200:
            bad.append(status)
    flood.close()
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print("guest: %d requests, p50 %.1f ms, p99 %.1f ms, non-200: %d; flood reconnects %d"
          % (len(latencies), p50, p99, len(bad), flood.reconnects))
    if bad:
        fail("guest requests not served: %s" % sorted(set(bad)))
    if p99 >= args.max_p99_ms:
        fail("p99 %.1f ms >= %d ms" % (p99, args.max_p99_ms))


def count_fds(pid):
    import os
    return len(os.listdir("/proc/%d/fd" % pid))


def hold(args):
    raise_nofile(args.addresses * args.per_address + 256)
    flood = Flood(args.port, args.addresses, args.per_address, reconnect=False)
    time.sleep(0.5)
    print("holding %d guest connections (%d refused at connect)" % (flood.count(), flood.refused))
    problems = []
    for _ in range(5):
        status, took = http_get(args.admin_port, "/healthz", {})
        if status != 200 or took > 1.0:
            problems.append("admin /healthz: status %d in %.3f s" % (status, took))
    status, took = http_get(args.port, "/v1/entropy?bytes=16", {"Authorization": "Bearer " + args.token})
    if status != 200 or took > 1.0:
        problems.append("registered guest: status %d in %.3f s" % (status, took))
    if args.egd_port:
        try:
            s = socket.create_connection(("127.0.0.1", args.egd_port), timeout=2)
            s.sendall(b"\x00")  # EGD: get entropy level -> 4 bytes
            reply = b""
            while len(reply) < 4:
                chunk = s.recv(4 - len(reply))
                if not chunk:
                    break
                reply += chunk
            s.close()
            if len(reply) != 4:
                problems.append("EGD listener answered %d bytes" % len(reply))
        except OSError as e:
            problems.append("EGD listener: %s" % e)
    if args.pid:
        fds = count_fds(args.pid)
        print("server holds %d descriptors (limit %d)" % (fds, args.max_fds))
        if fds > args.max_fds:
            problems.append("server holds %d descriptors > %d" % (fds, args.max_fds))
    flood.close()
    if problems:
        fail("; ".join(problems))
    print("admin, guest and EGD answered while the guest side was flooded")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["idle", "hold"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--addresses", type=int, default=32)
    p.add_argument("--per-address", type=int, default=64)
    p.add_argument("--reconnect", action="store_true")
    p.add_argument("--token", required=True)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--max-p99-ms", type=int, default=100)
    p.add_argument("--admin-port", type=int)
    p.add_argument("--egd-port", type=int)
    p.add_argument("--pid", type=int)
    p.add_argument("--max-fds", type=int, default=1024)
    args = p.parse_args()
    idle(args) if args.mode == "idle" else hold(args)


if __name__ == "__main__":
    main()
