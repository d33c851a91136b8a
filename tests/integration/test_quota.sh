#!/usr/bin/env bash
# Cache quota: proxied versions beyond cache.max_size are evicted least recently used
# first; published versions are never evicted; `stoa gc --dry-run` shows the plan and
# changes nothing; an evicted version is fetched again on demand.
. "$(dirname "$0")/lib.sh"

MiB=$((1024 * 1024))
genmod -out "$TMP/up" -pad $MiB example.com/q1@v1.0.0 example.com/q2@v1.0.0 example.com/q3@v1.0.0 \
    example.com/q4@v1.0.0 example.com/q5@v1.0.0
genmod -out "$TMP/priv" -pad $MiB corp.example.com/p@v1.0.0
start_upstream "$TMP/up"
cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: up, url: "$UPSTREAM_URL"}]
namespaces: [{pattern: corp.example.com, mode: private}, {pattern: "*", mode: proxy}]
cache: {max_size: $((3 * MiB + MiB / 2)), evict_interval: 1h}
storage: {plugin: disk, options: {root: "$TMP/data", fsync: false}}
tmp_dir: "$TMP/data/tmp"
YAML
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
fetch() { for f in info mod zip; do curl -sf -o /dev/null "$STOA_URL/$1/@v/v1.0.0.$f" || fail "fetch $1 .$f"; done; }
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$TMP/priv/corp.example.com/p/@v/v1.0.0.zip" \
    "$STOA_URL/corp.example.com/p/@v/v1.0.0.zip")" 201 "publish"
for m in q1 q2 q3 q4 q5; do fetch example.com/$m; done
fetch example.com/q1 # q1 is now the most recently used; q2 the least
settle
stored() { # the modules whose v1.0.0 is stored
    for m in q1 q2 q3 q4 q5; do [ -e "$TMP/data/example.com/$m/@v/v1.0.0.info" ] && printf '%s ' $m; done
}
assert_eq "$(stored)" "q1 q2 q3 q4 q5 " "all five cached"
stop_stoa # saves the recency the CLI reads

gc() { STOA_CONFIG="$TMP/stoa.yaml" "$STOA_BIN" gc "$@"; }
plan=$("$STOA_BIN" gc --dry-run --config "$TMP/stoa.yaml") || fail "gc --dry-run --config FILE"
assert_contains "$plan" "would evict example.com/q2@v1.0.0"
assert_contains "$plan" "would evict example.com/q3@v1.0.0"
assert_not_contains "$plan" "q1@"
assert_not_contains "$plan" "corp.example.com"
assert_eq "$(stored)" "q1 q2 q3 q4 q5 " "dry run deleted nothing"
pass "gc --dry-run lists the least recently used proxied versions, never the published one, and deletes nothing"

gc >"$TMP/gc.out" || fail "gc"
assert_eq "$(stored)" "q1 q4 q5 " "after gc"
[ -e "$TMP/data/corp.example.com/p/@v/v1.0.0.zip" ] || fail "the published version was evicted"
pass "gc evicts down to 90% of the limit, LRU first: q2 and q3 went, q1 (used again) stayed"

