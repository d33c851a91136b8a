#!/usr/bin/env bash
# Issue 20: `stoa import --public-mode cache` takes the public versions of an
# air-gapped Athens into stoa's cache, held to the checksum database like a fill: a
# version the database records is cached (origin "import", audited) and then served with
# every upstream down, and the real go command verifies it; a tampered zip is refused and
# nothing of it stored; a token without admin scope caches nothing; with the database
# down a version is cached unverified, as a fill would be under sumdb_check: lenient.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"

DB=localhost.localdev/sumdb
genmod -out "$TMP/up" example.com/pub@v1.0.0 example.com/tamper@v1.0.0 example.com/later@v1.0.0 \
    corp.example.com/a@v1.0.0
start_sumdb "$DB" "$TMP/up"
athens() { # athens DIR MODULE VERSION
    local d="$1/$2/$3"
    mkdir -p "$d"
    cp "$TMP/up/$2/@v/$3.zip" "$d/source.zip"
    cp "$TMP/up/$2/@v/$3.mod" "$d/go.mod"
    echo "{\"Version\":\"$3\",\"Time\":\"2019-03-04T05:06:07Z\"}" >"$d/$3.info"
}
for m in example.com/pub example.com/tamper corp.example.com/a; do athens "$TMP/athens" "$m" v1.0.0; done
athens "$TMP/athens2" example.com/later v1.0.0
# The tampered zip: one file more, a valid module zip with the same go.mod.
python3 - "$TMP/athens/example.com/tamper/v1.0.0/source.zip" <<'PY'
import sys, zipfile
p = sys.argv[1]
with zipfile.ZipFile(p) as z:
    entries = [(i, z.read(i)) for i in z.infolist()]
with zipfile.ZipFile(p, "w") as z:
    for i, b in entries:
        z.writestr(i, b)
    z.writestr("example.com/tamper@v1.0.0/evil.go", "package tamper\n")
PY

cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: down, url: "http://127.0.0.1:9"}]
sumdbs: [{name: "$DB", url: "$SUMDB_URL", key: "$SUMDB_KEY"}]
namespaces: [{pattern: corp.example.com, mode: private}, {pattern: "*", mode: proxy}]
cache: {max_size: 1000000000, evict_interval: 1s}
auth:
  require: {publish: true, admin: true}
  plugins:
    - {plugin: token, options: {path: "$TMP/tokens", refresh: 100ms}}
YAML
tok() { "$STOA_BIN" token --config "$TMP/stoa.yaml" create "$@" | head -1; }
ADMIN=$(tok --name importer --scope admin)
PUB=$(tok --name ci --scope publish)
CONFIG_FILE="$TMP/stoa.yaml" start_stoa STOA_AUDIT_SINK=file STOA_AUDIT_PATH="$TMP/audit.jsonl" STOA_AUDIT_INTERVAL=100ms
GOSUMDB_VALUE="$SUMDB_KEY"
metric() { curl -s "$STOA_URL/metrics" | sed -n "s/^$1 \([0-9]*\)\$/\1/p"; }
proxied_bytes() { metric 'stoa_cache_bytes{kind="proxied"}'; }
walked() { [ "$(metric stoa_cache_walks_total)" -ge 1 ]; }
wait_for walked || fail "no first eviction round" # later ones read the ledger

# 1. A token without admin scope: nothing goes into the cache, the private version is
# still published.
rc=0
out=$("$STOA_BIN" import --url "$STOA_URL" --token "$PUB" --public-mode cache "$TMP/athens" 2>&1) || rc=$?
assert_eq "$rc" 1 "import --public-mode cache with a publish token"
assert_contains "$out" "example.com/pub@v1.0.0: 403"
assert_contains "$out" "1 imported, 0 cached"
assert_contains "$out" "example.com/tamper@v1.0.0: 403"
assert_eq "$(http_status GET "$STOA_URL/example.com/pub/@v/v1.0.0.info")" 404 "pub after a non-admin import"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $PUB" -H 'X-Stoa-Import: cache' \
    --data-binary @"$TMP/up/example.com/pub/@v/v1.0.0.zip" "$STOA_URL/example.com/pub/@v/v1.0.0.zip")" 403 \
    "a cache import PUT with a publish token"
pass "a token without admin scope cannot import into the cache, and publishes the private version"

# 2. The admin import: the public version cached, verified; the tampered one refused;
# the private one published.
rc=0
"$STOA_BIN" import --json --url "$STOA_URL" --token "$ADMIN" --public-mode cache "$TMP/athens" >"$TMP/imp.json" \
    2>"$TMP/imp.err" || rc=$?
assert_eq "$rc" 1 "import exit with a refused version"
assert_eq "$(json_results "$TMP/imp.json")" "present corp.example.com/a@v1.0.0
cached example.com/pub@v1.0.0
refused example.com/tamper@v1.0.0
summary found=3 imported=0 cached=1 present=1 public=0 refused=1 failed=0 skipped=0 dry_run=false" "import --json"
assert_contains "$(grep example.com/pub "$TMP/imp.json")" '"sumdb":"verified"'
assert_contains "$(grep example.com/tamper "$TMP/imp.json")" "checksum mismatch for example.com/tamper@v1.0.0"
for f in info mod zip; do
    assert_eq "$(http_status GET "$STOA_URL/example.com/tamper/@v/v1.0.0.$f")" 404 "the tampered version's .$f"
