#!/usr/bin/env bash
# Issue 20: `stoa import` moves an Athens disk store and a go module cache into stoa.
# Private versions are published (checked locally and by the server, audited), public
# ones are listed for `stoa prefetch`, broken ones are reported and nothing of them is
# stored; a second run changes nothing. Each version keeps the Time of its .info. The
# real go command reads the result.
source "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" corp.example.com/a@v1.0.0 corp.example.com/a@v1.1.0 corp.example.com/Upper@v1.0.0 \
    corp.example.com/mm@v1.0.0 corp.example.com/bad@v1.0.0 example.com/pub@v1.0.0
# athens MODULE VERSION [ESCAPED]: the version in Athens' layout (decoded module path).
athens() {
    local esc=${3:-$1} d="$TMP/athens/$1/$2"
    mkdir -p "$d"
    cp "$TMP/up/$esc/@v/$2.zip" "$d/source.zip"
    cp "$TMP/up/$esc/@v/$2.mod" "$d/go.mod"
    cp "$TMP/up/$esc/@v/$2.info" "$d/$2.info"
}
athens corp.example.com/a v1.0.0
athens corp.example.com/a v1.1.0
# Athens' .info Times, as a team moving expects to keep them (one with an offset: UTC in stoa)
echo '{"Version":"v1.0.0","Time":"2019-03-04T05:06:07Z"}' >"$TMP/athens/corp.example.com/a/v1.0.0/v1.0.0.info"
echo '{"Version":"v1.1.0","Time":"2019-05-06T09:08:09.5+02:00"}' >"$TMP/athens/corp.example.com/a/v1.1.0/v1.1.0.info"
athens corp.example.com/Upper v1.0.0 corp.example.com/!upper
athens example.com/pub v1.0.0
athens corp.example.com/mm v1.0.0
echo "module corp.example.com/other" >"$TMP/athens/corp.example.com/mm/v1.0.0/go.mod"
athens corp.example.com/bad v1.0.0
printf 'PK\003\004 not a zip' >"$TMP/athens/corp.example.com/bad/v1.0.0/source.zip"
mkdir -p "$TMP/athens/lost+found" "$TMP/athens/corp.example.com/notes"
echo "not a module" >"$TMP/athens/corp.example.com/notes/README"
ln -s / "$TMP/athens/corp.example.com/loop"

start_upstream "$TMP/up"
fixture_config
start_stoa

# 1. A dry run checks locally and sends nothing.
rc=0
out=$("$STOA_BIN" import --dry-run "$TMP/athens" 2>"$TMP/dry.err") || rc=$?
assert_eq "$rc" 1 "dry run exit (a broken zip)"
assert_contains "$out" "dry run: 6 module version(s) found in $TMP/athens: 4 pass the local checks, 2 fail them"
assert_contains "$(cat "$TMP/dry.err")" "corp.example.com/bad@v1.0.0: "
assert_contains "$(cat "$TMP/dry.err")" "corp.example.com/mm@v1.0.0: its go.mod"
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/a/@v/list")" 404 "a's list after a dry run"
pass "import --dry-run finds the Athens versions, names the broken one and publishes nothing"

# 2. The import: private versions published, the public one listed, two reported.
rc=0
out=$("$STOA_BIN" import --url "$STOA_URL" --public "$TMP/public.txt" "$TMP/athens" 2>"$TMP/imp.err") || rc=$?
assert_eq "$rc" 1 "import exit with two broken versions"
assert_contains "$out" "6 module version(s) found in $TMP/athens: 3 imported, 0 already there, 1 public"
assert_contains "$out" "2 failed, 0 skipped"
err=$(cat "$TMP/imp.err")
assert_contains "$err" "corp.example.com/bad@v1.0.0: "
assert_contains "$err" "corp.example.com/mm@v1.0.0: its go.mod ($TMP/athens/corp.example.com/mm/v1.0.0/go.mod) differs"
assert_eq "$(cat "$TMP/public.txt")" "example.com/pub v1.0.0" "the public list"
assert_eq "$(curl -s "$STOA_URL/corp.example.com/a/@v/list" | sort | tr '\n' ' ')" "v1.0.0 v1.1.0 " "a's versions"
for f in zip mod; do
    curl -sf -o "$TMP/got" "$STOA_URL/corp.example.com/!upper/@v/v1.0.0.$f" || fail "Upper's $f"
    cmp -s "$TMP/got" "$TMP/up/corp.example.com/!upper/@v/v1.0.0.$f" || fail "Upper's $f differs from Athens'"
done
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/bad/@v/v1.0.0.info")" 404 "the broken version"
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/mm/@v/v1.0.0.info")" 404 "the version whose go.mod differs"
pass "import publishes Athens' private versions (upper-case paths too), lists the public one, reports the broken"

