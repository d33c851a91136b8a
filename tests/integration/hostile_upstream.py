#!/usr/bin/env python3
"""A hostile GOPROXY upstream for the bounds tests, on 127.0.0.1 only.

hostile_upstream.py PLAN PORTFILE LOG: answers each GET from the JSON object in
PLAN (read again on every request, so a test can change it), keyed by request
path without the query; unknown paths get 404. Each request's path (with query)
is appended to LOG. An entry is an object with:
  status, location, type       status line (200), Location, Content-Type
  body                         text of the body ("")
  gzip: true                   send body gzip-encoded (Content-Encoding: gzip)
  gzip_zeros: N                a gzip body that decodes to N zero bytes
  endless: true                zero bytes without end, no Content-Length
  drip: S                      one byte of body every S seconds
  hold: S                      wait S seconds before answering
"""
import gzip
import os
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PLAN, PORTFILE, LOG = sys.argv[1:4]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with open(LOG, "a") as f:
            f.write(self.path + "\n")
        with open(PLAN) as f:
            plan = json.load(f)
        e = plan.get(self.path.split("?")[0])
        if e is None:
            return self.answer(404, b"not found\n", {})
        time.sleep(e.get("hold", 0))
        body = e.get("body", "").encode()
        hdrs = {"Content-Type": e.get("type", "text/plain")}
        if "location" in e:
            hdrs["Location"] = e["location"]
        if e.get("gzip"):
            body = gzip.compress(body)
            hdrs["Content-Encoding"] = "gzip"
        if "gzip_zeros" in e:
            body = gzip.compress(b"\0" * e["gzip_zeros"], 9)
            hdrs["Content-Encoding"] = "gzip"
        if e.get("endless"):
            return self.endless(e.get("status", 200), hdrs)
        if "drip" in e:
            return self.drip(e.get("status", 200), body, hdrs, e["drip"])
        self.answer(e.get("status", 200), body, hdrs)

    def answer(self, status, body, hdrs):
        self.send_response(status)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def endless(self, status, hdrs):
        self.send_response(status)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"\0" * 65536
        try:
            while True:
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def drip(self, status, body, hdrs, pause):
        self.send_response(status)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for b in body:
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))

os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
