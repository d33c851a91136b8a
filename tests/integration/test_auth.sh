#!/usr/bin/env bash
# Token auth with the real go command over TLS: .netrc and GOPROXY credentials, read vs
# publish scopes, revoked/expired/wrong tokens, anonymous access per repository, health
# and metrics settings, changes without restart, and no token in any log line.
. "$(dirname "$0")/lib.sh"

make_tls_cert
genmod -out "$TMP/up" example.com/pub@v1.0.0
genmod -out "$TMP/priv" corp.example.com/a@v1.0.0 other.example.com/x@v1.0.0
start_upstream "$TMP/up"
cat >"$TMP/stoa.yaml" <<YAML
tls: {cert: "$TLS_CERT", key: "$TLS_KEY"}
upstreams: [{name: fixture, url: "$UPSTREAM_URL"}]
repositories: [{name: go}, {name: open, require: {read: false}}]
namespaces:
  - {pattern: "corp.example.com,other.example.com", mode: private}
  - {pattern: "*", mode: proxy}
auth:
  require: {read: true, publish: true, admin: true, metrics: true}
  throttle: {failures: 1000}
  plugins:
    - {plugin: token, options: {path: "$TMP/tokens", refresh: 100ms}}
YAML
tok() { "$STOA_BIN" token --config "$TMP/stoa.yaml" create "$@" | head -1; }
READ=$(tok --name reader --scope read)
PUB=$(tok --name ci --scope 'publish:corp.example.com')
case "$READ" in stoa_*) ;; *) fail "token create printed '$READ'" ;; esac
assert_not_contains "$(cat "$TMP/tokens")" "$READ" "the store holds the token itself"
listing=$("$STOA_BIN" token list --config "$TMP/stoa.yaml") || fail "token list, --config last"
assert_contains "$listing" "reader" "token list with --config after the subcommand"
assert_not_contains "$listing" "$READ" "token list shows a secret"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa STOA_HTTP2=true
H=${STOA_URL#https://}
c() { curl -s --cacert "$TLS_CA" -o "$TMP/body" -w '%{http_code}' "$@"; }
code_is() { [ "$(c "${@:2}")" = "$1" ]; } # code_is STATUS CURL-ARGS...: for wait_for
pass "tokens created with the CLI; the store and the listing hold no secret"

# Publishing: the publish token may, the read token may not (403 names the scope).
zip="$TMP/priv/corp.example.com/a/@v/v1.0.0.zip"
code=$(c -T "$zip" -H "Authorization: Bearer $READ" "$STOA_URL/corp.example.com/a/@v/v1.0.0.zip")
assert_eq "$code" 403 "publish with a read token"
assert_contains "$(cat "$TMP/body")" "lacks scope publish:corp.example.com/a"
assert_eq "$(c -T "$zip" "$STOA_URL/corp.example.com/a/@v/v1.0.0.zip")" 401 "anonymous publish"
assert_eq "$(c -T "$zip" -u "anyone:$PUB" "$STOA_URL/corp.example.com/a/@v/v1.0.0.zip")" 201 "publish, Basic auth"
code=$(c -T "$TMP/priv/other.example.com/x/@v/v1.0.0.zip" -H "X-JFrog-Art-Api: $PUB" "$STOA_URL/other.example.com/x/@v/v1.0.0.zip")
assert_eq "$code" 403 "publish outside the token's namespace"
pass "publish token publishes (Basic); read token gets 403 naming the missing scope; other namespace 403"

# stoa publish over https: the private CA from SSL_CERT_FILE, the token from --token
# or from .netrc, as the go command finds them.
mkdir -p "$TMP/src/b" && printf 'module corp.example.com/b\n\ngo 1.19\n' >"$TMP/src/b/go.mod"
printf 'package b\n' >"$TMP/src/b/b.go"
SSL_CERT_FILE="$TLS_CA" "$STOA_BIN" publish "$TMP/src/b" --module corp.example.com/b --version v1.0.0 \
    --url "$STOA_URL" --token "$PUB" >"$TMP/pub.out" 2>&1 || { cat "$TMP/pub.out"; fail "stoa publish over https with --token"; }
printf 'machine 127.0.0.1\nlogin ci\npassword %s\n' "$PUB" >"$TMP/pub.netrc"
NETRC="$TMP/pub.netrc" SSL_CERT_FILE="$TLS_CA" "$STOA_BIN" publish "$TMP/src/b" --module corp.example.com/b \
    --version v1.0.1 --url "$STOA_URL" >"$TMP/pub.out" 2>&1 || { cat "$TMP/pub.out"; fail "stoa publish with .netrc"; }
pass "stoa publish over https trusts SSL_CERT_FILE and takes the token from --token or .netrc"

# The real go command: .netrc, then credentials in GOPROXY.
printf 'machine 127.0.0.1\nlogin ci-user\npassword %s\n' "$READ" >"$TMP/netrc"
mkdir -p "$GOHOME" && cp "$TMP/netrc" "$GOHOME/.netrc"
export GO_EXTRA_ENV="SSL_CERT_FILE=$TLS_CA"
out=$(gocmd mod download -json corp.example.com/a@v1.0.0 example.com/pub@v1.0.0 2>&1) || fail "go with .netrc: $out"
assert_contains "$out" '"Sum": "h1:'
rm "$GOHOME/.netrc" && clean_modcache
out=$(GOPROXY_URL="https://x:$READ@$H" gocmd mod download -json corp.example.com/a@v1.0.0 2>&1) || fail "GOPROXY creds: $out"
assert_contains "$out" '"Sum": "h1:'
clean_modcache
out=$(GOPROXY_URL="https://$READ@$H" gocmd mod download -json corp.example.com/a@v1.0.0 2>&1) || fail "token as user: $out"
pass "go command reads with a read token from .netrc, from GOPROXY=https://user:TOKEN@host and https://TOKEN@host"

# /catalog and /index list only what the caller may read: a token scoped to one
# namespace does not learn the names of modules in another.
BONLY=$(tok --name b-reader --scope 'read:corp.example.com/b')
wait_for code_is 200 -H "Authorization: Bearer $BONLY" "$STOA_URL/catalog" || fail "scoped token on /catalog"
assert_contains "$(cat "$TMP/body")" '"module":"corp.example.com/b"'
assert_not_contains "$(cat "$TMP/body")" 'corp.example.com/a"' "catalog for a token scoped to corp.example.com/b"
assert_not_contains "$(cat "$TMP/body")" 'example.com/pub' "catalog for a token scoped to corp.example.com/b"
assert_eq "$(c -H "Authorization: Bearer $BONLY" "$STOA_URL/index")" 200 "scoped token on /index"
assert_contains "$(cat "$TMP/body")" '"Path":"corp.example.com/b"'
assert_not_contains "$(cat "$TMP/body")" '"Path":"corp.example.com/a"' "index for a token scoped to corp.example.com/b"
assert_eq "$(c -H "Authorization: Bearer $READ" "$STOA_URL/catalog")" 200 "read token on /catalog"
assert_contains "$(cat "$TMP/body")" '"module":"corp.example.com/a"'
assert_contains "$(cat "$TMP/body")" '"module":"example.com/pub"'
pass "/catalog and /index list only the modules a token may read"

# Anonymous: refused where configured, with the Basic challenge; allowed under the open repository.
clean_modcache
if out=$(gocmd mod download corp.example.com/a@v1.0.0 2>&1); then fail "anonymous go download succeeded"; fi
assert_contains "$out" "401"
hdrs=$(curl -s --cacert "$TLS_CA" -D - -o /dev/null "$STOA_URL/example.com/pub/@v/list")
assert_contains "$hdrs" "HTTP/2 401"
assert_contains "$hdrs" 'www-authenticate: Basic realm="stoa"'
assert_eq "$(c "$STOA_URL/api/go/open/example.com/pub/@v/list")" 200 "anonymous read under repositories[open]"
assert_eq "$(c "$STOA_URL/api/go/go/example.com/pub/@v/list")" 401 "anonymous read under repositories[go]"
assert_eq "$(c "$STOA_URL/healthz")" 200 "healthz without auth.require.health"
assert_eq "$(c "$STOA_URL/metrics")" 401 "metrics with auth.require.metrics"
assert_eq "$(c -H "Authorization: Bearer $READ" "$STOA_URL/metrics")" 200 "metrics with a token"
pass "anonymous reads refused (401 + WWW-Authenticate) except in the open repository; health open, metrics guarded"

# Wrong tokens never succeed, whatever their shape or transport.
hash=$(awk '$1 == "reader" {print $2}' "$TMP/tokens")
wrong=("stoa_$(openssl rand -hex 32)" "$hash" "${READ%?}0" "${READ}x" "${READ:0:20}" "stoa_" "$READ$READ")
for w in "${wrong[@]}"; do
    [ "$w" = "$READ" ] && continue
    for how in "-HAuthorization: Bearer $w" "-uuser:$w" "-HX-JFrog-Art-Api: $w"; do
        code=$(c "$how" "$STOA_URL/corp.example.com/a/@v/list")
        assert_eq "$code" 401 "wrong token ($how)"
    done
done
assert_eq "$(c -H 'Authorization: Basic !!!notbase64' "$STOA_URL/corp.example.com/a/@v/list")" 401 "malformed Basic"
assert_contains "$(cat "$TMP/body")" "not valid base64"
clean_modcache
if GOPROXY_URL="https://x:${wrong[0]}@$H" gocmd mod download corp.example.com/a@v1.0.0 >/dev/null 2>&1; then
    fail "go command succeeded with a wrong token"
fi
pass "wrong tokens (random, the stored hash, altered, truncated, extended) are 401 by every transport"

# Changes without restart: a new token works, then expires; a revoked token stops working.
SHORT=$(tok --name short --scope read --expires 3s)
wait_for code_is 200 -H "Authorization: Bearer $SHORT" "$STOA_URL/corp.example.com/a/@v/list" ||
    fail "a token created while serving never started to work"
wait_for code_is 401 -H "Authorization: Bearer $SHORT" "$STOA_URL/corp.example.com/a/@v/list" ||
    fail "an expired token kept working"
assert_contains "$(cat "$TMP/body")" "token 'short' expired at"
"$STOA_BIN" token --config "$TMP/stoa.yaml" revoke reader >/dev/null || fail "token revoke"
wait_for code_is 401 -H "Authorization: Bearer $READ" "$STOA_URL/corp.example.com/a/@v/list" ||
    fail "a revoked token kept working"
assert_contains "$(cat "$TMP/body")" "token 'reader' was revoked"
clean_modcache
mkdir -p "$GOHOME" && cp "$TMP/netrc" "$GOHOME/.netrc"
if out=$(gocmd mod download corp.example.com/a@v1.0.0 2>&1); then fail "go succeeded with a revoked token"; fi
assert_contains "$out" "401"
rm "$GOHOME/.netrc"
pass "created, expired and revoked tokens take effect without restart (go command: revoked is 401)"

# Audit facts on the request: identity, client and the reason; never a secret.
line=$(grep ' access ' "$STOA_LOG" | grep 'PUT /corp.example.com/a/@v/v1.0.0.zip 403' | head -1)
assert_contains "$line" "127.0.0.1"
assert_contains "$line" "id=token:reader"
assert_contains "$line" "error=token 'reader' lacks scope publish"
assert_contains "$(grep ' access ' "$STOA_LOG" | grep 'PUT /corp.example.com/a/@v/v1.0.0.zip 201' | head -1)" "id=token:ci"
for t in "$READ" "$PUB" "$SHORT" "${wrong[@]}"; do
    [ ${#t} -ge 20 ] || continue
    if grep -qF -- "$t" "$STOA_LOG"; then fail "a token appears in the log"; fi
done
pass "access log carries identity, client and denial reason; no token appears in it"
stop_stoa
