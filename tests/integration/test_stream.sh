#!/usr/bin/env bash
# Stream-through: an uncached zip reaches the client while the upstream is still
# sending it; a transfer that breaks or turns out corrupt mid-stream is an error at the
# client, never a short or bad success, and storage holds nothing from it.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" -pad $((4 * 1024 * 1024)) example.com/big@v1.0.0 example.com/big@v1.1.0 \
    example.com/big@v1.2.0 example.com/big@v1.3.0
start_upstream "$TMP/up"
U=$UPSTREAM_URL
start_stoa STOA_UPSTREAMS_0_NAME=u STOA_UPSTREAMS_0_URL="$U" STOA_UPSTREAMS_0_RETRIES=0
zip() { printf '%s/example.com/big/@v/%s.zip' "$1" "$2"; }
sum() { sha256sum | cut -c1-64; }

# 4 MiB at 64 KiB per 50 ms takes ~3.2 s upstream: the first byte must come long before.
fault "$U" /example.com/big/@v/v1.0.0.zip throttle
out=$(curl -s -o "$TMP/z" -w '%{http_code} %{time_starttransfer} %{time_total}' "$(zip "$STOA_URL" v1.0.0)")
read -r code ttfb total <<<"$out"
assert_eq "$code" 200 "streamed zip status"
assert_eq "$(sum <"$TMP/z")" "$(sum <"$TMP/up/example.com/big/@v/v1.0.0.zip")" "streamed bytes"
python3 -c "import sys; t, T = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if T > 2.0 and t < T / 3 else 1)" "$ttfb" "$total" ||
    fail "first byte after ${ttfb}s of ${total}s: not streamed"
settle
hdr=$(curl -s -D - -o "$TMP/z2" "$(zip "$STOA_URL" v1.0.0)" | tr -d '\r')
assert_contains "$hdr" "x-cache: HIT"
assert_eq "$(sum <"$TMP/z2")" "$(sum <"$TMP/z")" "stored bytes"
pass "uncached 4 MiB zip: first byte after ${ttfb}s of a ${total}s transfer, then a HIT with the same bytes"

# Several clients on one streaming fill: one upstream fetch, identical bytes.
: >"$UPSTREAM_LOG"
fault "$U" /example.com/big/@v/v1.1.0.zip throttle
pids=()
for i in 1 2 3 4 5; do curl -s -o "$TMP/m.$i" "$(zip "$STOA_URL" v1.1.0)" & pids+=($!); done
wait "${pids[@]}"
for i in 1 2 3 4 5; do
    assert_eq "$(sum <"$TMP/m.$i")" "$(sum <"$TMP/up/example.com/big/@v/v1.1.0.zip")" "client $i"
done
assert_eq "$(grep -c 'big/@v/v1.1.0.zip' "$UPSTREAM_LOG")" 1 "upstream fetches"
pass "five clients share one streaming fill"

# The upstream dies half-way: the client sees a failed transfer, nothing is stored.
fault "$U" /example.com/big/@v/v1.2.0.zip throttle-truncate 1
rc=0
code=$(curl -s -o "$TMP/t" -w '%{http_code}' "$(zip "$STOA_URL" v1.2.0)") || rc=$?
[ "$rc" -ne 0 ] || [ "$code" != 200 ] || fail "a truncated upstream transfer looked like a success to the client"
[ ! -e "$DATA/example.com/big/@v/v1.2.0.zip" ] || fail "a truncated zip was stored"
assert_eq "$(curl -s "$(zip "$STOA_URL" v1.2.0)" | sum)" "$(sum <"$TMP/up/example.com/big/@v/v1.2.0.zip")" "after recovery"
pass "upstream cut mid-stream: client error (curl exit $rc, status $code), nothing stored, next fetch correct"

# Corrupt bytes, slowly: the last byte is held back until validation, which fails.
fault "$U" /example.com/big/@v/v1.3.0.zip throttle-corrupt 1
rc=0
code=$(curl -s -o "$TMP/c" -w '%{http_code}' "$(zip "$STOA_URL" v1.3.0)") || rc=$?
[ "$rc" -ne 0 ] || [ "$code" != 200 ] || fail "a corrupt zip reached the client as a success"
[ "$(stat -c %s "$TMP/c")" -lt "$(stat -c %s "$TMP/up/example.com/big/@v/v1.3.0.zip")" ] ||
    fail "the client received every byte of a corrupt zip"
[ ! -e "$DATA/example.com/big/@v/v1.3.0.zip" ] || fail "a corrupt zip was stored"
pass "corrupt zip mid-stream: client error (curl exit $rc), never all bytes, nothing stored"
stop_stoa
