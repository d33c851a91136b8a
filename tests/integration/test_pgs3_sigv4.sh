#!/usr/bin/env bash
# pgs3's S3 client against stores that check what it sends:
#  1. @20minutes/s3rver verifies Signature V4: the right key works, a wrong secret
#     key is refused and /readyz says why (SignatureDoesNotMatch, check secret_key).
#  2. botocore, an independent V4 implementation, recomputes the Authorization header
#     of every request stoa sent (GET, HEAD, PUT; with a session token) and agrees;
#     the same check with another secret disagrees (so the check can fail).
#  3. TLS: a store whose certificate is self-signed is refused (readyz: not trusted,
#     set ca_file); ca_file makes it work; insecure_skip_verify works and warns.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

use_pgs3
# Python with botocore: Debian's python3-botocore, or one that has it.
PY=python3
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import botocore' 2>/dev/null; then PY=$p; break; fi
done
"$PY" -c 'import botocore' 2>/dev/null || fail "botocore missing (apt-get install python3-botocore)"

# serve_unready ENV...: stoa that may never be ready: waits for the listener only.
serve_unready() {
    local log="$TMP/unready.${#PIDS[@]}.log"
    env STOA_LISTEN=127.0.0.1:0 STOA_MODE=offline STOA_SUMDB_CHECK=off "${PGS3_ENV[@]}" "$@" "$STOA_BIN" serve \
        >"$log" 2>&1 &
    STOA_PID=$! STOA_LOG=$log
    PIDS+=("$STOA_PID")
    wait_for started "$STOA_PID" "$STOA_LOG" && grep -q "listening on" "$STOA_LOG" ||
        { cat "$STOA_LOG" >&2; fail "stoa did not start"; }
    STOA_URL=$(grep -o 'listening on http://[0-9.:]*' "$STOA_LOG" | sed 's/listening on //')
}
readyz() { curl -s -w ' %{http_code}' "$STOA_URL/readyz" | tr '\n' ' ' | sed 's/  */ /g'; }

# 1. A verifying server: the right key, a wrong one.
bad=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 -u S3RVER:wrong \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "http://$S3_HOST/$S3_BUCKET/x")
assert_eq "$bad" 403 "the test server refuses a V4 request signed with a wrong secret"
serve_unready
assert_eq "$(readyz)" "ok 200" "readyz with the right key"
stop_stoa
serve_unready STOA_STORAGE_OPTIONS_SECRET_KEY=NotTheS3Secret
r=$(readyz)
assert_contains "$r" " 503" "readyz with a wrong secret key"
assert_contains "$r" "SignatureDoesNotMatch" "readyz names S3's reason"
assert_contains "$r" "check secret_key" "readyz says what to check"
assert_contains "$r" "$S3_HOST" "readyz names the store"
assert_not_contains "$r$(cat "$STOA_LOG")" "NotTheS3Secret" "the secret in a message"
stop_stoa
pass "a V4-verifying store: the right key is ready, a wrong secret is refused and readyz says why"

genmod -out "$TMP/priv" corp.example.com/p@v1.0.0 corp.example.com/v@v1.0.0
out=$(env "${PGS3_ENV[@]}" STOA_STORAGE_OPTIONS_ADDRESSING=sideways STOA_LISTEN=127.0.0.1:0 "$STOA_BIN" serve 2>&1) &&
    fail "stoa served with addressing: sideways"
assert_contains "$out" "option addressing: expected path or virtual"
pass "a bad addressing value is refused"

# 2. botocore recomputes stoa's signatures (a session token too).
CAP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" "$STOA_SRC/tests/integration/sigv4_check.py" serve "$CAP_PORT" "$TMP/captured.jsonl" &
PIDS+=("$!")
wait_for curl -s -o /dev/null "http://127.0.0.1:$CAP_PORT/" || fail "capture server did not start"
rm -f "$TMP/captured.jsonl"
serve_unready STOA_STORAGE_OPTIONS_S3_HOST="127.0.0.1:$CAP_PORT" STOA_STORAGE_OPTIONS_REGION=eu-central-1 \
    AWS_SESSION_TOKEN="FQoGZXIvYXdzEJr//session+token/with=chars" \
    STOA_NAMESPACES_0_PATTERN=corp.example.com STOA_NAMESPACES_0_MODE=private STOA_NAMESPACES_1_PATTERN='*'
assert_eq "$(readyz)" "ok 200" "readyz against the capture server"
code=$(http_status PUT "$STOA_URL/corp.example.com/p/@v/v1.0.0.zip" --data-binary @"$TMP/priv/corp.example.com/p/@v/v1.0.0.zip")
assert_eq "$code" 201 "publish a zip through the capture server"
stop_stoa
for m in GET HEAD PUT; do
    grep -q "\"method\": \"$m\"" "$TMP/captured.jsonl" || fail "no $m captured"