done
curl -sf -o "$TMP/got.zip" "$STOA_URL/example.com/pub/@v/v1.0.0.zip" || fail "pub's zip"
cmp -s "$TMP/got.zip" "$TMP/up/example.com/pub/@v/v1.0.0.zip" || fail "pub's zip differs from Athens'"
assert_contains "$(curl -s "$STOA_URL/example.com/pub/@v/v1.0.0.info")" '"Time":"2019-03-04T05:06:07Z"'
assert_contains "$(curl -s "$STOA_URL/ui/module/example.com/pub")" "<td>import</td>" "origin import in the UI"
pass "an admin import caches the public version the database records, refuses the tampered one, finds the private one there"

# The cache ledger counts the three files as a fill's (the next walk is 30 rounds away),
# and the checksum tiles the check stored, the published version not at all.
bytes=0
for f in info mod zip; do bytes=$((bytes + $(curl -s "$STOA_URL/example.com/pub/@v/v1.0.0.$f" | wc -c))); done
tiles=$(find "$DATA/sumdb/$DB/tile" -type f -not -path '*/.meta/*' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
[ "$tiles" -gt 0 ] || fail "the check stored no tiles"
ledger_has() { [ "$(proxied_bytes)" = "$((bytes + tiles))" ]; }
wait_for ledger_has || fail "stoa_cache_bytes{kind=proxied} is $(proxied_bytes), the cached version has $bytes bytes, tiles $tiles"
assert_eq "$(metric stoa_cache_walks_total)" 1 "eviction rounds that walked"
pass "the cached version counts in the quota ledger like a fill"

# 3. The go command, with every upstream down, downloads it and verifies go.sum.
mkdir -p "$TMP/client" && cd "$TMP/client"
gocmd mod init example.com/client >/dev/null 2>&1 || fail "go mod init"
out=$(gocmd get example.com/pub@v1.0.0 2>&1) || fail "go get through stoa: $out"
want=$(curl -sf "$SUMDB_URL/lookup/example.com/pub@v1.0.0" | grep '^example.com/pub v1.0.0 h1:')
assert_contains "$(cat go.sum)" "$want" "go.sum has the database's h1"
out=$(gocmd mod verify 2>&1) || fail "go mod verify: $out"
cd - >/dev/null
pass "the go command downloads the imported version from stoa with the upstream down and verifies go.sum"

# 4. Again: already there. The audit has an import event per version.
out=$("$STOA_BIN" import --url "$STOA_URL" --token "$ADMIN" --public-mode cache "$TMP/athens" 2>&1) || true
assert_contains "$out" "0 imported, 0 cached, 2 already there, 1 refused"
audited_import() { grep '"action":"import"' "$TMP/audit.jsonl" | grep '"module":"example.com/pub"' | grep -q '"status":403'; }
wait_for audited_import || fail "no audit event for the denied import" # written in batches
ev=$(grep '"action":"import"' "$TMP/audit.jsonl" | grep '"module":"example.com/pub"' | grep '"status":201')
assert_contains "$ev" '"target":"cache"' "the audit's import event"
assert_contains "$ev" '"identity":"token:importer"' "the audit's import event"
assert_contains "$(grep '"action":"import"' "$TMP/audit.jsonl" | grep '"module":"example.com/pub"' | grep '"status":403')" \
    '"auth":"deny"' "the audit's denied import"
assert_contains "$(grep '"action":"import"' "$TMP/audit.jsonl" | grep '"module":"example.com/tamper"' | grep '"status":422' |
    head -1)" "checksum mismatch" "the audit's refused import"
pass "a second import finds the cached version there; each import is audited"

# A zip stored without its .mod and .info (a hand edit, an older stoa's crash between
# files) is completed by the import, not reported as there.
rm -f "$DATA/example.com/pub/@v/v1.0.0.mod" "$DATA/example.com/pub/@v/v1.0.0.info" \
    "$DATA/example.com/pub/@v/.meta/v1.0.0.mod" "$DATA/example.com/pub/@v/.meta/v1.0.0.info"
assert_eq "$(http_status GET "$STOA_URL/example.com/pub/@v/v1.0.0.mod")" 404 "the .mod removed by hand"
out=$("$STOA_BIN" import --url "$STOA_URL" --token "$ADMIN" --public-mode cache "$TMP/athens" 2>&1) || true
assert_contains "$out" "0 imported, 1 cached, 1 already there, 1 refused"
curl -sf -o "$TMP/got.mod" "$STOA_URL/example.com/pub/@v/v1.0.0.mod" || fail "the .mod after the import"
cmp -s "$TMP/got.mod" "$TMP/up/example.com/pub/@v/v1.0.0.mod" || fail "the completed .mod differs"
assert_contains "$(curl -s "$STOA_URL/example.com/pub/@v/v1.0.0.info")" '"Time":"2019-03-04T05:06:07Z"'
cmp -s <(curl -s "$STOA_URL/example.com/pub/@v/v1.0.0.zip") "$TMP/up/example.com/pub/@v/v1.0.0.zip" || fail "the zip changed"
pass "an import completes a stored zip's missing .mod and .info"

# 5. Air-gapped: the database is down; the version is cached unverified (lenient), as a
# fill would be, and the audit says so.
stop_pid "$SUMDB_PID"
rc=0
"$STOA_BIN" import --json --url "$STOA_URL" --token "$ADMIN" --public-mode cache "$TMP/athens2" >"$TMP/imp2.json" \
    2>&1 || rc=$?
assert_eq "$rc" 0 "import with the database down"
assert_contains "$(cat "$TMP/imp2.json")" '"result":"cached","sumdb":"unverified"'
audited_later() { grep '"action":"sumcheck"' "$TMP/audit.jsonl" | grep later | grep -q '"target":"unverified"'; }
wait_for audited_later || fail "no audit event for later's unverified import"
assert_eq "$(http_status GET "$STOA_URL/example.com/later/@v/v1.0.0.zip")" 200 "the version cached unverified"
pass "with the checksum database down a version is cached unverified, as a fill is under lenient"
