#!/usr/bin/env bash
# Rules with credentials of their own: two private repositories on one HTTPS git server
# (same host and port, so no netrc entry could tell them apart) with different
# basic-auth passwords, one rule each (object form: a token, a netrc of its own), beside
# a string-form rule and a rule with a subdirectory. Each module is served with the h1
# the go command computes directly; a rule's wrong credential is a 404 that names the
# repository and the rule's credential but never the secret, and no secret reaches
# answers, logs, metrics or stored files. Plain http is refused unless the module is
# listed in insecure, and so is a certificate stoa cannot verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_git.sh"

make_tls_cert
start_git_server --tls-cert "$TLS_CERT" --tls-key "$TLS_KEY" \
    --auth stoatest/alpha=alice:Alpha-S3cret --auth stoatest/beta=bob:Beta-S3cret
for r in alpha beta; do
    new_repo $r
    put $r go.mod "module github.com/stoatest/$r"$'\n'
    put $r $r.go "package $r"$'\n'
    commit $r && g $r tag v1.0.0
    publish $r
done
# pub: public; its module lives in go/lib, tagged go/lib/v0.1.0.
new_repo pub
put pub go/lib/go.mod $'module corp.example/lib\n'
put pub go/lib/l.go $'package lib\n'
put pub README 'top'
commit pub && g pub tag go/lib/v0.1.0 && g pub tag v9.0.0
publish pub
printf 'machine 127.0.0.1 login bob password %s\n' "${BETA_PASS:-Beta-S3cret}" >"$TMP/beta.netrc"

# rules_config ALPHA_TOKEN: the rules, in both forms.
rules_config() {
    cat >"$TMP/stoa.yaml" <<EOC
upstreams:
  - name: origin
    direct: true
    private_hosts: 127.0.0.1
    rules:
      - {match: github.com/stoatest/alpha, url: "$GIT_URL/git/{path}", user: alice, token: "$1"}
      - match: github.com/stoatest/beta
        url: "$GIT_URL/git/{path}"
        netrc: $TMP/beta.netrc
      - {match: corp.example/lib, url: "$GIT_URL/git/stoatest/pub", subdir: go/lib}
      - "github.com/stoatest/* $GIT_URL/git/{path}"
namespaces: [{pattern: "*", mode: proxy}]
EOC
    export CONFIG_FILE="$TMP/stoa.yaml"
}
no_secret() { # no_secret WHAT TEXT
    assert_not_contains "$2" "S3cret" "$1 must not hold a password"
    assert_not_contains "$2" "Wrong-Token" "$1 must not hold a token"
}

# A certificate stoa cannot verify (the test CA not trusted): refused.
rules_config Alpha-S3cret
start_stoa
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$STOA_URL/github.com/stoatest/beta/@v/list")
[ "$code" != 200 ] || fail "an unverified certificate was accepted"
assert_contains "$(cat "$TMP/body")" "TLS"
pass "unverified TLS refused: $code $(head -c 160 "$TMP/body")"
stop_stoa

# A wrong token on alpha's rule: 404 naming the repository and the rule's credential.
rules_config Wrong-Token
start_stoa SSL_CERT_FILE="$TLS_CA"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$STOA_URL/github.com/stoatest/alpha/@v/v1.0.0.info")
assert_eq "$code" 404 "wrong token"
body=$(cat "$TMP/body")
assert_contains "$body" "$GIT_URL/git/stoatest/alpha" "the repository is named"
assert_contains "$body" "access denied"
assert_contains "$body" "rules[0]'s token (user alice)" "the rule's credential is named"
no_secret "the answer" "$body"
settle
[ -z "$(find "$DATA" -path '*alpha*' -type f 2>/dev/null)" ] || fail "a refused fetch left files in storage"
pass "wrong token: 404 '$(head -c 220 "$TMP/body")'"
# beta's own netrc still serves beta.
assert_eq "$(curl -sf "$STOA_URL/github.com/stoatest/beta/@v/list")" v1.0.0 "beta with its rule's netrc"
stop_stoa

# The right credentials: each repository with its own, the h1 the go command computes.
rules_config Alpha-S3cret
start_stoa SSL_CERT_FILE="$TLS_CA"
for r in alpha beta; do
    got=$(via_stoa mod download -json "github.com/stoatest/$r@v1.0.0" | grep '"Sum"') || fail "$r through stoa"
    printf '[url "https://%s@%s/git/stoatest/"]\n\tinsteadOf = https://github.com/stoatest/\n' \
        "$([ $r = alpha ] && echo alice:Alpha-S3cret || echo bob:Beta-S3cret)" "${GIT_URL#https://}" >"$GIT_TEST_CONFIG"
    clean_modcache
    want=$(GIT_SSL_CAINFO="$TLS_CA" direct mod download -json "github.com/stoatest/$r@v1.0.0" | grep '"Sum"') ||
        fail "$r direct"
    assert_eq "$got" "$want" "h1 of $r"
    pass "$r with its rule's credential: $got"
done
# The subdirectory rule: tags prefixed by go/lib/, files from go/lib only.
assert_eq "$(curl -sf "$STOA_URL/corp.example/lib/@v/list")" v0.1.0 "versions under the subdirectory"
assert_eq "$(curl -sf "$STOA_URL/corp.example/lib/@v/v0.1.0.mod")" "module corp.example/lib" "go.mod from the subdirectory"
curl -sf -o "$TMP/lib.zip" "$STOA_URL/corp.example/lib/@v/v0.1.0.zip" || fail "zip from the subdirectory"
files=$(python3 -c 'import sys, zipfile; print(" ".join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))' "$TMP/lib.zip")
assert_eq "$files" "corp.example/lib@v0.1.0/go.mod corp.example/lib@v0.1.0/l.go" "zip of the subdirectory"
pass "subdir rule: $files"
settle
no_secret "the log" "$(cat "$STOA_LOG")"
no_secret "metrics" "$(curl -sf "$STOA_URL/metrics")"
! grep -rq "S3cret" "$DATA" 2>/dev/null || fail "a password was stored under the data directory"
pass "no secret in answers, log, metrics or storage"
stop_stoa

# Plain http: refused unless the module matches insecure.
start_git_server
plain_config() {
    cat >"$TMP/stoa.yaml" <<EOC
upstreams:
  - name: origin
    direct: true
    private_hosts: 127.0.0.1
    rules: ["github.com/stoatest/* $GIT_URL/git/{path}"]
$1
namespaces: [{pattern: "*", mode: proxy}]
EOC
    export CONFIG_FILE="$TMP/stoa.yaml"
}
plain_config ""
start_stoa
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$STOA_URL/github.com/stoatest/pub/@v/list")
assert_eq "$code" 404 "plain http without insecure"
assert_contains "$(cat "$TMP/body")" "plain http refused"
pass "plain http refused: $(head -c 160 "$TMP/body")"
stop_stoa
plain_config "    insecure: github.com/stoatest/pub"
start_stoa
assert_eq "$(curl -sf "$STOA_URL/github.com/stoatest/pub/@v/list")" v9.0.0+incompatible "plain http for an insecure module"
pass "plain http allowed for the insecure module"
stop_stoa
