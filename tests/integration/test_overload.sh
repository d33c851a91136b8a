#!/usr/bin/env bash
# Issue 21 findings 6 and 7: work is bounded and lanes are apart.
#   - a publish is not held up by fills that occupy every fill worker (own lane);
#   - a full fill queue answers 503 with Retry-After, at once (limits.queue);
#   - one client address cannot start more than limits.fills_per_client fills; joins of
#     a running fill are free;
#   - fills every client has left are dropped before asking an upstream: neither
#     HTTP/1.1 connect-send-close nor HTTP/2 rapid reset queues upstream fetches;
#   - an HTTP/2 connection that cancels more than limits.h2_cancels pending requests
#     is closed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_hostile.sh"

info='{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}'
{
    echo '{'
    for i in $(seq 0 399); do
        printf '"/example.com/slow%d/@v/v1.0.0.info": {"body": "%s", "hold": 3},\n' "$i" "${info//\"/\\\"}"
    done
    printf '"/example.com/quick/@v/v1.0.0.info": {"body": "%s"}\n}\n' "${info//\"/\\\"}"
} >"$TMP/plan.json"
start_hostile "$TMP/plan.json"
hostile_config "$HOSTILE_URL" 'namespaces: [{pattern: corp.example.com, mode: private}, {pattern: "*", mode: proxy}]'

m() { curl -sk "$STOA_URL/metrics" | sed -n "s/^$1 \([0-9]*\)\$/\1/p"; }
queued() { [ "$(m 'stoa_worker_queue_depth{lane="fill"}')" = "$1" ]; }
in_flight() { [ "$(m stoa_fills_in_flight)" = "$1" ]; }
slow() { curl -sk -o /dev/null -w '%{http_code}' --max-time 30 "$STOA_URL/example.com/slow$1/@v/v1.0.0.info"; }
# bg CMD...: runs CMD in the background, its pid appended to BG (waited for by wait_bg)
slow_to() { slow "$1" >"$2"; }
BG=()
bg() { "$@" & BG+=($!); }
wait_bg() { for p in "${BG[@]}"; do wait "$p" || true; done; BG=(); }
port() { echo "${STOA_URL##*:}"; }
asked() { grep -c "^/example.com/slow" "$HOSTILE_LOG" || true; }

# --- one fill worker, a queue of 2 --------------------------------------------------
start_stoa STOA_WORKERS=1 STOA_LIMITS_QUEUE=2
bg slow_to 0 "$TMP/s0"
wait_for in_flight 1 || fail "the first fill did not start"
wait_for queued 0 || fail "the first fill was not taken by the worker"
genmod -out "$TMP/priv" corp.example.com/lib@v1.0.0
t0=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' -T "$TMP/priv/corp.example.com/lib/@v/v1.0.0.zip" \
    "$STOA_URL/corp.example.com/lib/@v/v1.0.0.zip")
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$code" 201 "a publish while the only fill worker is held"
[ "$ms" -lt 2000 ] || fail "the publish waited $ms ms for the held fill worker"
pass "a publish is not held up by a fill holding every fill worker ($ms ms)"

bg slow_to 1 "$TMP/s1"
bg slow_to 2 "$TMP/s2"
wait_for queued 2 || fail "two fills did not queue behind the running one"
hdrs=$(curl -s -D - -o "$TMP/busy" --max-time 2 "$STOA_URL/example.com/slow3/@v/v1.0.0.info")
assert_contains "$hdrs" "HTTP/1.1 503" "a fill beyond limits.queue"
assert_contains "$hdrs" "retry-after: 1" "503 busy carries Retry-After"
assert_contains "$(cat "$TMP/busy")" "limits.queue" "the busy body names the limit"
assert_eq "$(m 'stoa_busy_total{reason="fill_queue"}')" 1 "stoa_busy_total counts the refusal"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$STOA_URL/corp.example.com/lib/@v/v1.0.0.info")" 200 \
    "a hit while the fill queue is full"
wait_bg
assert_eq "$(cat "$TMP/s0" "$TMP/s1" "$TMP/s2" | tr '\n' ' ')" "200200200" "the queued fills were served"
pass "a full fill queue answers 503 with Retry-After at once; queued fills and hits are served"
stop_stoa

