#!/usr/bin/env bash
# limits.send_timeout (core/http/sendwatch.h): a client that stops taking response bytes is
# disconnected once it has taken none for that long, on the sendfile path, the buffered
# path, a stream-through miss and HTTP/2. A slow reader that keeps taking bytes is not, however
# long its download lasts. Each cut-off is logged, counted and leaves nothing behind.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" -pad $((24 * 1024 * 1024)) example.com/big@v1.0.0
genmod -out "$TMP/up" -pad $((24 * 1024 * 1024)) example.com/cold@v1.0.0
genmod -out "$TMP/up" -pad $((8 * 1024 * 1024)) example.com/steady@v1.0.0
start_upstream "$TMP/up"
start_stoa STOA_HTTP2=true STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_UPSTREAMS_0_NAME=fixture STOA_LIMITS_SEND_TIMEOUT=2s
port=${STOA_URL##*:}
size_big=$(stat -c %s "$TMP/up/example.com/big/@v/v1.0.0.zip")
curl -sf -o /dev/null "$STOA_URL/example.com/big/@v/v1.0.0.zip" || fail "filling the big zip"
curl -sf -o /dev/null "$STOA_URL/example.com/steady/@v/v1.0.0.zip" || fail "filling the steady zip"
settle
# Descriptors a cut-off could leave behind: stoa's end of a client connection, and the
# files it sent from (stored or staged).
conns() { python3 -c '
import sys
port = "%04X" % int(sys.argv[1])
print(sum(1 for l in open("/proc/net/tcp").readlines()[1:] if l.split()[1].endswith(":" + port) and l.split()[3] != "0A"))
' "$port"; }
files() { find "/proc/$STOA_PID/fd" -lname "$DATA/*" ! -lname "*audit*" | wc -l; }
timeouts() { curl -sf "$STOA_URL/metrics" | sed -n 's/^stoa_send_timeouts_total \([0-9]*\)$/\1/p'; }
assert_eq "$(timeouts)" 0 "send timeouts before any stalled client"

# client VERSION PATH PAUSE STEP: asks for PATH with a small receive buffer, then takes
# STEP bytes per PAUSE seconds (STEP 0: takes nothing for PAUSE seconds, then drains).
# VERSION 2 speaks cleartext HTTP/2 by hand, opening its flow-control windows wide so
# that only the socket holds stoa back. Prints how it ended (eof, reset) and the bytes
# it got, headers and framing included.
client() {
    python3 - "$port" "$@" <<'PY'
import socket, struct, sys, time
port, version, path, pause, step = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
s.connect(("127.0.0.1", port))
if version == "2":
    frame = lambda kind, flags, stream, body: struct.pack(">I", len(body))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + body
    field = lambda n, v: b"\0" + bytes([len(n)]) + n + bytes([len(v)]) + v  # literal, not indexed, no Huffman
    head = field(b":method", b"GET") + field(b":scheme", b"http") + field(b":path", path.encode()) + field(b":authority", b"stoa")
    wide = 0x7FFFFFFF
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, struct.pack(">HI", 4, wide)) +
              frame(8, 0, 0, struct.pack(">I", wide - 65535)) + frame(1, 5, 1, head))
else:
    s.sendall(f"GET {path} HTTP/{version}\r\nHost: stoa\r\nConnection: close\r\n\r\n".encode())
got, end = 0, "eof"
try:
    if step == 0:
        time.sleep(pause)
    while True:
        b = s.recv(step or 1 << 16, socket.MSG_WAITALL if step else 0)
        if not b:
            break
        got += len(b)
        if step:
            time.sleep(pause)
except ConnectionResetError:
    end = "reset"
print(end, got)
PY
}

# stalled NAME VERSION PATH: a client that takes nothing for 6 s is cut off after 2 s.
stalled() {
    local name=$1 before out got
    before=$(timeouts)
    out=$(client "$2" "$3" 6 0)
    got=${out#* }
    [ "$got" -lt "$size_big" ] || fail "$name: a stalled client got the whole body ($out)"
    assert_eq "$(timeouts)" $((before + 1)) "$name: send timeouts counted"
    line=$(grep "GET $3 " "$STOA_LOG" | tail -1)
    assert_contains "$line" "send timeout: the client took no bytes for 2000 ms" "$name: access log"
    ms=$(sed -E 's/.* ([0-9.]+)ms .*/\1/' <<<"$line")
    python3 -c "import sys; sys.exit(0 if 2000 <= float(sys.argv[1]) < 5500 else 1)" "$ms" ||
        fail "$name: cut off after $ms ms, not about 2000"
    pass "$name: a client that stopped reading is cut off after ${ms%.*} ms ($out)"
}

stalled "sendfile path" 1.1 /example.com/big/@v/v1.0.0.zip
stalled "buffered path" 1.0 /example.com/big/@v/v1.0.0.zip
stalled "stream-through miss" 1.1 /example.com/cold/@v/v1.0.0.zip
stalled "HTTP/2 (the whole connection)" 2 /example.com/big/@v/v1.0.0.zip

settle
released() { [ "$(conns)" = 0 ] && [ "$(files)" = 0 ]; }
wait_for released || fail "after the cut-offs stoa holds $(conns) client connections and $(files) data files"
sum() { sha256sum "$1" | cut -c1-64; }
hdr=$(curl -sf -D - -o "$TMP/cold" "$STOA_URL/example.com/cold/@v/v1.0.0.zip" | tr -d '\r') || fail "GET cold"
assert_contains "$hdr" "x-cache: HIT"
assert_eq "$(sum "$TMP/cold")" "$(sum "$TMP/up/example.com/cold/@v/v1.0.0.zip")" "the cut-off miss's stored bytes"
pass "the cut-offs leave no descriptors behind, and the stalled miss was still stored whole"

# A slow reader that keeps taking bytes: 1 MiB per 0.8 s takes longer than the timeout
# in all, but never pauses that long.
size_steady=$(stat -c %s "$TMP/up/example.com/steady/@v/v1.0.0.zip")
before=$(timeouts)
start=$(date +%s%N)
out=$(client 1.1 /example.com/steady/@v/v1.0.0.zip 0.8 $((1024 * 1024)))
took=$((($(date +%s%N) - start) / 1000000))
[ "$took" -gt 3000 ] || fail "the steady reader finished in $took ms: it never made stoa wait past the timeout"
assert_eq "${out%% *}" eof "how the steady download ended"
[ "${out#* }" -gt "$size_steady" ] || fail "the steady reader got ${out#* } bytes of a $size_steady-byte body"
assert_eq "$(timeouts)" "$before" "send timeouts during a steady download"
pass "a slow reader that keeps reading gets every byte over $took ms"
