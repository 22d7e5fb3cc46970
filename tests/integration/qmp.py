#!/usr/bin/python3
"""A minimal QMP client for the VM tests: runs commands on a QEMU's QMP Unix socket.

  qmp.py SOCKET COMMAND [JSON-ARGUMENTS]     prints the command's "return" as JSON
  qmp.py SOCKET wait-migrate SECONDS         polls query-migrate until "completed" (exit 1 on
                                             "failed" or past SECONDS)
  qmp.py SOCKET wait-running SECONDS         polls query-status until it leaves "inmigrate"

Every connection and wait is bounded; an error reply exits 1 with its description.
"""
import json
import socket
import sys
import time


def connect(path, seconds=20):
    deadline = time.monotonic() + seconds
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(30)
            s.connect(path)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    f = s.makefile("rw")
    json.loads(f.readline())  # the greeting
    call(f, "qmp_capabilities")
    return f


def call(f, command, arguments=None):
    msg = {"execute": command}
    if arguments is not None:
        msg["arguments"] = arguments
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            sys.exit(f"qmp: connection closed during {command}")
        reply = json.loads(line)
        if "event" in reply:
            continue
        if "error" in reply:
            sys.exit(f"qmp: {command}: {reply['error'].get('desc')}")
        return reply.get("return")


def poll(f, command, done, seconds):
    deadline = time.monotonic() + seconds
    while True:
        ret = call(f, command)
        verdict = done(ret)
        if verdict is not None:
            return verdict, ret
        if time.monotonic() > deadline:
            return False, ret
        time.sleep(0.1)


def main():
    path, command = sys.argv[1], sys.argv[2]
    f = connect(path)
    if command == "wait-migrate":
        ok, ret = poll(f, "query-migrate",
                       lambda r: True if r.get("status") == "completed"
                       else False if r.get("status") in ("failed", "cancelled") else None,
                       float(sys.argv[3]))
        print(json.dumps(ret))
        sys.exit(0 if ok else 1)
    if command == "wait-running":
        ok, ret = poll(f, "query-status",
                       lambda r: True if r.get("status") != "inmigrate" else None, float(sys.argv[3]))
        print(json.dumps(ret))
        sys.exit(0 if ok else 1)
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    print(json.dumps(call(f, command, args)))


if __name__ == "__main__":
    main()
