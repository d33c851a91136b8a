#!/usr/bin/env python3
"""bodyprobe.py URL METHOD PATH BODY_BYTES [HEADER...] [--pipeline-after GET_PATH [--pipelined]]
    [--source ADDR] [--tls]

Sends one HTTP/1.1 request head announcing BODY_BYTES of body (a Content-Length, unless a
Transfer-Encoding header is given), then streams the body in
64 KiB chunks while watching for the server's answer. Prints one JSON line:
  {"status": 401, "sent": <body bytes sent before the answer or the close>,
   "closed": true|false, "continue": true|false, "answer": "<first 300 bytes>"}
A server that buffers the whole body before answering shows sent == BODY_BYTES.
--pipeline-after P: first a GET of P on the same connection; with --pipelined the two
heads go in one write (the second parsed behind the first's answer), else the first
answer is read before the second head is sent (a kept-alive connection).
"""
import json, select, socket, ssl, sys, time
from urllib.parse import urlsplit

args = sys.argv[1:]
opts = {"--tls": False, "--pipelined": False}
pipeline = None
source = None
rest = []
i = 0
while i < len(args):
    if args[i] in opts:
        opts[args[i]] = True
    elif args[i] == "--source":
        source = args[i + 1]
        i += 1
    elif args[i] == "--pipeline-after":
        pipeline = args[i + 1]
        i += 1
    else:
        rest.append(args[i])
    i += 1
url, method, path, total = rest[0], rest[1], rest[2], int(rest[3])
headers = rest[4:]
u = urlsplit(url)
sock = socket.create_connection((u.hostname, u.port), timeout=10,
                                source_address=(source, 0) if source else None)
if opts["--tls"]:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    sock = ctx.wrap_socket(sock, server_hostname=u.hostname)
host = "%s:%d" % (u.hostname, u.port)


def head(m, p, extra, length):
    lines = ["%s %s HTTP/1.1" % (m, p), "Host: " + host]
    chunked = any(h.lower().startswith("transfer-encoding:") for h in extra)
    if length is not None and not chunked:
        lines.append("Content-Length: %d" % length)
    lines += extra
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(deadline):
    data = b""
    while time.time() < deadline and b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


first = b""
if pipeline is not None:
    g = head("GET", pipeline, [], None)
    if opts["--pipelined"]:
        sock.sendall(g + head(method, path, headers, total))
    else:
        sock.sendall(g)
        first = read_answer(time.time() + 5)
        sock.sendall(head(method, path, headers, total))
else:
    sock.sendall(head(method, path, headers, total))

def final_head(data):
    """The answer past any 100 Continue, once its head is whole; else None."""
    while data.startswith(b"HTTP/1.1 100") and b"\r\n\r\n" in data:
        data = data.split(b"\r\n\r\n", 1)[1]
    return data if b"\r\n\r\n" in data and not data.startswith(b"HTTP/1.1 100") else None


def receive():
    """Appends what arrived to answer; a hang-up or reset sets closed."""
    global answer, closed
    try:
        data = sock.recv(65536)
        closed = data == b""
        answer += data
    except (BlockingIOError, ssl.SSLWantReadError):
        pass
    except (ConnectionResetError, ssl.SSLError, OSError):
        closed = True


sock.setblocking(False)
sent, answer, closed = 0, b"", False
skip = 1 if pipeline is not None and opts["--pipelined"] else 0
chunk = b"x" * 65536
deadline = time.time() + 60
while time.time() < deadline and not closed:
    r, w, _ = select.select([sock], [sock] if sent < total else [], [], 1)
    if r:
        receive()
        if skip and final_head(answer) is not None:
            # The pipelined GET's answer: set it aside once whole, watch for the PUT's.
            head_, _, rest = answer.partition(b"\r\n\r\n")
            n = [int(l.split(b":")[1]) for l in head_.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if n and len(rest) >= n[0]:
                first, answer, skip = answer[:12], rest[n[0]:], 0
        if not skip and final_head(answer) is not None:
            # The answer came: does the connection close after it?
            end_by = time.time() + 2
            while time.time() < end_by and not closed:
                if select.select([sock], [], [], 0.2)[0]:
                    receive()
            break
    if w and sent < total and not closed:
        try:
            sent += sock.send(chunk[: min(len(chunk), total - sent)])
        except (BlockingIOError, ssl.SSLWantWriteError):
            pass
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            closed = True

cont = answer.startswith(b"HTTP/1.1 100")
text = final_head(answer) or b""
status = int(text.split(b" ", 2)[1]) if text.startswith(b"HTTP/1.") else 0
print(json.dumps({"status": status, "sent": sent, "closed": closed, "continue": cont,
                  "first": first[:12].decode("latin-1"),
                  "answer": text[:300].decode("latin-1")}))
