#!/usr/bin/env bash
# pgs3 and S3: each storage thread reuses one keep-alive connection (on https, one TLS
# session) instead of connecting for every call, and reconnects after S3 restarts (run
# with the body cache off, so that every hit reads S3). With the body cache on, hits
# need no S3 at all: they keep working while S3 is down.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

use_pgs3
genmod -out "$TMP/up" example.com/k@v1.0.0 example.com/cold@v1.0.0
start_upstream "$TMP/up"
start_stoa STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_UPSTREAMS_0_NAME=fixture STOA_STORAGE_OPTIONS_CACHE_SIZE=0
url="$STOA_URL/example.com/k/@v/v1.0.0.mod"
curl -sf -o /dev/null "$url" || fail "filling the .mod"
settle
want=$(cat "$TMP/up/example.com/k/@v/v1.0.0.mod")

# Connections to S3 that stoa closed: each leaves a TIME_WAIT on stoa's side.
closed() { python3 -c '
import sys
port = "%04X" % int(sys.argv[1])
print(sum(1 for l in open("/proc/net/tcp").readlines()[1:] if l.split()[2].endswith(":" + port) and l.split()[3] == "06"))
' "$S3_PORT"; }
hits() {
    local i
    for i in $(seq 1 "$1"); do
        assert_eq "$(curl -sf "$url")" "$want" "hit $i"
    done
}
before=$(closed)
hits 50
after=$(closed)
[ "$after" -le $((before + 2)) ] || fail "50 hits closed $((after - before)) S3 connections: each opened its own"
pass "50 cache hits through S3 closed $((after - before)) connections (each used to open and close one)"

# s3rver restarts on the same port: the kept connections are dead, hits reconnect.
kill "$S3_PID"
wait "$S3_PID" 2>/dev/null || true
s3rver_run "$TMP/s3" "$S3_PORT" "$S3_BUCKET" >>"$TMP/s3.log" 2>&1 &
S3_PID=$!
PIDS+=("$S3_PID")
wait_for curl -s -o /dev/null "http://$S3_HOST/" || fail "s3rver did not restart"
hits 10
pass "after S3 restarted, hits reconnect"
kill -0 "$STOA_PID" || fail "stoa died"
stop_stoa

# The body cache on (the default): the first hit copies the body from S3, later hits
# and S3 being down do not matter to it; a body never read through this stoa does.
start_stoa STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_UPSTREAMS_0_NAME=fixture
curl -sf -o /dev/null "$STOA_URL/example.com/cold/@v/v1.0.0.mod" || fail "filling the cold .mod"
settle
url="$STOA_URL/example.com/k/@v/v1.0.0.mod"
hits 1
[ -n "$(find "$TMP/stoa-tmp/pgs3-cache" -regextype posix-extended -regex '.*/[0-9a-f]{64}')" ] ||
    fail "no body in the cache after a hit"
kill "$S3_PID"
wait "$S3_PID" 2>/dev/null || true
hits 10
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$STOA_URL/example.com/cold/@v/v1.0.0.mod")" 503 \
    "a body not in the cache while S3 is down"
pass "with S3 down, cached bodies are served and others answer 503"
stop_stoa
