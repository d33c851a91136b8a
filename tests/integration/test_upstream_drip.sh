#!/usr/bin/env bash
# Issue 21 finding 7: a slow-drip upstream (a byte every half second, so never silent
# for timeout.stall) is aborted once it stays under 1 KiB/s for timeout.stall, instead
# of holding a worker for its whole answer (here 100 s).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_hostile.sh"

body=$(printf '{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z","Pad":"%0150d"}' 0)
cat >"$TMP/plan.json" <<JSON
{"/example.com/drip/@v/v1.0.0.info": {"body": "$(printf '%s' "$body" | sed 's/"/\\"/g')", "drip": 0.5}}
JSON
start_hostile "$TMP/plan.json"
# timed_get MAX PATH: GET PATH from stoa, giving up after MAX s; sets code and took (s).
timed_get() {
    local t0
    t0=$(date +%s)
    code=$(curl -s -o "$TMP/out" -w '%{http_code}' --max-time "$1" "$STOA_URL/$2") || true
    took=$(($(date +%s) - t0))
}
UPSTREAM_EXTRA=", timeout: {stall: 2s}" hostile_config "$HOSTILE_URL"
start_stoa
timed_get 20 example.com/drip/@v/v1.0.0.info
[ "$code" != 200 ] || fail "the drip was served whole"
[ "$code" != 000 ] || fail "no answer within 20 s: the drip held the request"
[ "$took" -le 8 ] || fail "the drip was aborted only after $took s (stall is 2 s)"
pass "a slow-drip upstream answer is aborted after $took s (timeout.stall 2s, under 1 KiB/s), answered $code"
stop_stoa

# Never stalled (stall 30 s, longer than the bound below) but long: 60 KB at a few
# KiB/s. Only a zip may take timeout.total; anything else is cut at timeout.metadata
# (2 s here).
big=$(head -c 60000 /dev/zero | tr '\0' a)
cat >"$TMP/plan.json" <<JSON
{"/example.com/long/@v/v1.0.0.mod": {"body": "module example.com/long\n// $big", "drip": 0.0002}}
JSON
UPSTREAM_EXTRA=", timeout: {stall: 30s, metadata: 2s}" hostile_config "$HOSTILE_URL"
start_stoa
timed_get 30 example.com/long/@v/v1.0.0.mod
[ "$code" != 200 ] || fail "the long .mod was served whole"
[ "$took" -le 8 ] || fail "the long .mod was cut only after $took s (timeout.metadata 2s)"
assert_contains "$(cat "$TMP/out")" "hostile" "the answer names the upstream"
pass "a long non-zip answer is cut at timeout.metadata after $took s, answered $code"
stop_stoa

# A zip may take timeout.total, but not at any speed: timeout.min_rate raises the floor
# each stall window must average (issue 21 finding 7: a zip at a few KiB/s held a fill
# worker for timeout.total). 60 KB at a few KiB/s, stall 2 s, min_rate 16 KiB/s.
cat >"$TMP/plan.json" <<JSON
{"/example.com/slowzip/@v/v1.0.0.zip": {"body": "$big", "drip": 0.0002}}
JSON
UPSTREAM_EXTRA=", timeout: {stall: 2s, min_rate: 16KiB}" hostile_config "$HOSTILE_URL"
start_stoa
timed_get 30 example.com/slowzip/@v/v1.0.0.zip
[ "$code" != 200 ] || fail "the slow zip was served whole"
[ "$took" -le 8 ] || fail "the slow zip was cut only after $took s (min_rate 16KiB over 2 s windows)"
assert_contains "$(grep 'stalled' "$STOA_LOG")" "under 16384 bytes/s for 2000 ms"
pass "a zip slower than timeout.min_rate is cut after $took s, answered $code"
stop_stoa
