#!/usr/bin/env bash
# pgs3 crash safety: kill -9 of stoa while a zip streams in from a slow upstream, and
# a crash between the S3 upload and the database commit of a publish, leave no
# visible partial version; the second leaves an orphan body that `stoa gc` removes
# (and nothing that a row refers to).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

use_pgs3
genmod -out "$TMP/up" example.com/crash@v1.0.0 example.com/keep@v1.0.0
genmod -out "$TMP/priv" corp.example.com/half@v1.0.0
start_upstream "$TMP/up"
fixture_config
zip=example.com/crash/@v/v1.0.0.zip
blobs() { find "$TMP/s3/stoa/blobs" -name '*._S3rver_object' 2>/dev/null | wc -l; }
rows() { psqlc -c "SELECT count(*) FROM storage_files WHERE module = '$1'"; }

# Something stored that gc must leave alone.
start_stoa
curl -sf -o "$TMP/keep.zip" "$STOA_URL/example.com/keep/@v/v1.0.0.zip" || fail "warm-up fetch"

# 1. kill -9 while the zip is still arriving (the upstream sends one byte per 20 ms).
fault "$UPSTREAM_URL" "/$zip" slow 1
curl -s -o /dev/null "$STOA_URL/$zip" &
client=$!
wait_for grep -q " /$zip\$" "$UPSTREAM_LOG" || fail "the fill did not start"
kill -9 "$STOA_PID"
wait "$STOA_PID" 2>/dev/null || true
wait "$client" 2>/dev/null || true
assert_eq "$(rows example.com/crash)" 0 "rows for the version whose fill was killed"
start_stoa
assert_eq "$(http_status GET "$STOA_URL/example.com/crash/@v/list")" 200 "list after restart"
curl -sf -o "$TMP/crash.zip" "$STOA_URL/$zip" || fail "zip after restart"
cmp -s "$TMP/crash.zip" "$TMP/up/$zip" || fail "zip after restart differs from the upstream's"
pass "kill -9 during a slow zip fill: nothing visible, the next request fills it whole"
stop_stoa

# 2. A crash after the publish's S3 upload, before its commit.
before=$(blobs)
start_stoa STOA_PGS3_CRASH_AT=before_commit
http_status PUT "$STOA_URL/corp.example.com/half/@v/v1.0.0.zip" \
    --data-binary @"$TMP/priv/corp.example.com/half/@v/v1.0.0.zip" >/dev/null || true
wait "$STOA_PID" 2>/dev/null && fail "stoa should have died at the crash point" || true
[ "$(blobs)" -gt "$before" ] || fail "the crash point was reached before any upload"
assert_eq "$(rows corp.example.com/half)" 0 "rows of the half-published version"
start_stoa
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/half/@v/v1.0.0.zip")" 404 "half-published zip"
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/half/@v/v1.0.0.info")" 404 "half-published info"
list=$(curl -s "$STOA_URL/corp.example.com/half/@v/list")
assert_not_contains "$list" "v1.0.0" "half-published version listed"
pass "a crash between upload and commit leaves no visible version"

# 3. gc: within the grace period nothing goes; with none, exactly the orphans go.
out=$(env "${PGS3_ENV[@]}" "$STOA_BIN" gc 2>&1) || fail "stoa gc: $out"
assert_contains "$out" "removed 0 object(s)"
orphans=$(psqlc -c "SELECT count(*) FROM storage_blobs b WHERE NOT EXISTS
    (SELECT 1 FROM storage_files f WHERE f.sha256 = b.sha256)")
[ "$orphans" -gt 0 ] || fail "expected orphan bodies after the crash"
referenced=$(psqlc -c "SELECT count(DISTINCT sha256) FROM storage_files")
out=$(env "${PGS3_ENV[@]}" STOA_STORAGE_OPTIONS_GC_GRACE=0s "$STOA_BIN" gc 2>&1) || fail "stoa gc: $out"
assert_contains "$out" "removed $orphans object(s)"
assert_eq "$(blobs)" "$referenced" "S3 objects left = bodies rows refer to"
curl -sf -o "$TMP/keep2.zip" "$STOA_URL/example.com/keep/@v/v1.0.0.zip" || fail "stored zip after gc"
cmp -s "$TMP/keep.zip" "$TMP/keep2.zip" || fail "stored zip changed after gc"
pass "stoa gc removes orphan bodies older than the grace period and nothing else"

# 4. The half-published version can be published again after gc.
code=$(http_status PUT "$STOA_URL/corp.example.com/half/@v/v1.0.0.zip" \
    --data-binary @"$TMP/priv/corp.example.com/half/@v/v1.0.0.zip")
assert_eq "$code" 201 "publish after the crash and gc"
curl -sf -o "$TMP/half.zip" "$STOA_URL/corp.example.com/half/@v/v1.0.0.zip" || fail "zip after republish"
cmp -s "$TMP/half.zip" "$TMP/priv/corp.example.com/half/@v/v1.0.0.zip" || fail "republished zip differs"
pass "publishing again after the crash works"
stop_stoa
