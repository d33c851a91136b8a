#!/usr/bin/env bash
# The upstream chain under injected faults. Three fixture upstreams (u1, u2, u3)
# serve the same modules; faults are injected into u1 (and u2) per request path.
# For each fault: what the client gets, which upstream served (X-Upstream), that
# nothing bad was stored, and that the chain recovers.
. "$(dirname "$0")/lib.sh"

specs=()
for i in $(seq 1 20); do specs+=("example.com/f$i@v1.0.0"); done
genmod -out "$TMP/up" "${specs[@]}" example.com/many@v1.0.0 example.com/many@v1.1.0
genmod -out "$TMP/alt" example.com/f20@v1.0.0 example.com/f19@v1.0.0
# alt tree: same versions, different (valid) content
printf '\n// altered\n' >>"$TMP/alt/example.com/f20/@v/v1.0.0.mod"
start_upstream "$TMP/up" "$TMP/alt"; U1=$UPSTREAM_URL; U1_LOG=$UPSTREAM_LOG; U1_PID=$UPSTREAM_PID
start_upstream "$TMP/up"; U2=$UPSTREAM_URL; U2_LOG=$UPSTREAM_LOG
start_upstream "$TMP/up"; U3=$UPSTREAM_URL; U3_LOG=$UPSTREAM_LOG
cat >"$TMP/stoa.yaml" <<YAML
upstreams:
  - {name: u1, url: "$U1", fallthrough: on_any_error, retries: 0, max_fails: 100,
     timeout: {connect: 1s, first_byte: 1500ms, total: 3s, stall: 1s}}
  - {name: u2, url: "$U2", fallthrough: on_any_error, retries: 0, max_fails: 100,
     timeout: {connect: 1s, first_byte: 5s, total: 8s, stall: 1s}}
  - {name: u3, url: "$U3", retries: 0, max_fails: 100, timeout: {connect: 1s, first_byte: 5s, total: 8s}}
YAML
# u1's short timeouts are the ones under test; u2 and u3 get room for a loaded machine.
CONFIG_FILE="$TMP/stoa.yaml" start_stoa

# get PATH -> prints "status upstream sha256", body in $TMP/body
get() {
    local hdr
    hdr=$(curl -s -D - -o "$TMP/body" --max-time 20 "$STOA_URL/$1" | tr -d '\r')
    printf '%s %s %s' "$(printf '%s' "$hdr" | head -1 | cut -d' ' -f2)" \
        "$(printf '%s' "$hdr" | sed -n 's/^x-upstream: //p')" "$(sha256sum <"$TMP/body" | cut -c1-16)"
}
good() { sha256sum <"$TMP/up/$1" | cut -c1-16; }

# served_by CASE PATH EXPECTED_UPSTREAM: the right bytes from the expected upstream.
served_by() {
    local r
    r=$(get "$2")
    assert_eq "$r" "200 $3 $(good "$2")" "$1"
    settle
    assert_eq "$(get "$2")" "200  $(good "$2")" "$1: now a cache hit"
}

fault "$U1" /example.com/f1/@v/v1.0.0.zip status:500
served_by "500 at u1" example.com/f1/@v/v1.0.0.zip u2
fault "$U1" /example.com/f2/@v/v1.0.0.zip status:502
fault "$U2" /example.com/f2/@v/v1.0.0.zip status:503
served_by "502 at u1, 503 at u2" example.com/f2/@v/v1.0.0.zip u3
fault "$U1" /example.com/f3/@v/v1.0.0.zip status:404
served_by "404 at u1" example.com/f3/@v/v1.0.0.zip u2
fault "$U1" /example.com/f4/@v/v1.0.0.zip status:410
served_by "410 at u1" example.com/f4/@v/v1.0.0.zip u2
fault "$U1" /example.com/f5/@v/v1.0.0.zip hang
t0=$(date +%s%N)
served_by "u1 accepts and hangs" example.com/f5/@v/v1.0.0.zip u2
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 6000 ] || fail "hang fallback took ${ms} ms"
fault "$U1" /example.com/f6/@v/v1.0.0.zip slow
served_by "u1 drips slowly past its total timeout" example.com/f6/@v/v1.0.0.zip u2
fault "$U1" /example.com/f7/@v/v1.0.0.zip truncate
served_by "u1 truncates the body" example.com/f7/@v/v1.0.0.zip u2
fault "$U1" /example.com/f8/@v/v1.0.0.zip badlength
served_by "u1 lies about Content-Length" example.com/f8/@v/v1.0.0.zip u2
fault "$U1" /example.com/f9/@v/v1.0.0.zip corrupt
served_by "u1 serves a corrupted zip" example.com/f9/@v/v1.0.0.zip u2
fault "$U1" /example.com/f10/@v/v1.0.0.info corrupt
served_by "u1 serves a corrupted .info" example.com/f10/@v/v1.0.0.info u2
pass "500/502/503, 404/410, hang, slow drip, truncation, wrong Content-Length, corrupt zip and .info: next upstream serves"

