#!/usr/bin/env bash
# Conditional requests both ways: clients get ETag/Last-Modified and 304 on module
# files; stoa revalidates a stale list with If-None-Match, and the upstream's 304
# restarts the TTL without downloading the list again.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/alpha@v1.0.0
start_upstream "$TMP/up"
start_stoa STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_UPSTREAMS_0_NAME=fixture STOA_CACHE_LIST_TTL=2s \
    STOA_SUMDB_CHECK=off

# 1. Module files: validators and 304s.
zip="$STOA_URL/example.com/alpha/@v/v1.0.0.zip"
curl -sf -D "$TMP/h" -o "$TMP/a.zip" "$zip" || fail "first GET"
etag=$(sed -n 's/^etag: *\([^\r]*\).*/\1/Ip' "$TMP/h")
lm=$(sed -n 's/^last-modified: *\([^\r]*\).*/\1/Ip' "$TMP/h")
[ -n "$etag" ] || fail "no ETag on a module file: $(cat "$TMP/h")"
[ -n "$lm" ] || fail "no Last-Modified on a module file"
assert_eq "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "If-None-Match: $etag" "$zip")" "304 0" \
    "If-None-Match, same: status and body bytes"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: W/$etag, \"x\"" "$zip")" 304 "weak, in a list"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$zip")" 200 "If-None-Match, other"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -I -H "If-None-Match: $etag" "$zip")" 304 "HEAD with If-None-Match"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $lm" "$zip")" 304 "If-Modified-Since = Last-Modified"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT' "$zip")" 200 \
    "If-Modified-Since, older"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' -H "If-Modified-Since: $lm" "$zip")" 200 \
    "If-None-Match wins over If-Modified-Since"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-Modified-Since: garbage' "$zip")" 200 "bad date ignored"
pass "module files carry ETag and Last-Modified; If-None-Match and If-Modified-Since give 304"

# .info and .mod hits are answered from the disk plugin's memory (get_copy): the same
# validators, 304s, HEAD and bytes as files sent from a descriptor.
for ext in info mod; do
    u="$STOA_URL/example.com/alpha/@v/v1.0.0.$ext"
    curl -sf -o /dev/null "$u" || fail "filling .$ext"
    settle
    for i in 1 2; do # a hit that reads the file, then one from memory
        curl -sf -D "$TMP/h.$ext" -o "$TMP/b.$ext" "$u" || fail "GET .$ext"
        cmp -s "$TMP/b.$ext" "$TMP/up/example.com/alpha/@v/v1.0.0.$ext" || fail ".$ext bytes (hit $i)"
    done
    tag=$(sed -n 's/^etag: *\([^\r]*\).*/\1/Ip' "$TMP/h.$ext")
    [ -n "$tag" ] || fail "no ETag on .$ext"
    assert_eq "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "If-None-Match: $tag" "$u")" "304 0" ".$ext If-None-Match"
    assert_eq "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$u")" "200 0" ".$ext HEAD"
    len=$(curl -sI "$u" | tr -d '\r' | sed -n 's/^content-length: *//Ip')
    assert_eq "$len" "$(stat -c %s "$TMP/up/example.com/alpha/@v/v1.0.0.$ext")" ".$ext HEAD Content-Length"
done
pass ".info and .mod hits from memory: same bytes, ETag, 304 and HEAD"

# 2. A stale list is revalidated: the upstream's 304 makes it fresh again.
list="$STOA_URL/example.com/alpha/@v/list"
n_get() { grep -c "^GET /example.com/alpha/@v/list$" "$UPSTREAM_LOG" || true; }
n_304() { grep -c "^304 /example.com/alpha/@v/list$" "$UPSTREAM_LOG" || true; }
assert_eq "$(curl -sf "$list")" "v1.0.0" "first list"
assert_eq "$(n_get)" 1 "list fetches"
sleep 2.2 # let the 2 s TTL run out: freshness is the thing under test
resp=$(curl -sf -D "$TMP/h2" "$list") || fail "stale list"
assert_eq "$resp" "v1.0.0"
assert_eq "$(n_get)" 2 "list fetches after the TTL"
assert_eq "$(n_304)" 1 "304 answers from the upstream"
assert_contains "$(curl -sf -D - -o /dev/null "$list")" "x-cache: HIT"
assert_eq "$(n_get)" 2 "list fetches right after the revalidation"
pass "a stale list is revalidated with If-None-Match; the 304 restarts its TTL without a download"

# 3. A changed list: the conditional request gets the new body.
genmod -out "$TMP/up" example.com/alpha@v1.1.0
sleep 2.2
assert_eq "$(curl -sf "$list" | tr '\n' ' ')" "v1.0.0 v1.1.0 " "list after an upstream change"
assert_eq "$(n_304)" 1 "304 answers after the change"
pass "a changed upstream list replaces the stored one on revalidation"
