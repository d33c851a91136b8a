#!/usr/bin/env bash
# docs/examples/hello_auth.c, the plugin guide's example, builds against include/stoa/
# alone, loads into the real stoa from a plugin_dir of its own, and its decisions take
# effect: no header 401, wrong value 403, right value 200 with its identity logged.
. "$(dirname "$0")/lib.sh"

plugins="$TMP/plugins"
mkdir -p "$plugins"
cc -std=c17 -Wall -Wextra -Werror -shared -fPIC -I "$STOA_SRC/include" \
    -o "$plugins/hello_auth.so" "$STOA_SRC/docs/examples/hello_auth.c" 2>"$TMP/cc.err" ||
    { cat "$TMP/cc.err"; fail "the example plugin does not build against include/stoa/"; }
cp "$STOA_PLUGIN_DIR"/*.so "$plugins/"
pass "docs/examples/hello_auth.c builds with cc -shared -fPIC -I include"

genmod -out "$TMP/up" example.com/hello@v1.0.0
start_upstream "$TMP/up"
cat >"$TMP/stoa.yaml" <<YAML
plugin_dir: $plugins
upstreams: [{name: fixture, url: "$UPSTREAM_URL"}]
auth:
  require: {read: true}
  plugins:
    - {plugin: hello_auth, options: {header: X-Team, value: platform}}
YAML
# (CTest exports STOA_PLUGIN_DIR, which outranks the file: point it at our dir too.)
CONFIG_FILE="$TMP/stoa.yaml" start_stoa STOA_PLUGIN_DIR="$plugins"
grep -q "allowing requests with header X-Team" "$STOA_LOG" || fail "the plugin's open() did not log"
grep -q "platform" "$STOA_LOG" && fail "the plugin's secret value reached the log"

url="$STOA_URL/example.com/hello/@v/v1.0.0.info"
resp=$(curl -s -w ' %{http_code}' "$url")
assert_contains "$resp" "send the X-Team header"
assert_contains "$resp" " 401"
resp=$(curl -s -w ' %{http_code}' -H "X-Team: intruders" "$url")
assert_contains "$resp" "X-Team does not allow /example.com/hello/@v/v1.0.0.info"
assert_contains "$resp" " 403"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Team: platform' "$url")" 200 "allowed request"
wait_for grep -q 'id=hello:platform' "$STOA_LOG" || fail "identity hello:platform not in the access log"
pass "hello_auth decides: 401 without the header, 403 for another value, 200 with identity hello:platform"

# A bad option fails the start with the plugin's own message.
stop_stoa
cat >"$TMP/bad.yaml" <<YAML
plugin_dir: $plugins
auth: {plugins: [{plugin: hello_auth, options: {header: X-Team}}]}
YAML
rc=0
STOA_PLUGIN_DIR="$plugins" "$STOA_BIN" serve --config "$TMP/bad.yaml" >"$TMP/bad.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "stoa started with a plugin whose open() failed"
assert_contains "$(cat "$TMP/bad.log")" "option 'value' is required"
pass "a failing open() stops the start with the plugin's message"
