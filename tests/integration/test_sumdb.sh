#!/usr/bin/env bash
# Checksum database: stoa proxies a signed test database (tests/fixtures/sumdb) to the
# real go command (GOSUMDB=<key>, no URL: the go command reaches it only through
# GOPROXY=stoa's /sumdb/<name>/supported), caches its full tiles, never forwards private
# module paths, and checks every proxied module against it before caching (its own
# check, which holds even for clients with GOSUMDB=off).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"

# The go command's own test database name; the fixture signs with the key its test
# proxy publishes (GOROOT/src/cmd/go/proxy_test.go), and the name's slash must route.
DB=localhost.localdev/sumdb
# Records for these; "tamper", "exempt" and "forged" get other bytes from the
# upstream's alt tree (and "forged" lying lookups from the database).
genmod -out "$TMP/up" example.com/alpha@v1.0.0 example.com/beta@v1.1.0 example.com/tamper@v1.0.0 \
    example.com/exempt@v1.0.0 example.com/forged@v1.0.0
alt=()
for m in tamper exempt forged; do alt+=(-require "example.com/$m@v1.0.0=example.com/alpha@v1.0.0"); done
genmod -out "$TMP/alt" "${alt[@]}" example.com/tamper@v1.0.0 example.com/exempt@v1.0.0 example.com/forged@v1.0.0

start_sumdb "$DB" "$TMP/up" -forge-root "$TMP/alt"
published=$(grep -o "\"$DB+[0-9a-f]*+[A-Za-z0-9+/=]*\"" "$(go env GOROOT)/src/cmd/go/proxy_test.go" | tr -d '"')
assert_eq "$SUMDB_KEY" "$published" "the fixture's verifier key is the go command's published test key"
# Published upstream after the database was built: the database does not know it.
genmod -out "$TMP/up" example.com/unknown@v1.0.0
start_upstream "$TMP/up" "$TMP/alt"

write_config() { # write_config [EXTRA YAML LINE...]
    {
        echo "upstreams: [{name: fixture, url: \"$UPSTREAM_URL\"}]"
        echo "sumdbs: [{name: \"$DB\", url: \"$SUMDB_URL\", key: \"$SUMDB_KEY\"}]"
        echo "nosumdb: \"example.com/exempt\""
        echo "namespaces: [{pattern: corp.example.com, mode: private}, {pattern: \"*\", mode: proxy}]"
        printf '%s\n' "$@"
    } >"$TMP/stoa.yaml"
}
write_config
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
GOSUMDB_VALUE="$SUMDB_KEY"
count() { grep -c -- "$1" "$2" || true; }

# 1. /supported: 200 for the configured database, 404 for any other name.
assert_eq "$(http_status GET "$STOA_URL/sumdb/$DB/supported")" 200 "supported, configured"
assert_eq "$(http_status GET "$STOA_URL/sumdb/sum.golang.org/supported")" 404 "supported, not configured"
assert_eq "$(http_status GET "$STOA_URL/api/go/nope/sumdb/$DB/supported")" 404 "supported under an unknown repository"
pass "/sumdb/<name>/supported answers 200 only for configured databases"

# 2. Private module paths are never looked up upstream, whatever their spelling.
# (raw upper case and odd escapes do not parse as module paths: refused, not forwarded)
for p in corp.example.com/secret@v1.0.0 corp.example.com/secret/sub@v1.0.0 c!orp.example.com@v1.0.0 \
    corp.example.com/Secret@v1.0.0 corp.example.com/secret@latest corp.example.com/secret; do
    assert_eq "$(http_status GET "$STOA_URL/sumdb/$DB/lookup/$p")" 404 "private lookup $p"
done
assert_eq "$(count "orp.example" "$SUMDB_LOG")" 0 "private lookups forwarded to the database"
pass "lookups of private modules answer 404 without contacting the database"

# 3. The go command verifies through stoa: download, then get in a module.
gocmd mod download -json example.com/alpha@v1.0.0 >"$TMP/dl.json" 2>"$TMP/dl.err" || fail "go mod download: $(cat "$TMP/dl.err")"
[ "$(count "GET /lookup/example.com/alpha@v1.0.0" "$SUMDB_LOG")" -ge 1 ] || fail "alpha was not looked up at the database"
# The go command found the database through GOPROXY: /supported, then lookups via stoa.
[ "$(count "GET /sumdb/$DB/supported 200" "$STOA_LOG")" -ge 2 ] || fail "the go command did not ask stoa's /supported"
[ "$(count "GET /sumdb/$DB/lookup/example.com/alpha@v1.0.0 200" "$STOA_LOG")" -ge 1 ] || fail "no lookup through stoa"
mkdir -p "$TMP/app" && cd "$TMP/app"
printf 'module example.com/app\n\ngo 1.19\n' >go.mod
gocmd get example.com/beta@v1.1.0 2>"$TMP/get.err" || fail "go get: $(cat "$TMP/get.err")"
rec=$(curl -sf "$STOA_URL/sumdb/$DB/lookup/example.com/beta@v1.1.0") || fail "lookup through stoa"
assert_contains "$rec" "$(grep 'example.com/beta v1.1.0 ' go.sum)" "go.sum line equal to the database's record"
pass "go mod download and go get verify against the database through stoa"

