#!/usr/bin/env bash
# Issue 18: pgs3 hits without PostgreSQL. A replica answers a hit on an immutable file
# from what it remembers and its local body cache; a version removed anywhere (through
# another replica, or by hand in psql) reaches it through LISTEN/NOTIFY (migration 0006)
# so it is not served afterwards, and a lost watcher connection is made again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

use_pgs3
genmod -out "$TMP/up" example.com/hot@v1.0.0
genmod -out "$TMP/priv" corp.example.com/a@v1.0.0 corp.example.com/b@v1.0.0 corp.example.com/c@v1.0.0
start_upstream "$TMP/up"
fixture_config
start_stoa && A=$STOA_URL
start_stoa && B=$STOA_URL && B_LOG=$STOA_LOG
for m in a b c; do
    assert_eq "$(http_status PUT "$A/corp.example.com/$m/@v/v1.0.0.zip" \
        --data-binary @"$TMP/priv/corp.example.com/$m/@v/v1.0.0.zip")" 201 "publish $m through A"
done
hot=example.com/hot/@v/v1.0.0
for f in info mod zip; do curl -sf -o /dev/null "$A/$hot.$f" || fail "fill $f through A"; done
settle "$A"
# One lookup through PostgreSQL (and S3, for the body cache) makes B remember a file.
for f in info mod zip; do
    curl -sf -o /dev/null "$B/$hot.$f" || fail "first hit of $f on B"
    curl -sf -o /dev/null "$B/corp.example.com/a/@v/v1.0.0.$f" || fail "first hit of a's $f on B"
done

# 1. Hits while storage_files is locked: a lookup in PostgreSQL would wait (lock_timeout
# 30 s), a hit from memory does not.
psql "$PG_DSN" -qAtX -c "BEGIN; LOCK TABLE storage_files IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" \
    >/dev/null 2>&1 &
locker=$!
PIDS+=("$locker")
locked() { [ "$(psqlc -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    WHERE c.relname = 'storage_files' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]; }
wait_for locked || fail "the table lock was not taken"
for f in info mod zip; do
    hdr=$(curl -s -m 5 -D - -o "$TMP/hot.$f" "$B/$hot.$f" | tr -d '\r') || fail "the hit of $f waited for PostgreSQL"
    assert_contains "$hdr" "x-cache: HIT" "$f from memory"
    cmp -s "$TMP/hot.$f" "$TMP/up/$hot.$f" || fail "wrong bytes for $f from memory"
done
assert_eq "$(http_status GET "$B/example.com/hot/@v/list" -m 1)" 000 "a list (mutable, asks PostgreSQL) while locked"
psqlc -c "SELECT pg_cancel_backend(pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    WHERE c.relname = 'storage_files' AND l.mode = 'AccessExclusiveLock'" >/dev/null
wait "$locker" 2>/dev/null || true
pass "info, mod and zip hits on pgs3 are answered without PostgreSQL once seen"

# 2. A version deleted through A is not served by B, which had it in memory.
assert_eq "$(http_status DELETE "$A/corp.example.com/a/@v/v1.0.0.zip")" 200 "delete a through A"
r=$(not_served "$B/corp.example.com/a/@v/v1.0.0.zip")
assert_contains "$r" "404 after" "B after the delete on A"
assert_eq "$(http_status GET "$B/corp.example.com/a/@v/v1.0.0.info")" 404 "a's info on B"
pass "a version deleted on one replica is not served by another that remembered it ($r try)"

# 3. A version deleted by hand in psql is forgotten the same way.
curl -sf -o /dev/null "$B/corp.example.com/b/@v/v1.0.0.mod" || fail "b's mod on B"
curl -sf -o /dev/null "$B/corp.example.com/b/@v/v1.0.0.mod" || fail "b's mod on B, again"
psqlc -c "DELETE FROM storage_files WHERE module = 'corp.example.com/b'" >/dev/null
r=$(not_served "$B/corp.example.com/b/@v/v1.0.0.mod")
assert_contains "$r" "404 after" "B after a DELETE in psql"
pass "rows deleted in psql are not served by a replica that remembered them ($r try)"

# 4. The watcher's connection is cut: it says so, listens again, and removals still reach B.
assert_eq "$(psqlc -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE application_name = 'stoa-pgs3-watch'")" 2 "watchers terminated (one per replica)"
wait_for grep -q "listening for removals again" "$B_LOG" || fail "B did not listen again: $(tail -5 "$B_LOG")"
assert_contains "$(cat "$B_LOG")" "lost the PostgreSQL connection that hears of removals"
curl -sf -o /dev/null "$B/corp.example.com/c/@v/v1.0.0.zip" || fail "c's zip on B"
curl -sf -o /dev/null "$B/corp.example.com/c/@v/v1.0.0.zip" || fail "c's zip on B, again"
assert_eq "$(http_status DELETE "$A/corp.example.com/c/@v/v1.0.0.zip")" 200 "delete c through A"
r=$(not_served "$B/corp.example.com/c/@v/v1.0.0.zip")
assert_contains "$r" "404 after" "B after the delete, with a new watcher connection"
pass "a watcher whose connection was cut listens again and hears of removals ($r try)"
