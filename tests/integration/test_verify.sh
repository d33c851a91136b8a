#!/usr/bin/env bash
# stoa verify: re-hashes what a running stoa cached through the real go command and
# checks it against the stored metadata, the pins and a signed test checksum database
# (tests/fixtures/sumdb); names each bad file with both hashes, exits 1 on a mismatch,
# 2 on bad usage; --evict makes a bad version refetchable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"

DB=sum.stoa.test
genmod -out "$TMP/up" example.com/alpha@v1.0.0 example.com/beta@v1.1.0 example.com/gamma@v1.0.0 example.com/swapped@v1.0.0
# "swapped" gets other bytes from the upstream's alt tree than the database records.
genmod -out "$TMP/alt" -require example.com/swapped@v1.0.0=example.com/alpha@v1.0.0 example.com/swapped@v1.0.0
start_sumdb "$DB" "$TMP/up"
genmod -out "$TMP/up" example.com/unknown@v1.0.0 # after the database: unknown to it
start_upstream "$TMP/up" "$TMP/alt"

# The server skips the database for "swapped", so it caches the alt bytes; the
# verifier's own config (check.yaml) does not.
settings=("sumdbs: [{name: $DB, url: \"$SUMDB_URL\", key: \"$SUMDB_KEY\"}]"
    "storage: {plugin: disk, options: {root: \"$TMP/data\", fsync: false}}")
fixture_config "${settings[@]}"
mv "$TMP/stoa.yaml" "$TMP/check.yaml"
fixture_config "${settings[@]}" 'nosumdb: "example.com/swapped"'
mv "$TMP/stoa.yaml" "$TMP/serve.yaml"
CONFIG_FILE="$TMP/serve.yaml" start_stoa
DATA="$TMP/data"
verify() { # verify CONFIG ARGS... -> OUT, ERR, RC
    RC=0
    "$STOA_BIN" verify --config "$@" >"$TMP/v.out" 2>"$TMP/v.err" || RC=$?
    OUT=$(cat "$TMP/v.out") ERR=$(cat "$TMP/v.err")
}
summary_field() { # summary_field NAME: from the last --json run
    python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["summary"][sys.argv[1]])' "$1" <"$TMP/v.out"
}
sidecar() { awk '{print $'"$2"'}' "$DATA/$(dirname "$1")/.meta/$(basename "$1")"; } # sidecar REL FIELD
db_h1() { # db_h1 MODULE VERSION [/go.mod]: the database's record
    curl -sf "$SUMDB_URL/lookup/$1@$2" | awk -v k="$1" -v v="$2${3:-}" '$1 == k && $2 == v {print $3}'
}

fault "$UPSTREAM_URL" "/example.com/swapped/*" alt
gocmd mod download example.com/alpha@v1.0.0 example.com/beta@v1.1.0 example.com/gamma@v1.0.0 \
    example.com/swapped@v1.0.0 example.com/unknown@v1.0.0 2>"$TMP/dl.err" || fail "go mod download: $(cat "$TMP/dl.err")"
curl -sf -X POST "$UPSTREAM_URL/_control/reset" >/dev/null
settle
[ -f "$DATA/example.com/swapped/@v/v1.0.0.zip" ] || fail "swapped was not cached"
mkdir -p "$TMP/src" && printf 'module corp.example.com/priv\n\ngo 1.19\n' >"$TMP/src/go.mod"
printf 'package priv\n' >"$TMP/src/priv.go"
"$STOA_BIN" publish "$TMP/src" --module corp.example.com/priv --version v1.0.0 --url "$STOA_URL" >/dev/null ||
    fail "stoa publish"

