#!/usr/bin/env bash
# Issue 20: a TLS server with plain listeners beside it (tls.plain_listen): health,
# readiness, version and metrics answer in the clear (for load balancers and
# scrapers); everything else is redirected to https (308, tls.redirect) or refused
# (403), so module bytes and credentials never travel unencrypted. The go command
# follows the redirect.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/m@v1.0.0
start_upstream "$TMP/up"
make_tls_cert
fixture_config "tls: {cert: \"$TLS_CERT\", key: \"$TLS_KEY\", plain_listen: [\"127.0.0.1:0\"]}"
start_stoa
wait_for grep -q "(plain:" "$STOA_LOG" || fail "no plain listener logged: $(cat "$STOA_LOG")"
PLAIN=$(grep -o 'listening on http://[0-9.:]* (plain' "$STOA_LOG" | sed 's/listening on //; s/ (plain//')
case $STOA_URL in https://*) ;; *) fail "the first listener is not TLS: $STOA_URL" ;; esac
TLS_PORT=${STOA_URL##*:}

for p in /healthz /readyz /version /metrics; do
    assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$PLAIN$p")" 200 "plain $p"
done
assert_contains "$(curl -s "$PLAIN/metrics")" "stoa_requests_total"
pass "a plain listener answers /healthz, /readyz, /version and /metrics"

hdr=$(curl -s -D - -o "$TMP/body" "$PLAIN/example.com/m/@v/list" | tr -d '\r')
assert_contains "$hdr" "HTTP/1.1 308 Permanent Redirect"
assert_contains "$hdr" "location: https://127.0.0.1:$TLS_PORT/example.com/m/@v/list"
assert_contains "$(cat "$TMP/body")" "use https://127.0.0.1:$TLS_PORT/example.com/m/@v/list"
assert_eq "$(curl -s --cacert "$TLS_CA" -L "$PLAIN/example.com/m/@v/list")" "v1.0.0" "the list after the redirect"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$PLAIN/")" 308 "the web UI on the plain listener"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary x "$PLAIN/corp.example.com/a/@v/v1.0.0.zip")" 308 \
    "a publish on the plain listener (not taken)"
assert_eq "$(http_status GET "$PLAIN/example.com/m/@v/list" -H 'Host: evil.example/x')" 403 "a Host that is no host name"
# HTTP/1.0 without Host: h2o names its own host entry ("default"), which is no place to send anyone.
assert_eq "$(http_status GET "$PLAIN/example.com/m/@v/list" -0 -H 'Host:')" 403 "a request without Host"
out=$(cd "$TMP" && GOPROXY_URL="$PLAIN" GO_EXTRA_ENV="SSL_CERT_FILE=$TLS_CA" gocmd mod download -json example.com/m@v1.0.0 2>&1) ||
    fail "go mod download through the plain address: $out"
assert_contains "$out" '"Version": "v1.0.0"'
pass "other paths on the plain listener are redirected to https (308); the go command follows"

# https still serves everything.
assert_eq "$(curl -s --cacert "$TLS_CA" "$STOA_URL/example.com/m/@v/list")" "v1.0.0" "the list over https"
assert_eq "$(curl -s --cacert "$TLS_CA" -o /dev/null -w '%{http_code}' "$STOA_URL/healthz")" 200 "https /healthz"
stop_stoa

start_stoa STOA_TLS_REDIRECT=false
wait_for grep -q "(plain:" "$STOA_LOG" || fail "no plain listener logged"
PLAIN=$(grep -o 'listening on http://[0-9.:]* (plain' "$STOA_LOG" | sed 's/listening on //; s/ (plain//')
assert_eq "$(curl -s -o "$TMP/body" -w '%{http_code}' "$PLAIN/example.com/m/@v/list")" 403 "with tls.redirect false"
assert_contains "$(cat "$TMP/body")" "this address serves /healthz, /readyz, /version and /metrics only"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$PLAIN/healthz")" 200 "plain /healthz with tls.redirect false"
pass "with tls.redirect: false the plain listener refuses other paths (403)"

refused_at_load 'tls: {plain_listen: ["127.0.0.1:9000"]}' "tls.plain_listen: plain listeners are for a TLS server"
refused_at_load "tls: {cert: \"$TLS_CERT\", key: \"$TLS_KEY\", plain_listen: [\"nowhere\"]}" \
    "tls.plain_listen: 'nowhere' is not host:port"
pass "check-config refuses plain listeners without TLS and malformed addresses"
