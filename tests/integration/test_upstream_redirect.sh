#!/usr/bin/env bash
# Finding 4 of issue 21 (SSRF): an upstream's redirect must not make stoa fetch, cache
# and serve what another host -- an internal one above all -- answers. Cross-origin
# redirects are refused unless the upstream says `redirects: any`, and even then never
# lead to a loopback, private or link-local address unless the upstream itself is
# there; a .mod must be a go.mod of the module asked for, an .info of the version.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_hostile.sh"

# The "internal service": a JSON document no client should ever see through stoa.
start_hostile "$TMP/internal.json"
INTERNAL_URL=$HOSTILE_URL INTERNAL_LOG=$HOSTILE_LOG
cat >"$TMP/internal.json" <<JSON
{"/secret.json": {"body": "{\"Version\": \"v1.0.0\", \"secret\": \"internal\"}", "type": "application/json"},
 "/evil.mod": {"body": "module example.com/evil\n"}}
JSON

cat >"$TMP/plan.json" <<JSON
{"/example.com/evil/@v/v1.0.0.info": {"status": 302, "location": "$INTERNAL_URL/secret.json"},
 "/example.com/evil/@v/v1.0.0.mod": {"status": 302, "location": "$INTERNAL_URL/evil.mod"},
 "/example.com/meta/@v/v1.0.0.info": {"status": 307, "location": "http://169.254.169.254/latest/meta-data/"},
 "/example.com/priv/@v/v1.0.0.info": {"status": 302, "location": "http://10.0.0.1/x"},
 "/example.com/same/@v/v1.0.0.info": {"status": 301, "location": "/blobs/same.info", "body": "moved"},
 "/blobs/same.info": {"body": "{\"Version\": \"v1.0.0\"}", "type": "application/json"},
 "/example.com/json/@v/v1.0.0.mod": {"body": "{\"module\": \"example.com/json\"}", "type": "application/json"},
 "/example.com/other/@v/v1.0.0.mod": {"body": "module example.com/not-other\n"},
 "/example.com/good/@v/v1.0.0.mod": {"body": "// a go.mod\nmodule \"example.com/good\" // quoted\n\ngo 1.19\n"},
 "/example.com/block/@v/v1.0.0.mod": {"body": "module (\n\texample.com/block\n)\n"},
 "/example.com/badinfo/@v/v1.0.0.info": {"body": "{\"Version\": \"v1.0.1\"}"},
 "/example.com/loop/@v/v1.0.0.info": {"status": 302, "location": "/example.com/loop/@v/v1.0.0.info"}}
JSON
start_hostile "$TMP/plan.json"

hostile_config "$HOSTILE_URL"
start_stoa
status=$(http_status GET "$STOA_URL/example.com/evil/@v/v1.0.0.info")
[ "$status" != 200 ] || fail "a cross-origin redirect was followed and served"
status=$(http_status GET "$STOA_URL/example.com/evil/@v/v1.0.0.mod")
[ "$status" != 200 ] || fail "a cross-origin redirect was followed for a .mod"
[ ! -s "$INTERNAL_LOG" ] || fail "stoa asked the internal host: $(cat "$INTERNAL_LOG")"
grep -q "cross-origin redirect to $INTERNAL_URL/secret.json refused" "$STOA_LOG" ||
    fail "the refusal is not logged"
out=$(curl -s "$STOA_URL/example.com/evil/@v/v1.0.0.info")
assert_not_contains "$out" "\"internal\"" "the internal answer reached the client"
pass "cross-origin redirects are refused by default; the internal host is never asked"

body=$(curl -sf "$STOA_URL/example.com/same/@v/v1.0.0.info") || fail "a same-origin redirect was not followed"
assert_eq "$body" '{"Version": "v1.0.0"}' "same-origin redirect target"
status=$(http_status GET "$STOA_URL/example.com/loop/@v/v1.0.0.info")
[ "$status" != 200 ] || fail "a redirect loop ended in 200"
grep -q "more than 5 redirects" "$STOA_LOG" || fail "a redirect loop is not named"
pass "same-origin redirects are followed (their bodies dropped), up to 5"

for m in json other; do
    status=$(http_status GET "$STOA_URL/example.com/$m/@v/v1.0.0.mod")
    [ "$status" != 200 ] || fail "example.com/$m: a .mod that is not its go.mod was served"
done
grep -q "upstream .mod of example.com/json@v1.0.0 is not a go.mod: no module directive" "$STOA_LOG" ||
    fail "the JSON .mod's rejection is not explained"
grep -q "declares module example.com/not-other" "$STOA_LOG" || fail "the wrong module path is not named"
for m in good block; do
    status=$(http_status GET "$STOA_URL/example.com/$m/@v/v1.0.0.mod")
    assert_eq "$status" 200 "example.com/$m: a real go.mod"
done
status=$(http_status GET "$STOA_URL/example.com/badinfo/@v/v1.0.0.info")
[ "$status" != 200 ] || fail "an .info of another version was served"
pass ".mod must declare the module asked for, .info the version asked for"

# The go command through stoa: the redirected module does not download.
out=$(gocmd mod download -json example.com/evil@v1.0.0 2>&1) && fail "go mod download of the redirected module worked: $out"
assert_not_contains "$out" "internal"
pass "go mod download of a module whose upstream redirects to an internal host fails"
stop_stoa

# redirects: any lets a redirect leave the origin -- to a loopback host only because
# this upstream is on loopback itself -- but never to link-local or private addresses.
DATA="$TMP/data-any" hostile_config "$HOSTILE_URL"
sed -i 's/retries: 0}/retries: 0, redirects: any}/' "$CONFIG_FILE"
DATA="$TMP/data-any" start_stoa
body=$(curl -sf "$STOA_URL/example.com/evil/@v/v1.0.0.info") || fail "redirects: any did not follow to the upstream's own class"
assert_contains "$body" '"Version": "v1.0.0"'
for m in meta priv; do
    t0=$(date +%s%N)
    status=$(http_status GET "$STOA_URL/example.com/$m/@v/v1.0.0.info")
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$status" != 200 ] || fail "example.com/$m: redirect to an internal address followed"
    [ "$ms" -lt 3000 ] || fail "example.com/$m: took $ms ms: was a connection attempted?"
done
grep -q "redirect to 169.254.169.254 (link-local) refused: internal address" "$STOA_LOG" ||
    fail "the link-local refusal is not named"
grep -q "redirect to 10.0.0.1 (private) refused: internal address" "$STOA_LOG" || fail "the private refusal is not named"
pass "redirects: any never leads to link-local or private addresses from a loopback upstream"
stop_stoa

DATA="$TMP/data-none" hostile_config "$HOSTILE_URL"
sed -i 's/retries: 0}/retries: 0, redirects: none}/' "$CONFIG_FILE"
DATA="$TMP/data-none" start_stoa
status=$(http_status GET "$STOA_URL/example.com/same/@v/v1.0.0.info")
[ "$status" != 200 ] || fail "redirects: none followed a redirect"
pass "redirects: none follows none"
