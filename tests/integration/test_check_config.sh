#!/usr/bin/env bash
# `stoa check-config` finds what serve would trip over only at start, or never say
# (issue 20): TLS files that do not load or do not match, plugins that do not load,
# namespace rules an earlier rule shadows (a warning: the configuration still works).
# Each verdict is checked against serve itself.
source "$(dirname "$0")/lib.sh"

make_tls_cert
check() { # check YAML -> $out, $rc
    printf '%s\n' "$1" >"$TMP/c.yaml"
    rc=0
    out=$("$STOA_BIN" check-config --config "$TMP/c.yaml" 2>&1) || rc=$?
}
base='upstreams: [{url: "http://127.0.0.1:9"}]'

check "$base
tls: {cert: \"$TLS_CERT\", key: \"$TLS_KEY\"}"
assert_eq "$rc" 0 "a good TLS pair: $out"
check "$base
tls: {cert: \"$TMP/missing.pem\", key: \"$TLS_KEY\"}"
assert_eq "$rc" 2 "a missing certificate"
assert_contains "$out" "tls.cert: cannot read $TMP/missing.pem: No such file or directory"
check "$base
tls: {cert: \"$TLS_CERT\", key: \"$TMP/ca.key\"}"
assert_eq "$rc" 2 "a key of another certificate"
assert_contains "$out" "error: tls.key"
assert_contains "$out" "key values mismatch"
out_serve=$(STOA_LISTEN=127.0.0.1:0 timeout 10 "$STOA_BIN" serve --config "$TMP/c.yaml" 2>&1) && fail "serve started with a key of another certificate"
pass "TLS files: unreadable and mismatched pairs are errors, as serve finds: $(tail -1 <<<"$out_serve")"

check "$base
auth: {plugins: [{plugin: tokn}]}"
assert_eq "$rc" 2 "an unknown auth plugin"
assert_contains "$out" "auth.plugins[0]: cannot load plugin"
assert_contains "$out" "tokn.so"
check "$base
storage: {plugin: ipallow}"
assert_eq "$rc" 2 "an auth plugin as storage"
assert_contains "$out" "storage.plugin"
pass "plugins that do not load are errors: $(head -1 <<<"$out")"

check "$base
namespaces:
  - {pattern: corp.example.com, mode: private}
  - {pattern: 'corp.example.com/secret', mode: deny, reason: gone}
  - {pattern: '*', mode: proxy}
  - {pattern: 'evil.example.com', mode: deny}
  - {pattern: 'corp.example.com/x', mode: private, repo: go}"
assert_eq "$rc" 0 "shadowed rules are warnings"
assert_contains "$out" "warning: namespaces[1] (pattern 'corp.example.com/secret') never matches: namespaces[0]"
assert_contains "$out" "warning: namespaces[3] (pattern 'evil.example.com') never matches: namespaces[2] (pattern '*')"
assert_contains "$out" "with warnings"
# serve agrees: the deny rule behind '*' is dead, evil.example.com is proxied (upstream down: 404, not 403)
CONFIG_FILE="$TMP/c.yaml" start_stoa
assert_eq "$(http_status GET "$STOA_URL/evil.example.com/@v/list")" 404 "the shadowed deny rule does not apply"
stop_stoa
check "$base
namespaces:
  - {pattern: 'corp.example.com/secret', mode: deny}
  - {pattern: 'corp.example.com/y', mode: deny, repo: go}
  - {pattern: 'corp.example.com/y', mode: private, repo: other}
  - {pattern: corp.example.com, mode: private}"
assert_eq "$rc" 0 "narrow rules first"
assert_not_contains "$out" "warning" "narrow rules first, or rules for another repository"
pass "namespace rules an earlier rule shadows are named (and serve indeed never applies them)"
