#!/usr/bin/env bash
# Two stoa replicas on one PostgreSQL + S3: each sees what the other stored at once
# (fills and publishes), a cold file requested on both at the same moment is fetched
# from the upstream exactly once (the pgs3 fill lease), and what one replica served is
# pinned for both (storage_pins).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

use_pgs3
genmod -out "$TMP/up" example.com/rep@v1.0.0 example.com/rep@v1.1.0 example.com/rep@v1.2.0
genmod -out "$TMP/priv" corp.example.com/lib@v1.0.0
genmod -out "$TMP/alt" -require example.com/rep@v1.0.0=example.com/dep@v1.0.0 example.com/rep@v1.0.0
start_upstream "$TMP/up" "$TMP/alt"
fixture_config
start_stoa && A=$STOA_URL
start_stoa && B=$STOA_URL
base=example.com/rep/@v

# 1. A fill on A is a cache hit on B, with the same bytes.
hdr=$(curl -s -D - -o "$TMP/a.mod" "$A/$base/v1.0.0.mod")
assert_contains "$hdr" "x-cache: MISS"
settle "$A"
hdr=$(curl -s -D - -o "$TMP/b.mod" "$B/$base/v1.0.0.mod")
assert_contains "$hdr" "x-cache: HIT" "B serves what A stored"
cmp -s "$TMP/a.mod" "$TMP/b.mod" || fail "replicas served different bytes"
assert_eq "$(grep -c " /$base/v1.0.0.mod\$" "$UPSTREAM_LOG")" 1 "upstream fetches of v1.0.0.mod"
pass "a file filled through one replica is a hit on the other"

# 2. Single-flight across replicas: the upstream is slow, both ask at once.
for v in v1.1.0 v1.2.0; do
    fault "$UPSTREAM_URL" "/$base/$v.zip" delay:1500 1
    curl -s -o "$TMP/a.$v.zip" -w '%{http_code}' "$A/$base/$v.zip" >"$TMP/a.$v.code" &
    pa=$!
    curl -s -o "$TMP/b.$v.zip" -w '%{http_code}' "$B/$base/$v.zip" >"$TMP/b.$v.code" &
    pb=$!
    wait "$pa" || fail "curl A $v"
    wait "$pb" || fail "curl B $v"
    assert_eq "$(cat "$TMP/a.$v.code") $(cat "$TMP/b.$v.code")" "200 200" "status on both replicas for $v.zip"
    cmp -s "$TMP/a.$v.zip" "$TMP/up/$base/$v.zip" || fail "A served wrong bytes for $v.zip"
    cmp -s "$TMP/b.$v.zip" "$TMP/up/$base/$v.zip" || fail "B served wrong bytes for $v.zip"
    assert_eq "$(grep -c " /$base/$v.zip\$" "$UPSTREAM_LOG")" 1 "upstream fetches of $v.zip requested on both replicas"
done
pass "a cold zip requested on both replicas at the same moment is fetched upstream once"

# 3. A version published through B is listed and served by A.
zip="$TMP/priv/corp.example.com/lib/@v/v1.0.0.zip"
code=$(http_status PUT "$B/corp.example.com/lib/@v/v1.0.0.zip" --data-binary @"$zip")
assert_eq "$code" 201 "publish through B"
assert_eq "$(curl -sf "$A/corp.example.com/lib/@v/list")" "v1.0.0" "list on A"
curl -sf -o "$TMP/pub.zip" "$A/corp.example.com/lib/@v/v1.0.0.zip" || fail "zip from A"
cmp -s "$TMP/pub.zip" "$zip" || fail "A serves different bytes for the published zip"
assert_eq "$(psqlc -c "SELECT origin FROM storage_files WHERE module = 'corp.example.com/lib' AND kind = 'zip'")" \
    published "origin column"
pass "a version published through one replica is listed and served by the other"

# 4. Identical bodies are stored once (content-addressed keys).
objects=$(find "$TMP/s3/stoa/blobs" -name '*._S3rver_object' | wc -l)
rows=$(psqlc -c "SELECT count(DISTINCT sha256) FROM storage_files")
assert_eq "$objects" "$rows" "S3 objects vs distinct bodies in storage_files"
pass "one S3 object per distinct body"

# 5. Pins are shared: after A's copy is lost from the cache, B refuses other bytes
# for the version A served, and the pin survives in PostgreSQL.
pinned=$(psqlc -c "SELECT h1 FROM storage_pins WHERE module = 'example.com/rep' AND version = 'v1.0.0' AND kind = 'mod'")
[ -n "$pinned" ] || fail "no pin row for the mod A served"
assert_eq "$(psqlc -c "SELECT h1 FROM storage_files WHERE module = 'example.com/rep' AND version = 'v1.0.0' AND kind = 'mod'")" \
    "$pinned" "pinned hash = the stored file's"
fault "$UPSTREAM_URL" "/$base/v1.0.0.mod" alt
psqlc -c "DELETE FROM storage_files WHERE module = 'example.com/rep' AND version = 'v1.0.0'" >/dev/null
# B remembered the mod (a hit from memory) until the removal's notification reaches it.
assert_contains "$(not_served "$B/$base/v1.0.0.mod")" "404 after" "B after the rows were deleted"
resp=$(curl -s -w ' %{http_code}' "$B/$base/v1.0.0.mod")
assert_contains "$resp" "content changed for example.com/rep@v1.0.0/go.mod: stoa first served $pinned"
assert_contains "$resp" " 404"
assert_eq "$(psqlc -c "SELECT count(*) FROM storage_files WHERE module = 'example.com/rep' AND version = 'v1.0.0'")" 0 \
    "rows stored for the other bytes"
curl -sf -X POST "$UPSTREAM_URL/_control/reset" >/dev/null
assert_eq "$(http_status GET "$B/$base/v1.0.0.mod")" 200 "the pinned bytes again, through B"
pass "a pin recorded through one replica holds a refetch through the other"
