#!/usr/bin/env bash
# The cache quota sees every proxied byte (issue 19), not only versions: a module's
# stored @v/list and @latest, and the checksum database tiles stoa keeps. They are
# counted, evicted least recently used first like versions (a module's list and
# latest together, each tile alone), fetched again on demand, and the database's
# signed tree head (trust state, not cache) is never evicted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"

KiB=1024
LIMIT=$((64 * KiB))
genmod -out "$TMP/up" example.com/a@v1.0.0 example.com/b@v1.0.0 example.com/c@v1.0.0
for m in a b c; do # lists of 3,000 versions: about 24 KiB each
    seq 0 2999 | sed 's/^/v1.0./' >"$TMP/up/example.com/$m/@v/list"
    cp "$TMP/up/example.com/$m/@v/v1.0.0.info" "$TMP/up/example.com/$m/@latest"
done
DB=sum.stoa.test
start_sumdb "$DB" "$TMP/up" -pad $((256 * 12 + 10)) # 12 full tiles of 8 KiB at level 0
start_upstream "$TMP/up"
cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: up, url: "$UPSTREAM_URL"}]
namespaces: [{pattern: "*", mode: proxy}]
sumdbs: [{name: $DB, url: "$SUMDB_URL", key: "$SUMDB_KEY"}]
cache: {max_size: $LIMIT, evict_interval: 1h}
storage: {plugin: disk, options: {root: "$TMP/data", fsync: false}}
tmp_dir: "$TMP/data/tmp"
YAML
CONFIG_FILE="$TMP/stoa.yaml" start_stoa

tile() { printf 'tile/8/0/%03d' "$1"; }
get_tile() { curl -sf -o /dev/null "$STOA_URL/sumdb/$DB/$(tile "$1")" || fail "tile $1"; }
get_answers() { for f in @v/list @latest; do curl -sf -o /dev/null "$STOA_URL/example.com/$1/$f" || fail "$1 $f"; done; }
# cached: the bytes of stored tiles, lists and latests (no sidecars, no directories).
cached() {
    find "$TMP/data/sumdb/$DB/tile" "$TMP"/data/example.com/*/@v/list "$TMP"/data/example.com/*/@latest \
        -type f -not -path '*/.meta/*' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'
}
tiles() { # the level-0 tiles stored, by number
    for i in $(seq 0 11); do [ -e "$TMP/data/sumdb/$DB/$(tile "$i")" ] && printf '%d ' "$i"; done
}
lists() { for m in a b c; do [ -e "$TMP/data/example.com/$m/@v/list" ] && printf '%s ' $m; done; }

curl -sf -o /dev/null "$STOA_URL/sumdb/$DB/latest" || fail "latest"
for i in $(seq 0 11); do get_tile "$i"; done
for m in a b c; do get_answers $m; done
get_tile 0 # tile 0 and a's answers are now the most recently used
get_answers a
settle
assert_eq "$(tiles)" "0 1 2 3 4 5 6 7 8 9 10 11 " "every full tile stored"
assert_eq "$(lists)" "a b c " "every list stored"
[ "$(cached)" -gt $((160 * KiB)) ] || fail "expected over 160 KiB of tiles and lists, have $(cached)"
stop_stoa # saves the recency the CLI reads

gc() { STOA_CONFIG="$TMP/stoa.yaml" "$STOA_BIN" gc "$@"; }
plan=$(gc --dry-run) || fail "gc --dry-run: $plan"
assert_contains "$plan" "would evict $DB tile/8/0/001 (8192 bytes"
assert_contains "$plan" "would evict example.com/b's @v/list and @latest"
assert_not_contains "$plan" "tile/8/0/000 "
assert_not_contains "$plan" "example.com/a's"
assert_eq "$(tiles)" "0 1 2 3 4 5 6 7 8 9 10 11 " "the dry run removed nothing"
pass "gc --dry-run plans tiles and a module's list and latest like versions, least recently used first"

gc >"$TMP/gc.out" || fail "gc: $(cat "$TMP/gc.out")"
[ "$(cached)" -le $((LIMIT / 10 * 9)) ] || fail "tiles and lists still over 90% of the limit: $(cached)"
case "$(tiles)" in 0\ *) ;; *) fail "tile 0 (used last) was evicted: $(tiles)" ;; esac
case "$(lists)" in a\ *) ;; *) fail "a's list (used last) was evicted: $(lists)" ;; esac
[ ! -e "$TMP/data/sumdb/$DB/$(tile 1)" ] || fail "tile 1 (least recently used) is still there"
[ ! -e "$TMP/data/example.com/b/@latest" ] || fail "b's @latest went with its list? still there"
[ -e "$TMP/data/sumdb/$DB/latest" ] || fail "the signed tree head was evicted"
pass "gc evicts tiles and lists to 90% of the limit, LRU first; the signed tree head stays (left: tiles $(tiles)lists $(lists))"

# The server does the same on its own, from the ledger: tiles stored by the checksum
# proxy and lists stored by their refresh are noted as they are committed.
sed -i 's/evict_interval: 1h/evict_interval: 100ms/' "$TMP/stoa.yaml"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
hdr=$(curl -s -D - -o "$TMP/t1" "$STOA_URL/sumdb/$DB/$(tile 1)" | tr -d '\r')
assert_contains "$hdr" "x-cache: MISS"
assert_eq "$(stat -c %s "$TMP/t1")" 8192 "an evicted tile fetched again"
assert_eq "$(curl -s "$STOA_URL/example.com/b/@v/list" | wc -l)" 3000 "an evicted list fetched again"
metric() { curl -s "$STOA_URL/metrics" | sed -n "s/^$1 \([0-9]*\)\$/\1/p"; }
walked() { [ "$(metric stoa_cache_walks_total)" -ge 1 ]; }
wait_for walked || fail "no first walk"
for i in $(seq 0 11); do get_tile "$i"; done
for m in a b c; do get_answers $m; done
settle
under() { [ "$(cached)" -le $LIMIT ]; }
wait_for under || fail "the server did not evict tiles and lists: $(cached) bytes"
assert_contains "$(grep 'quota: evicted' "$STOA_LOG" | tail -1)" "(from the ledger)"
# Only tiles, lists and latests are cached here: the ledger's total is their bytes exactly.
exact() { [ "$(metric 'stoa_cache_bytes{kind="proxied"}')" = "$(cached)" ]; }
wait_for exact || fail "stoa_cache_bytes{kind=proxied} $(metric 'stoa_cache_bytes{kind="proxied"}') != $(cached) bytes stored"
proxied=$(metric 'stoa_cache_bytes{kind="proxied"}')
[ -e "$TMP/data/sumdb/$DB/latest" ] || fail "the signed tree head was evicted"
pass "the server counts tiles and lists as they are stored and evicts them from the ledger ($(cached) bytes left, gauge $proxied)"
stop_stoa
