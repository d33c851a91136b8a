#!/usr/bin/env bash
# Private modules: publish (stoa publish, and JFrog-style PUTs), go get/build from a
# fresh module with GONOSUMDB, go.sum equal to the hashes stoa returned, immutability,
# checksum headers, a corpus of broken zips, and zero requests for the private
# namespace at the upstream across the whole test.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/public@v1.0.0
start_upstream "$TMP/up"
cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: fixture, url: "$UPSTREAM_URL"}]
repositories: [{name: go}]
namespaces:
  - {pattern: "corp.example.com", mode: private}
  - {pattern: "example.com/m", mode: private}
  - {pattern: "banned.example.com", mode: deny, reason: "banned by policy: use corp.example.com/safe"}
  - {pattern: "*", mode: proxy}
YAML
CONFIG_FILE="$TMP/stoa.yaml" start_stoa

# Module sources.
mksrc() { # mksrc DIR MODULE VERSION [REQUIRE...]
    mkdir -p "$1"
    { printf 'module %s\n\ngo 1.19\n' "$2"; for r in "${@:4}"; do printf 'require %s\n' "$r"; done; } >"$1/go.mod"
    printf 'package %s\n\nfunc V() string { return "%s %s" }\n' "$(basename "$2")" "$2" "$3" >"$1/$(basename "$2").go"
    mkdir -p "$1/.git" "$1/vendor/x" && echo junk >"$1/.git/HEAD" && echo junk >"$1/vendor/x/x.go"
}
mksrc "$TMP/src/a1" corp.example.com/a v1.0.0
mksrc "$TMP/src/a2" corp.example.com/a v1.1.0
mksrc "$TMP/src/b" corp.example.com/b v0.1.0 "corp.example.com/a v1.1.0"
printf 'package b\n\nimport "corp.example.com/a"\n\nfunc V() string { return "b+" + a.V() }\n' >"$TMP/src/b/b.go"

# 1. stoa publish builds the zip with the go command's rules and PUTs it.
out=$("$STOA_BIN" publish "$TMP/src/a1" --module corp.example.com/a --version v1.0.0 --url "$STOA_URL")
assert_contains "$out" '"created":true'

# 2. What jf go-publish sends: zip, mod, info, with matrix params and checksums.
"$STOA_BIN" publish "$TMP/src/a2" --module corp.example.com/a --version v1.1.0 --url "$STOA_URL/api/go/go" >/dev/null
# (re-publishing the same content from the CLI is a no-op, checked below for the raw PUT)
base="$STOA_URL/api/go/go/corp.example.com/a/@v"
curl -sf "$STOA_URL/corp.example.com/a/@v/v1.1.0.zip" -o "$TMP/a2.zip"
sha=$(sha256sum "$TMP/a2.zip" | cut -d' ' -f1)
sha1=$(sha1sum "$TMP/a2.zip" | cut -d' ' -f1)
md5=$(md5sum "$TMP/a2.zip" | cut -d' ' -f1)
code=$(curl -s -o "$TMP/put.json" -w '%{http_code}' -T "$TMP/a2.zip" "$base/v1.1.0.zip;build.name=ci;build.number=7" \
    -H "X-Checksum: $sha" -H "X-Checksum-Sha1: $sha1" -H "X-Checksum-Md5: $md5")
assert_eq "$code" 201 "re-PUT of identical zip under a repository base (Artifactory's answer)"
assert_contains "$(cat "$TMP/put.json")" '"created":false' "the re-PUT changed nothing"
assert_eq "$(http_status PUT "$STOA_URL/corp.example.com/a/@v/v1.1.0.zip" -T "$TMP/a2.zip")" 200 "re-PUT at the root base: 200, nothing created"
a2_h1=$(sed -n 's/.*"h1":"\([^"]*\)".*/\1/p' "$TMP/put.json")
a2_modh1=$(sed -n 's/.*"go_mod_h1":"\([^"]*\)".*/\1/p' "$TMP/put.json")
curl -s "$STOA_URL/corp.example.com/a/@v/v1.1.0.mod" -o "$TMP/a2.mod"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -T "$TMP/a2.mod" "$base/v1.1.0.mod")" 201 ".mod matching the zip's"
printf '{"Version":"v1.1.0","Time":"2024-05-01T00:00:00Z"}' >"$TMP/a2.info"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -T "$TMP/a2.info" "$base/v1.1.0.info")" 201 ".info after the zip"
pass "publish via stoa publish and via JFrog-style PUTs (zip, mod, info, matrix params, checksums)"

