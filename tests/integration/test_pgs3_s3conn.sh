#!/usr/bin/env bash
# pgs3 keeps its S3 connections: each storage thread reuses one keep-alive connection
# (on https, one TLS session) instead of connecting for every call. Cache hits open no
# new connection, and when S3 restarts and drops them all, the next hits reconnect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

use_pgs3
genmod -out "$TMP/up" example.com/k@v1.0.0
start_upstream "$TMP/up"
start_stoa STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_UPSTREAMS_0_NAME=fixture
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
"$S3RVER_DIR/node_modules/.bin/s3rver" -d "$TMP/s3" -a 127.0.0.1 -p "$S3_PORT" \
    --configure-bucket "$S3_BUCKET" --silent >>"$TMP/s3.log" 2>&1 &
S3_PID=$!
PIDS+=("$S3_PID")
wait_for curl -s -o /dev/null "http://$S3_HOST/" || fail "s3rver did not restart"
hits 10
pass "after S3 restarted, hits reconnect"
kill -0 "$STOA_PID" || fail "stoa died"
stop_stoa
