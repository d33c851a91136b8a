#!/usr/bin/env bash
# Hostile and malformed paths: each gets a clear 400/404/405 in text/plain, nothing
# outside the storage root is touched, and none of it reaches the upstream.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/m@v1.0.0
start_upstream "$TMP/up"
echo "canary" >"$TMP/secret"
DATA="$TMP/data" start_stoa STOA_UPSTREAMS_0_URL="$UPSTREAM_URL"
before=$(find "$TMP" -path "$TMP/data" -prune -o -path "$TMP/gohome" -prune -o -type f -print | grep -v '\.log$' | sort)

check() { # check EXPECTED METHOD PATH
    local got
    got=$(http_status "$2" "$STOA_URL$3")
    [ "$got" = "$1" ] || fail "$2 $3: expected $1, got $got"
}
# 400: not a well-formed GOPROXY path
for p in '/../secret' '/%2e%2e/secret/@v/list' '/example.com/%2e%2e/%2e%2e/secret/@v/list' \
    '/example.com/m/@v/..%2f..%2fsecret.info' '/example.com/m%00/@v/list' '/example.com/m/@v/v1.0.0.zip%00' \
    '/example.com%5cm/@v/list' '//etc/passwd/@v/list' '/example.com/Foo/@v/list' '/example.com/!Foo/@v/list' \
    '/example.com/foo!/@v/list' '/example.com/m/@v/v1.info.zip' '/example.com/m/@v/1.0.0.zip' '/example.com/m/@v/v1.zip' \
    '/example.com/m/@v/v1.0.0.tar' '/example.com/m/@v/sub/v1.0.0.zip' '/example.com/m/@bogus' '/example.com/m/@v/%zz.zip' \
    '/-bad.com/m/@v/list' '/nodot/m/@v/list' '/example.com/m/@v/' "/example.com/$(head -c 600 /dev/zero | tr '\0' a)/@v/list"; do
    check 400 GET "$p"
done
pass "malformed paths answer 400"

# 404: well-formed, names nothing here
check 404 GET '/example.com/m/v2/@v/v1.0.0.zip'   # major suffix mismatch
check 404 GET '/example.com/m/@v/v2.0.0.zip'      # v2 needs /v2
check 404 GET '/no/such/path'
check 404 GET '/ui'
check 404 GET '/api/go/go/'         # a repository base is GOPROXY only (the UI is at /)
pass "well-formed but unknown paths answer 404"

check 405 POST '/example.com/m/@v/list'
check 405 DELETE '/example.com/m/@v/list'
check 405 PUT '/example.com/m/@latest'
pass "other methods answer 405"

body=$(curl -s --path-as-is "$STOA_URL/%2e%2e/secret/@v/list")
assert_not_contains "$body" "canary"
ctype=$(curl -s -o /dev/null -w '%{content_type}' --path-as-is "$STOA_URL/example.com/Foo/@v/list")
assert_contains "$ctype" "text/plain"
assert_contains "$(curl -s "$STOA_URL/example.com/Foo/@v/list")" "upper-case"
pass "errors are short text/plain explanations"

after=$(find "$TMP" -path "$TMP/data" -prune -o -path "$TMP/gohome" -prune -o -type f -print | grep -v '\.log$' | sort)
assert_eq "$after" "$before" "files outside the storage root"
assert_eq "$(cat "$TMP/secret")" "canary"
assert_eq "$(grep -c . "$UPSTREAM_LOG" || true)" 0 "requests reaching the upstream"
pass "nothing outside the storage root touched; no malformed request reached the upstream"
