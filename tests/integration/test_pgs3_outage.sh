#!/usr/bin/env bash
# PostgreSQL stopped and restarted under a running pgs3 stoa while requests flow:
# files this process already served keep being served (from S3), everything that
# needs the database answers 503 with a message, /readyz says degraded (200; 503
# with readyz.strict, switched on by SIGHUP during the outage), nothing crashes, and
# after the restart the plugin reconnects by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

use_pgs3
genmod -out "$TMP/up" example.com/out@v1.0.0 example.com/out@v1.1.0
start_upstream "$TMP/up"
genmod -out "$TMP/priv" corp.example.com/x@v1.0.0
echo 'readyz: {strict: false}' >"$TMP/stoa.yaml"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa STOA_UPSTREAMS_0_NAME=fixture STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_STORAGE_OPTIONS_POOL=2 \
    STOA_NAMESPACES_0_PATTERN=corp.example.com STOA_NAMESPACES_0_MODE=private STOA_NAMESPACES_1_PATTERN='*'
base="$STOA_URL/example.com/out/@v"
curl -sf -o /dev/null "$base/v1.0.0.zip" || fail "warm-up zip"
curl -sf -o /dev/null "$base/v1.0.0.mod" || fail "warm-up mod"
settle

# Background traffic across the outage: every answer must be 200 or 503.
(
    while [ ! -e "$TMP/stop-traffic" ]; do
        curl -s -o /dev/null -w '%{http_code}\n' "$base/v1.0.0.zip" >>"$TMP/traffic" || echo "curl-failed" >>"$TMP/traffic"
        sleep 0.05
    done
) &
traffic=$!

pg_ctl_stop
body=$(curl -s "$base/v1.1.0.zip")
code=$(http_status GET "$base/v1.1.0.zip")
assert_eq "$code" 503 "a file never looked up, with PostgreSQL down"
assert_contains "$body" "PostgreSQL" "the 503 says what is down"
assert_not_contains "$body" "S3RVER" "no credentials in the message"
ready=$(curl -s -w ' %{http_code}' "$STOA_URL/readyz")
assert_contains "$ready" "degraded: storage unavailable" "/readyz with PostgreSQL down"
assert_contains "$ready" "PostgreSQL" "/readyz names what is down"
assert_contains "$ready" " 200" "/readyz with PostgreSQL down, after storage was ready: degraded, still in the pool"
echo 'readyz: {strict: true}' >"$TMP/stoa.yaml"
kill -HUP "$STOA_PID"
reloaded() { grep -q "configuration reloaded" "$STOA_LOG"; }
wait_for reloaded || fail "the reload to readyz.strict was not applied"
assert_eq "$(http_status GET "$STOA_URL/readyz")" 503 "/readyz with PostgreSQL down and readyz.strict"
curl -sf -o "$TMP/hit.zip" "$base/v1.0.0.zip" || fail "a cache hit with PostgreSQL down"
cmp -s "$TMP/hit.zip" "$TMP/up/example.com/out/@v/v1.0.0.zip" || fail "cache hit bytes during the outage"
code=$(http_status PUT "$STOA_URL/corp.example.com/x/@v/v1.0.0.zip" --data-binary @"$TMP/priv/corp.example.com/x/@v/v1.0.0.zip")
assert_eq "$code" 503 "publish with PostgreSQL down"
pass "PostgreSQL down: known files still served, others 503 with a message; readyz degraded (strict: 503)"

pg_ctl_start
curl -sf -o "$TMP/cold.zip" "$base/v1.1.0.zip" || fail "the cold file after PostgreSQL came back"
cmp -s "$TMP/cold.zip" "$TMP/up/example.com/out/@v/v1.1.0.zip" || fail "cold file bytes after the restart"
assert_eq "$(http_status GET "$STOA_URL/readyz")" 200 "/readyz after the restart"
settle
assert_eq "$(psqlc -c "SELECT count(*) FROM storage_files WHERE version = 'v1.1.0' AND kind = 'zip'")" 1 \
    "the refetched file was committed"
pass "after PostgreSQL restarts the plugin reconnects by itself"

touch "$TMP/stop-traffic"
wait "$traffic"
bad=$(grep -cvE '^(200|503)$' "$TMP/traffic" || true)
assert_eq "$bad" 0 "answers other than 200/503 during the outage: $(sort "$TMP/traffic" | uniq -c | tr '\n' ' ')"
[ "$(grep -c '^200$' "$TMP/traffic")" -gt 0 ] || fail "no successful request in the background traffic"
kill -0 "$STOA_PID" || fail "stoa died"
assert_not_contains "$(cat "$STOA_LOG")" "S3RVER" "credentials in the log"
stop_stoa
pass "background cache hits across the outage: only 200/503, stoa alive, clean exit"