# Checksum mismatch: 400 naming both values.
resp=$(curl -s -w ' %{http_code}' -T "$TMP/a2.zip" "$base/v1.1.0.zip" -H "X-Checksum-Sha1: 0000000000000000000000000000000000000000")
assert_contains "$resp" "X-Checksum-Sha1 mismatch: the header says 0000000000000000000000000000000000000000, the body has $sha1"
assert_contains "$resp" " 400"
# Immutability: other bytes for an existing version are 409 with a clear message.
resp=$(curl -s -w ' %{http_code}' -T "$TMP/a2.zip" "$STOA_URL/corp.example.com/a/@v/v1.0.0.zip")
assert_contains "$resp" "rejected corp.example.com/a@v1.0.0.zip"  # wrong prefix inside: a v1.1.0 zip
printf 'module corp.example.com/a\n// other\n' >"$TMP/other.mod"
resp=$(curl -s -w ' %{http_code}' -T "$TMP/other.mod" "$base/v1.1.0.mod")
assert_contains "$resp" " 409"
"$STOA_BIN" publish "$TMP/src/a2" --module corp.example.com/a --version v1.0.0 --url "$STOA_URL" >"$TMP/imm.out" 2>&1 && fail "republish with other content succeeded"
assert_contains "$(cat "$TMP/imm.out")" "409"
# .info before its zip, and publishing outside a private namespace
printf '{"Version":"v0.3.0"}' >"$TMP/early.info"
assert_eq "$(http_status PUT "$STOA_URL/corp.example.com/c/@v/v0.3.0.info" -T "$TMP/early.info")" 422 ".info before zip"
assert_eq "$(http_status PUT "$STOA_URL/example.com/public/@v/v1.9.0.zip" -T "$TMP/a2.zip")" 403 "publish to a proxied namespace"
pass "checksum mismatch 400, immutable 409, .info-before-zip 422, proxied namespace 403"

# stoa publish --json: one result line (with what was zipped and the hashes) and a
# summary on stdout, nothing on stderr; published, present (the same bytes) or failed.
mksrc "$TMP/src/j" corp.example.com/j v1.0.0
pubjson() { # pubjson NAME ARGS...: stoa publish --json ARGS into $TMP/NAME.json; prints the exit status
    local name=$1 rc=0
    shift
    "$STOA_BIN" publish --json "$@" --url "$STOA_URL" >"$TMP/$name.json" 2>"$TMP/$name.err" || rc=$?
    assert_eq "$(cat "$TMP/$name.err")" "" "stderr of publish --json $*"
    echo "$rc"
}
assert_eq "$(pubjson j1 "$TMP/src/j" --version v1.0.0)" 0 "publish --json"
assert_eq "$(json_results "$TMP/j1.json")" "published corp.example.com/j@v1.0.0
summary published=1 present=0 failed=0" "publish --json, a new version"
python3 - "$TMP/j1.json" <<'PY' || fail "publish --json fields: $(cat "$TMP/j1.json")"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["status"] == 201 and r["files"] == 2 and r["omitted"] >= 1 and r["bytes"] > 0, r
assert r["h1"].startswith("h1:") and r["go_mod_h1"].startswith("h1:") and len(r["sha256"]) == 64, r
PY
assert_eq "$(pubjson a2 "$TMP/src/a2" --module corp.example.com/a --version v1.1.0)" 0 "publish --json again"
assert_eq "$(json_results "$TMP/a2.json")" "present corp.example.com/a@v1.1.0
summary published=0 present=1 failed=0" "publish --json, the same bytes again"
assert_contains "$(cat "$TMP/a2.json")" "\"h1\":\"$a2_h1\""
assert_eq "$(pubjson imm "$TMP/src/a2" --module corp.example.com/a --version v1.0.0)" 1 "publish --json, other bytes"
assert_eq "$(json_results "$TMP/imm.json")" "failed corp.example.com/a@v1.0.0
summary published=0 present=0 failed=1" "publish --json, a conflict"
assert_contains "$(cat "$TMP/imm.json")" 'answered 409: corp.example.com/a@v1.0.0 is already published with different content;'
pass "publish --json: a result line and a summary (published, present, failed), nothing on stderr"

