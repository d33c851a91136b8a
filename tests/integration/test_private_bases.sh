#!/usr/bin/env bash
# Private stays private on every repository base (issue 21, findings 1, 2, 10, 18).
# All bases share one storage, so a private module's read rule must hold under
# /api/go/<any>/ (also spelled %2f-encoded), a scoped token must not read another
# team's module where reads are open, a private rule limited with repo: must not turn
# its path into a proxied one elsewhere, case variants of private paths must not leak,
# and private namespaces need read auth by default. The real go command downloads
# through each base; a bait upstream and checksum database that hold the private
# paths record what they were asked, and must have been asked nothing private.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"

DB=localhost.localdev/sumdb
make_tls_cert
export CURL_CA_BUNDLE="$TLS_CA" # for settle's /metrics probe
# Bait: the upstream (and so the checksum database) has modules at private paths.
genmod -out "$TMP/up" example.com/pub@v1.0.0 team.example.com/x@v1.0.0 github.com/Corp/secret@v1.0.0 \
    corp.example.com/team-b/secret@v1.0.0
genmod -out "$TMP/priv" corp.example.com/team-a/lib@v1.0.0 corp.example.com/team-b/secret@v1.0.0 \
    team.example.com/x@v1.0.0
start_sumdb "$DB" "$TMP/up"
start_upstream "$TMP/up"
cat >"$TMP/stoa.yaml" <<YAML
tls: {cert: "$TLS_CERT", key: "$TLS_KEY"}
upstreams: [{name: fixture, url: "$UPSTREAM_URL"}]
sumdbs: [{name: "$DB", url: "$SUMDB_URL", key: "$SUMDB_KEY"}]
repositories: [{name: internal, require: {read: true}}, {name: open, require: {read: false}}]
namespaces:
  - {pattern: "corp.example.com", mode: private}
  - {pattern: "github.com/corp", mode: private}
  - {pattern: "team.example.com", mode: private, repo: internal}
  - {pattern: "*", mode: proxy}
auth:
  throttle: {failures: 0}
  plugins:
    - {plugin: token, options: {path: "$TMP/tokens", refresh: 100ms}}
