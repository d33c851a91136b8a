#!/usr/bin/env bash
# /index paged by its cursor (Stoa-Index-Next, after=) reports every version exactly
# once while fills commit concurrently, many within the same second (issue 19).
# TEST_STORAGE=disk runs it on the disk plugin's listing.
. "$(dirname "$0")/lib.sh"
TEST_STORAGE=${TEST_STORAGE:-pgs3}
if [ "$TEST_STORAGE" = pgs3 ]; then
    . "$(dirname "$0")/lib_pg.sh"
    use_pgs3
fi
N=60
specs=()
for i in $(seq 0 $((N - 1))); do specs+=("example.com/many@v1.0.$i"); done
genmod -out "$TMP/up" "${specs[@]}"
start_upstream "$TMP/up"
start_stoa STOA_UPSTREAMS_0_NAME=fixture STOA_UPSTREAMS_0_URL="$UPSTREAM_URL"

# Fill every version in the background while a reader pages seven at a time.
(for i in $(seq 0 $((N - 1))); do curl -sf -o /dev/null "$STOA_URL/example.com/many/@v/v1.0.$i.info"; done) &
filler=$!
after="" done_filling=0
: >"$TMP/seen"
while :; do
    curl -sf -D "$TMP/h" -o "$TMP/page" "$STOA_URL/index?limit=7&after=$after" || fail "/index after=$after"
    cat "$TMP/page" >>"$TMP/seen"
    next=$(tr -d '\r' <"$TMP/h" | awk -F': ' 'tolower($1)=="stoa-index-next"{print $2}')
    if [ "$next" = "$after" ]; then
        [ "$done_filling" = 1 ] && break
        kill -0 "$filler" 2>/dev/null || { wait "$filler" || fail "fills"; done_filling=1; }
    fi
    after=$next
done
total=$(grep -c '"Path":"example.com/many"' "$TMP/seen")
uniq=$(grep '"Path":"example.com/many"' "$TMP/seen" | sort -u | wc -l)
assert_eq "$uniq" "$N" "distinct versions paged"
assert_eq "$total" "$N" "versions paged (duplicates?)"
secs=$(grep -o '"Timestamp":"[^"]*"' "$TMP/seen" | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
[ "$secs" -gt 7 ] || fail "expected more than one page within one second, max per second was $secs"
pass "/index by cursor: $N versions exactly once across concurrent fills (up to $secs in one second)"
assert_eq "$(http_status GET "$STOA_URL/index?after=bad!cursor")" 400 "a malformed cursor"
