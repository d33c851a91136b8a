#!/usr/bin/env bash
# /metrics parses with the reference Prometheus parser, every histogram is consistent,
# and counters move exactly as scripted traffic predicts.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/m@v1.0.0 example.com/m@v1.1.0 example.com/n@v1.0.0
start_upstream "$TMP/up"; U1=$UPSTREAM_URL
start_upstream "$TMP/up"; U2=$UPSTREAM_URL
cat >"$TMP/stoa.yaml" <<YAML
upstreams:
  - {name: u1, url: "$U1", fallthrough: on_any_error, retries: 0, max_fails: 100}
  - {name: u2, url: "$U2", retries: 0}
repositories: [{name: team}]
YAML
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
m() { curl -sf "$STOA_URL/metrics" | /usr/bin/python3 "$STOA_SRC/tests/integration/promq.py" "$@"; }
m >/dev/null || fail "metrics do not parse"

get() { curl -s -o /dev/null -w '%{http_code}' "$STOA_URL/$1"; }
for v in v1.0.0 v1.1.0; do assert_eq "$(get example.com/m/@v/$v.info)" 200; done # 2 misses via u1
settle
for i in 1 2 3; do assert_eq "$(get example.com/m/@v/v1.0.0.info)" 200; done     # 3 hits
assert_eq "$(get example.com/m/@v/v1.9.9.info)" 404                             # both upstreams 404
fault "$U1" /example.com/n/@v/v1.0.0.mod status:503
assert_eq "$(get example.com/n/@v/v1.0.0.mod)" 200                              # u1 503, u2 serves
fault "$U1" /example.com/n/@v/v1.0.0.zip corrupt
assert_eq "$(get example.com/n/@v/v1.0.0.zip)" 200                              # u1 rejected, u2 serves
settle
assert_eq "$(get example.com/n/@v/v1.0.0.zip)" 200                              # hit

read -r info200 info404 hit miss u1ok u1nf u1bad u1rej u2ok u2nf fills modok zip200 <<<"$(m \
    'stoa_requests_total{route="info",code="200"}' 'stoa_requests_total{route="info",code="404"}' \
    'stoa_cache_results_total{result="hit"}' 'stoa_cache_results_total{result="miss"}' \
    'stoa_upstream_attempts_total{upstream="u1",result="ok"}' 'stoa_upstream_attempts_total{upstream="u1",result="not_found"}' \
    'stoa_upstream_attempts_total{upstream="u1",result="bad_answer"}' 'stoa_upstream_rejected_total{upstream="u1"}' \
    'stoa_upstream_attempts_total{upstream="u2",result="ok"}' 'stoa_upstream_attempts_total{upstream="u2",result="not_found"}' \
    'stoa_fills_total{kind="started"}' 'stoa_requests_total{route="mod",code="200"}' \
    'stoa_requests_total{route="zip",code="200"}' | tr '\n' ' ')"
assert_eq "$info200 $info404" "5 1" "info requests by status"
assert_eq "$modok $zip200" "1 2" "mod and zip requests"
assert_eq "$hit" 4 "cache hits (3 info + 1 zip)"
assert_eq "$miss" 5 "cache misses (3 info, one of them a 404, + mod + zip)"
assert_eq "$u1ok $u1nf $u1bad $u1rej" "3 1 1 1" "u1 attempts: ok (2 info + corrupt zip), 404, 503, rejected"
assert_eq "$u2ok $u2nf" "2 1" "u2 attempts: ok (mod, zip), 404"
assert_eq "$fills" 5 "fills started"
assert_eq "$(m 'stoa_upstream_latency_seconds_count{upstream="u1"}')" 5 "u1 latency observations"
pass "requests, cache results, upstream attempts by cause, rejections, fills and latency counts match the script"

# A fill in flight shows in the gauge until it ends (what `settle` in lib.sh waits on).
assert_eq "$(m stoa_fills_in_flight)" 0 "fills in flight when idle"
fault "$U1" /example.com/m/@v/v1.1.0.mod delay:1500 1
get example.com/m/@v/v1.1.0.mod >"$TMP/slow.code" &
slow=$!
one_in_flight() { [ "$(m stoa_fills_in_flight)" = 1 ]; }
wait_for one_in_flight || fail "a fill waiting on a slow upstream is not in stoa_fills_in_flight"
wait "$slow"
assert_eq "$(cat "$TMP/slow.code")" 200 "the slow fill's answer"
settle
pass "stoa_fills_in_flight counts a running fill, and drops back to 0"

before=$(m 'stoa_response_bytes_total')
curl -sf -o "$TMP/z" "$STOA_URL/example.com/n/@v/v1.0.0.zip"
after=$(m 'stoa_response_bytes_total')
[ $((after - before)) -ge "$(stat -c %s "$TMP/z")" ] || fail "bytes served moved by $((after - before)), body is $(stat -c %s "$TMP/z")"
assert_eq "$(m 'stoa_build_info{version="0.1.0",abi="1",storage="disk"}')" 1 "build info"
[ "$(m process_open_fds)" -gt 0 ] && [ "$(m process_resident_memory_bytes)" -gt 0 ] || fail "process metrics"
pass "bytes served, build info and process metrics"

# By method and repository base: counted exactly as sent.
b() { m "stoa_requests_by_base_total{method=\"$1\",repo=\"$2\",class=\"$3\"}" 2>/dev/null || echo 0; }
g0=$(b GET / 2xx) t0=$(b GET team 2xx) h0=$(b HEAD team 2xx) p0=$(b PUT / 4xx) d0=$(b DELETE team 4xx)
for i in 1 2 3; do curl -sf -o /dev/null "$STOA_URL/api/go/team/example.com/m/@v/list" || fail "list via team"; done
curl -sf -o /dev/null -I "$STOA_URL/api/go/team/example.com/m/@v/v1.0.0.info" || fail "HEAD via team"
curl -s -o /dev/null -X PUT --data-binary x "$STOA_URL/example.com/m/@v/v9.0.0.zip"
curl -s -o /dev/null -X DELETE "$STOA_URL/api/go/team/example.com/m/@v/v9.0.0.zip"
curl -sf -o /dev/null "$STOA_URL/healthz"
assert_eq "$(($(b GET team 2xx) - t0))" 3 "GET via /api/go/team/"
assert_eq "$(($(b HEAD team 2xx) - h0))" 1 "HEAD via /api/go/team/"
assert_eq "$(($(b PUT / 4xx) - p0))" 1 "a refused PUT at the root base"
assert_eq "$(($(b DELETE team 4xx) - d0))" 1 "a refused DELETE via team"
[ "$(($(b GET / 2xx) - g0))" -ge 1 ] || fail "GET at the root base did not move"
m >/dev/null || fail "metrics do not parse with the new family"
pass "stoa_requests_by_base_total counts requests by method, repository base and status class"
stop_stoa