YAML
tok() { "$STOA_BIN" token --config "$TMP/stoa.yaml" create "$@" | head -1; }
PUB=$(tok --name ci --scope 'publish:corp.example.com,team.example.com')
TEAMA=$(tok --name team-a --scope 'read:corp.example.com/team-a')
READ=$(tok --name reader --scope read)
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
H=${STOA_URL#https://}
c() { curl -s --path-as-is --cacert "$TLS_CA" -o "$TMP/body" -w '%{http_code}' "$@"; }

for m in corp.example.com/team-a/lib corp.example.com/team-b/secret; do
    assert_eq "$(c -T "$TMP/priv/$m/@v/v1.0.0.zip" -H "Authorization: Bearer $PUB" "$STOA_URL/$m/@v/v1.0.0.zip")" 201 "publish $m"
done
settle

# 1 + 10: anonymous reads of a private module are refused on every base, though the
# root base and repositories[open] leave reads open; a team-a token cannot read
# team-b's module there either.
secret=corp.example.com/team-b/secret/@v
bases=("" /api/go/open /api/go/internal /api%2fgo%2fopen /api%2Fgo%2Finternal)
for b in "${bases[@]}"; do
    for f in v1.0.0.zip v1.0.0.mod v1.0.0.info list; do
        assert_eq "$(c "$STOA_URL$b/$secret/$f")" 401 "anonymous $b/$secret/$f"
        assert_eq "$(c -H "Authorization: Bearer $TEAMA" "$STOA_URL$b/$secret/$f")" 403 "team-a token on $b/$secret/$f"
    done
    assert_eq "$(c -H "Authorization: Bearer $TEAMA" "$STOA_URL$b/corp.example.com/team-a/lib/@v/v1.0.0.zip")" 200 \
        "team-a token on its own module under $b"
    assert_eq "$(c "$STOA_URL$b/corp.example.com/team-a/lib/@latest")" 401 "anonymous @latest under $b"
done
assert_eq "$(c "$STOA_URL/api/go/open/example.com/pub/@v/list")" 200 "anonymous read of a proxied module, open base"
assert_eq "$(c "$STOA_URL/catalog")" 200 "anonymous catalog"
assert_not_contains "$(cat "$TMP/body")" "corp.example.com" "anonymous catalog lists private modules"
pass "private reads need an allow on every base, %2f-encoded too; team-a's token reads only team-a"

# The go command through each base: nothing private comes back without the right
# token, and the right token works (GONOSUMDB for the private paths).
export GO_EXTRA_ENV="SSL_CERT_FILE=$TLS_CA"
GOSUMDB_VALUE="$SUMDB_KEY"
for b in "${bases[@]}"; do
    for m in corp.example.com/team-b/secret team.example.com/x github.com/Corp/secret; do
        clean_modcache
        if out=$(GOPROXY_URL="$STOA_URL$b" gocmd mod download -json "$m@v1.0.0" 2>&1); then
            fail "anonymous go mod download of $m through '$b' succeeded: $out"
        fi
        if out=$(GOPROXY_URL="https://t:$TEAMA@$H$b" gocmd mod download -json "$m@v1.0.0" 2>&1); then
            fail "team-a go mod download of $m through '$b' succeeded: $out"
        fi
    done
    [ -z "$(find "$GOHOME/modcache/cache/download" -name '*.zip' 2>/dev/null)" ] || fail "a zip reached the module cache through '$b'"
    clean_modcache
    out=$(GOPROXY_URL="https://t:$TEAMA@$H$b" GO_EXTRA_ENV="$GO_EXTRA_ENV GONOSUMDB=corp.example.com" \
        gocmd mod download -json corp.example.com/team-a/lib@v1.0.0 2>&1) || fail "team-a download through '$b': $out"
    assert_contains "$out" '"Sum": "h1:'
done
pass "go mod download through every base: no private module without its scope, team-a's with it"

# 2 + 18: neither the upstream nor the checksum database was asked for a private
# path, in any case spelling, by stoa or through stoa; curl tries the sumdb proxy and
# case variants directly too.
for p in team.example.com/x github.com/!corp/secret github.com/!c!o!r!p/secret corp.example.com/team-c/secret; do
    for b in "" /api/go/open; do
        code=$(c -H "Authorization: Bearer $READ" "$STOA_URL$b/$p/@v/list")
        [ "$code" = 200 ] && [ -s "$TMP/body" ] && fail "$b/$p/@v/list listed: $(cat "$TMP/body")"
        assert_eq "$(c -H "Authorization: Bearer $READ" "$STOA_URL$b/$p/@v/v1.0.0.info")" 404 "$b/$p .info"
        assert_eq "$(c -H "Authorization: Bearer $READ" "$STOA_URL$b/sumdb/$DB/lookup/$p@v1.0.0")" 404 "$b sumdb lookup $p"
    done
done
settle
leaks=$(grep -ciE 'corp|team\.example' "$UPSTREAM_LOG" || true)
assert_eq "$leaks" 0 "private paths asked of the upstream: $(grep -iE 'corp|team\.example' "$UPSTREAM_LOG" | head -3)"
leaks=$(grep -ciE 'corp|team\.example' "$SUMDB_LOG" || true)
assert_eq "$leaks" 0 "private paths asked of the checksum database: $(grep -iE 'corp|team\.example' "$SUMDB_LOG" | head -3)"
pass "no private path, in any case variant, reached the upstream or the checksum database"

# The repo-limited private path was not filled from the upstream: publishing it on its
# base still works, and what every base then serves is the published module.
code=$(c -T "$TMP/priv/team.example.com/x/@v/v1.0.0.zip" -H "Authorization: Bearer $PUB" \
    "$STOA_URL/api/go/internal/team.example.com/x/@v/v1.0.0.zip")
assert_eq "$code" 201 "publish of team.example.com/x on its base: $(cat "$TMP/body")"
settle
for b in "" /api/go/open; do
    assert_eq "$(c -H "Authorization: Bearer $READ" "$STOA_URL$b/team.example.com/x/@v/v1.0.0.zip")" 200 "$b read"
    cmp -s "$TMP/body" "$TMP/priv/team.example.com/x/@v/v1.0.0.zip" || fail "$b serves other bytes than published"
done
assert_eq "$(c "$STOA_URL/team.example.com/x/@v/list")" 401 "anonymous list of a repo-limited private module at the root"
pass "a private rule limited with repo: keeps its path private on every base; the real publish lands"

# 10: the opt-out. A private rule with require: {read: false} leaves reads to the base.
sed -i 's/{pattern: "corp.example.com", mode: private}/{pattern: "corp.example.com", mode: private, require: {read: false}}/' "$TMP/stoa.yaml"
kill -HUP "$STOA_PID"
wait_for test "$(c "$STOA_URL/api/go/open/$secret/list")" = 200 || fail "require.read: false on the rule did not open reads"
assert_eq "$(c "$STOA_URL/api/go/internal/$secret/list")" 401 "opt-out keeps a base's own require.read"
pass "a private rule's require: {read: false} is the explicit opt-out; a base that requires reads still does"