# 4. Full tiles come from stoa's cache the second time (partial ones are refetched).
tiles_before=$(count "GET /tile/8/0/000$" "$SUMDB_LOG")
assert_eq "$tiles_before" 1 "full tile fetched from the database"
clean_modcache
gocmd mod download example.com/alpha@v1.0.0 example.com/beta@v1.1.0 2>"$TMP/dl2.err" || fail "second download: $(cat "$TMP/dl2.err")"
assert_eq "$(count "GET /tile/8/0/000$" "$SUMDB_LOG")" 1 "full tile fetched again"
assert_contains "$(curl -sI "$STOA_URL/sumdb/$DB/tile/8/0/000")" "x-cache: HIT"
assert_contains "$(curl -sI "$STOA_URL/sumdb/$DB/tile/8/0/000")" "immutable"
pass "full tiles are served from stoa's cache to a fresh client"

# 5. A module listed in nosumdb is not checked by stoa: the tampered copy is cached,
# and the go command's own verification through stoa's proxy catches it.
fault "$UPSTREAM_URL" "/example.com/exempt/*" alt
clean_modcache
gocmd mod download example.com/exempt@v1.0.0 >"$TMP/ex.out" 2>&1 && fail "tampered module passed the go command's check"
assert_contains "$(cat "$TMP/ex.out")" "SECURITY ERROR"
assert_contains "$(cat "$TMP/ex.out")" "checksum mismatch"
clean_modcache
GOSUMDB_VALUE=off gocmd mod download example.com/exempt@v1.0.0 2>"$TMP/ex2.err" || fail "nosumdb module refused: $(cat "$TMP/ex2.err")"
assert_eq "$(count "GET /lookup/example.com/exempt" "$SUMDB_LOG")" 1 "lookups of a nosumdb module (the go command's only)"
pass "tampered module: SECURITY ERROR from the go command through stoa; nosumdb skips stoa's own check"

# 6. stoa's own check: the tampered module is refused even with GOSUMDB=off.
fault "$UPSTREAM_URL" "/example.com/tamper/*" alt
clean_modcache
GOSUMDB_VALUE=off gocmd mod download example.com/tamper@v1.0.0 >"$TMP/t.out" 2>&1 && fail "stoa served a tampered module"
assert_contains "$(cat "$TMP/t.out")" "checksum database $DB"
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/tamper/@v/v1.0.0.zip")
assert_contains "$resp" "checksum mismatch"
assert_contains "$resp" " 404"
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/tamper/@v/v1.0.0.mod")
assert_contains "$resp" "go.mod"
assert_contains "$resp" " 404"
[ -e "$DATA/example.com/tamper/@v/v1.0.0.zip" ] && fail "tampered zip stored"
[ -e "$DATA/example.com/tamper/@v/v1.0.0.mod" ] && fail "tampered go.mod stored"
# A database that lies about a record (right signed tree, record not in it) is caught
# by the inclusion proof.
fault "$UPSTREAM_URL" "/example.com/forged/*" alt
sumdb_control forge
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/forged/@v/v1.0.0.mod")
assert_contains "$resp" "checksum database $DB: record"
assert_contains "$resp" "inclusion proof failed"
assert_contains "$resp" " 404"
sumdb_control reset
# Once the upstream serves the right bytes again, the module is cached normally.
curl -sf -X POST "$UPSTREAM_URL/_control/reset" >/dev/null
clean_modcache
gocmd mod download example.com/tamper@v1.0.0 2>"$TMP/t2.err" || fail "honest module refused: $(cat "$TMP/t2.err")"
metrics=$(curl -sf "$STOA_URL/metrics") || fail "/metrics"
assert_contains "$metrics" 'stoa_sumdb_checks_total{result="refused"} '
assert_not_contains "$metrics" 'stoa_sumdb_checks_total{result="refused"} 0'
assert_not_contains "$metrics" 'stoa_sumdb_checks_total{result="verified"} 0'
pass "stoa refuses a tampered module itself (GOSUMDB=off client), naming the database; a forged record fails its proof; honest bytes pass"

# 7. A module the database does not know: served unverified by default (lenient),
# refused under sumdb_check: strict; fail_status 502 turns refusals into 502.
GOSUMDB_VALUE=off gocmd mod download example.com/unknown@v1.0.0 2>"$TMP/u.err" || fail "lenient: $(cat "$TMP/u.err")"
stop_stoa
write_config "sumdb_check: strict" "fail_status: 502"
DATA="$TMP/data2" CONFIG_FILE="$TMP/stoa.yaml" start_stoa
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/unknown/@v/v1.0.0.mod")
assert_contains "$resp" "checksum database $DB"
assert_contains "$resp" " 502"
fault "$UPSTREAM_URL" "/example.com/tamper/*" alt
assert_eq "$(http_status GET "$STOA_URL/example.com/tamper/@v/v1.0.0.zip")" 502 "tampered under fail_status 502"
curl -sf -X POST "$UPSTREAM_URL/_control/reset" >/dev/null
assert_eq "$(http_status GET "$STOA_URL/example.com/alpha/@v/v1.0.0.zip")" 200 "strict: known module"
pass "strict mode refuses modules the database cannot confirm; fail_status 502 applies"

# 8. A note signed by another key under the same name is refused.
other_key=$(python3 -c '
import base64, hashlib, os, sys
k = b"\x01" + os.urandom(32)
h = hashlib.sha256(sys.argv[1].encode() + b"\n" + k).digest()[:4].hex()
print("%s+%s+%s" % (sys.argv[1], h, base64.b64encode(k).decode()))' "$DB")
stop_stoa
SUMDB_KEY=$other_key write_config
DATA="$TMP/data3" CONFIG_FILE="$TMP/stoa.yaml" start_stoa
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/alpha/@v/v1.0.0.zip")
assert_contains "$resp" "checksum database $DB: note has no valid signature by $DB+"
assert_contains "$resp" " 404"
pass "a tree note not signed by the configured key is refused"