# A fault everywhere: 404 naming each upstream's failure, fast, nothing stored.
for u in "$U1" "$U2" "$U3"; do fault "$u" /example.com/f11/@v/v1.0.0.zip status:503; done
resp=$(curl -s -w '\n%{http_code}' --max-time 20 "$STOA_URL/example.com/f11/@v/v1.0.0.zip")
assert_eq "$(printf '%s' "$resp" | tail -1)" 404 "all upstreams failing"
assert_contains "$resp" "u1: HTTP 503; u2: HTTP 503; u3: HTTP 503"
[ ! -e "$DATA/example.com/f11/@v/v1.0.0.zip" ] || fail "a failed fill stored something"
pass "every upstream failing: 404 with each failure named; nothing stored"

# Truncation at the last upstream: the client gets an error, never a short success.
for u in "$U1" "$U2" "$U3"; do fault "$u" /example.com/f12/@v/v1.0.0.zip truncate; done
assert_eq "$(http_status GET "$STOA_URL/example.com/f12/@v/v1.0.0.zip")" 404 "truncated everywhere"
[ ! -e "$DATA/example.com/f12/@v/v1.0.0.zip" ] || fail "a truncated zip was stored"
for u in "$U1" "$U2" "$U3"; do curl -sf -X POST "$u/_control/reset" >/dev/null; done
served_by "after the upstreams recover" example.com/f12/@v/v1.0.0.zip u1
pass "a truncated body is never stored; the chain recovers"

# Different content for a cached version: the first bytes served stay the bytes served.
fault "$U1" /example.com/f20/@v/v1.0.0.mod alt
first=$(get example.com/f20/@v/v1.0.0.mod)
curl -sf -X POST "$U1/_control/reset" >/dev/null
assert_eq "$(get example.com/f20/@v/v1.0.0.mod | cut -d' ' -f3)" "$(printf '%s' "$first" | cut -d' ' -f3)" "pinned bytes"
pass "once served, a version's bytes never change, whatever upstreams say later"

# Connection refused: u1 is gone. Its circuit opens; the chain keeps serving.
stop_pid "$U1_PID"
served_by "u1 refuses connections" example.com/f13/@v/v1.0.0.zip u2
assert_contains "$(curl -s "$STOA_URL/admin/upstreams")" '"name": "u1"'
pass "connection refused: u2 serves"

# Lists: union of upstream list and stored versions; stale when all upstreams are down.
assert_eq "$(curl -s "$STOA_URL/example.com/many/@v/list")" "$(printf 'v1.0.0\nv1.1.0')" "list"
curl -sf "$STOA_URL/example.com/many/@v/v1.1.0.info" >/dev/null
settle # @latest falls back to the highest stored .info
curl -sf "$STOA_URL/example.com/many/@latest" >/dev/null
for u in "$U2" "$U3"; do fault "$u" '/*' status:503; done
sleep 1.2 # the list's 1 s TTL must expire for a refresh to be attempted
hdr=$(curl -s -D - -o "$TMP/list" "$STOA_URL/example.com/many/@v/list" | tr -d '\r')
assert_contains "$hdr" "x-cache: STALE"
assert_eq "$(cat "$TMP/list")" "$(printf 'v1.0.0\nv1.1.0')" "stale list"
assert_contains "$(curl -s -D - "$STOA_URL/example.com/many/@latest" | tr -d '\r')" "x-cache: STALE"
assert_eq "$(get example.com/f1/@v/v1.0.0.zip | cut -d' ' -f1)" 200 "cached zip with every upstream down"
pass "every upstream down: list and @latest served STALE, cached files served"

# Cached builds with every upstream down.
mkdir -p "$TMP/app" && cd "$TMP/app"
printf 'module example.com/app\n\ngo 1.19\n\nrequire example.com/many v1.1.0\n' >go.mod
printf 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/many"\n)\n\nfunc main() { fmt.Println(many.V()) }\n' >main.go
for u in "$U2" "$U3"; do curl -sf -X POST "$u/_control/reset" >/dev/null; done
for f in mod zip; do curl -sf -o /dev/null "$STOA_URL/example.com/many/@v/v1.1.0.$f" || fail "warm .$f"; done
for u in "$U2" "$U3"; do fault "$u" '/*' status:503; done
clean_modcache
gocmd build -o app . || fail "go build with every upstream down"
assert_eq "$(./app)" "example.com/many v1.1.0"
pass "go build with a clean module cache and every upstream down"
for u in "$U2" "$U3"; do curl -sf -X POST "$u/_control/reset" >/dev/null; done

# Single flight: 200 concurrent clients on one cold zip -> one upstream fetch.
: >"$U2_LOG"
fault "$U2" /example.com/f14/@v/v1.0.0.zip delay:1000 1 # keep the fetch open while clients pile up
clients=()
for i in $(seq 1 200); do
    curl -s -o "$TMP/sf.$i" --max-time 60 "$STOA_URL/example.com/f14/@v/v1.0.0.zip" &
    clients+=($!)
done
wait "${clients[@]}" # not a bare wait: the upstreams and stoa are children too
want=$(good example.com/f14/@v/v1.0.0.zip)
for i in $(seq 1 200); do
    assert_eq "$(sha256sum <"$TMP/sf.$i" | cut -c1-16)" "$want" "client $i bytes"
done
fetches=$(cat "$U2_LOG" "$U3_LOG" | grep -c 'f14/@v/v1.0.0.zip' || true)
assert_eq "$fetches" 1 "upstream fetches for 200 concurrent clients"
pass "single flight: 200 concurrent clients, 1 upstream fetch, identical correct bytes"
stop_stoa