# 1. Everything as cached: exit 0 while the server runs; the unknown version is
# unverified (not a failure unless --strict); counts are per file.
verify "$TMP/serve.yaml" --all --json
assert_eq "$RC" 0 "verify --all on a clean cache ($OUT $ERR)"
assert_eq "$(summary_field checked)" 12 "files checked"
assert_eq "$(summary_field ok)" 10 "files ok"
assert_eq "$(summary_field unverified)" 2 "files unverified"
assert_eq "$(summary_field mismatched)" 0 "files mismatched"
assert_eq "$(summary_field confirmed)" 6 "files confirmed by the database"
assert_contains "$OUT" '"module":"example.com/unknown","version":"v1.0.0","file":"mod","result":"unverified"'
assert_contains "$OUT" "unknown to checksum database $DB"
assert_eq "$ERR" "" "stderr without a terminal (no progress bar)"
[ "$(grep -c "GET /lookup/example.com/alpha@v1.0.0" "$SUMDB_LOG")" -ge 1 ] || fail "alpha not looked up"
verify "$TMP/serve.yaml" --all --strict
assert_eq "$RC" 1 "--strict with unverified files"
assert_contains "$OUT" "example.com/unknown/@v/v1.0.0.zip: UNVERIFIED"
assert_contains "$OUT" "12 files checked: 10 ok, 0 mismatched, 2 unverified"
grep -q '"action":"verify"' "$DATA/audit.jsonl" || fail "verify run not audited"
pass "verify --all: 12 files (2 published), 6 confirmed by the database, unknown ones unverified (exit 1 only with --strict)"

# A pin left unverified (the database was down at fill time) that the database now
# confirms is marked verified by the run, as the server's re-check would.
pinf="$DATA/.pins/example.com/alpha/@v/v1.0.0.mod"
read -r h _ at <"$pinf"
printf '%s 0 %s\n' "$h" "$at" >"$pinf"
verify "$TMP/serve.yaml" example.com/alpha@v1.0.0
assert_eq "$RC" 0 "verify of alpha ($OUT $ERR)"
assert_eq "$(awk '{print $2}' "$pinf")" 1 "pin state after the database confirmed it"
pass "stoa verify marks a pin verified once the database confirms it"

# 2. Bytes that agree with their metadata but not with the database.
verify "$TMP/check.yaml" example.com/swapped@v1.0.0
assert_eq "$RC" 1 "bytes the database disagrees with"
have=$(sidecar example.com/swapped/@v/v1.0.0.zip 6)
want=$(db_h1 example.com/swapped v1.0.0)
[ -n "$want" ] && [ "$have" != "$want" ] || fail "fixture: alt zip h1 '$have' vs database '$want'"
assert_contains "$OUT" "example.com/swapped/@v/v1.0.0.zip: MISMATCH stored bytes have $have, checksum database $DB has $want"
assert_contains "$OUT" "example.com/swapped/@v/v1.0.0.mod: MISMATCH stored bytes have $(sidecar example.com/swapped/@v/v1.0.0.mod 6), checksum database $DB has $(db_h1 example.com/swapped v1.0.0 /go.mod)"
assert_contains "$OUT" "2 files checked: 0 ok, 2 mismatched"
pass "a stored zip the checksum database disagrees with: exit 1, both h1 hashes named"

# 3. A zip corrupted on disk (same size), and a go.mod that grew: exit 1, both hashes.
zip="$DATA/example.com/alpha/@v/v1.0.0.zip"
printf 'XXXX' | dd of="$zip" bs=1 seek=40 conv=notrunc status=none
recorded=$(sidecar example.com/alpha/@v/v1.0.0.zip 4)
actual=$(sha256sum "$zip" | cut -d' ' -f1)
echo "// grown" >>"$DATA/example.com/beta/@v/v1.1.0.mod"
verify "$TMP/serve.yaml" --all
assert_eq "$RC" 1 "corrupted cache"
assert_contains "$OUT" "example.com/alpha/@v/v1.0.0.zip: MISMATCH stored bytes have sha256 $actual, metadata records $recorded"
assert_contains "$OUT" "example.com/beta/@v/v1.1.0.mod: MISMATCH no recorded checksum"
assert_contains "$OUT" "2 mismatched"
pass "corrupted zip and grown go.mod: exit 1 naming the files and the hashes"

# 4. One version, one module: only what is named is checked.
verify "$TMP/serve.yaml" example.com/gamma@v1.0.0
assert_eq "$RC" 0 "gamma alone ($OUT)"
assert_contains "$OUT" "2 files checked: 2 ok"
verify "$TMP/serve.yaml" example.com/alpha
assert_eq "$RC" 1 "alpha's versions"
assert_contains "$OUT" "2 files checked: 1 ok, 1 mismatched"
pass "MODULE@VERSION and MODULE select only those versions"

