#!/usr/bin/env bash
# stoa verify on pgs3 (real PostgreSQL and s3rver): a cache filled through the go
# command verifies clean; an S3 body rewritten behind stoa's back and a storage_files
# row whose h1 was changed are each reported with exit 1; --evict (then gc, for the
# body) lets them refetch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"
. "$(dirname "$0")/lib_pg.sh"

DB=sum.stoa.test
genmod -out "$TMP/up" example.com/alpha@v1.0.0 example.com/beta@v1.1.0
start_sumdb "$DB" "$TMP/up"
start_upstream "$TMP/up"
use_pgs3
fixture_config "sumdbs: [{name: $DB, url: \"$SUMDB_URL\", key: \"$SUMDB_KEY\"}]" \
    "audit: {sink: file, path: \"$TMP/audit.jsonl\"}"
start_stoa
verify() { # verify ARGS... -> OUT, RC
    RC=0
    env "${PGS3_ENV[@]}" "$STOA_BIN" verify --config "$TMP/stoa.yaml" "$@" >"$TMP/v.out" 2>"$TMP/v.err" || RC=$?
    OUT="$(cat "$TMP/v.out") $(cat "$TMP/v.err")"
}
row() { psqlc -c "SELECT $1 FROM storage_files WHERE module = '$2' AND version = '$3' AND kind = '$4'"; }

gocmd mod download example.com/alpha@v1.0.0 example.com/beta@v1.1.0 2>"$TMP/dl.err" || fail "go mod download: $(cat "$TMP/dl.err")"
settle

# 1. Clean: every file confirmed, while the server runs on the same backend.
verify --all
assert_eq "$RC" 0 "clean pgs3 cache ($OUT)"
assert_contains "$OUT" "4 files checked: 4 ok, 0 mismatched, 0 unverified, 0 versions skipped; 4 confirmed"
pass "verify --all on pgs3: 4 files confirmed by the database"

# 2. The S3 body of alpha's zip rewritten (same size): the body no longer has its
# row's sha256.
sha=$(row sha256 example.com/alpha v1.0.0 zip)
obj=$(find "$TMP/s3/$S3_BUCKET" -path "*${sha:0:2}/${sha:2}*" -type f ! -name '*metadata*' | head -1)
[ -n "$obj" ] || fail "S3 object of $sha not found under $TMP/s3"
printf 'XXXX' | dd of="$obj" bs=1 seek=40 conv=notrunc status=none
verify example.com/alpha@v1.0.0
assert_eq "$RC" 1 "rewritten S3 body ($OUT)"
assert_contains "$OUT" "example.com/alpha/@v/v1.0.0.zip: UNREADABLE"
assert_contains "$OUT" "does not match its sha256"
pass "an S3 body rewritten behind stoa's back: exit 1"

# 3. A storage_files row whose h1 was changed: both h1 hashes named.
good=$(row h1 example.com/beta v1.1.0 mod)
psqlc -c "UPDATE storage_files SET h1 = 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' WHERE module = 'example.com/beta' AND kind = 'mod'"
verify --all --json
assert_eq "$RC" 1 "tampered row"
assert_contains "$OUT" '"module":"example.com/beta","version":"v1.1.0","file":"mod","result":"mismatch","problem":"h1"'
assert_contains "$OUT" "\"have\":\"$good\",\"want\":\"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""
assert_contains "$OUT" '"mismatched":2'
pass "a storage_files row with another h1: exit 1 naming both hashes (JSON)"

# 4. --evict: both versions leave the cache, the server refetches them, all verify.
verify --all --evict
assert_eq "$RC" 1 "evicting run"
assert_contains "$OUT" "example.com/alpha@v1.0.0: evicted"
assert_contains "$OUT" "example.com/beta@v1.1.0: evicted"
assert_eq "$(psqlc -c "SELECT count(*) FROM storage_files WHERE module LIKE 'example.com/%'")" 0 "rows after eviction"
# The rewritten body keeps alpha's content address: the refetch's put finds it there
# (same size), sees that it does not hash to its address, and uploads the right bytes.
clean_modcache
gocmd mod download example.com/alpha@v1.0.0 example.com/beta@v1.1.0 2>"$TMP/dl2.err" || fail "refetch: $(cat "$TMP/dl2.err")"
settle
grep -q "replacing a damaged S3 body" "$STOA_LOG" || fail "the damaged body was not noticed by the refetch's put"
verify --all
assert_eq "$RC" 0 "after refetch ($OUT)"
[ "$(grep -c '"target":"quarantined"' "$TMP/audit.jsonl")" = 2 ] || fail "evictions not audited as integrity events"
pass "--evict on pgs3: bad versions removed, refetched by the server, verified clean"
