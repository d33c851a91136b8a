#!/usr/bin/env bash
# Finding 15 of issue 21: credentials in an upstream URL (https://TOKEN@host/,
# https://user:pass@host/) and a presigned redirect's signature never appear in a
# client's error body, /metrics, /admin/upstreams, the logs or check-config's output;
# the default upstream name is the host, never the user info; a query in an upstream
# URL is refused (the go command's paths go after the URL's path, not its query).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_hostile.sh"

start_hostile "$TMP/plan.json"
HOST_PORT=${HOSTILE_URL#http://}
cat >"$TMP/plan.json" <<JSON
{"/example.com/signed/@v/v1.0.0.info": {"status": 302, "location": "http://203.0.113.9/b/o?X-Amz-Signature=SIGSECRET9"}}
JSON
cat >"$TMP/stoa.yaml" <<YAML
upstreams:
  - {url: "http://TOKSECRET1:PWSECRET1@127.0.0.1:9", retries: 0, fallthrough: on_any_error}
  - {name: fixture, url: "http://TOKSECRET2@$HOST_PORT/", retries: 0}
namespaces: [{pattern: "*", mode: proxy}]
YAML
export CONFIG_FILE="$TMP/stoa.yaml"
secrets=(TOKSECRET1 PWSECRET1 TOKSECRET2 SIGSECRET9)
no_secret() { # no_secret WHAT TEXT
    for s in "${secrets[@]}"; do assert_not_contains "$2" "$s" "$1 shows a secret"; done
}

out=$("$STOA_BIN" check-config --config "$CONFIG_FILE" 2>&1) || fail "check-config: $out"
no_secret "check-config" "$out"
start_stoa
body=$(curl -s "$STOA_URL/example.com/signed/@v/v1.0.0.info")
assert_contains "$body" "127.0.0.1" "the error names the upstreams by host"
assert_not_contains "$body" "X-Amz-Signature" "the redirect's query reached the client"
no_secret "error body" "$body"
admin=$(curl -sf "$STOA_URL/admin/upstreams") || fail "/admin/upstreams"
assert_contains "$admin" '"url": "http://***@127.0.0.1:9"' "admin shows the URL without its user info"
assert_contains "$admin" '"name": "127.0.0.1"' "default name is the host"
no_secret "/admin/upstreams" "$admin"
no_secret "/metrics" "$(curl -sf "$STOA_URL/metrics")"
stop_stoa
no_secret "the log" "$(cat "$STOA_LOG")"
assert_contains "$(cat "$STOA_LOG")" "http://***@127.0.0.1:9/example.com" "the warning names the upstream URL, user info hidden"
pass "no upstream credential or redirect signature in bodies, metrics, admin or logs"

# A query in an upstream URL is refused, and the refusal hides it too.
printf 'upstreams: [{url: "https://proxy.example/go?token=QSECRET"}]\n' >"$TMP/q.yaml"
out=$("$STOA_BIN" check-config --config "$TMP/q.yaml" 2>&1) && fail "check-config took a query: $out"
assert_contains "$out" "has a query or fragment" "refusal says why"
assert_not_contains "$out" QSECRET "refusal shows the query"
pass "an upstream URL with a query is refused: $out"
