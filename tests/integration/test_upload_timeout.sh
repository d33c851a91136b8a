#!/usr/bin/env bash
# Finding 14 of issue 21: h2o's 10 s request timeout covers the whole HTTP/1.1 request,
# body included, and cut slow publishes. limits.request_timeout sets it (default 5 min):
# an upload slower than it is cut, one within it is published.
source "$(dirname "$0")/lib.sh"

genmod -out "$TMP/priv" -pad $((1200 * 1024)) corp.example.com/slow@v1.0.0
zip="$TMP/priv/corp.example.com/slow/@v/v1.0.0.zip"
upload() { curl -s -o /dev/null -w '%{http_code}' --http1.1 --limit-rate 100K -T "$zip" "$STOA_URL/corp.example.com/slow/@v/v1.0.0.zip" || true; }
# 12 s of upload (1.2 MiB at 100 KiB/s): cut at 2 s, published with the default (h2o's
# own 10 s would cut it)
printf 'upstreams: []\nnamespaces: [{pattern: corp.example.com, mode: private}]\n' >"$TMP/stoa.yaml"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa STOA_LIMITS_REQUEST_TIMEOUT=2s
code=$(upload)
[ "$code" != 201 ] || fail "an upload slower than limits.request_timeout was published"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$STOA_URL/corp.example.com/slow/@v/v1.0.0.info")" 404 \
    "nothing published by a cut upload"
# h2o cut it before any handler ran: the connection watch tells (core/http/connwatch.h).
told() { grep -q 'unfinished request from 127.0.0.1' "$STOA_LOG"; }
wait_for told || fail "no log line for the cut upload: $(tail -3 "$STOA_LOG")"
line=$(grep 'unfinished request from 127.0.0.1' "$STOA_LOG")
assert_contains "$line" "limits.request_timeout is 2 s"
read_bytes=$(sed -n 's/.* with \([0-9]*\) bytes read.*/\1/p' <<<"$line")
[ "${read_bytes:-0}" -gt 32768 ] || fail "bytes read of the cut upload: '$read_bytes' in: $line"
assert_eq "$(curl -s "$STOA_URL/metrics" | sed -n 's/^stoa_http_unfinished_requests_total //p')" 1 \
    "stoa_http_unfinished_requests_total"
stop_stoa
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
assert_eq "$(upload)" 201 "a 12 s upload with the default limits.request_timeout"
assert_eq "$(curl -s "$STOA_URL/corp.example.com/slow/@v/list")" v1.0.0 "published"
# Whole requests, on fresh and on kept-alive connections, are no unfinished ones.
curl -s -o /dev/null "$STOA_URL/healthz" "$STOA_URL/corp.example.com/slow/@v/list" "$STOA_URL/nope"
stop_stoa
if grep -q 'unfinished request' "$STOA_LOG"; then fail "a whole request was told unfinished: $(grep unfinished "$STOA_LOG")"; fi
pass "limits.request_timeout bounds a whole HTTP/1.1 upload: cut at 2 s with a log line naming the client and $read_bytes bytes, a 12 s one published by default (code $code when cut)"

# After a whole request on a kept-alive connection, half of the next one, then a hang-up:
# told too (h2o resets its per-connection byte count between requests).
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
python3 - "${STOA_URL##*:}" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
assert s.recv(4096).startswith(b"HTTP/1.1 200")
s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
time.sleep(1.2) # two samples
s.close()
PY
wait_for told || fail "no log line for the half request after a whole one: $(tail -3 "$STOA_LOG")"
assert_contains "$(grep 'unfinished request' "$STOA_LOG")" "after its last request with 25 bytes read"
stop_stoa
pass "half a request after a whole one on a kept-alive connection is told, with its 25 bytes"
