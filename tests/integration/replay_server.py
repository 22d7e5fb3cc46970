#!/usr/bin/env python3
"""A hostile or broken 'service' for seedwell-fetch's tests, on 127.0.0.1 (port 0).

Usage: replay_server.py MODE [HEADERS_FILE BODY_FILE]
  replay   answer every request with a recorded reply (headers as curl -D saved them, and the body):
           a block bound to another nonce, which the guest must refuse
  busy     answer 503 with Retry-After: 1 first, then replay (shows the client's retry)
  garbage  answer 200 with a body that is not a block
Prints the port on stdout, then serves until killed.
"""
import http.server
import sys

MODE = sys.argv[1]
HEADERS = []
BODY = b""
if len(sys.argv) > 3:
    with open(sys.argv[2], encoding="latin-1", newline="") as f:
        for line in f.read().split("\r\n")[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                if name.lower() not in ("content-length", "connection", "keep-alive", "date"):
                    HEADERS.append((name, value.strip()))
    with open(sys.argv[3], "rb") as f:
        BODY = f.read()
CALLS = {"n": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        CALLS["n"] += 1
        if MODE == "garbage":
            self.reply(200, [("Content-Type", "text/plain")], b"hello")
        elif MODE == "busy" and CALLS["n"] == 1:
            self.reply(503, [("Retry-After", "1"), ("Content-Type", "application/json")],
                       b'{"error":{"code":"unavailable","message":"busy"}}')
        else:
            self.reply(200, HEADERS, BODY)

    def reply(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
