#!/usr/bin/env bash
# Issue 20: a deny rule with versions: blocks some versions of a module, as Athens'
# filter file and Artifactory's excludes do. The real go command never picks a blocked
# version for @latest or -versions, and a fetch of one fails with the rule's reason,
# also when the version was cached before the rule (added by SIGHUP). Blocked versions
# of a private module cannot be published. A version in a pattern is refused at load.
source "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/lib@v1.0.0 example.com/lib@v1.1.0 example.com/lib@v1.2.0 example.com/other@v1.2.0
start_upstream "$TMP/up"
rules='namespaces:
  - {pattern: corp.example.com, mode: private}
  - {pattern: "*", mode: proxy}'
fixture_config "$rules"
start_stoa
gocmd mod download example.com/lib@v1.2.0 || fail "v1.2.0 before any rule"
pass "v1.2.0 is fetched and cached while no rule blocks it"

reason="CVE-2026-0001: stay on v1.1"
cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: fixture, url: "$UPSTREAM_URL"}]
namespaces:
  - {pattern: corp.example.com, mode: private}
  - {pattern: "*", mode: proxy}
  - {pattern: example.com/lib, mode: deny, versions: ">=v1.2.0", reason: "$reason"}
  - {pattern: corp.example.com/app, mode: deny, versions: "v0.9.0 || >=v9.0.0", reason: withdrawn}
YAML
kill -HUP "$STOA_PID"
reloaded() { grep -q "configuration reloaded" "$STOA_LOG"; }
wait_for reloaded || fail "the reload was not applied"

clean_modcache
assert_eq "$(gocmd list -m -versions example.com/lib)" "example.com/lib v1.0.0 v1.1.0" "go list -m -versions"
mkdir -p "$TMP/app" && cd "$TMP/app"
printf 'module example.com/app\n\ngo 1.19\n' >go.mod
gocmd get example.com/lib@latest 2>"$TMP/get.err" || { cat "$TMP/get.err" >&2; fail "go get @latest"; }
assert_contains "$(cat go.mod)" "example.com/lib v1.1.0" "go get @latest picks the highest version not blocked"
pass "a blocked version is not listed: go list -m -versions and go get @latest skip it (a rule after '*' still applies)"

rc=0
gocmd get example.com/lib@v1.2.0 2>"$TMP/get.err" || rc=$?
[ "$rc" != 0 ] || fail "go get of a blocked (and cached) version succeeded"
assert_contains "$(cat "$TMP/get.err")" "$reason" "the go command shows the rule's reason"
body=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/lib/@v/v1.2.0.zip")
assert_contains "$body" "example.com/lib@v1.2.0: $reason" "the 410 body"
assert_contains "$body" " 410" "a blocked version's zip"
assert_eq "$(http_status GET "$STOA_URL/example.com/lib/@v/v1.1.0.mod")" 200 "an unblocked version"
assert_eq "$(http_status GET "$STOA_URL/example.com/other/@v/v1.2.0.info")" 200 "another module's same version"
assert_eq "$(http_status GET "$STOA_URL/api/go/x/example.com/lib/@v/v1.2.0.info")" 404 "an unknown base"
pass "a blocked version, cached before the rule, is refused 410 with the reason; others are served"

cd "$TMP"
genmod -out "$TMP/priv" corp.example.com/app@v0.9.0 corp.example.com/app@v1.0.0
put() { curl -s -o "$TMP/put.out" -w '%{http_code}' -T "$TMP/priv/corp.example.com/app/@v/$1.zip" \
    "$STOA_URL/corp.example.com/app/@v/$1.zip"; }
assert_eq "$(put v0.9.0)" 403 "publishing a blocked version"
assert_contains "$(cat "$TMP/put.out")" "withdrawn" "the refusal names the reason"
assert_eq "$(put v1.0.0)" 201 "publishing a version the rule does not name"
assert_eq "$(curl -s "$STOA_URL/corp.example.com/app/@v/list")" "v1.0.0" "the private list"
pass "a blocked version of a private module cannot be published; others can"
stop_stoa

out=$("$STOA_BIN" check-config --config "$TMP/stoa.yaml" 2>&1) || fail "check-config of the rules: $out"
assert_not_contains "$out" "never matches" "a version rule after '*' is not shadowed"
printf 'namespaces:\n  - {pattern: example.com/lib, mode: deny, versions: v1.0.0}\n  - {pattern: example.com/lib, mode: private}\nmode: offline\n' \
    >"$TMP/order.yaml"
out=$("$STOA_BIN" check-config --config "$TMP/order.yaml" 2>&1) || fail "check-config: $out"
assert_not_contains "$out" "never matches" "a module rule after a version rule is not shadowed"
pass "check-config: version rules neither shadow nor are shadowed"

for bad in 'pattern: "example.com/lib@v1.2.0", mode: deny' 'pattern: example.com/lib, mode: proxy, versions: v1.2.0' \
    'pattern: example.com/lib, mode: deny, versions: "v1.2.0 ||"'; do
    refused_at_load "$(printf 'upstreams: [{name: f, url: "http://127.0.0.1:1"}]\nnamespaces: [{%s}]' "$bad")" "namespaces[0]."
done
assert_contains "$("$STOA_BIN" check-config --config <(printf 'namespaces: [{pattern: "m@v1", mode: deny}]\nmode: offline\n') 2>&1 || true)" \
    "versions:" "a version in a pattern points to versions:"
pass "a version in a pattern, versions on a non-deny rule and a bad range are refused at load"