file_time() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Time"])' "$1"; }
info_time() { curl -sf "$STOA_URL/$1/@v/$2.info" | file_time /dev/stdin; } # info_time ESCAPED_MODULE VERSION
assert_eq "$(info_time corp.example.com/a v1.0.0)" "2019-03-04T05:06:07Z" "a v1.0.0's Time"
assert_eq "$(info_time corp.example.com/a v1.1.0)" "2019-05-06T07:08:09.5Z" "a v1.1.0's Time, in UTC"
assert_eq "$(info_time 'corp.example.com/!upper' v1.0.0)" "$(file_time "$TMP/up/corp.example.com/!upper/@v/v1.0.0.info")" \
    "Upper's Time"
pass "imported versions keep the Time of their Athens .info"

# The go command agrees.
out=$(cd "$TMP" && GO_EXTRA_ENV="GONOSUMDB=corp.example.com" gocmd list -m -versions corp.example.com/a 2>&1) ||
    fail "go list: $out"
assert_eq "$out" "corp.example.com/a v1.0.0 v1.1.0" "go list -m -versions"
out=$(cd "$TMP" && GO_EXTRA_ENV="GONOSUMDB=corp.example.com" gocmd list -m -json corp.example.com/a@v1.0.0 2>&1) ||
    fail "go list -m -json: $out"
assert_contains "$out" '"Time": "2019-03-04T05:06:07Z"' "go list -m -json shows Athens' Time"
out=$(cd "$TMP" && gocmd mod download -json corp.example.com/Upper@v1.0.0 2>&1) || fail "go mod download: $out"
assert_contains "$out" '"Sum": "h1:'
pass "go list -m -versions and -json (Athens' Time) and go mod download read the imported versions"

# 3. Again: nothing changes (the same bytes are a no-op); the public list feeds prefetch.
rm -rf "$TMP/athens/corp.example.com/mm" "$TMP/athens/corp.example.com/bad"
out=$("$STOA_BIN" import --url "$STOA_URL" "$TMP/athens" 2>&1) || fail "a second import failed: $out"
assert_contains "$out" "0 imported, 3 already there, 1 public (not published), 0 failed"
"$STOA_BIN" prefetch --url "$STOA_URL" "$TMP/public.txt" >/dev/null 2>&1 || fail "prefetch of the public list"
settle
assert_contains "$(curl -s -D - -o /dev/null "$STOA_URL/example.com/pub/@v/v1.0.0.zip" | tr -d '\r')" "x-cache: HIT"
pass "a second import changes nothing and exits 0; the public list warms the cache through prefetch"

# --json: a JSON line per version and a summary on stdout, no progress on stderr.
"$STOA_BIN" import --json --url "$STOA_URL" "$TMP/athens" >"$TMP/imp.json" 2>"$TMP/imp.json.err" || fail "import --json"
assert_eq "$(cat "$TMP/imp.json.err")" "" "stderr of import --json"
assert_eq "$(json_results "$TMP/imp.json")" "present corp.example.com/Upper@v1.0.0
present corp.example.com/a@v1.0.0
present corp.example.com/a@v1.1.0
public example.com/pub@v1.0.0
summary found=4 imported=0 cached=0 present=3 public=1 refused=0 failed=0 skipped=0 dry_run=false" "import --json"
pass "import --json writes a JSON line per version and a summary"

# 4. A go module cache (GOMODCACHE root) is read from cache/download.
GOPROXY_URL="file://$TMP/up" gocmd mod download corp.example.com/a@v1.0.0 corp.example.com/Upper@v1.0.0 ||
    fail "filling a module cache"
DATA="$TMP/data2" start_stoa
out=$("$STOA_BIN" import --url "$STOA_URL" "$GOHOME/modcache" 2>&1) || fail "import of a module cache: $out"
assert_contains "$out" "2 module version(s) found in $GOHOME/modcache: 2 imported"
assert_eq "$(info_time corp.example.com/a v1.0.0)" "$(file_time "$GOHOME/modcache/cache/download/corp.example.com/a/@v/v1.0.0.info")" \
    "a's Time from the module cache"
curl -sf -o "$TMP/got" "$STOA_URL/corp.example.com/!upper/@v/v1.0.0.zip" || fail "Upper's zip from the cache import"
cmp -s "$TMP/got" "$TMP/up/corp.example.com/!upper/@v/v1.0.0.zip" || fail "Upper's zip differs after the cache import"
pass "a go module cache imports from its cache/download tree (escaped paths decoded)"

