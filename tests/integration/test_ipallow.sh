#!/usr/bin/env bash
# ipallow: CIDR allow/deny lists (IPv4 and IPv6), per-operation lists, and forwarding
# headers honoured only from trusted proxies. Loopback aliases (127.0.0.2 ...) stand in
# for distinct clients; stoa also listens on [::1].
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/pub@v1.0.0
genmod -out "$TMP/priv" corp.example.com/a@v1.0.0
start_upstream "$TMP/up"
fixture_config - <<YAML
auth:
  require: {read: true}
  throttle: {failures: 0}
  plugins:
    - plugin: ipallow
      options:
        allow: ["127.0.0.1", "127.0.0.2/32", "::1/128", "10.0.0.0/8", "2001:db8::/32"]
        deny: ["10.9.0.0/16"]
        publish: {allow: ["127.0.0.2"]}
        trusted_proxies: ["127.0.0.3", "2001:db8:ffff::/48"]
    - {plugin: token, options: {path: "$TMP/tokens"}}
YAML
TOKEN=$("$STOA_BIN" token --config "$TMP/stoa.yaml" create --name dev --scope read --scope publish | head -1)
CONFIG_FILE="$TMP/stoa.yaml" start_stoa STOA_LISTEN='127.0.0.1:0,[::1]:0'
PORT=${STOA_URL##*:}
V6_URL=$(grep -o 'listening on http://\[::1\]:[0-9]*' "$STOA_LOG" | sed 's/listening on //')
[ -n "$V6_URL" ] || fail "stoa did not say it listens on [::1]"
list="/example.com/pub/@v/list"
# from ADDR [curl args...] URL-PATH: status of a GET from a given source address, with the token.
from() {
    local src=$1
    shift
    curl -s -o "$TMP/body" -w '%{http_code}' --interface "$src" -H "Authorization: Bearer $TOKEN" "${@:1:$#-1}" \
        "http://127.0.0.1:$PORT${*: -1}"
}
last_client() { grep ' access ' "$STOA_LOG" | tail -1 | awk '{print $3}'; }

assert_eq "$(from 127.0.0.1 "$list")" 200 "allowed address with a token"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$STOA_URL$list")" 401 "allowed address without a token"
assert_eq "$(from 127.0.0.4 "$list")" 403 "address outside the list, valid token"
assert_contains "$(cat "$TMP/body")" "address 127.0.0.4 may not read here"
pass "an address outside the allow list is refused (403) even with a valid token; inside it still needs the token"

# Spoofed forwarding headers from an untrusted peer are ignored.
assert_eq "$(from 127.0.0.4 -H 'X-Forwarded-For: 127.0.0.1' "$list")" 403 "spoofed XFF from outside"
assert_eq "$(from 127.0.0.4 -H 'Forwarded: for=127.0.0.1' "$list")" 403 "spoofed Forwarded from outside"
assert_eq "$(from 127.0.0.1 -H 'X-Forwarded-For: 10.9.0.5' "$list")" 200 "XFF naming a denied address, untrusted peer"
assert_eq "$(last_client)" 127.0.0.1 "client recorded for an untrusted peer's XFF"
pass "X-Forwarded-For / Forwarded from an untrusted peer are ignored"

# A trusted proxy's header is honoured, right to left, every header line counted.
assert_eq "$(from 127.0.0.3 "$list")" 403 "the proxy itself is not on the allow list"
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: 10.1.2.3' "$list")" 200 "trusted proxy forwarding an allowed client"
assert_eq "$(last_client)" 10.1.2.3 "client recorded from a trusted proxy"
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: 10.9.0.5' "$list")" 403 "trusted proxy forwarding a denied client"
assert_contains "$(cat "$TMP/body")" "address 10.9.0.5 is on the deny list"
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: 127.0.0.1, 10.9.0.5' "$list")" 403 "client-forged first hop"
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: 127.0.0.1' -H 'X-Forwarded-For: 10.9.0.5' "$list")" 403 \
    "forged hop in a separate header line"
# Finding 3 of issue 21: the proxy writes X-Forwarded-For (the default forwarded_header)
# and passes a client's own Forwarded through; believing that would let the client pick
# its address. Only the named header is read.
assert_eq "$(from 127.0.0.3 -H 'Forwarded: for=10.1.1.1' -H 'X-Forwarded-For: 10.9.0.5' "$list")" 403 \
    "a client's Forwarded passed through an X-Forwarded-For proxy"
assert_eq "$(from 127.0.0.3 -H 'Forwarded: for=10.1.1.1' "$list")" 403 "Forwarded alone is not read: the proxy is the client"
assert_eq "$(last_client)" 127.0.0.3 "client when only Forwarded came"
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: unknown' "$list")" 403 "unusable hop from a trusted proxy"
pass "a trusted proxy's X-Forwarded-For / Forwarded is honoured (rightmost untrusted hop; forged hops lose)"

# IPv6: literals, CIDRs, bracketed Forwarded values with ports, IPv4-mapped addresses.
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$V6_URL$list")" 200 "[::1] allowed"
assert_eq "$(last_client)" ::1 "client over IPv6"
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: [2001:db8::7]' "$list")" 200 "IPv6 client in 2001:db8::/32"
assert_eq "$(last_client)" 2001:db8::7
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: 2001:db9::1' "$list")" 403 "IPv6 client outside the list"
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: 2001:db8::9, 2001:db8:ffff::1' "$list")" 200 "two trusted hops (v6 proxy)"
assert_eq "$(last_client)" 2001:db8::9
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: ::ffff:10.1.2.3' "$list")" 200 "IPv4-mapped IPv6"
assert_eq "$(last_client)" 10.1.2.3
pass "IPv6 literals and CIDRs, [::1] listener, IPv4-mapped addresses"

# Per-operation list: publish only from 127.0.0.2 (the "CI subnet").
zip="$TMP/priv/corp.example.com/a/@v/v1.0.0.zip"
assert_eq "$(from 127.0.0.1 -T "$zip" /corp.example.com/a/@v/v1.0.0.zip)" 403 "publish from outside publish.allow"
assert_contains "$(cat "$TMP/body")" "may not publish here (not in publish.allow)"
assert_eq "$(from 127.0.0.2 -T "$zip" /corp.example.com/a/@v/v1.0.0.zip)" 201 "publish from the CI address"
assert_eq "$(from 127.0.0.2 /corp.example.com/a/@v/list)" 200 "read from the CI address"
pass "per-operation allow list: publish only from the CI address"

# SIGHUP: new lists apply at once; a bad list is refused and the old ones stay.
reloads() { grep -c "configuration reloaded" "$STOA_LOG" || true; }
reloaded() { [ "$(reloads)" = "$1" ]; }
sed -i 's|allow: \["127.0.0.1", |allow: ["127.0.0.4", "127.0.0.1", |' "$TMP/stoa.yaml"
kill -HUP "$STOA_PID"
wait_for reloaded 1 || fail "no reload after SIGHUP"
assert_eq "$(from 127.0.0.4 "$list")" 200 "address added by a reload"
sed -i 's|"127.0.0.4", |"127.0.0.4/8", |' "$TMP/stoa.yaml"
kill -HUP "$STOA_PID"
wait_for grep -q "host bits are set" "$STOA_LOG" || fail "a bad reload was not reported"
assert_eq "$(reloads)" 1 "reloads counted after a refused one"
assert_eq "$(from 127.0.0.4 "$list")" 200 "rules after a refused reload"
assert_eq "$(from 127.0.0.5 "$list")" 403 "rules after a refused reload"
pass "SIGHUP replaces the lists; a bad list is refused and the old rules stay"

# forwarded_header: forwarded -- a proxy that writes RFC 7239: now only Forwarded counts.
sed -i 's|"127.0.0.4/8", |"127.0.0.4", |; s|^\(        trusted_proxies: .*\)$|\1\n        forwarded_header: forwarded|' "$TMP/stoa.yaml"
kill -HUP "$STOA_PID"
wait_for reloaded 2 || fail "no reload to forwarded_header: forwarded: $(tail -3 "$STOA_LOG")"
assert_eq "$(from 127.0.0.3 -H 'Forwarded: for=10.9.0.5;proto=http, for=10.1.1.1' "$list")" 200 "Forwarded"
assert_eq "$(last_client)" 10.1.1.1 "client from Forwarded"
assert_eq "$(from 127.0.0.3 -H 'Forwarded: for="[2001:db8::7]:4711"' "$list")" 200 "bracketed IPv6 with a port"
assert_eq "$(last_client)" 2001:db8::7
assert_eq "$(from 127.0.0.3 -H 'X-Forwarded-For: 10.1.2.3' -H 'Forwarded: for=10.9.0.5' "$list")" 403 \
    "X-Forwarded-For is not read when the proxy writes Forwarded"
pass "only the header the operator names is believed (forwarded_header)"

# Bad options stop the server with a clear message.
cat >"$TMP/bad.yaml" <<YAML
auth: {plugins: [{plugin: ipallow, options: {allow: ["10.1.2.3/8"]}}]}
YAML
out=$(CONFIG_FILE="$TMP/bad.yaml" "$STOA_BIN" serve --config "$TMP/bad.yaml" 2>&1) && fail "started with a bad CIDR"
assert_contains "$out" "did you mean 10.0.0.0/8?"
pass "a CIDR with host bits set is refused at start with a hint"
stop_stoa
