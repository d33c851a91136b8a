#!/usr/bin/env bash
# Abuse limits: 1,000 wrong tokens from one address are throttled (429 + Retry-After)
# while other addresses keep working; no log line contains a token; request headers
# and bodies are bounded by limits.max_header / limits.max_body.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/pub@v1.0.0
genmod -out "$TMP/priv" corp.example.com/big@v1.0.0
start_upstream "$TMP/up"
cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: fixture, url: "$UPSTREAM_URL"}]
namespaces: [{pattern: corp.example.com, mode: private}, {pattern: "*", mode: proxy}]
limits: {max_header: 8KiB, max_body: 64KiB}
auth:
  require: {read: true}
  throttle: {failures: 10, window: 60s}
  plugins: [{plugin: token, options: {path: "$TMP/tokens"}}]
YAML
TOKEN=$("$STOA_BIN" token --config "$TMP/stoa.yaml" create --name dev --scope read --scope publish | head -1)
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
PORT=${STOA_URL##*:}
list="/example.com/pub/@v/list"
code() { curl -s -o "$TMP/body" -w '%{http_code}' "$@"; }

# 1,000 guesses over kept-alive connections, Bearer and Basic mixed.
python3 - "$TMP" "http://127.0.0.1:$PORT$list" <<'PY'
import secrets, sys
tmp, url = sys.argv[1], sys.argv[2]
with open(tmp + "/guesses", "w") as g, open(tmp + "/curl.cfg", "w") as c:
    for i in range(1000):
        t = "stoa_" + secrets.token_hex(32)
        g.write(t + "\n")
        cred = 'header = "Authorization: Bearer %s"' % t if i % 2 else 'user = "guess:%s"' % t
        c.write('%surl = "%s"\n%s\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' % ("next\n" if i else "", url, cred))
PY
curl -s --interface 127.0.0.1 -K "$TMP/curl.cfg" >"$TMP/codes" || fail "curl brute force run"
assert_eq "$(wc -l <"$TMP/codes")" 1000 "answers to 1,000 guesses"
n401=$(grep -c '^401$' "$TMP/codes" || true)
n429=$(grep -c '^429$' "$TMP/codes" || true)
assert_eq "$(grep -vcE '^(401|429)$' "$TMP/codes" || true)" 0 "answers other than 401/429 (any success?)"
assert_eq "$n401" 9 "guesses judged before the block"
assert_eq "$n429" 991 "guesses refused by the throttle"
pass "1,000 wrong tokens from one address: 9 judged (401), 991 throttled (429), none succeeded"

hdrs=$(curl -s --interface 127.0.0.1 -D - -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$list")
assert_contains "$hdrs" "429"
ra=$(printf '%s' "$hdrs" | tr -d '\r' | sed -n 's/^retry-after: //ip')
[ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ] || fail "Retry-After '$ra' not within 1..60"
assert_eq "$(code --interface 127.0.0.2 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$list")" 200 \
    "another address with a valid token"
assert_eq "$(code --interface 127.0.0.2 -H "Authorization: Bearer wrong" "http://127.0.0.1:$PORT$list")" 401 \
    "another address with a wrong token (judged, not throttled)"
assert_eq "$(code --interface 127.0.0.3 "http://127.0.0.1:$PORT$list")" 401 "anonymous from a third address"
pass "the blocked address gets 429 + Retry-After even with a valid token; other addresses are unaffected"

grep -q "access" "$STOA_LOG" || fail "no access log lines"
if grep -qF -f "$TMP/guesses" "$STOA_LOG"; then fail "a guessed token appears in the log"; fi
if grep -qF -- "$TOKEN" "$STOA_LOG"; then fail "the real token appears in the log"; fi
metrics=$(curl -s "$STOA_URL/metrics")
assert_contains "$metrics" 'stoa_auth_denials_total{code="429"} 99' "429s counted in the metrics"
if grep -qF -f "$TMP/guesses" <<<"$metrics"; then fail "a token appears in the metrics"; fi
pass "no log line and no metric contains a token"

# Finding 11: behind a proxy every client shares one address. A client retrying one
# stale token is throttled on that token alone: the others, with their own tokens or
# with a token they mistype once, go on.
stale="stoa_$(printf '%064d' 7)"
for i in $(seq 1 12); do
    code --interface 127.0.0.4 -H "Authorization: Bearer $stale" "http://127.0.0.1:$PORT$list" >>"$TMP/stale"
    echo >>"$TMP/stale"
done
assert_eq "$(tr '\n' ' ' <"$TMP/stale")" "401 401 401 401 401 401 401 401 401 429 429 429 " "one stale token, retried"
assert_eq "$(code --interface 127.0.0.4 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$list")" 200 \
    "a valid token from the same address"
assert_eq "$(code --interface 127.0.0.4 -H "Authorization: Bearer mistyped" "http://127.0.0.1:$PORT$list")" 401 \
    "another wrong token from the same address is judged, not throttled"
assert_eq "$(code --interface 127.0.0.4 "http://127.0.0.1:$PORT$list")" 401 "anonymous from the same address"
pass "a stale token retried from a shared address blocks that token (429 after 9 judged), not the address"

# limits.max_header: 431; limits.max_body: 413 (h2o's max_request_entity_size).
big=$(head -c 9000 /dev/zero | tr '\0' a)
assert_eq "$(code --interface 127.0.0.2 -H "X-Big: $big" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$list")" 431 \
    "headers over limits.max_header"
assert_contains "$(cat "$TMP/body")" "limits.max_header"
head -c 100000 /dev/urandom >"$TMP/big.zip"
assert_eq "$(code --interface 127.0.0.2 -T "$TMP/big.zip" -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/corp.example.com/big/@v/v1.0.0.zip")" 413 "body over limits.max_body"
assert_eq "$(code --interface 127.0.0.2 -T "$TMP/big.zip" -H "Transfer-Encoding: chunked" -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/corp.example.com/big/@v/v1.0.0.zip")" 413 "chunked body over limits.max_body"
assert_eq "$(code --interface 127.0.0.2 -T "$TMP/priv/corp.example.com/big/@v/v1.0.0.zip" -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/corp.example.com/big/@v/v1.0.0.zip")" 201 "a body within the limit"
pass "request headers over limits.max_header get 431, bodies over limits.max_body 413 (also chunked)"
stop_stoa
