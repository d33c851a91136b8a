#!/usr/bin/env bash
# Foundation acceptance: the real go command downloads, lists, gets and builds through
# stoa with a fixture upstream, and keeps working from the cache once the upstream is
# gone. h1 sums through stoa equal those straight from the upstream.
# TEST_STORAGE=pgs3 runs the same on PostgreSQL + S3 (test_goproxy_pgs3.sh).
. "$(dirname "$0")/lib.sh"
TEST_STORAGE=${TEST_STORAGE:-disk}
if [ "$TEST_STORAGE" = pgs3 ]; then
    . "$(dirname "$0")/lib_pg.sh"
    use_pgs3
fi

genmod -out "$TMP/up" example.com/alpha@v1.0.0 example.com/alpha@v1.1.0 example.com/alpha@v1.2.0 \
    example.com/beta/v2@v2.0.0 example.com/beta/v2@v2.1.0 example.com/Upper/mod@v1.0.0
start_upstream "$TMP/up"
start_stoa STOA_UPSTREAMS_0_NAME=fixture STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_REPOSITORIES_0_NAME=go

# Oracle: the same downloads straight from the fixture upstream.
want=$(GOPROXY_URL="$UPSTREAM_URL" gocmd mod download -json example.com/alpha@v1.1.0 example.com/Upper/mod@v1.0.0 |
    grep -E '"(Sum|GoModSum)"')
: >"$UPSTREAM_LOG" # the oracle's requests do not count as stoa's
clean_modcache
got=$(gocmd mod download -json example.com/alpha@v1.1.0 example.com/Upper/mod@v1.0.0 | grep -E '"(Sum|GoModSum)"')
assert_eq "$got" "$want" "h1 sums through stoa"
pass "go mod download through stoa gives the upstream's h1 sums (incl. a case-encoded path)"

versions=$(gocmd list -m -versions example.com/alpha)
assert_eq "$versions" "example.com/alpha v1.0.0 v1.1.0 v1.2.0" "go list -m -versions"
pass "go list -m -versions"

# A consumer program importing a /v2 module too.
mkdir -p "$TMP/app" && cd "$TMP/app"
cat >go.mod <<'GOMOD'
module example.com/app

go 1.19
GOMOD
cat >main.go <<'GO'
package main

import (
	"fmt"

	"example.com/alpha"
	beta "example.com/beta/v2"
)

func main() { fmt.Println(alpha.V()); fmt.Println(beta.V()) }
GO
gocmd get example.com/alpha@latest example.com/beta/v2@latest 2>"$TMP/get.err" || { cat "$TMP/get.err"; fail "go get"; }
assert_contains "$(cat go.mod)" "example.com/alpha v1.2.0" "go get @latest picks the highest release"
assert_contains "$(cat go.mod)" "example.com/beta/v2 v2.1.0"
gocmd build -o app . || fail "go build through stoa"
out=$(./app)
assert_eq "$out" "$(printf 'example.com/alpha v1.2.0\nexample.com/beta/v2 v2.1.0')" "program output"
pass "go get @latest and go build of a program importing two fixture modules"

# The JFrog-style base serves the same content.
assert_eq "$(http_status GET "$STOA_URL/api/go/go/example.com/alpha/@v/v1.2.0.mod")" 200 "/api/go/go/ base"
assert_eq "$(http_status GET "$STOA_URL/api/go/nope/example.com/alpha/@v/list")" 404 "unknown repository"
pass "/api/go/<repo>/ base"

# Cache results: a second fetch is a HIT, HEAD has headers and no body.
hdr=$(curl -s -D - -o /dev/null "$STOA_URL/example.com/alpha/@v/v1.0.0.zip")
assert_contains "$hdr" "x-cache: MISS"
settle
hdr=$(curl -s -D - -o /dev/null "$STOA_URL/example.com/alpha/@v/v1.0.0.zip")
assert_contains "$hdr" "x-cache: HIT"
assert_contains "$hdr" "immutable"
etag=$(printf '%s' "$hdr" | tr -d '\r' | sed -n 's/^etag: //p')
assert_eq "$(http_status GET "$STOA_URL/example.com/alpha/@v/v1.0.0.zip" -H "If-None-Match: $etag")" 304 "conditional GET"
size=$(curl -s -I "$STOA_URL/example.com/alpha/@v/v1.0.0.zip" | tr -d '\r' | sed -n 's/^content-length: //Ip')
[ "$size" -gt 0 ] || fail "HEAD content-length"
body=$(curl -s -X HEAD --max-time 5 "$STOA_URL/example.com/alpha/@v/v1.0.0.zip" | wc -c || true)
assert_eq "$body" 0 "HEAD sends no body"
pass "X-Cache MISS then HIT, ETag/304, HEAD"

# Each immutable file was fetched from the upstream at most once.
dups=$(grep -E '\.(info|mod|zip)$' "$UPSTREAM_LOG" | sort | uniq -d)
assert_eq "$dups" "" "immutable files fetched upstream more than once"
pass "every immutable file fetched upstream at most once"

# The upstream dies: a clean module cache still builds from stoa's cache.
stop_pid "$UPSTREAM_PID"
clean_modcache
gocmd mod download -json example.com/alpha@v1.1.0 >/dev/null
gocmd build -o app2 . || fail "go build from cache"
assert_eq "$(./app2)" "$out" "program output from cache"
gocmd list -m -versions example.com/alpha >/dev/null
pass "with the upstream down, go mod download and go build succeed from the cache"

# Catalog and index list what is stored.
cat=$(curl -sf "$STOA_URL/catalog?pagesize=2")
assert_contains "$cat" '"modules":[{"module":"example.com/Upper/mod","version":"v1.0.0"}'
assert_contains "$cat" '"next":"'
idx=$(curl -sf "$STOA_URL/index")
assert_contains "$idx" '"Path":"example.com/alpha","Version":"v1.2.0"'
assert_contains "$(curl -sf "$STOA_URL/version")" "\"storage\":\"$TEST_STORAGE\""
pass "/catalog (paginated), /index, /version"

stop_stoa
pass "SIGTERM: clean exit"
