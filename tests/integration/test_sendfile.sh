#!/usr/bin/env bash
# Cache hits with large bodies: on cleartext HTTP/1.x stoa sends them with sendfile(2)
# (core/http/fdsend.c), elsewhere through h2o's buffered path. Either way the client gets the
# stored bytes, the connection stays usable for the next request, a client that goes
# away costs nothing, and a file that shrinks mid-send is a broken transfer, never a
# short success.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" -pad $((24 * 1024 * 1024)) example.com/big@v1.0.0
genmod -out "$TMP/up" -pad $((200 * 1024)) example.com/mid@v1.0.0
start_upstream "$TMP/up"
start_stoa STOA_HTTP2=true STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_UPSTREAMS_0_NAME=fixture
big="$STOA_URL/example.com/big/@v/v1.0.0.zip"
mid="$STOA_URL/example.com/mid/@v/v1.0.0.zip"
sum() { sha256sum "$1" | cut -c1-64; }
want_big=$(sum "$TMP/up/example.com/big/@v/v1.0.0.zip")
want_mid=$(sum "$TMP/up/example.com/mid/@v/v1.0.0.zip")
size_big=$(stat -c %s "$TMP/up/example.com/big/@v/v1.0.0.zip")
curl -sf -o /dev/null "$big" || fail "filling the big zip"
curl -sf -o /dev/null "$mid" || fail "filling the mid zip"
settle
fds() { ls "/proc/$STOA_PID/fd" | wc -l; }
base_fds=$(fds)

# 1. A hit: stored bytes, the right length, HEAD without a body.
hdr=$(curl -sf -D - -o "$TMP/b" "$big" | tr -d '\r') || fail "GET big"
assert_contains "$hdr" "x-cache: HIT"
assert_contains "${hdr,,}" "content-length: $size_big"
assert_eq "$(sum "$TMP/b")" "$want_big" "big zip bytes"
assert_eq "$(curl -sf -I -o /dev/null -w '%{http_code} %{size_download}' "$big")" "200 0" "HEAD: status and body bytes"
head=$(curl -sfI "$big" | tr -d '\r')
assert_contains "${head,,}" "content-length: $size_big" "HEAD content-length"
pass "a 24 MiB hit arrives whole with its length; HEAD sends none of it"

# 2. A slow reader: 24 MiB is more than loopback's socket buffers hold, so stoa waits
# for room many times (the access log's duration shows it did); afterwards the same
# connection serves the next request.
out=$(curl -s --limit-rate 24M -w '%{http_code}:%{num_connects} ' -o "$TMP/s1" "$big" -o "$TMP/s2" "$mid")
assert_eq "$out" "200:1 200:0 " "statuses and new connections for two requests on one connection"
assert_eq "$(sum "$TMP/s1")" "$want_big" "slowly read bytes"
assert_eq "$(sum "$TMP/s2")" "$want_mid" "the next response on the same connection"
ms=$(grep 'GET /example.com/big/@v/v1.0.0.zip 200' "$STOA_LOG" | tail -1 | sed -E 's/.* ([0-9.]+)ms .*/\1/')
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 300 else 1)" "$ms" ||
    fail "the slow download took stoa ${ms} ms: it never had to wait for the client"
pass "a rate-limited client gets every byte (stoa waited ${ms} ms on it), and its connection is reused"

# 3. Other protocols take the buffered path: HTTP/2 without TLS, and HTTP/1.0.
out=$(curl -s --http2-prior-knowledge -o "$TMP/h2" -w '%{http_code} %{http_version}' "$big")
assert_eq "$out" "200 2" "h2c status and version"
assert_eq "$(sum "$TMP/h2")" "$want_big" "bytes over HTTP/2"
assert_eq "$(curl -s --http1.0 -o "$TMP/h10" -w '%{http_code}' "$big")" 200 "HTTP/1.0 status"
assert_eq "$(sum "$TMP/h10")" "$want_big" "bytes over HTTP/1.0"
pass "HTTP/2 and HTTP/1.0 clients get the same bytes"

# 4. Clients that give up mid-body: their connections and file descriptors are released.
for i in 1 2 3; do
    rc=0
    curl -s --limit-rate 1M --max-time 0.5 -o /dev/null "$big" || rc=$?
    assert_eq "$rc" 28 "curl's exit status for a transfer cut short by --max-time"
done
fds_back() { [ "$(fds)" -le "$base_fds" ]; }
wait_for fds_back || fail "stoa holds $(fds) descriptors after aborted downloads, $base_fds before"
assert_eq "$(curl -s -o "$TMP/after" -w '%{http_code}' "$big")" 200 "a download after the aborted ones"
assert_eq "$(sum "$TMP/after")" "$want_big" "bytes after the aborted ones"
pass "aborted downloads leave no descriptors behind"

# 5. The stored file shrinks under a download (damage behind stoa's back): the transfer
# breaks; it never ends as a short 200.
stored="$DATA/example.com/big/@v/v1.0.0.zip"
curl -s --limit-rate 2M -o "$TMP/short" -w '%{http_code}' "$big" >"$TMP/short.code" 2>&1 &
cpid=$!
got_some() { [ "$(stat -c %s "$TMP/short" 2>/dev/null || echo 0)" -gt 0 ]; }
wait_for got_some || fail "the download did not start"
truncate -s $((3 * 1024 * 1024)) "$stored"
rc=0
wait "$cpid" || rc=$?
[ "$rc" != 0 ] || fail "a download of a file that shrank mid-way succeeded ($(stat -c %s "$TMP/short") bytes)"
[ "$(stat -c %s "$TMP/short")" -lt "$size_big" ] || fail "the short download has the full size"
kill -0 "$STOA_PID" || fail "stoa died"
pass "a file that shrinks mid-send breaks the transfer (curl exit $rc)"
