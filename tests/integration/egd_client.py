#!/usr/bin/env python3
"""A small EGD client for the integration tests: speaks the protocol over a Unix socket or TCP.

Usage: egd_client.py ADDR SCENARIO [ARGS...]   (ADDR: a socket path or HOST:PORT)
Every socket operation has a timeout; the exit status is 0 on success, 1 with a message otherwise.
"""
import socket
import sys
import time


def connect(addr, timeout=10.0):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def closed_by_server(s, timeout):
    """True if the server closes the connection within |timeout| seconds (bytes are discarded)."""
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def all_commands(addr, pid):
    s = connect(addr)
    s.sendall(b"\x04")
    n = recv_exact(s, 1)[0]
    got_pid = recv_exact(s, n).decode()
    assert got_pid == pid, "pid %r != %r" % (got_pid, pid)
    s.sendall(b"\x00")
    bits = int.from_bytes(recv_exact(s, 4), "big")
    assert bits > 0, "entropy available is 0"
    s.sendall(b"\x02\xff")
    a = recv_exact(s, 255)
    s.sendall(b"\x02\xff")
    b = recv_exact(s, 255)
    assert a != b and len(set(a)) > 100, "blocking reads do not look random"
    s.sendall(b"\x01\x10")
    count = recv_exact(s, 1)[0]
    assert count == 16, "non-blocking read gave %d" % count
    recv_exact(s, 16)
    s.sendall(b"\x02\x00")  # zero-byte read: no reply; the next reply must still line up
    # write entropy (ignored, no reply), then get-pid: the pid reply must come next.
    s.sendall(b"\x03\x00\x40\x08" + b"\x00" * 8 + b"\x04")
    n = recv_exact(s, 1)[0]
    assert recv_exact(s, n).decode() == pid, "pid after write-entropy"
    # Pipelined and split: three requests sent one byte at a time, replies in order.
    for byte in b"\x02\x07\x04\x02\x09":
        s.sendall(bytes([byte]))
    assert len(recv_exact(s, 7)) == 7
    n = recv_exact(s, 1)[0]
    assert recv_exact(s, n).decode() == pid, "pid in pipeline"
    assert len(recv_exact(s, 9)) == 9
    s.close()
    return 255 * 2 + 16 + 7 + 9


def read(addr, count, size):
    s = connect(addr, timeout=30.0)
    for _ in range(int(count)):
        s.sendall(bytes([2, int(size)]))
        recv_exact(s, int(size))
    s.close()


def nonblocking(addr, count, size):
    """Sends COUNT non-blocking reads of SIZE bytes, one at a time; returns how many were served."""
    s = connect(addr)
    served = 0
    for _ in range(int(count)):
        s.sendall(bytes([1, int(size)]))
        n = recv_exact(s, 1)[0]
        recv_exact(s, n)
        served += n == int(size)
    s.close()
    return served


def main():
    addr, scenario, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if scenario == "all":
            print(all_commands(addr, args[0]))
        elif scenario == "read":  # read COUNT SIZE: COUNT blocking reads of SIZE bytes
            start = time.monotonic()
            read(addr, args[0], args[1])
            print("%.3f" % (time.monotonic() - start))
        elif scenario == "nonblocking":  # nonblocking COUNT SIZE: prints how many were served
            print(nonblocking(addr, args[0], args[1]))
        elif scenario == "unknown":  # an unknown command closes the connection
            s = connect(addr)
            s.sendall(b"\x07")
            assert closed_by_server(s, 5), "not closed after an unknown command"
        elif scenario == "truncated":  # a request left incomplete is closed after the timeout
            s = connect(addr)
            s.sendall(b"\x03\x00")
            assert closed_by_server(s, 10), "not closed with a truncated request"
        elif scenario == "never-read":  # pipelines reads, never reads replies: closed by timeout
            s = connect(addr)
            s.setblocking(False)
            deadline = time.monotonic() + 10
            sent = 0
            closed = False
            while time.monotonic() < deadline:
                try:
                    sent += s.send(b"\x02\xff" * 512)
                except BlockingIOError:
                    time.sleep(0.05)
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
            assert closed, "not closed though it never read (sent %d bytes)" % sent
        elif scenario == "hold":  # hold N connections until stdin closes; prints how many are served
            conns = [connect(addr) for _ in range(int(args[0]))]
            alive = 0
            for c in conns:  # a get-pid on each: a served one answers, a refused one is closed
                try:
                    c.sendall(b"\x04")
                    recv_exact(c, recv_exact(c, 1)[0])
                    alive += 1
                except (OSError, EOFError):
                    pass
            print(alive)
            sys.stdout.flush()
            sys.stdin.read()
        elif scenario == "wait-closed":  # a connection that the server closes (revocation)
            s = connect(addr)
            print("connected")
            sys.stdout.flush()
            sys.stdin.readline()
            assert closed_by_server(s, 5), "not closed"
        else:
            raise SystemExit("unknown scenario " + scenario)
    except (AssertionError, OSError, EOFError) as e:
        print("egd_client %s: %s" % (scenario, e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
