#!/usr/bin/env bash
# TLS: stoa with a self-signed certificate that the go command trusts through
# SSL_CERT_FILE; HTTP/2 via ALPN; JSON access logs.
. "$(dirname "$0")/lib.sh"

# A throwaway CA and a server certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=stoa-test-ca -keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$TMP/server.key" -out "$TMP/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
    -extfile "$TMP/san.ext" -out "$TMP/server.pem" 2>/dev/null

genmod -out "$TMP/up" example.com/tls@v1.0.0
genmod -out "$TMP/up" -pad $((1024 * 1024)) example.com/tlsbig@v1.0.0
start_upstream "$TMP/up"
start_stoa STOA_HTTP2=true STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_TLS_CERT="$TMP/server.pem" STOA_TLS_KEY="$TMP/server.key" \
    STOA_LOG_FORMAT=json
case "$STOA_URL" in https://*) ;; *) fail "expected an https listener, got $STOA_URL" ;; esac

sum=$(GO_EXTRA_ENV="SSL_CERT_FILE=$TMP/ca.pem" gocmd mod download -json example.com/tls@v1.0.0 | grep '"Sum"')
assert_contains "$sum" '"Sum": "h1:'
pass "go command downloads over https, trusting the test CA through SSL_CERT_FILE"

if GO_EXTRA_ENV="SSL_CERT_FILE=/dev/null" gocmd mod download example.com/tls@v1.0.0 2>/dev/null; then
    clean_modcache
    GO_EXTRA_ENV="SSL_CERT_FILE=/dev/null" gocmd mod download example.com/tls@v1.0.0 2>"$TMP/untrusted.err" &&
        fail "an untrusted certificate was accepted"
fi
pass "without the CA the go command refuses the certificate"

proto=$(curl -s --cacert "$TMP/ca.pem" --http2 -o /dev/null -w '%{http_version}' "$STOA_URL/example.com/tls/@v/list")
assert_eq "$proto" 2 "HTTP version negotiated over TLS"
pass "HTTP/2 over TLS (ALPN h2)"

# A hit large enough for sendfile on cleartext must take h2o's TLS path here.
bigzip="$STOA_URL/example.com/tlsbig/@v/v1.0.0.zip"
want=$(sha256sum <"$TMP/up/example.com/tlsbig/@v/v1.0.0.zip")
for v in --http1.1 --http2; do
    curl -sf --cacert "$TMP/ca.pem" -o /dev/null "$bigzip" || fail "filling the 1 MiB zip"
    curl -sf --cacert "$TMP/ca.pem" $v -o "$TMP/tlsbig" "$bigzip" || fail "1 MiB hit over TLS ($v)"
    assert_eq "$(sha256sum <"$TMP/tlsbig")" "$want" "1 MiB hit over TLS ($v)"
done
pass "a 1 MiB hit over TLS, HTTP/1.1 and HTTP/2, arrives intact"

# A modern server: TLS 1.2 offers only forward-secret AEAD suites, and refuses a
# client's renegotiation; TLS 1.0/1.1 are refused outright.
hp=${STOA_URL#https://}
tls12() { openssl s_client -connect "$hp" -tls1_2 -CAfile "$TMP/ca.pem" "$@" </dev/null 2>&1 || true; }
assert_contains "$(tls12 -cipher ECDHE-RSA-AES128-GCM-SHA256)" "Cipher is ECDHE-RSA-AES128-GCM-SHA256" "an AEAD suite"
for c in AES128-SHA ECDHE-RSA-AES128-SHA ECDHE-RSA-AES256-SHA384 AES256-GCM-SHA384; do
    out=$(tls12 -cipher "$c")
    assert_contains "$out" "Cipher is (NONE)" "suite $c is refused"
done
out=$(openssl s_client -connect "$hp" -tls1_1 -cipher "DEFAULT:@SECLEVEL=0" </dev/null 2>&1 || true)
assert_contains "$out" "Cipher is (NONE)" "TLS 1.1 refused"
assert_not_contains "$out" "no protocols available" "the client itself could offer TLS 1.1"
# s_client renegotiates on a line "R" (stdin held open 2 s for the answer): the server
# must refuse, which ends the connection; the server goes on serving others. (h2o 2.2.5
# breaks a renegotiation off by itself too; SSL_OP_NO_RENEGOTIATION makes it a refusal
# that does not depend on that.)
out=$( (printf 'R\n'; sleep 2) | openssl s_client -connect "$hp" -tls1_2 -CAfile "$TMP/ca.pem" 2>&1 || true)
assert_contains "$out" "RENEGOTIATING" "the client asked to renegotiate"
assert_contains "$(sed -n '/RENEGOTIATING/,$p' <<<"$out")" ":error:" "the renegotiation was refused"
assert_eq "$(curl -s --cacert "$TMP/ca.pem" "$STOA_URL/healthz")" ok "served after a refused renegotiation"
pass "TLS 1.2 AEAD suites only, no renegotiation, no TLS 1.1"

line=$(grep '"who":"access"' "$STOA_LOG" | grep '/example.com/tls/@v/v1.0.0.zip' | head -1)
assert_contains "$line" '"status":200'
assert_contains "$line" '"cache":"MISS"'
pass "JSON access log lines"
stop_stoa
