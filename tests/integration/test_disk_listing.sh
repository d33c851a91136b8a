#!/usr/bin/env bash
# Issue 19: the disk plugin pages /catalog and /index from its own index. Cursors stay
# valid across a restart (commit order is the .info's nanosecond mtime, stamped at
# commit), a version removed behind the server's back (by another process) is not
# listed, a cursor of the old walk-per-page listing is still accepted, and the catalog
# pages exactly.
. "$(dirname "$0")/lib.sh"

N=30
specs=()
for i in $(seq -w 0 $((N - 1))); do specs+=("example.com/l$i@v1.0.0" "example.com/l$i@v1.1.0"); done
genmod -out "$TMP/up" "${specs[@]}"
start_upstream "$TMP/up"
start_stoa STOA_UPSTREAMS_0_NAME=fixture STOA_UPSTREAMS_0_URL="$UPSTREAM_URL"
for s in "${specs[@]}"; do curl -sf -o /dev/null "$STOA_URL/${s%@*}/@v/${s#*@}.info" || fail "fill $s"; done
settle

next_of() { tr -d '\r' <"$TMP/h" | awk -F': ' 'tolower($1)=="stoa-index-next"{print $2}'; }
index_page() { curl -sf -D "$TMP/h" -o "$TMP/page" "$STOA_URL/index?limit=$1&after=$2" || fail "/index after=$2"; }

# 1. Half the index, a restart, the rest from the same cursor.
index_page 25 ""
cat "$TMP/page" >"$TMP/seen"
cursor=$(next_of)
case $cursor in n[0-9]*.[0-9a-f]*) ;; *) fail "unexpected cursor shape: $cursor" ;; esac
stop_stoa
start_stoa STOA_UPSTREAMS_0_NAME=fixture STOA_UPSTREAMS_0_URL="$UPSTREAM_URL"
after=$cursor
while :; do
    index_page 10 "$after"
    cat "$TMP/page" >>"$TMP/seen"
    [ "$(next_of)" = "$after" ] && break
    after=$(next_of)
done
assert_eq "$(grep -c '"Path"' "$TMP/seen")" $((2 * N)) "versions paged across a restart"
assert_eq "$(sort -u "$TMP/seen" | grep -c '"Path"')" $((2 * N)) "distinct versions paged across a restart"
pass "an /index cursor from before a restart resumes exactly: $((2 * N)) versions, each once"

# 2. Removed by another process (the files gone, not through this server): not listed.
rm "$DATA/example.com/l03/@v/v1.0.0.info"
curl -sf "$STOA_URL/index?limit=1000" >"$TMP/all"
assert_eq "$(grep -c '"Path"' "$TMP/all")" $((2 * N - 1)) "versions after one .info was removed by hand"
assert_not_contains "$(grep 'example.com/l03' "$TMP/all")" '"Version":"v1.0.0"'
curl -sf "$STOA_URL/catalog?pagesize=1000" >"$TMP/cat"
assert_not_contains "$(cat "$TMP/cat")" '{"module":"example.com/l03","version":"v1.0.0"}' "the catalog"
pass "a version removed behind the server's back is listed by neither /index nor /catalog"

# 3. The catalog by token, two at a time: every version once, in order.
token=""
: >"$TMP/catseen"
while :; do
    body=$(curl -sf "$STOA_URL/catalog?pagesize=7&token=$token") || fail "/catalog token=$token"
    grep -o '{"module":"[^"]*","version":"[^"]*"}' <<<"$body" >>"$TMP/catseen" || true
    token=$(sed 's/.*"next":"\([^"]*\)".*/\1/' <<<"$body")
    [ -z "$token" ] && break
done
assert_eq "$(wc -l <"$TMP/catseen")" $((2 * N - 1)) "catalog entries paged"
sort -c "$TMP/catseen" 2>/dev/null || LC_ALL=C sort -c "$TMP/catseen" || fail "catalog not in order"
assert_eq "$(sort -u "$TMP/catseen" | wc -l)" $((2 * N - 1)) "distinct catalog entries"
pass "/catalog pages by token, each version once, in order"

# 4. A cursor of the old listing ("<seconds>.<hash>") still places a reader.
sec=$(date +%s)
index_page 1000 "$((sec - 3600)).0000000000000000"
assert_eq "$(grep -c '"Path"' "$TMP/page")" $((2 * N - 1)) "everything after an hour-old fallback cursor"
index_page 1000 "$((sec + 3600)).0000000000000000"
assert_eq "$(grep -c '"Path"' "$TMP/page")" 0 "nothing after a future fallback cursor"
assert_eq "$(http_status GET "$STOA_URL/index?after=n12x.zz")" 400 "a malformed cursor"
for c in n99999999999999999999999.ff n-1.0 "n+5.0" n1.00000000000000000 n1. 1.0.0; do
    assert_eq "$(http_status GET "$STOA_URL/index?after=$c")" 400 "cursor $c"
done
# A parameter that does not decode is a malformed one, not an absent one (1.%00 used
# to read as no cursor at all, and page from the start).
for q in "index?after=1.%00" "index?after=%zz" "index?since=%00" "index?limit=1%" "catalog?token=%00" \
    "catalog?pagesize=%zz" "?q=%00" "?q=a%2" "?from=%00"; do
    assert_eq "$(http_status GET "$STOA_URL/$q")" 400 "/$q"
done
assert_eq "$(http_status GET "$STOA_URL/?q=$(head -c 300 /dev/zero | tr '\0' a)")" 400 "a q over 255 bytes"
assert_eq "$(http_status GET "$STOA_URL/?q=corp%2Fx")" 200 "a well-formed q"
pass "cursors of the walk-per-page listing are still accepted; malformed ones, and parameters that do not decode, are 400"
