#!/usr/bin/env bash
# Issue 19 across replicas: two stoa processes on one pgs3 store, A enforcing
# cache.max_size. B's fills reach A's cache ledger when they commit (LISTEN/NOTIFY,
# migration 0008), so A evicts down to the limit from its ledger, without walking
# storage; a DELETE through B leaves A's ledger at once; and a cut watcher connection
# makes A walk again rather than trust a ledger that may have missed changes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

MiB=$((1024 * 1024))
LIMIT=$((3 * MiB + MiB / 2))
use_pgs3
genmod -out "$TMP/up" -pad $MiB example.com/r1@v1.0.0 example.com/r2@v1.0.0 example.com/r3@v1.0.0 \
    example.com/r4@v1.0.0 example.com/r5@v1.0.0
start_upstream "$TMP/up"
fixture_config
# A resync walk comes every 30 rounds: 15 s at 500 ms, the window each step must fit.
start_stoa STOA_CACHE_MAX_SIZE=$LIMIT STOA_CACHE_EVICT_INTERVAL=500ms && A=$STOA_URL && A_LOG=$STOA_LOG && A_PID=$STOA_PID
start_stoa && B=$STOA_URL && B_PID=$STOA_PID # no limit: B only fills and deletes

metric() { curl -s "$A/metrics" | sed -n "s/^$1 \([0-9]*\)\$/\1/p"; }
walks() { metric stoa_cache_walks_total; }
proxied() { metric 'stoa_cache_bytes{kind="proxied"}'; }
stored() { psqlc -c "SELECT count(*) FROM storage_files WHERE module LIKE 'example.com/r_' AND kind = 'zip'"; }
stored_bytes() { psqlc -c "SELECT coalesce(sum(size), 0) FROM storage_files WHERE module LIKE 'example.com/r_'"; }
fetch() { for f in info mod zip; do curl -sf -o /dev/null "$B/$1/@v/v1.0.0.$f" || fail "fetch $1 .$f on B"; done; }

# A's first round walks storage; the resync walk is 30 rounds after it.
walked() { [ "$(walks)" -ge 1 ]; }
wait_for walked || fail "A never walked storage: $(curl -s "$A/metrics" | grep cache_walks)"
w1=$(walks)

# 1. Fills through B, past A's limit: A evicts from its ledger, no walk.
for m in r1 r2 r3 r4 r5; do fetch example.com/$m; done
settle "$B"
under() { [ "$(stored_bytes)" -le $LIMIT ]; }
wait_for under || fail "A did not evict B's fills: $(stored_bytes) bytes stored, limit $LIMIT; $(grep quota "$A_LOG")"
assert_eq "$(walks)" "$w1" "A's walks while B filled and A evicted (a resync walk came?)"
assert_contains "$(grep 'quota: evicted' "$A_LOG" | tail -1)" "(from the ledger)"
assert_eq "$(stored)" 3 "versions left after evicting two of five"
p=$(proxied)
[ "$p" -ge $((3 * MiB)) ] && [ "$p" -le $LIMIT ] || fail "A's proxied bytes gauge '$p' after the eviction"
pass "B's fills reached A's ledger: A evicted down to the limit from the ledger, no walk (walks stayed $w1)"

# 2. A DELETE through B leaves A's ledger at once.
left=$(psqlc -c "SELECT module FROM storage_files WHERE module LIKE 'example.com/r_' AND kind = 'zip' LIMIT 1")
assert_eq "$(http_status DELETE "$B/$left/@v/v1.0.0.zip")" 200 "DELETE $left through B"
dropped() { [ "$(proxied)" -lt $((p - MiB)) ]; }
t0=$(date +%s%N)
wait_for dropped || fail "A's ledger still counts $left: $(proxied) (was $p)"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$(walks)" "$w1" "A's walks after the DELETE on B"
pass "a DELETE on B left A's ledger ${ms} ms after, without a walk ($p -> $(proxied) bytes)"

# 3. A cut watcher connection may have missed changes: A's next rounds walk (once when
# it is lost, once when it listens again), well before the resync.
w2=$(walks)
psqlc -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'stoa-pgs3-watch'" \
    >/dev/null
wait_for grep -q "listening for removals again" "$A_LOG" || fail "A did not listen again: $(tail -5 "$A_LOG")"
rewalked() { [ "$(walks)" -ge $((w2 + 2)) ]; }
wait_for rewalked || fail "A did not walk after losing its watcher: walks $w2 -> $(walks)"
pass "a lost watcher session makes A walk storage again ($w2 -> $(walks) walks)"

# 4. A row whose announcement would pass NOTIFY's 8000 bytes (not one stoa writes: its
# module paths are at most 512) is still stored, and announced as lost: A walks.
w3=$(walks)
psqlc -c "INSERT INTO storage_blobs (sha256, size) VALUES (repeat('0', 64), 1) ON CONFLICT DO NOTHING;
    INSERT INTO storage_files (module, version, kind, size, sha256, origin)
    VALUES ('example.com/' || repeat('x', 8000), 'v1.0.0', 'zip', 1, repeat('0', 64), 'fixture')" >/dev/null ||
    fail "a long row could not be stored"
for i in $(seq 1 30); do [ "$(walks)" -gt "$w3" ] && break; sleep 0.1; done # the resync is 15 s away
[ "$(walks)" -gt "$w3" ] || fail "A did not walk within 3 s of a change it could not be told: walks stayed $w3"
pass "a row too long to announce is stored and makes A walk ($w3 -> $(walks) walks)"

# Both stop cleanly (exit 0) with their watchers running: no callback outlives storage.
STOA_PID=$B_PID stop_stoa
STOA_PID=$A_PID stop_stoa