done
grep -qi '"X-Amz-Security-Token": "FQoGZXIvYXdzEJr//session+token/with=chars"' "$TMP/captured.jsonl" ||
    fail "the session token was not sent as x-amz-security-token"
out=$("$PY" "$STOA_SRC/tests/integration/sigv4_check.py" check "$TMP/captured.jsonl" S3RVER S3RVER eu-central-1) ||
    { echo "$out" >&2; fail "botocore disagrees with stoa's signatures"; }
echo "$out" | sed 's/^/  /'
assert_contains "$out" "x-amz-security-token" "the session token is signed"
if "$PY" "$STOA_SRC/tests/integration/sigv4_check.py" check "$TMP/captured.jsonl" S3RVER other eu-central-1 >/dev/null
then fail "the botocore check accepts a signature made with another secret"; fi
pass "botocore recomputes all $(wc -l <"$TMP/captured.jsonl") signatures stoa sent (GET, HEAD, PUT, session token)"

# Virtual-hosted addressing: requests go to http://stoa.s3.localhost:PORT/<key> (curl
# resolves *.localhost to loopback), and botocore agrees with those signatures too.
# (s3rver 5 cannot check these: it signs virtual-hosted V4 requests with the V2 resource.)
mv "$TMP/captured.jsonl" "$TMP/captured-path.jsonl"
serve_unready STOA_STORAGE_OPTIONS_S3_HOST="s3.localhost:$CAP_PORT" STOA_STORAGE_OPTIONS_ADDRESSING=virtual \
    STOA_NAMESPACES_0_PATTERN=corp.example.com STOA_NAMESPACES_0_MODE=private STOA_NAMESPACES_1_PATTERN='*'
assert_eq "$(readyz)" "ok 200" "readyz with virtual-hosted addressing"
code=$(http_status PUT "$STOA_URL/corp.example.com/v/@v/v1.0.0.zip" --data-binary @"$TMP/priv/corp.example.com/v/@v/v1.0.0.zip")
assert_eq "$code" 201 "publish with virtual-hosted addressing"
grep -q "virtual addressing" "$STOA_LOG" || fail "the start line does not say virtual addressing"
stop_stoa
grep -qi "\"host\": \"stoa.s3.localhost:$CAP_PORT\"" "$TMP/captured.jsonl" || fail "no request to stoa.s3.localhost"
grep -q '"path": "/stoa/' "$TMP/captured.jsonl" && fail "a virtual-hosted request still has the bucket in its path"
grep -q '"method": "PUT", "path": "/blobs/sha256/' "$TMP/captured.jsonl" || fail "no virtual-hosted PUT of a blob"
out=$("$PY" "$STOA_SRC/tests/integration/sigv4_check.py" check "$TMP/captured.jsonl" S3RVER S3RVER us-east-1) ||
    { echo "$out" >&2; fail "botocore disagrees with stoa's virtual-hosted signatures"; }
pass "virtual-hosted addressing: bucket in the host name, key as the path, signatures botocore agrees with"

# 3. TLS: an untrusted certificate, then trusted through ca_file, then skipped.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/s3tls.key" -out "$TMP/s3tls.crt" 2>/dev/null || fail "openssl req"
TLS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
s3rver_run "$TMP/s3tls" "$TLS_PORT" "$S3_BUCKET" "$TMP/s3tls.crt" "$TMP/s3tls.key" >"$TMP/s3tls.log" 2>&1 &
PIDS+=("$!")
wait_for curl -s -o /dev/null --cacert "$TMP/s3tls.crt" "https://127.0.0.1:$TLS_PORT/" || fail "TLS s3rver did not start"
TLS_ENV=(STOA_STORAGE_OPTIONS_S3_HOST="127.0.0.1:$TLS_PORT" STOA_STORAGE_OPTIONS_PROTOCOL=https)
serve_unready "${TLS_ENV[@]}"
r=$(readyz)
assert_contains "$r" " 503" "readyz with an untrusted certificate"
assert_contains "$r" "not trusted" "readyz says the certificate is not trusted"
assert_contains "$r" "ca_file" "readyz says what to set"
stop_stoa
serve_unready "${TLS_ENV[@]}" STOA_STORAGE_OPTIONS_CA_FILE="$TMP/s3tls.crt"
assert_eq "$(readyz)" "ok 200" "readyz with ca_file naming the store's CA"
stop_stoa
serve_unready "${TLS_ENV[@]}" STOA_STORAGE_OPTIONS_INSECURE_SKIP_VERIFY=true
assert_eq "$(readyz)" "ok 200" "readyz with insecure_skip_verify"
grep -q "warn.*insecure_skip_verify.*NOT checked" "$STOA_LOG" || fail "no warning about insecure_skip_verify"
stop_stoa
pass "TLS: an untrusted certificate is refused (readyz says set ca_file), ca_file trusts it, skipping warns"

