#!/usr/bin/env bash
# Issue 17: a private namespace whose rule names the git origin as its only source.
# Its modules are served from the company's git with no publish step, with the h1 the
# go command computes directly, and never asked of the public proxy in front of the
# origin in the chain (that proxy serves other bytes under the same path, so a leak
# would show). Published versions join the origin's in the list. A private rule
# without upstreams still serves only what was published, and bad rules fail at load.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_git.sh"

start_git_server
new_repo priv
put priv go.mod $'module github.com/stoatest/priv\n'
put priv p.go $'package priv\n'
commit priv && g priv tag v1.0.0
put priv q.go $'package priv\n\nconst Q = 1\n'
commit priv && g priv tag v1.1.0
publish priv
M=github.com/stoatest/priv

genmod -out "$TMP/pub" "$M@v1.0.0" "$M@v1.1.0" github.com/stoatest/other@v1.0.0
start_upstream "$TMP/pub"
cat >"$TMP/stoa.yaml" <<YAML
upstreams:
  - {name: public, url: "$UPSTREAM_URL", fallthrough: on_any_error}
  - name: origin
    direct: true
    rules: ["github.com/stoatest/* $GIT_URL/git/{path}"]
    insecure: github.com/stoatest
    private_hosts: 127.0.0.1
namespaces:
  - {pattern: $M, mode: private, upstreams: [origin]}
  - {pattern: github.com/stoatest/nosrc, mode: private}
  - {pattern: "*", mode: proxy}
YAML
export CONFIG_FILE="$TMP/stoa.yaml"
start_stoa

got=$(via_stoa mod download -json "$M@v1.0.0" | grep '"Sum"') || fail "download through stoa"
clean_modcache
want=$(direct mod download -json "$M@v1.0.0" | grep '"Sum"') || fail "download direct"
assert_eq "$got" "$want" "h1 of the private module from its origin"
clean_modcache
assert_eq "$(via_stoa list -m -versions "$M")" "$M v1.0.0 v1.1.0" "go list -m -versions of the private module"
assert_eq "$(curl -s "$STOA_URL/$M/@latest" | sed -n 's/.*"Version":"\([^"]*\)".*/\1/p')" v1.1.0 "@latest"
settle
assert_eq "$(grep -c "stoatest/priv" "$UPSTREAM_LOG" || true)" 0 "requests for the private module at the public upstream"
pass "a private namespace filled from its git origin only: $got, the public proxy never asked"

assert_eq "$(http_status GET "$STOA_URL/github.com/stoatest/other/@v/v1.0.0.info")" 200 "a proxied module"
assert_contains "$(cat "$UPSTREAM_LOG")" "stoatest/other" "proxied modules still go to the public upstream"
genmod -out "$TMP/own" "$M@v1.2.0"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -T "$TMP/own/$M/@v/v1.2.0.zip" "$STOA_URL/$M/@v/v1.2.0.zip")" 201 \
    "publishing into the origin-filled namespace"
listed_all() { [ "$(curl -s "$STOA_URL/$M/@v/list" | tr '\n' ' ')" = "v1.0.0 v1.1.0 v1.2.0 " ]; }
wait_for listed_all || fail "the list after a publish: $(curl -s "$STOA_URL/$M/@v/list" | tr '\n' ' ')"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$STOA_URL/github.com/stoatest/nosrc/@v/v1.0.0.info")
assert_eq "$code" 404 "a private rule without upstreams"
assert_contains "$(cat "$TMP/body")" "publish it first"
pass "published versions join the origin's; a private rule naming no upstream serves only what was published"
stop_stoa

for bad in '{pattern: x.example.com, mode: proxy, upstreams: [origin]}' '{pattern: x.example.com, mode: private, upstreams: [nope]}'; do
    refused_at_load "$(printf 'upstreams: [{name: origin, direct: true}]\nnamespaces: [%s]' "$bad")" "namespaces[0].upstreams"
done
pass "upstreams on a proxy rule, or naming no upstream, are refused at load"