# 5. Bad usage and an unreadable DIR are exit 2.
rc=0; "$STOA_BIN" import >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "no DIR"
rc=0; "$STOA_BIN" import "$TMP/nothing-here" >/dev/null 2>"$TMP/e" || rc=$?
assert_eq "$rc" 2 "missing DIR"
assert_contains "$(cat "$TMP/e")" "cannot read $TMP/nothing-here"
pass "import without DIR or with a missing one exits 2 with a message"

# 6. A server that takes the connection and never answers: the import ends with an error
# once nothing moved for STOA_CLIENT_STALL seconds (11 min by default), it does not hang.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)  # read nothing, answer nothing
' "$TMP/mute.port" &
PIDS+=($!)
wait_for test -s "$TMP/mute.port" || fail "the mute server did not start"
mkdir -p "$TMP/one" && cp -r "$TMP/athens/corp.example.com" "$TMP/one/" && rm -rf "$TMP/one/corp.example.com/Upper"
rm -rf "$TMP/one/corp.example.com/a/v1.1.0"
t0=$(date +%s)
rc=0
out=$(STOA_CLIENT_STALL=2 timeout 60 "$STOA_BIN" import --url "http://127.0.0.1:$(cat "$TMP/mute.port")" "$TMP/one" 2>&1) || rc=$?
took=$(($(date +%s) - t0))
assert_eq "$rc" 1 "import against a server that never answers"
[ "$took" -lt 45 ] || fail "the import hung for $took s"
assert_contains "$out" "Timeout was reached"
pass "an import against a server that never answers ends with an error after the stall bound ($took s)"

# 7. An .info that names another version or has no RFC 3339 Time fails its version; the
# server takes X-Stoa-Info-Time only as an RFC 3339 time not ahead of its clock.
genmod -out "$TMP/up2" corp.example.com/t1@v1.0.0 corp.example.com/t2@v1.0.0
for m in t1 t2; do
    d="$TMP/badinfo/corp.example.com/$m/v1.0.0" && mkdir -p "$d"
    cp "$TMP/up2/corp.example.com/$m/@v/v1.0.0.zip" "$d/source.zip"
done
echo '{"Version":"v1.0.0","Time":"yesterday"}' >"$TMP/badinfo/corp.example.com/t1/v1.0.0/v1.0.0.info"
echo '{"Version":"v9.0.0"}' >"$TMP/badinfo/corp.example.com/t2/v1.0.0/v1.0.0.info"
rc=0
out=$("$STOA_BIN" import --url "$STOA_URL" "$TMP/badinfo" 2>&1) || rc=$?
assert_eq "$rc" 1 "import of versions with bad .info files"
assert_contains "$out" "corp.example.com/t1@v1.0.0: its .info ($TMP/badinfo/corp.example.com/t1/v1.0.0/v1.0.0.info) has a Time that is not an RFC 3339 time"
assert_contains "$out" "corp.example.com/t2@v1.0.0: its .info ($TMP/badinfo/corp.example.com/t2/v1.0.0/v1.0.0.info) names version v9.0.0"
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/t1/@v/v1.0.0.info")" 404 "t1 after a bad .info"
rc=0
"$STOA_BIN" import --json --dry-run "$TMP/badinfo" >"$TMP/bad.json" 2>&1 || rc=$?
assert_eq "$rc" 1 "import --json --dry-run of versions with bad .info files"
assert_eq "$(json_results "$TMP/bad.json")" "failed corp.example.com/t1@v1.0.0
failed corp.example.com/t2@v1.0.0
summary found=2 checked=0 cached=0 present=0 public=0 refused=0 failed=2 skipped=0 dry_run=true" "import --json --dry-run"
assert_contains "$(cat "$TMP/bad.json")" '"error":"its .info ('
zip="$TMP/up2/corp.example.com/t1/@v/v1.0.0.zip"
for t in yesterday 2999-01-01T00:00:00Z; do
    assert_eq "$(http_status PUT "$STOA_URL/corp.example.com/t1/@v/v1.0.0.zip" -H "X-Stoa-Info-Time: $t" --data-binary @"$zip")" \
        400 "X-Stoa-Info-Time: $t"
done
assert_eq "$(http_status PUT "$STOA_URL/corp.example.com/t1/@v/v1.0.0.zip" -H "X-Stoa-Info-Time: 2001-02-03T04:05:06Z" \
    --data-binary @"$zip")" 201 "a publish with X-Stoa-Info-Time"
assert_eq "$(info_time corp.example.com/t1 v1.0.0)" "2001-02-03T04:05:06Z" "t1's Time from the header"
pass "a bad .info fails its version; the server checks X-Stoa-Info-Time and puts it in the .info"
