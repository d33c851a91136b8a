#!/usr/bin/env bash
# stoa prefetch: a go.sum written by the real go command for a generated module graph
# warms stoa's cache; with the upstream stopped, a clean `go mod download` and
# `go build` then succeed from stoa alone. Missing versions exit non-zero naming them,
# malformed inputs exit 2 naming file:line.
. "$(dirname "$0")/lib.sh"

# The graph: app -> a v1.1.0 -> {b v1.0.0, c v1.0.0, graph/m000 -> ... -> m011},
# b -> c v1.1.0, and a mixed-case v2 module. a declares go 1.16, so its requirements are
# not pruned: their go.mod files are needed (go.sum "/go.mod" lines) but not their zips.
genmod -out "$TMP/up" -graph 12 -require example.com/b@v1.0.0=example.com/c@v1.1.0 \
    example.com/a@v1.0.0 example.com/c@v1.0.0 example.com/c@v1.1.0 example.com/b@v1.0.0 example.com/Lib/v2@v2.1.0-rc.1
genmod -out "$TMP/up" -go 1.16 -require example.com/a@v1.1.0=example.com/b@v1.0.0 \
    -require example.com/a@v1.1.0=example.com/c@v1.0.0 -require example.com/a@v1.1.0=example.com/graph/m000@v1.0.0 \
    example.com/a@v1.1.0
start_upstream "$TMP/up"
upstream_pid=$UPSTREAM_PID

# go.sum and `go list -m all` from the real go command, straight from the fixture.
mkdir -p "$TMP/app" && cd "$TMP/app"
printf 'module example.com/app\n\ngo 1.19\n' >go.mod
printf 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/Lib/v2"\n\t"example.com/a"\n\t"example.com/b"\n)\n\nfunc main() { fmt.Println(a.V(), b.V(), lib.V()) }\n' >main.go
GOPROXY_URL=$UPSTREAM_URL gocmd get example.com/a@v1.1.0 example.com/b@v1.0.0 example.com/Lib/v2@v2.1.0-rc.1 2>"$TMP/get.err" ||
    { cat "$TMP/get.err"; fail "go get from the fixture"; }
GOPROXY_URL=$UPSTREAM_URL gocmd mod tidy 2>"$TMP/tidy.err" || { cat "$TMP/tidy.err"; fail "go mod tidy"; }
GOPROXY_URL=$UPSTREAM_URL gocmd list -m all >"$TMP/list.txt" || fail "go list -m all"
cp go.sum "$TMP/go.sum.orig"
zips=$(grep -vc '/go.mod ' go.sum || true)
mods=$(grep -c '/go.mod ' go.sum || true)
[ "$zips" -eq 3 ] || fail "go.sum has $zips zip lines: $(cat go.sum)"
[ "$mods" -gt "$zips" ] || fail "go.sum has no /go.mod-only lines: $(cat go.sum)"
grep -q '^example.com/c v1.0.0/go.mod ' go.sum || fail "c v1.0.0/go.mod not in go.sum"
clean_modcache
: >"$UPSTREAM_LOG"

cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: fixture, url: "$UPSTREAM_URL"}]
YAML
CONFIG_FILE="$TMP/stoa.yaml" start_stoa

# 1. Prefetch go.sum (not a terminal: plain progress lines and a summary).
"$STOA_BIN" prefetch --url "$STOA_URL" --jobs 4 go.sum >"$TMP/pf.out" 2>"$TMP/pf.err" ||
    { cat "$TMP/pf.err"; fail "prefetch go.sum exited non-zero"; }
want_files=$((zips * 3 + mods - zips))
assert_contains "$(cat "$TMP/pf.err")" "$mods module versions, $want_files of $want_files files fetched"
assert_contains "$(cat "$TMP/pf.err")" "stoa prefetch: $want_files/$want_files files"
assert_not_contains "$(cat "$TMP/pf.err")" $'\r'
# go.mod-only versions were fetched as .mod only; full lines as .info, .mod and .zip.
grep -q 'example.com/c/@v/v1.0.0.mod' "$UPSTREAM_LOG" || fail "c v1.0.0.mod not fetched"
grep -q 'example.com/c/@v/v1.0.0.zip' "$UPSTREAM_LOG" && fail "c v1.0.0.zip fetched for a /go.mod line"
grep -q 'example.com/!lib/v2/@v/v2.1.0-rc.1.zip' "$UPSTREAM_LOG" || fail "escaped module/version not fetched"
pass "prefetch go.sum: $want_files files ($zips zips) for $mods module versions"

