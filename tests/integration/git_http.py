#!/usr/bin/env python3
"""A loopback git smart-HTTP server for tests: `git http-backend` behind a tiny CGI
front (http.server's own CGI handler cannot read chunked request bodies, which git
clients send). Also serves go-get meta pages from --meta DIR (GET /<path>?go-get=1 ->
DIR/<path>.html).

  git_http.py --root DIR --port-file FILE [--meta DIR] [--log FILE] [--user U --password P]
              [--auth PREFIX=USER:PASSWORD ...] [--tls-cert PEM --tls-key PEM]

Repositories are DIR/<name>; every URL under /git/ goes to http-backend. With --user,
every request needs that basic-auth credential (401 otherwise); --auth gives the paths
under /git/PREFIX a credential of their own instead. With --tls-cert it speaks HTTPS."""
import argparse
import base64
import http.server
import os
import ssl
import subprocess
import sys
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--meta")
    ap.add_argument("--log")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--auth", action="append", default=[])
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    auth = {}
    for spec in a.auth:
        prefix, _, cred = spec.partition("=")
        auth["/git/" + prefix.strip("/")] = tuple(cred.split(":", 1))
    log = open(a.log, "a", buffering=1) if a.log else None

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            if log:
                log.write("%s %s\n" % (self.command, self.path))

        def body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                out = b""
                while True:
                    n = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if n == 0:
                        self.rfile.readline()
                        return out
                    out += self.rfile.read(n)
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def credential(self):
            path = urllib.parse.urlsplit(self.path).path
            for prefix, cred in auth.items():
                if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "."):
                    return cred
            return (a.user, a.password) if a.user else None

        def authorized(self):
            cred = self.credential()
            if cred is None:
                return True
            want = "Basic " + base64.b64encode(("%s:%s" % cred).encode()).decode()
            if self.headers.get("Authorization") == want:
                return True
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False

        def handle_any(self):
            u = urllib.parse.urlsplit(self.path)
            data = self.body()
            if not self.authorized():
                return
            if u.path.startswith("/git/"):
                return self.cgi(u, data)
            if a.meta and u.query == "go-get=1":
                f = os.path.join(a.meta, u.path.strip("/") + ".html")
                if os.path.isfile(f):
                    page = open(f, "rb").read()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def cgi(self, u, data):
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": a.root,
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": u.path[len("/git"):],
                "QUERY_STRING": u.query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(data)),
                "REMOTE_ADDR": self.client_address[0],
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            }
            if self.credential():
                env["REMOTE_USER"] = self.credential()[0]
            p = subprocess.run(["git", "http-backend"], input=data, env=env, capture_output=True)
            head, _, rest = p.stdout.partition(b"\r\n\r\n")
            if not _:
                head, _, rest = p.stdout.partition(b"\n\n")
            status = 200
            hdrs = []
            for line in head.decode("latin-1").splitlines():
                k, _, v = line.partition(":")
                if k.lower() == "status":
                    status = int(v.strip().split()[0])
                elif k:
                    hdrs.append((k, v.strip()))
            self.send_response(status)
            for k, v in hdrs:
                if k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(rest)))
            self.end_headers()
            self.wfile.write(rest)

        do_GET = do_POST = handle_any

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