# without --module: the module is the one go.mod names (as stoa publish --help says)
"$STOA_BIN" publish "$TMP/src/b" --version v0.1.0 --url "$STOA_URL" >"$TMP/b.json"
b_h1=$(sed -n 's/.*"h1":"\([^"]*\)".*/\1/p' "$TMP/b.json")

# 3. A fresh consumer: GONOSUMDB for the private namespace, GOPROXY=stoa only.
mkdir -p "$TMP/app" && cd "$TMP/app"
printf 'module example.com/app\n\ngo 1.19\n' >go.mod
printf 'package main\n\nimport (\n\t"fmt"\n\n\t"corp.example.com/b"\n)\n\nfunc main() { fmt.Println(b.V()) }\n' >main.go
GO_EXTRA_ENV="GONOSUMDB=corp.example.com" gocmd get corp.example.com/b@latest 2>"$TMP/get.err" || { cat "$TMP/get.err"; fail "go get"; }
GO_EXTRA_ENV="GONOSUMDB=corp.example.com" gocmd build -o app .
assert_eq "$(./app)" "b+corp.example.com/a v1.1.0"
assert_contains "$(cat go.sum)" "corp.example.com/a v1.1.0 $a2_h1"
assert_contains "$(cat go.sum)" "corp.example.com/a v1.1.0/go.mod $a2_modh1"
assert_contains "$(cat go.sum)" "corp.example.com/b v0.1.0 $b_h1"
versions=$(gocmd list -m -versions corp.example.com/a)
assert_eq "$versions" "corp.example.com/a v1.0.0 v1.1.0"
pass "go get/build of private modules; go.sum h1 lines equal the hashes stoa returned at publish"

# Mistyped versions and unknown private modules: 404 from stoa, never asked upstream.
GO_EXTRA_ENV="GONOSUMDB=corp.example.com" gocmd get corp.example.com/a@v9.9.9 >/dev/null 2>&1 && fail "got a version that does not exist"
GO_EXTRA_ENV="GONOSUMDB=corp.example.com" gocmd get corp.example.com/nope@latest >/dev/null 2>&1 && fail "got a module that does not exist"
for p in corp.example.com/nope/@latest corp.example.com/a/@v/master.info corp.example.com/nope/@v/list; do
    assert_eq "$(http_status GET "$STOA_URL/$p")" 404 "$p"
done
assert_eq "$(http_status GET "$STOA_URL/sumdb/sum.golang.org/lookup/corp.example.com/a@v1.0.0")" 404 "private sumdb lookup"
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/banned.example.com/x/@v/list")
assert_contains "$resp" "banned by policy: use corp.example.com/safe"
assert_contains "$resp" " 410"
pass "unknown private versions 404, deny rules 410 with their reason"

# 4. Broken and malicious zips: each refused with its rule, nothing stored.
for z in "$STOA_SRC"/tests/unit/data/zip/bad-*.zip; do
    resp=$(curl -s -w '\n%{http_code}' -T "$z" "$STOA_URL/example.com/m/@v/v1.0.0.zip")
    code=$(printf '%s' "$resp" | tail -1)
    case "$code" in 400 | 413 | 422) ;; *) fail "$(basename "$z"): status $code: $resp" ;; esac
    assert_contains "$resp" "rejected example.com/m@v1.0.0.zip" "$(basename "$z")"
