#!/usr/bin/env python3
"""Checks stoa's S3 signatures with an independent implementation (botocore).

  sigv4_check.py serve PORT LOG [FAIL]
                                  an S3 stand-in on 127.0.0.1 that records every
                                  request (JSON lines) and answers like an empty bucket;
                                  the first FAIL signed GETs get 503 SlowDown
  sigv4_check.py check LOG ACCESS SECRET REGION
                                  recomputes each recorded Authorization header with
                                  botocore's S3SigV4Auth; prints one line per request
                                  and exits 1 unless every signature matches
"""
import hashlib
import http.server
import json
import sys
import threading


def serve(port, log, fail="0"):
    left = [int(fail)]
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, code, body=b""):
            n = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(n) if n else b""
            with open(log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                                    "body_sha256": hashlib.sha256(data).hexdigest()}) + "\n")
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            if code == 200:
                self.send_header("ETag", '"%s"' % hashlib.md5(data).hexdigest())
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            with lock:  # the first `fail` signed GETs are throttled, as S3 does under load
                throttle = left[0] > 0 and "Authorization" in self.headers
                left[0] -= throttle
            if throttle:
                return self.answer(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
            self.answer(404, b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>none</Message></Error>")

        def do_HEAD(self):
            self.answer(404)

        def do_PUT(self):
            self.answer(200)

        def do_DELETE(self):
            self.answer(204)

        def log_message(self, *a):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), H).serve_forever()


def check(log, access, secret, region):
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    bad = 0
    for line in open(log):
        r = json.loads(line)
        h = {k.lower(): v for k, v in r["headers"].items()}
        auth = h.get("authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            print("not V4: %s %s: %s" % (r["method"], r["path"], auth[:40]))
            bad += 1
            continue
        fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        signed = fields["SignedHeaders"].split(";")
        token = h.get("x-amz-security-token")
        signer = S3SigV4Auth(Credentials(access, secret, token), "s3", region)
        req = AWSRequest(method=r["method"], url="http://%s%s" % (h["host"], r["path"]),
                         headers={k: h[k] for k in signed if k in h})
        req.context["timestamp"] = h["x-amz-date"]
        sts = signer.string_to_sign(req, signer.canonical_request(req))
        want = signer.signature(sts, req)
        ok = want == fields["Signature"]
        payload_ok = h.get("x-amz-content-sha256") in ("UNSIGNED-PAYLOAD", r["body_sha256"])
        print("%s %s %s signed=%s payload=%s" % ("ok" if ok and payload_ok else "MISMATCH", r["method"], r["path"],
                                                 fields["SignedHeaders"], h.get("x-amz-content-sha256")))
        bad += not (ok and payload_ok)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(*sys.argv[2:5])
    else:
        check(*sys.argv[2:6])
