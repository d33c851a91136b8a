#!/usr/bin/env bash
# The chain's rules, each against fixture upstreams that log every request:
# on_not_found stops at a 5xx like GOPROXY's ','; a backup upstream is used only once
# every primary's circuit is open; fail_status 502 for sites that must not fall back;
# mode: offline never contacts an upstream.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/r1@v1.0.0 example.com/r2@v1.0.0 example.com/r3@v1.0.0 example.com/r4@v1.0.0
start_upstream "$TMP/up"; U1=$UPSTREAM_URL; U1_LOG=$UPSTREAM_LOG
start_upstream "$TMP/up"; U2=$UPSTREAM_URL; U2_LOG=$UPSTREAM_LOG
asked() { grep -c "$2" "$1" || true; }
code_of() { curl -s -o "$TMP/body" -w '%{http_code}' "$STOA_URL/$1"; }

# 1. on_not_found: a 503 at u1 ends the walk; u2 is never asked.
cat >"$TMP/a.yaml" <<YAML
upstreams:
  - {name: u1, url: "$U1", fallthrough: on_not_found, retries: 0}
  - {name: u2, url: "$U2", retries: 0}
YAML
CONFIG_FILE="$TMP/a.yaml" start_stoa
fault "$U1" /example.com/r1/@v/v1.0.0.mod status:503
assert_eq "$(code_of example.com/r1/@v/v1.0.0.mod)" 404 "on_not_found after a 503"
assert_contains "$(cat "$TMP/body")" "u1: HTTP 503"
assert_eq "$(asked "$U2_LOG" r1/@v/v1.0.0.mod)" 0 "u2 asked after u1's 503 under on_not_found"
fault "$U1" /example.com/r1/@v/v1.0.0.info status:404
assert_eq "$(code_of example.com/r1/@v/v1.0.0.info)" 200 "on_not_found after a 404"
assert_eq "$(asked "$U2_LOG" r1/@v/v1.0.0.info)" 1 "u2 asked after u1's 404"
stop_stoa
pass "on_not_found: a 5xx stops the walk (u2 never asked), a 404 moves on"

# 2. backup: unused while the primary is healthy; serves once its circuit opens.
cat >"$TMP/b.yaml" <<YAML
upstreams:
  - {name: u1, url: "$U1", fallthrough: on_any_error, retries: 0, max_fails: 1, fail_timeout: 10m, probe_interval: 10m}
  - {name: u2, url: "$U2", backup: true, retries: 0}
YAML
DATA="$TMP/data-b" CONFIG_FILE="$TMP/b.yaml" start_stoa
: >"$U2_LOG"
assert_eq "$(code_of example.com/r2/@v/v1.0.0.mod)" 200 "primary healthy"
assert_eq "$(asked "$U2_LOG" example.com)" 0 "backup asked while the primary was healthy"
fault "$U1" '/*' status:503
hdr=$(curl -s -D - -o /dev/null "$STOA_URL/example.com/r3/@v/v1.0.0.mod" | tr -d '\r')
assert_contains "$hdr" "x-upstream: u2"
assert_contains "$(curl -s "$STOA_URL/admin/upstreams" | tr -d ' \n')" '"name":"u1","url":"'"$U1"'","fallthrough":"on_any_error","backup":false,"state":"open"'
hdr=$(curl -s -D - -o /dev/null "$STOA_URL/example.com/r3/@v/v1.0.0.info" | tr -d '\r')
assert_contains "$hdr" "x-upstream: u2"
curl -sf -X POST "$U1/_control/reset" >/dev/null
stop_stoa
pass "backup: never asked while the primary is healthy; serves once the primary's circuit is open"

# 3. fail_status 502: a version no upstream can serve is 502, not 404.
fault "$U1" '/*' status:503
fault "$U2" '/*' status:503
DATA="$TMP/data-c" CONFIG_FILE="$TMP/a.yaml" start_stoa STOA_FAIL_STATUS=502 STOA_UPSTREAMS_0_FALLTHROUGH=on_any_error
assert_eq "$(code_of example.com/r4/@v/v1.0.0.zip)" 502 "fail_status 502"
assert_contains "$(cat "$TMP/body")" "u1: HTTP 503; u2: HTTP 503"
stop_stoa
curl -sf -X POST "$U1/_control/reset" >/dev/null
curl -sf -X POST "$U2/_control/reset" >/dev/null
pass "fail_status: 502: no fall-back for clients, every upstream's failure named"

# 4. mode: offline: cached files served, nothing else, and no upstream is contacted.
DATA="$TMP/data-d" CONFIG_FILE="$TMP/a.yaml" start_stoa
assert_eq "$(code_of example.com/r4/@v/v1.0.0.mod)" 200 "warm"
stop_stoa
: >"$U1_LOG"
: >"$U2_LOG"
DATA="$TMP/data-d" CONFIG_FILE="$TMP/a.yaml" start_stoa STOA_MODE=offline
assert_eq "$(code_of example.com/r4/@v/v1.0.0.mod)" 200 "cached, offline"
assert_eq "$(code_of example.com/r4/@v/v1.0.0.zip)" 404 "uncached, offline"
assert_contains "$(cat "$TMP/body")" "offline"
code_of example.com/r4/@v/list >/dev/null
code_of example.com/r4/@latest >/dev/null
assert_eq "$(cat "$U1_LOG" "$U2_LOG" | wc -l)" 0 "upstream requests in offline mode"
stop_stoa
pass "mode: offline serves the cache and never contacts an upstream"
