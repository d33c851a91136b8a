#!/usr/bin/env bash
# Issue 21 findings 8 and 12: upstream bodies are bounded per kind while they stream,
# decoded bytes counted (an endless .info, a gzip bomb .mod and a .zip whose
# Content-Length is over x/mod's 500 MiB stop at their limit, with one request: no
# retry); and a correctly gzip-encoded answer is accepted, not refused for having a
# Content-Length of its encoded bytes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_hostile.sh"

info='{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}'
cat >"$TMP/plan.json" <<JSON
{"/example.com/endless/@v/v1.0.0.info": {"endless": true},
 "/example.com/endless/@v/list": {"endless": true},
 "/example.com/bomb/@v/v1.0.0.mod": {"gzip_zeros": 67108864},
 "/example.com/bombinfo/@v/v1.0.0.info": {"gzip_zeros": 1048576},
 "/example.com/gz/@v/v1.0.0.info": {"body": $(printf '%s' "$info" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'), "gzip": true},
 "/example.com/gz/@v/v1.0.0.mod": {"body": "module example.com/gz\n\ngo 1.19\n", "gzip": true},
 "/example.com/gz/@v/list": {"body": "v1.0.0\n", "gzip": true}}
JSON
start_hostile "$TMP/plan.json"
UPSTREAM_EXTRA=", retries: 2" hostile_config "$HOSTILE_URL"
start_stoa

# 12: gzip-encoded answers are accepted and served decoded.
assert_eq "$(curl -s --max-time 20 "$STOA_URL/example.com/gz/@v/v1.0.0.info")" "$info" "gzip-encoded .info"
assert_eq "$(curl -s --max-time 20 "$STOA_URL/example.com/gz/@v/v1.0.0.mod")" "$(printf 'module example.com/gz\n\ngo 1.19')" "gzip-encoded .mod"
assert_eq "$(curl -s --max-time 20 "$STOA_URL/example.com/gz/@v/list")" "v1.0.0" "gzip-encoded list"
if grep -q "Content-Length said" "$STOA_LOG"; then fail "a gzip answer was refused: $(grep 'Content-Length said' "$STOA_LOG")"; fi
pass "gzip-encoded .info, .mod and list from the upstream are accepted"

# 8: bounded per kind, decoded bytes counted, no retry of an oversized answer.
check_bounded() { # check_bounded PATH LIMIT
    local t0 code
    t0=$(date +%s)
    code=$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 30 "$STOA_URL$1") || true
    case $code in 404 | 502) ;; *) fail "$1 over its limit: got $code" ;; esac
    assert_contains "$(cat "$TMP/body")" "body over $2 bytes" "$1: the limit is named"
    [ $(($(date +%s) - t0)) -lt 10 ] || fail "$1 took $(($(date +%s) - t0)) s to be refused"
    assert_eq "$(grep -c "^$1\$" "$HOSTILE_LOG")" 1 "requests for $1 (an oversized answer is not retried)"
}
check_bounded /example.com/endless/@v/v1.0.0.info 65536
check_bounded /example.com/endless/@v/list 4194304
check_bounded /example.com/bomb/@v/v1.0.0.mod 16777216
check_bounded /example.com/bombinfo/@v/v1.0.0.info 65536
settle
used=$(du -sk "$TMP/data" | cut -f1)
[ "$used" -lt 20000 ] || fail "storage holds $used KiB after the oversized answers"
pass "endless and gzip-bomb answers stop at their kind's limit (info 64 KiB, list 4 MiB, mod 16 MiB), once, and leave $used KiB on disk"
stop_stoa
