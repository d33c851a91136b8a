#!/usr/bin/env bash
# Issue 21 finding 5: a request body the router or the auth chain refuses is refused from
# the request's head, before h2o reads the body (core/http/bodygate.h). Each probe
# announces 64 MiB and streams it while watching for the answer; a server that buffers
# the body first (h2o 2.2.5 alone, limits.max_body 512 MiB here) answers only after all
# 64 MiB. "Early" below means fewer than 16 MiB sent: what the sockets' buffers hold.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/mods" -pad 3000000 corp.example.com/big@v1.0.0
make_tls_cert
start_upstream "$TMP/mods"
fixture_config - <<YAML
limits: {max_body: 512MiB}
auth:
  throttle: {failures: 3, window: 60s}
  plugins: [{plugin: token, options: {path: "$TMP/tokens"}}]
YAML
TOKEN=$("$STOA_BIN" token --config "$CONFIG_FILE" create --name ci --scope publish --scope read | head -1)
start_stoa STOA_HTTP2=true # HTTP/1.1 is gated with HTTP/2 on as well
PROBE="$STOA_SRC/tests/integration/bodyprobe.py"
BIG=$((64 << 20))
EARLY=$((16 << 20))
zip="/corp.example.com/big/@v/v1.0.0.zip"
probe() { python3 "$PROBE" "$@"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# early JSON STATUS WHAT: the answer STATUS came before EARLY bytes, and the connection closed.
early() {
    assert_eq "$(field "$1" status)" "$2" "$3: status"
    [ "$(field "$1" sent)" -lt "$EARLY" ] || fail "$3: $(field "$1" sent) body bytes sent before the answer"
    assert_eq "$(field "$1" closed)" True "$3: the connection closes after the refusal"
}

r=$(probe "$STOA_URL" PUT "$zip" "$BIG")
early "$r" 401 "anonymous PUT of 64 MiB"
assert_contains "$(field "$r" answer | tr A-Z a-z)" "connection: close" "the refusal says the connection closes"
assert_contains "$(field "$r" answer)" "publish needs credentials" "the refusal is the auth chain's"
grep -q "PUT $zip 401 .*publish needs credentials" "$STOA_LOG" || fail "no access-log line for the refused PUT"
pass "an anonymous PUT is refused with 401 before its body is read, and logged"

r=$(probe "$STOA_URL" PUT "$zip" "$BIG" "Expect: 100-continue")
early "$r" 401 "anonymous PUT with Expect: 100-continue"
assert_eq "$(field "$r" continue)" False "no 100 Continue before a refusal"
r=$(probe "$STOA_URL" PUT "$zip" "$BIG" "Transfer-Encoding: chunked")
early "$r" 401 "anonymous chunked PUT"
pass "Expect: 100-continue gets the 401 and no 100 Continue; a chunked body is refused alike"

r=$(probe "$STOA_URL" GET /healthz "$BIG")
early "$r" 413 "GET /healthz announcing a body"
assert_contains "$(field "$r" answer)" "it was not read" "the 413 says the body was not read"
pass "a body on a route that takes none is refused with 413 before it is read"

# The gate's marker names sent by a client: only its own request is refused, on HTTP/1
# as a held body, on HTTP/2 (never gated) as a header like any other.
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Stoa-Held-Cl: 5' "$STOA_URL/healthz")" 413 "a forged marker (HTTP/1)"
assert_eq "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code} %{http_version}' -H 'X-Stoa-Held-Cl: 5' \
    "$STOA_URL/healthz")" "200 2" "a forged marker on HTTP/2"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$STOA_URL/healthz")" 200 "the server after forged markers"
pass "a client sending the gate's marker names refuses only its own request"

# The gate predicts and counts nothing; the router counts each failure once: with
# failures: 3, the third wrong token is the one that blocks, as without the gate.
codes=""
for i in 1 2 3 4; do
    r=$(probe "$STOA_URL" PUT "$zip" "$BIG" "Authorization: Bearer stoa_wrong$i")
    [ "$(field "$r" sent)" -lt "$EARLY" ] || fail "wrong token $i: the body was read"
    codes="$codes $(field "$r" status)"
done
assert_eq "$codes" " 401 401 429 429" "answers to four wrong tokens"
pass "wrong tokens: 401, 401, then 429 at the third failure (each counted once), all before the body"
# The throttle blocks 127.0.0.1 for the window; the rest comes from 127.0.0.2.
host2=(--interface 127.0.0.2)

for f in mod zip info; do
    code=$(curl -s "${host2[@]}" -o "$TMP/put.out" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        -T "$TMP/mods/corp.example.com/big/@v/v1.0.0.$f" "$STOA_URL/corp.example.com/big/@v/v1.0.0.$f")
    [ "$code" = 201 ] || [ "$code" = 200 ] || fail "publish of the .$f: $code $(cat "$TMP/put.out")"
done
curl -sf "${host2[@]}" -H "Authorization: Bearer $TOKEN" -o "$TMP/got.zip" "$STOA_URL$zip" || fail "GET of the published zip"
cmp -s "$TMP/got.zip" "$TMP/mods/corp.example.com/big/@v/v1.0.0.zip" || fail "the published zip differs"
pass "a token holder publishes a 3 MB zip through the gate and reads it back intact"

# Kept alive: the second request's head is judged too. The gate is in time unless h2o
# parsed the head before the gate was back in place; then the connection closes unanswered.
r=$(probe "$STOA_URL" PUT /corp.example.com/big/@v/v1.0.1.zip "$BIG" --source 127.0.0.2 --pipeline-after /healthz)
assert_eq "$(field "$r" first)" "HTTP/1.1 200" "the first request on the connection"
[ "$(field "$r" sent)" -lt "$EARLY" ] || fail "kept-alive PUT: $(field "$r" sent) bytes sent before the end"
assert_eq "$(field "$r" closed)" True "kept-alive PUT: the connection closes"
r=$(probe "$STOA_URL" PUT /corp.example.com/big/@v/v1.0.1.zip "$BIG" --source 127.0.0.2 --pipeline-after /healthz --pipelined)
assert_eq "$(field "$r" first)" "HTTP/1.1 200" "the pipelined GET is answered"
assert_eq "$(field "$r" status)" 0 "the pipelined PUT is not answered"
[ "$(field "$r" sent)" -lt "$EARLY" ] || fail "pipelined PUT: $(field "$r" sent) bytes sent before the close"
assert_eq "$(field "$r" closed)" True "pipelined PUT: the connection closes"
wait_for grep -q "pipelined behind another" "$STOA_LOG" || fail "no log line for the closed pipelined PUT"
pass "a refused PUT behind a kept-alive or pipelined request ends before its body is read"
stop_stoa

# TLS: h2o parses what came with the handshake inside it; the handshake is run by stoa.
fixture_config - <<YAML
tls: {cert: "$TLS_CERT", key: "$TLS_KEY"}
limits: {max_body: 512MiB}
auth:
  plugins: [{plugin: token, options: {path: "$TMP/tokens"}}]
YAML
start_stoa STOA_HTTP2=true
r=$(probe "$STOA_URL" PUT "$zip" "$BIG" --tls)
early "$r" 401 "anonymous PUT over TLS (HTTP/1.1)"
code=$(curl -s --cacert "$TLS_CA" --http1.1 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -T "$TMP/mods/corp.example.com/big/@v/v1.0.0.zip" "$STOA_URL/corp.example.com/big/@v/v1.0.0.zip")
assert_eq "$code" 200 "republishing the same zip over TLS with the token (idempotent)"
assert_eq "$(curl -s --cacert "$TLS_CA" --http2 -o /dev/null -w '%{http_code} %{http_version}' "$STOA_URL/healthz")" "200 2" \
    "HTTP/2 over TLS still works"
pass "over TLS an anonymous HTTP/1.1 PUT is refused before its body; token publishes and HTTP/2 work"
stop_stoa

# HTTP/2 streams are buffered by h2o 2.2.5 before any hook, so HTTP/2 is off unless
# http2: true: HTTP/1.1 only (no ALPN h2, no h2c), and every body passes the gate.
truncate -s "$BIG" "$TMP/big.bin"
fixture_config - <<YAML
tls: {cert: "$TLS_CERT", key: "$TLS_KEY"}
limits: {max_body: 512MiB}
auth:
  plugins: [{plugin: token, options: {path: "$TMP/tokens"}}]
YAML
start_stoa
out=$(curl -s --cacert "$TLS_CA" --http2 -H "Expect:" -o /dev/null -w '%{http_code} %{http_version} %{size_upload}' \
    -T "$TMP/big.bin" "$STOA_URL/corp.example.com/big/@v/v1.0.1.zip" || true)
read -r code ver up <<<"$out"
assert_eq "$code $ver" "401 1.1" "curl --http2 on a server by default"
[ "$up" -lt "$EARLY" ] || fail "by default: $up bytes uploaded before the 401"
pass "by default a client asking for HTTP/2 gets HTTP/1.1, and its anonymous PUT the early 401"
stop_stoa
fixture_config - <<YAML
auth:
  plugins: [{plugin: token, options: {path: "$TMP/tokens"}}]
YAML
start_stoa
ver=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version}' "$STOA_URL/healthz" || true)
[ "$ver" != 2 ] || fail "the default still speaks h2c"
assert_eq "$(curl -s --http2 -o /dev/null -w '%{http_code} %{http_version}' "$STOA_URL/healthz")" "200 1.1" \
    "an h2c Upgrade is ignored"
pass "by default no h2c in the clear (prior knowledge or Upgrade)"