# 3. A terminal gets a progress bar (script(1) provides the pty).
script -qec "$STOA_BIN prefetch --url $STOA_URL go.sum" /dev/null >"$TMP/tty.out" 2>&1 || fail "prefetch on a tty"
grep -q $'\r\033\\[K\\[#' "$TMP/tty.out" || fail "no progress bar on a terminal: $(cat -v "$TMP/tty.out")"
pass "progress bar on a terminal"

# 2. `go list -m all` (on stdin) and go.mod name the same versions; the list asks for
# every file of each, so only the zips and .info of go.mod-only versions are new.
# (A second stoa with its own data: the first must hold what go.sum named, no more.)
first_url=$STOA_URL first_pid=$STOA_PID
settle
cp -r "$DATA" "$TMP/data2"
DATA="$TMP/data2" CONFIG_FILE="$TMP/stoa.yaml" start_stoa
: >"$UPSTREAM_LOG"
"$STOA_BIN" prefetch --url "$STOA_URL" - go.mod <"$TMP/list.txt" 2>"$TMP/pf2.err" ||
    { cat "$TMP/pf2.err"; fail "prefetch go list output + go.mod"; }
assert_contains "$(cat "$TMP/pf2.err")" "files fetched"
assert_eq "$(grep -cE 'example.com/(a|b|!lib/v2)/@v/|\.mod' "$UPSTREAM_LOG" || true)" 0 "upstream requests for cached files"
grep -q 'example.com/graph/m011/@v/v1.0.0.zip' "$UPSTREAM_LOG" || fail "go list's versions were not fetched whole"
stop_stoa
STOA_URL=$first_url STOA_PID=$first_pid
pass "prefetch from \`go list -m all\` on stdin and go.mod: cached files not fetched again"

# 4. The upstream goes away; a clean module cache builds from stoa alone.
stop_pid "$upstream_pid"
curl -s -o /dev/null "$UPSTREAM_URL/" && fail "fixture upstream still answers"
cp "$TMP/go.sum.orig" go.sum
gocmd mod download 2>"$TMP/dl.err" || { cat "$TMP/dl.err"; fail "go mod download with the upstream down"; }
gocmd build -o app . 2>"$TMP/build.err" || { cat "$TMP/build.err"; fail "go build with the upstream down"; }
assert_eq "$(./app)" "example.com/a v1.1.0 example.com/b v1.0.0 example.com/Lib/v2 v2.1.0-rc.1"
cmp -s go.sum "$TMP/go.sum.orig" || fail "go.sum changed: $(diff "$TMP/go.sum.orig" go.sum)"
pass "upstream stopped: clean go mod download and go build succeed from the prefetched cache"

# 5. Versions nobody has: exit 1, each one named.
printf 'example.com/a v1.9.9 h1:AAAA=\nexample.com/nothere v1.0.0/go.mod h1:BBBB=\nexample.com/a v1.1.0 h1:CCCC=\n' >"$TMP/missing.sum"
rc=0
"$STOA_BIN" prefetch --url "$STOA_URL" "$TMP/missing.sum" 2>"$TMP/miss.err" || rc=$?
assert_eq "$rc" 1 "exit status with missing versions"
err=$(cat "$TMP/miss.err")
assert_contains "$err" "could not fetch 4 file(s)"
assert_contains "$err" "  example.com/a@v1.9.9 .info: HTTP 404"
assert_contains "$err" "  example.com/a@v1.9.9 .zip: HTTP 404"
assert_contains "$err" "  example.com/nothere@v1.0.0 .mod: HTTP 404"
assert_contains "$err" "3 of 7 files fetched"
# --json: a line per file (sorted here: they finish in any order) and a summary, no progress.
rc=0
"$STOA_BIN" prefetch --json --url "$STOA_URL" "$TMP/missing.sum" >"$TMP/miss.json" 2>"$TMP/miss.json.err" || rc=$?
assert_eq "$rc" 1 "prefetch --json exit status with missing versions"
assert_eq "$(cat "$TMP/miss.json.err")" "" "stderr of prefetch --json"
results=$(json_results "$TMP/miss.json")
assert_eq "$(grep -v '^summary' <<<"$results" | sort | tr '\n' ' ')" "failed example.com/a@v1.9.9 .info failed example.com/a@v1.9.9 .mod \
failed example.com/a@v1.9.9 .zip failed example.com/nothere@v1.0.0 .mod fetched example.com/a@v1.1.0 .info \
fetched example.com/a@v1.1.0 .mod fetched example.com/a@v1.1.0 .zip " "prefetch --json results"
assert_contains "$results" "summary versions=3 files=7 fetched=3 failed=4 bytes="
assert_contains "$(cat "$TMP/miss.json")" '"error":"HTTP 404'
pass "missing versions: exit 1 naming each file (as JSON lines with --json)"

