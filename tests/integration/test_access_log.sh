#!/usr/bin/env bash
# The access log is safe to read and to parse whatever a client sends (issue 21 finding
# 17): raw invalid UTF-8 in a request target or User-Agent is escaped (h2o itself
# refuses control bytes there with 400), a secret a
# client puts in a query (?token=, ?X-Amz-Signature=) is hidden in the log and the audit
# event, and each line names its request id (the X-Request-Id answer header) and the
# client's User-Agent (issue 20). Text and JSON formats both; every JSON line parses.
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/empty"
raw_get() { # raw_get TARGET UA: one HTTP/1.1 request with the target's bytes as given; prints the answer's head
    python3 - "${STOA_URL#http://}" "$1" "$2" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
target = sys.argv[2].encode("utf-8", "surrogateescape").decode("unicode_escape").encode("latin-1")
ua = sys.argv[3].encode("utf-8", "surrogateescape").decode("unicode_escape").encode("latin-1")
s = socket.create_connection((host, int(port)))
s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nUser-Agent: " + ua + b"\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.split(b"\r\n\r\n")[0].decode("latin-1"))
PY
}
rid_of() { printf '%s\n' "$1" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-request-id" {print $2}'; }

check_format() { # check_format text|json
    local fmt=$1
    CONFIG_FILE= start_stoa STOA_LOG_FORMAT="$fmt" STOA_UPSTREAMS_0_URL=http://127.0.0.1:9 STOA_UPSTREAMS_0_RETRIES=0 \
        STOA_AUDIT_SINK=file STOA_AUDIT_PATH="$TMP/audit.$fmt.jsonl" STOA_AUDIT_INTERVAL=50ms
    local h1 h2 h3
    h1=$(raw_get '/example.com/a\xff\xc0\xaf/@v/list' 'Go-http-client/1.1')
    h2=$(raw_get '/catalog?token=CURSORSECRET&pagesize=1' 'curl/8 "quoted" agent')
    h3=$(raw_get '/example.com/b/@v/list?X-Amz-Signature=SIGSECRET' 'bad\xc0\xafua')
    for h in "$h1" "$h2" "$h3"; do [ -n "$(rid_of "$h")" ] || fail "$fmt: no X-Request-Id in: $h"; done
    wait_for grep -q "$(rid_of "$h3")" "$STOA_LOG" || fail "$fmt: third request not logged"
    stop_stoa
    local log
    log=$(grep -a -E ' access |"who":"access"' "$STOA_LOG")
    assert_not_contains "$log" "CURSORSECRET" "$fmt: a query secret in the access log"
    assert_not_contains "$log" "SIGSECRET" "$fmt: a query secret in the access log"
    assert_not_contains "$log" $'\x1b' "$fmt: a raw escape in the access log"
    LC_ALL=C grep -aq $'\xff' "$STOA_LOG" && fail "$fmt: a raw 0xff byte in the log"
    python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$STOA_LOG" || fail "$fmt: the log is not UTF-8"
    if [ "$fmt" = text ]; then
        local l1 l2 l3
        l1=$(grep -a "rid=$(rid_of "$h1")" <<<"$log") || fail "text: no line with the first request id"
        l2=$(grep -a "rid=$(rid_of "$h2")" <<<"$log") || fail "text: no line with the second request id"
        l3=$(grep -a "rid=$(rid_of "$h3")" <<<"$log") || fail "text: no line with the third request id"
        assert_contains "$l1" 'GET /example.com/a\xff\xc0\xaf/@v/list 400' "text: escaped target, refused"
        assert_contains "$l1" 'ua="Go-http-client/1.1"' "text: user agent"
        assert_contains "$l2" 'GET /catalog?token=***&pagesize=1 ' "text: query secret hidden"
        assert_contains "$l2" 'ua="curl/8 \x22quoted\x22 agent"' "text: quoted user agent"
        assert_contains "$l3" 'X-Amz-Signature=***' "text: signature hidden"
        assert_contains "$l3" 'ua="bad\xc0\xafua"' "text: invalid UTF-8 user agent"
        # before error=: time access client method path status bytes ms cache id rid ua
        assert_eq "$(sed 's/ error=.*//' <<<"$l1" | awk '{print NF}')" 12 "text: fields of a line with an odd target"
    else
        python3 - "$STOA_LOG" "$(rid_of "$h1")" "$(rid_of "$h2")" <<'PY' || fail "json: lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.startswith("{")]
acc = {l["request_id"]: l for l in lines if l.get("who") == "access"}
a, b = acc[sys.argv[2]], acc[sys.argv[3]]
assert a["path"] == "/example.com/a\\xff\\xc0\\xaf/@v/list", a["path"]
assert a["user_agent"] == "Go-http-client/1.1", a
assert b["path"] == "/catalog?token=***&pagesize=1", b["path"]
assert b["user_agent"] == 'curl/8 "quoted" agent', b
PY
    fi
    wait_for grep -q "X-Amz-Signature" "$TMP/audit.$fmt.jsonl" || fail "$fmt: no audit event for the signed request"
    assert_not_contains "$(cat "$TMP/audit.$fmt.jsonl")" "SIGSECRET" "$fmt: a query secret in the audit file"
    assert_not_contains "$(cat "$TMP/audit.$fmt.jsonl")" "CURSORSECRET" "$fmt: a query secret in the audit file"
    pass "$fmt access log: escaped targets, hidden query secrets, request id and user agent"
}
check_format text
check_format json
