#!/usr/bin/env bash
# A private repository behind basic auth, served through the direct upstream: a wrong
# credential is a 404 that names the repository and says a credential was refused, and
# nothing is cached; the right one serves the module to a go client that has no git
# access at all, with the same h1 as GOPROXY=direct with the credential.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_git.sh"

start_git_server --user alice --password s3cret
new_repo priv
put priv go.mod $'module github.com/stoatest/priv\n'
put priv p.go $'package priv\n'
commit priv && g priv tag v1.0.0
publish priv
M=github.com/stoatest/priv

# Wrong password: 404, a clear reason, nothing stored.
printf 'machine 127.0.0.1 login alice password wrong\n' >"$TMP/netrc"
ORIGIN_KEYS="netrc: $TMP/netrc" origin_config
start_stoa
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$STOA_URL/$M/@v/v1.0.0.info")
assert_eq "$code" 404 "wrong credential"
body=$(cat "$TMP/body")
assert_contains "$body" "access denied"
assert_contains "$body" "stoatest/priv"
assert_not_contains "$body" "wrong" "the password must not appear in the answer"
assert_not_contains "$(cat "$STOA_LOG")" "password wrong" "the password must not appear in the log"
settle
[ -z "$(find "$DATA" -path '*priv*' -type f 2>/dev/null)" ] || fail "a refused fetch left files in storage"
pass "wrong credential: 404 '$(head -c 120 "$TMP/body")', nothing stored"
stop_stoa

# The right one: served, and equal to what the go command computes directly.
printf 'machine 127.0.0.1 login alice password s3cret\n' >"$TMP/netrc"
start_stoa
got=$(via_stoa mod download -json "$M@v1.0.0" | grep '"Sum"') || fail "download through stoa"
printf '[url "http://alice:s3cret@%s/git/stoatest/"]\n\tinsteadOf = https://github.com/stoatest/\n' "${GIT_URL#http://}" >"$GIT_TEST_CONFIG"
clean_modcache
want=$(direct mod download -json "$M@v1.0.0" | grep '"Sum"') || fail "download direct"
assert_eq "$got" "$want" "h1 of the private module"
pass "right credential: $got"