# --- fills per client ------------------------------------------------------------------
start_stoa STOA_WORKERS=4 STOA_LIMITS_FILLS_PER_CLIENT=2
bg slow_to 10 "$TMP/s10"
bg slow_to 11 "$TMP/s11"
wait_for in_flight 2 || fail "two fills did not start"
body=$(curl -s -w ' %{http_code}' --max-time 2 "$STOA_URL/example.com/slow12/@v/v1.0.0.info")
assert_contains "$body" "fills_per_client" "a third fill from one client"
assert_contains "$body" " 503" "a third fill from one client"
assert_eq "$(slow 10)" 200 "joining a running fill is not a new fill"
wait_bg
assert_eq "$(cat "$TMP/s10" "$TMP/s11" | tr '\n' ' ')" "200200" "the client's fills"
assert_eq "$(slow 12)" 200 "a fill once the client's others ended"
assert_eq "$(m 'stoa_busy_total{reason="client_fills"}')" 1 "stoa_busy_total{reason=client_fills}"
pass "one client starts at most limits.fills_per_client fills; joins are free"
stop_stoa

# --- abandoned fills ---------------------------------------------------------------------
# hold_worker N: a fill of slowN takes the one fill worker, so fills after it queue.
hold_worker() {
    bg slow_to "$1" "$TMP/s$1"
    wait_for in_flight 1 || fail "the holding fill did not start"
    wait_for queued 0 || fail "the holding fill was not taken by the worker"
}
# gone_clients HOLD MODE FIRST N: while slowHOLD holds the worker, N clients (flood.py
# MODE) each ask for one of slowFIRST.. and hang up; none may be fetched, and each is
# counted abandoned (the counter starts at 0: a fresh server).
gone_clients() {
    local before paths=() i
    hold_worker "$1"
    before=$(asked)
    for i in $(seq "$3" $(($3 + $4 - 1))); do paths+=("/example.com/slow$i/@v/v1.0.0.info"); done
    python3 "$STOA_SRC/tests/integration/flood.py" "$2" "$(port)" "${paths[@]}" >/dev/null
    wait_bg
    settle
    assert_eq "$(asked)" "$before" "upstream fetches for requests whose clients had gone ($2)"
    assert_eq "$(m stoa_fills_abandoned_total)" "$4" "stoa_fills_abandoned_total after $4 $2 connect-send-close requests"
}
start_stoa STOA_WORKERS=1 STOA_LIMITS_H2_CANCELS=50
gone_clients 20 http1 100 40
pass "HTTP/1.1 connect-send-close queues no upstream fetch (40 fills dropped)"
stop_stoa

# The same over TLS: a TLS client's close sends close_notify before its FIN, so the
# connection holds unread bytes when it is gone.
make_tls_cert
start_stoa STOA_WORKERS=1 STOA_TLS_CERT="$TLS_CERT" STOA_TLS_KEY="$TLS_KEY"
gone_clients 22 tls1 140 20
pass "HTTPS connect-send-close (close_notify, then FIN) queues no upstream fetch (20 fills dropped)"
stop_stoa
start_stoa STOA_WORKERS=1 STOA_LIMITS_H2_CANCELS=50 STOA_HTTP2=true
hold_worker 21
before=$(asked)
out=$(python3 "$STOA_SRC/tests/integration/flood.py" h2reset "$(port)" 300 "/example.com/slow%d/@v/v1.0.0.info")
assert_contains "$out" "closed" "an HTTP/2 connection resetting 300 pending requests (limit 50)"
wait_bg
settle
assert_eq "$(m stoa_h2_cancel_closes_total)" 1 "stoa_h2_cancel_closes_total"
got=$(asked)
[ "$got" -le "$((before + 1))" ] || fail "rapid reset made $((got - before)) upstream fetches"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$STOA_URL/example.com/quick/@v/v1.0.0.info")" 200 \
    "the server serves others after a rapid-reset connection"
pass "HTTP/2 rapid reset: the connection is closed ($out) and no upstream fetch was queued"
stop_stoa

# --- bodies where none belong (finding 5) ------------------------------------------------
start_stoa
for u in /healthz /example.com/quick/@v/v1.0.0.info /example.com/quick/@v/list; do
    assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X GET --data-binary @"$TMP/plan.json" "$STOA_URL$u")" 413 \
        "GET $u with a body"
done
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE --data x "$STOA_URL/example.com/quick/@v/v1.0.0.info")" 413 \
    "DELETE with a body"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Length: 0' -X GET "$STOA_URL/healthz")" 200 \
    "GET with an empty body"
pass "a body on a route that takes none is refused with 413"
stop_stoa