# The server enforces the limit by itself too, and an evicted version comes back on demand.
sed -i 's/evict_interval: 1h/evict_interval: 200ms/' "$TMP/stoa.yaml"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
hdr=$(curl -s -D - -o /dev/null "$STOA_URL/example.com/q2/@v/v1.0.0.zip" | tr -d '\r')
assert_contains "$hdr" "x-cache: MISS"
for m in q2 q3; do fetch example.com/$m; done
settle # answered early, committed after: the ledger has every byte once fills end
under() { [ "$(du -sb "$TMP/data/example.com" | cut -f1)" -le $((3 * MiB + MiB / 2)) ]; }
wait_for under || fail "the server did not enforce cache.max_size: $(du -sb "$TMP/data/example.com")"
assert_eq "$(curl -s -D - -o /dev/null "$STOA_URL/corp.example.com/p/@v/v1.0.0.zip" | tr -d '\r' | grep -c 'x-cache: HIT')" 1 "published"
assert_contains "$(grep 'quota' "$STOA_LOG")" "evicted"
metric() { curl -s "$STOA_URL/metrics" | sed -n "s/^$1 \([0-9]*\)\$/\1/p"; }
evicted() { [ "$(metric stoa_cache_evictions_total)" -ge 1 ]; }
wait_for evicted || fail "stoa_cache_evictions_total after evictions: $(metric stoa_cache_evictions_total)"
assert_eq "$(metric stoa_cache_limit_bytes)" $((3 * MiB + MiB / 2)) "stoa_cache_limit_bytes"
[ "$(metric stoa_cache_evicted_bytes_total)" -gt 0 ] || fail "stoa_cache_evicted_bytes_total"
proxied=$(metric 'stoa_cache_bytes{kind="proxied"}')
[ -n "$proxied" ] && [ "$proxied" -le $((3 * MiB + MiB / 2)) ] || fail "stoa_cache_bytes{kind=proxied} '$proxied'"
[ "$(metric 'stoa_cache_bytes{kind="published"}')" -gt 0 ] || fail "stoa_cache_bytes{kind=published}"
[ "$(metric stoa_cache_last_eviction_round_timestamp_seconds)" -ge "$(($(date +%s) - 60))" ] || fail "last round time"
pass "the server evicts on its own schedule; evicted versions are re-fetched (MISS); published ones stay; the metrics show it"
stop_stoa

# A cache filled by .zip requests alone (no .info stored) is seen and evicted down to
# the limit (issue 19); the published version stays.
rm -rf "$TMP/data/example.com" "$TMP/data/stoa-recency"*
sed -i 's/evict_interval: 200ms/evict_interval: 1h/' "$TMP/stoa.yaml" # no evictor racing the fill
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
for m in q1 q2 q3 q4 q5; do curl -sf -o /dev/null "$STOA_URL/example.com/$m/@v/v1.0.0.zip" || fail "zip $m"; done
settle
stop_stoa
zips() { ls "$TMP"/data/example.com/*/@v/v1.0.0.zip 2>/dev/null | wc -l; }
[ "$(ls "$TMP"/data/example.com/*/@v/v1.0.0.info 2>/dev/null | wc -l)" = 0 ] || fail "expected a zip-only cache"
before=$(zips)
[ "$before" -ge 4 ] || fail "expected at least 4 cached zips, got $before"
gc >"$TMP/gc2.out" || fail "gc of a zip-only cache"
assert_contains "$(cat "$TMP/gc2.out")" "evicted example.com/q"
[ "$(du -sb "$TMP/data/example.com" | cut -f1)" -le $((3 * MiB + MiB / 2)) ] || fail "zip-only cache still over the limit"
[ -e "$TMP/data/corp.example.com/p/@v/v1.0.0.zip" ] || fail "the published version was evicted"
pass "a cache of .zip files alone is accounted and evicted to the limit ($before zips before: $(zips) after)"

# A SIGHUP that sets a limit takes effect (issue 15): start with no limit at all (so no
# evictor had anything to enforce), fill past the new limit, reload, and watch it enforced.
rm -rf "$TMP/data/example.com"
sed -i "s/max_size: $((3 * MiB + MiB / 2)), evict_interval: 1h/max_size: 0, evict_interval: 1h/" "$TMP/stoa.yaml"
grep -q 'max_size: 0, evict_interval: 1h' "$TMP/stoa.yaml" || fail "test setup: config not rewritten"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
for m in q1 q2 q3 q4 q5; do fetch example.com/$m; done
settle
[ "$(du -sb "$TMP/data/example.com" | cut -f1)" -gt $((4 * MiB)) ] || fail "expected more than 4 MiB cached"
sed -i "s/max_size: 0, evict_interval: 1h/max_size: $((3 * MiB + MiB / 2)), evict_interval: 200ms/" "$TMP/stoa.yaml"
kill -HUP "$STOA_PID"
reloaded() { grep -q 'configuration reloaded' "$STOA_LOG"; }
wait_for reloaded || fail "no reload logged: $(tail -3 "$STOA_LOG")"
wait_for under || fail "a reloaded cache.max_size was not enforced: $(du -sb "$TMP/data/example.com")"
[ -e "$TMP/data/corp.example.com/p/@v/v1.0.0.zip" ] || fail "the published version was evicted"
pass "a SIGHUP that sets cache.max_size and evict_interval is enforced by the running server"
stop_stoa