# 6. Malformed inputs and a dead server.
printf 'example.com/a v1.1.0 h1:x=\nexample.com/a v1.1.0\n' >"$TMP/bad.sum"
rc=0
"$STOA_BIN" prefetch --url "$STOA_URL" "$TMP/bad.sum" 2>"$TMP/bad.err" || rc=$?
assert_eq "$rc" 2 "exit status for a malformed go.sum"
assert_contains "$(cat "$TMP/bad.err")" "$TMP/bad.sum:2: malformed go.sum line"
rc=0
"$STOA_BIN" prefetch --url "$STOA_URL" "$TMP/nofile.sum" 2>"$TMP/nofile.err" || rc=$?
assert_eq "$rc" 2 "exit status for a missing file"
assert_contains "$(cat "$TMP/nofile.err")" "nofile.sum: No such file or directory"
rc=0
"$STOA_BIN" prefetch --url "$UPSTREAM_URL" --jobs 2 go.sum 2>"$TMP/dead.err" || rc=$?
assert_eq "$rc" 1 "exit status with the server down"
assert_contains "$(cat "$TMP/dead.err")" "example.com/a@v1.1.0 .zip:"
pass "malformed line exits 2 with file:line; unreachable server exits 1"
stop_stoa

# 7. An authenticated https stoa: the CA through SSL_CERT_FILE, credentials from
# --token or ~/.netrc as the go command would send them. The auth plugin is the docs'
# example, checking the Authorization header; the upstream is gone, so offline mode
# serves what prefetch stored.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=stoa-test-ca -keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$TMP/server.key" -out "$TMP/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
    -extfile "$TMP/san.ext" -out "$TMP/server.pem" 2>/dev/null
mkdir -p "$TMP/plugins" && cp "$STOA_PLUGIN_DIR"/*.so "$TMP/plugins/"
cc -std=c17 -shared -fPIC -I "$STOA_SRC/include" -o "$TMP/plugins/hello_auth.so" "$STOA_SRC/docs/examples/hello_auth.c" ||
    fail "build hello_auth"
start_stoa STOA_MODE=offline STOA_PLUGIN_DIR="$TMP/plugins" STOA_TLS_CERT="$TMP/server.pem" STOA_TLS_KEY="$TMP/server.key" \
    STOA_AUTH_REQUIRE_READ=true STOA_AUTH_PLUGINS_0_PLUGIN=hello_auth STOA_AUTH_PLUGINS_0_OPTIONS_HEADER=Authorization \
    "STOA_AUTH_PLUGINS_0_OPTIONS_VALUE=Bearer s3cret"
rc=0
SSL_CERT_FILE=/dev/null "$STOA_BIN" prefetch --url "$STOA_URL" --token s3cret go.sum 2>"$TMP/untrusted.err" || rc=$?
assert_eq "$rc" 1 "prefetch against an untrusted certificate"
rc=0
SSL_CERT_FILE="$TMP/ca.pem" NETRC=/dev/null "$STOA_BIN" prefetch --url "$STOA_URL" go.sum 2>"$TMP/noauth.err" || rc=$?
assert_eq "$rc" 1 "prefetch without credentials"
assert_contains "$(cat "$TMP/noauth.err")" "HTTP 401: send the Authorization header"
SSL_CERT_FILE="$TMP/ca.pem" "$STOA_BIN" prefetch --url "$STOA_URL" --token s3cret go.sum 2>"$TMP/tls.err" ||
    { cat "$TMP/tls.err"; fail "prefetch over https with a token"; }
assert_contains "$(cat "$TMP/tls.err")" "$want_files of $want_files files fetched"
stop_stoa
start_stoa STOA_MODE=offline STOA_PLUGIN_DIR="$TMP/plugins" STOA_TLS_CERT="$TMP/server.pem" STOA_TLS_KEY="$TMP/server.key" \
    STOA_AUTH_REQUIRE_READ=true STOA_AUTH_PLUGINS_0_PLUGIN=hello_auth STOA_AUTH_PLUGINS_0_OPTIONS_HEADER=Authorization \
    "STOA_AUTH_PLUGINS_0_OPTIONS_VALUE=Basic $(printf 'ci:s3cret' | base64)"
printf 'machine 127.0.0.1\nlogin ci\npassword s3cret\n' >"$TMP/netrc"
SSL_CERT_FILE="$TMP/ca.pem" NETRC="$TMP/netrc" "$STOA_BIN" prefetch --url "$STOA_URL" go.sum 2>"$TMP/netrc.err" ||
    { cat "$TMP/netrc.err"; fail "prefetch over https with .netrc credentials"; }
pass "https with SSL_CERT_FILE; --token and .netrc credentials; 401 named without them; offline mode serves the prefetched files"
stop_stoa