done
python3 - "$TMP/bomb.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    # x/mod's own limit, not a ratio: a go.mod over 16 MiB (here 17 MiB, 17 kB deflated)
    z.writestr("example.com/m@v1.0.0/go.mod", "module example.com/m\n" + "\n" * (17 << 20))
PY
resp=$(curl -s -w ' %{http_code}' -T "$TMP/bomb.zip" "$STOA_URL/example.com/m/@v/v1.0.0.zip")
assert_contains "$resp" "go.mod file too large"
assert_contains "$resp" "max size is 16777216 bytes"
assert_eq "$(find "$DATA/example.com" -type f 2>/dev/null | wc -l)" 0 "files stored from rejected zips"
pass "22 broken/malicious zips and a zip bomb rejected with rule and file; storage holds nothing from them"

# Zero requests for the private namespaces reached the upstream, whatever happened.
leaks=$(grep -cE 'corp\.example\.com|example\.com/m/' "$UPSTREAM_LOG" || true)
assert_eq "$leaks" 0 "requests for private namespaces at the upstream"
pass "the upstream never saw a private module name"

# Delete needs admin (loopback is admin without auth plugins): the version disappears.
assert_eq "$(http_status DELETE "$STOA_URL/corp.example.com/a/@v/v1.0.0.zip")" 200
assert_eq "$(curl -s "$STOA_URL/corp.example.com/a/@v/list")" "v1.1.0"
pass "DELETE removes a version from list"

# What stoa stores is its own and its group's: no file or directory under the data root
# (made by stoa) is readable by others (issue 21 finding 17), whatever the umask.
open=$(find "$DATA" -mindepth 1 -perm /o=rwx -printf '%m %p\n')
assert_eq "$open" "" "world-accessible files under the data root"
assert_eq "$(find "$DATA" -mindepth 1 -type f -name '*.zip' | head -1 | xargs stat -c %a)" 640 "a stored zip's mode"
pass "stored modules are 0640 in 0750 directories"

# A .mod, or the go.mod in a zip, must be a go.mod of the module published (issue 21
# finding 13): the go command refuses anything else after download ("go.mod has
# module path X"), so a registry that stores it only breaks builds later.
put_mod() { printf "$2" >"$TMP/put.mod"; curl -s -w ' %{http_code}' -T "$TMP/put.mod" "$STOA_URL/corp.example.com/$1/@v/v1.0.0.mod"; }
resp=$(put_mod m1 'this is not a go.mod\n')
assert_contains "$resp" " 422" "a .mod that is not a go.mod"
assert_contains "$resp" "rejected corp.example.com/m1@v1.0.0.mod: it is not a go.mod"
resp=$(put_mod m2 'module corp.example.com/other\n')
assert_contains "$resp" "it declares module corp.example.com/other"
assert_contains "$resp" " 422" "a .mod of another module"
resp=$(put_mod m3 'module "corp.example.com/m3" // quoted, as x/mod allows\n\ngo 1.21\n')
assert_contains "$resp" " 201" "a quoted module path"
python3 - "$TMP/wrong.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("corp.example.com/m4@v1.0.0/go.mod", "module corp.example.com/m5\n")
    z.writestr("corp.example.com/m4@v1.0.0/m.go", "package m\n")
PY
resp=$(curl -s -w ' %{http_code}' -T "$TMP/wrong.zip" "$STOA_URL/corp.example.com/m4/@v/v1.0.0.zip")
assert_contains "$resp" " 422" "a zip whose go.mod names another module"
assert_contains "$resp" "its go.mod declares module corp.example.com/m5"
assert_eq "$(find "$DATA/corp.example.com" -path '*m[124]*' -type f | wc -l)" 0 "files stored from rejected go.mods"
pass "a .mod or zip go.mod that is not the module's go.mod is refused with 422"