# Rounds that know the cache fits do not walk storage (issue 19): the last walk's total
# plus what fills stored since. A fill past the limit makes the next round walk and
# evict at once, well before the resync walk (every 30 rounds: 3 s at 100ms here).
rm -rf "$TMP/data/example.com"
sed -i "s/evict_interval: 200ms/evict_interval: 100ms/" "$TMP/stoa.yaml"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
skipped() { [ "$(metric stoa_cache_rounds_skipped_total)" -ge 3 ]; }
wait_for skipped || fail "no skipped rounds: $(curl -s "$STOA_URL/metrics" | grep rounds_skipped)"
for m in q1 q2 q3 q4 q5; do fetch example.com/$m; done
settle
t0=$(date +%s%N)
for i in $(seq 1 40); do under && break; sleep 0.05; done
ms=$((($(date +%s%N) - t0) / 1000000))
under || fail "not evicted within 2 s of the fills (the fills were not counted?): $(du -sb "$TMP/data/example.com")"
pass "rounds skip the walk while the cache fits ($(metric stoa_cache_rounds_skipped_total) skipped); fills past the limit are evicted ${ms} ms after"

# Victims come from the ledger, not a walk (issue 19): right after a resync walk (every
# 30 rounds), fill past the limit; the next round evicts the least recently used
# versions without walking storage again.
rm -rf "$TMP/data/example.com"
walks() { metric stoa_cache_walks_total; }
w0=$(walks)
walked() { [ "$(walks)" -gt "$w0" ]; }
wait_for walked || fail "no resync walk within 15 s: $(curl -s "$STOA_URL/metrics" | grep cache_walks)"
w1=$(walks)
for m in q1 q2 q3 q4 q5; do fetch example.com/$m; done
settle
wait_for under || fail "not evicted: $(du -sb "$TMP/data/example.com")"
assert_eq "$(walks)" "$w1" "walks while filling and evicting (the fills took over 3 s?)"
assert_eq "$(stored)" "q3 q4 q5 " "left after evicting from the ledger"
# One round or two (a round may run between the fills), each from the ledger.
assert_contains "$(grep 'quota: evicted' "$STOA_LOG" | tail -1)" "(from the ledger)"
[ -e "$TMP/data/corp.example.com/p/@v/v1.0.0.zip" ] || fail "the published version was evicted"
proxied=$(metric 'stoa_cache_bytes{kind="proxied"}')
[ "$proxied" -le $((3 * MiB + MiB / 2)) ] && [ "$proxied" -ge $((3 * MiB)) ] || fail "proxied bytes gauge '$proxied'"
pass "the next round after the fills evicted q1 and q2 (least recently used) from the ledger, no walk (walks stayed $w1)"

# An admin DELETE is forgotten by the ledger; a version deleted behind its back (another
# process) is skipped as a victim, and the next victim goes instead.
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$STOA_URL/example.com/q3/@v/v1.0.0.zip")" 200 "DELETE q3"
ledger_lost_q3() { [ "$(metric 'stoa_cache_bytes{kind="proxied"}')" -lt $((3 * MiB)) ]; }
wait_for ledger_lost_q3 || fail "the ledger still counts the deleted q3: $(metric 'stoa_cache_bytes{kind="proxied"}')"
rm -rf "$TMP/data/example.com/q4" # behind the server's back
w2=$(walks)
for m in q1 q2 q3; do fetch example.com/$m; done # 4 MiB live, and q4 in the ledger
settle
evicted_q5() { [ "$(stored)" = "q1 q2 q3 " ]; }
wait_for evicted_q5 || fail "expected q1 q2 q3 left, have: $(stored)"
[ "$(walks)" -le $((w2 + 1)) ] || fail "walks went from $w2 to $(walks)"
pass "a DELETE leaves the ledger at once; a version gone behind its back is skipped and q5 evicted instead"
stop_stoa