# 4. Temporary credentials on moto's S3 server, which verifies V4 signatures and the
#    session token (through IAM/STS): the right token works end to end (publish, then
#    read back with the body cache off), a wrong one is refused and readyz says why.
#    moto is not in Debian or npm; it is on this project's machine image (pip).
MOTO_PY=""
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import moto.server, boto3' 2>/dev/null; then MOTO_PY=$p; break; fi
done
# moto is on this project's machine image, not in the package registries CI installs
# from: without it the token is still proven signed (botocore, part 2), and this part
# says plainly that it did not run.
if [ -z "$MOTO_PY" ]; then
    echo "skip - moto (with boto3) is not installed: session-token verification by a server not run"
else
    MOTO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    INITIAL_NO_AUTH_ACTION_COUNT=3 "$MOTO_PY" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$TMP/moto.log" 2>&1 &
    PIDS+=("$!")
    wait_for curl -s -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/" || { cat "$TMP/moto.log" >&2; fail "moto did not start"; }
    read -r M_AK M_SK M_TOK < <("$MOTO_PY" "$STOA_SRC/tests/integration/moto_setup.py" "http://127.0.0.1:$MOTO_PORT" stoa) ||
        fail "moto setup"
    psqlc -c "TRUNCATE storage_files, storage_blobs CASCADE" >/dev/null
    MOTO_ENV=(STOA_STORAGE_OPTIONS_S3_HOST="127.0.0.1:$MOTO_PORT" STOA_STORAGE_OPTIONS_ACCESS_KEY="$M_AK"
        STOA_STORAGE_OPTIONS_SECRET_KEY="$M_SK" STOA_STORAGE_OPTIONS_CACHE_SIZE=0
        STOA_NAMESPACES_0_PATTERN=corp.example.com STOA_NAMESPACES_0_MODE=private STOA_NAMESPACES_1_PATTERN='*')
    serve_unready "${MOTO_ENV[@]}" AWS_SESSION_TOKEN="$M_TOK"
    assert_eq "$(readyz)" "ok 200" "readyz with moto's temporary credentials"
    code=$(http_status PUT "$STOA_URL/corp.example.com/p/@v/v1.0.0.zip" --data-binary @"$TMP/priv/corp.example.com/p/@v/v1.0.0.zip")
    assert_eq "$code" 201 "publish through moto with a session token"
    curl -sf -o "$TMP/back.zip" "$STOA_URL/corp.example.com/p/@v/v1.0.0.zip" || fail "reading the zip back from moto"
    cmp -s "$TMP/back.zip" "$TMP/priv/corp.example.com/p/@v/v1.0.0.zip" || fail "the zip read back differs"
    stop_stoa
    serve_unready "${MOTO_ENV[@]}" AWS_SESSION_TOKEN="${M_TOK%????}AAAA"
    r=$(readyz)
    assert_contains "$r" " 503" "readyz with a wrong session token"
    assert_contains "$r" "InvalidToken" "readyz names S3's reason"
    assert_contains "$r" "check session_token" "readyz says what to check"
    assert_not_contains "$r$(cat "$STOA_LOG")" "${M_TOK:20:40}" "the session token in a message"
    stop_stoa
    serve_unready "${MOTO_ENV[@]}"
    assert_contains "$(readyz)" " 503" "readyz with temporary keys but no session token"
    stop_stoa
    pass "moto verifies V4 + session token: the right token publishes and reads back, a wrong or missing one is refused"
fi

# 5. Retries: a store answering 503 SlowDown twice is asked a third time and works; one
#    that keeps throttling is asked three times, then readyz names SlowDown.
throttled() { # throttled FAIL -> readyz answer; requests counted in $TMP/thr.jsonl
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    rm -f "$TMP/thr.jsonl"
    "$PY" "$STOA_SRC/tests/integration/sigv4_check.py" serve "$port" "$TMP/thr.jsonl" "$1" &
    local pid=$!
    PIDS+=("$pid")
    wait_for curl -s -o /dev/null "http://127.0.0.1:$port/x" || fail "throttling server did not start"
    rm -f "$TMP/thr.jsonl" # the readiness probe above
    serve_unready STOA_STORAGE_OPTIONS_S3_HOST="127.0.0.1:$port" STOA_STORAGE_OPTIONS_ACCESS_KEY=AKIDTHROTTLE
    THR_READY=$(readyz)
    stop_stoa
    kill "$pid"
}
throttled 2
assert_eq "$THR_READY" "ok 200" "readyz after two 503 SlowDown answers"
assert_eq "$(wc -l <"$TMP/thr.jsonl")" 3 "requests for two throttled answers and a good one"
throttled 100
assert_contains "$THR_READY" "HTTP 503 SlowDown" "readyz when the store keeps throttling"
assert_eq "$(wc -l <"$TMP/thr.jsonl")" 3 "attempts before giving up"
pass "503 SlowDown is retried twice: two are absorbed, a third is reported as SlowDown"