# 5. A pin (what stoa first served) that the stored bytes disagree with.
pin="$DATA/.pins/example.com/gamma/@v/v1.0.0.zip"
mkdir -p "$(dirname "$pin")"
echo "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= 1 1700000000" >"$pin"
verify "$TMP/serve.yaml" example.com/gamma@v1.0.0
assert_eq "$RC" 1 "pin mismatch"
assert_contains "$OUT" "stoa first served h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
echo "$(sidecar example.com/gamma/@v/v1.0.0.zip 6) 1 1700000000" >"$pin"
verify "$TMP/serve.yaml" example.com/gamma@v1.0.0
assert_eq "$RC" 0 "agreeing pin ($OUT)"
pass "a pin with another h1 is a mismatch"

# 6. --evict: the corrupted version leaves the cache (a copy kept in quarantine_dir),
# and the server refetches it.
cp "$zip" "$TMP/alpha-corrupt.zip"
verify "$TMP/serve.yaml" --evict example.com/alpha@v1.0.0
assert_eq "$RC" 1 "evicting run"
assert_contains "$OUT" "example.com/alpha@v1.0.0: evicted"
[ -e "$zip" ] && fail "evicted zip still stored"
grep -q '"action":"integrity".*"module":"example.com/alpha".*"target":"quarantined"' "$DATA/audit.jsonl" ||
    fail "eviction not audited as an integrity event"
assert_contains "$ERR" "quarantined by stoa verify"
cmp -s "$TMP/alpha-corrupt.zip" "$DATA/quarantine/example.com/alpha/@v/v1.0.0.zip" || fail "no evidence copy in quarantine_dir"
clean_modcache
gocmd mod download example.com/alpha@v1.0.0 2>"$TMP/dl2.err" || fail "refetch after eviction: $(cat "$TMP/dl2.err")"
verify "$TMP/serve.yaml" example.com/alpha@v1.0.0
assert_eq "$RC" 0 "refetched alpha ($OUT)"
priv="$DATA/corp.example.com/priv/@v/v1.0.0.zip"
printf 'XXXX' | dd of="$priv" bs=1 seek=40 conv=notrunc status=none
verify "$TMP/serve.yaml" --evict --json corp.example.com/priv
assert_eq "$RC" 1 "corrupted published zip"
assert_contains "$OUT" '"module":"corp.example.com/priv","version":"v1.0.0","evicted":false'
[ -e "$priv" ] || fail "a published version was evicted"
pass "--evict removes a bad version; the server refetches it and it verifies; published versions are never evicted"

# 7. The database down: unverified, not a mismatch (--strict: 1); --no-sumdb skips it.
stop_pid "$SUMDB_PID"
verify "$TMP/serve.yaml" example.com/gamma@v1.0.0
assert_eq "$RC" 0 "database down ($OUT)"
assert_contains "$OUT" "2 unverified"
verify "$TMP/serve.yaml" example.com/gamma@v1.0.0 --strict
assert_eq "$RC" 1 "database down, --strict"
verify "$TMP/serve.yaml" example.com/gamma@v1.0.0 --no-sumdb
assert_eq "$RC" 0 "--no-sumdb"
assert_contains "$OUT" "2 files checked: 2 ok, 0 mismatched, 0 unverified"
pass "an unreachable database leaves files unverified (exit 0; 1 with --strict)"

# 8. A progress bar on a terminal only (stderr); none was written above.
script -qec "'$STOA_BIN' verify --config '$TMP/serve.yaml' --all --no-sumdb" /dev/null >"$TMP/tty.out" 2>&1 || true
assert_contains "$(cat "$TMP/tty.out")" "] 6/6 versions"
pass "progress bar on a terminal"

# 9. Bad usage and bad storage: exit 2 with a message.
for args in "" "--all example.com/alpha@v1.0.0" "--bogus" "example.com/alpha@latest" "nodot@v1.0.0" \
    "example.com/absent@v1.0.0" "example.com/absent"; do
    verify "$TMP/serve.yaml" $args
    assert_eq "$RC" 2 "stoa verify $args"
    [ -n "$ERR" ] || fail "no message for stoa verify $args"
done
assert_contains "$ERR" "nothing stored for example.com/absent"
RC=0
STOA_STORAGE_PLUGIN=nope "$STOA_BIN" verify --config "$TMP/serve.yaml" --all >/dev/null 2>"$TMP/v.err" || RC=$?
assert_eq "$RC" 2 "unknown storage plugin"
assert_contains "$(cat "$TMP/v.err")" "storage"
pass "bad arguments and storage errors exit 2 with a message"
