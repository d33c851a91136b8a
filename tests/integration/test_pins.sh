#!/usr/bin/env bash
# Pins and the background re-check (docs/integrity.md): the hash stoa first served for
# a version's go.mod and zip is kept apart from the cache, so a refetch after a cache
# loss that brings other bytes is refused; a version cached unverified while the
# checksum database was down is re-checked once it answers, and quarantined when it
# turns out wrong. The real go command never receives the other bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"

DB=sum.stoa.test
genmod -out "$TMP/up" example.com/kept@v1.0.0 example.com/exempt@v1.0.0 example.com/late@v1.0.0 example.com/fine@v1.0.0
genmod -out "$TMP/alt" -require example.com/exempt@v1.0.0=example.com/kept@v1.0.0 \
    -require example.com/late@v1.0.0=example.com/kept@v1.0.0 example.com/exempt@v1.0.0 example.com/late@v1.0.0

start_sumdb "$DB" "$TMP/up"
start_upstream "$TMP/up" "$TMP/alt"

write_config() { # write_config SUMDB_URL [EXTRA YAML LINE...]
    {
        echo "upstreams: [{name: fixture, url: \"$UPSTREAM_URL\"}]"
        echo "sumdbs: [{name: $DB, url: \"$1\", key: \"$SUMDB_KEY\"}]"
        echo "nosumdb: \"example.com/exempt\""
        shift
        printf '%s\n' "$@"
    } >"$TMP/stoa.yaml"
}
pin_of() { cat "$DATA/.pins/$1" 2>/dev/null || true; } # pin_of example.com/m/@v/v1.0.0.zip
h1_of() { sed -n "s|^$1 $2 \(h1:[^ ]*\)$|\1|p" "$TMP/record"; }
go_gets_honest_zip() { # MODULE: a fresh go command (GOSUMDB=off) gets the upstream tree's v1.0.0 zip
    clean_modcache
    GOSUMDB_VALUE=off gocmd mod download -json "$1@v1.0.0" >"$TMP/dl.json" 2>"$TMP/dl.err" || fail "$1: $(cat "$TMP/dl.err")"
    cmp -s "$(sed -n 's/.*"Zip": "\(.*\)".*/\1/p' "$TMP/dl.json")" "$TMP/up/$1/@v/v1.0.0.zip" ||
        fail "the go command got other bytes than the honest ones for $1"
}
metric() { curl -sf "$STOA_URL/metrics" | sed -n "s/^$1 //p"; }

write_config "$SUMDB_URL"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa

# 1. A fill pins what it served: verified when the database vouched for it.
assert_eq "$(http_status GET "$STOA_URL/example.com/kept/@v/v1.0.0.zip")" 200 "kept zip"
assert_eq "$(http_status GET "$STOA_URL/example.com/kept/@v/v1.0.0.mod")" 200 "kept mod"
curl -sf "$STOA_URL/sumdb/$DB/lookup/example.com/kept@v1.0.0" >"$TMP/record" || fail "lookup through stoa"
read -r h state _ <<<"$(pin_of example.com/kept/@v/v1.0.0.zip)"
assert_eq "$h" "$(h1_of example.com/kept v1.0.0)" "pinned zip hash = the database's"
assert_eq "$state" 1 "zip pin state (verified)"
read -r h state _ <<<"$(pin_of example.com/kept/@v/v1.0.0.mod)"
assert_eq "$h" "$(h1_of example.com/kept v1.0.0/go.mod)" "pinned go.mod hash = the database's"
assert_eq "$(metric 'stoa_pins_total{result="created"}')" 2 "pins created"
pass "a fill pins the hashes it served, marked verified by the database"

# 2. After a cache loss, an upstream that now serves other bytes for a version the
# database does not cover (nosumdb) is refused by the pin; the go command, even with
# GOSUMDB=off, gets an error and never the other bytes.
assert_eq "$(http_status GET "$STOA_URL/example.com/exempt/@v/v1.0.0.zip")" 200 "exempt zip"
assert_eq "$(http_status GET "$STOA_URL/example.com/exempt/@v/v1.0.0.mod")" 200 "exempt mod"
read -r first state _ <<<"$(pin_of example.com/exempt/@v/v1.0.0.zip)"
assert_eq "$state" 2 "nosumdb pin state (unchecked)"
settle
rm -rf "$DATA/example.com/exempt" # the cache is lost; the pins are not
fault "$UPSTREAM_URL" "/example.com/exempt/*" alt
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/exempt/@v/v1.0.0.zip")
assert_contains "$resp" "content changed for example.com/exempt@v1.0.0: stoa first served $first"
assert_contains "$resp" "upstream fixture now sends h1:"
assert_contains "$resp" " 404"
[ -e "$DATA/example.com/exempt/@v/v1.0.0.zip" ] && fail "the other bytes were stored"
clean_modcache
GOSUMDB_VALUE=off gocmd mod download example.com/exempt@v1.0.0 >"$TMP/ex.out" 2>&1 && fail "the go command got other bytes"
assert_contains "$(cat "$TMP/ex.out")" "content changed"
[ "$(metric 'stoa_pins_total{result="refused"}')" -ge 1 ] || fail "refusals not counted"
[ "$(metric 'stoa_integrity_events_total{event="pin_refused"}')" -ge 1 ] || fail "integrity event not counted"
grep -q "integrity: pin_refused: content changed for example.com/exempt@v1.0.0" "$STOA_LOG" || fail "refusal not logged"
wait_for grep -q '"action":"integrity".*"target":"pin_refused"' "$DATA/audit.jsonl" || fail "refusal not audited"
curl -sf -X POST "$UPSTREAM_URL/_control/reset" >/dev/null
go_gets_honest_zip example.com/exempt
pass "a refetch with other bytes is refused by its pin (logged, audited, counted); the pinned bytes pass again"
stop_stoa

# 3. The database is down while an upstream serves tampered bytes: lenient caches them
# unverified. Once the database answers (a reload points stoa at it), the re-check
# quarantines them and keeps the honest version it can verify.
write_config "http://127.0.0.1:9" "sumdb_recheck: 1s"
DATA="$TMP/data2"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
fault "$UPSTREAM_URL" "/example.com/late/*" alt
for f in late/@v/v1.0.0.zip late/@v/v1.0.0.mod fine/@v/v1.0.0.zip; do
    assert_eq "$(http_status GET "$STOA_URL/example.com/$f")" 200 "$f while the database is down"
done
read -r bad state _ <<<"$(pin_of example.com/late/@v/v1.0.0.zip)"
assert_eq "$state" 0 "pin state while the database is down (unverified)"
grep -q "example.com/late@v1.0.0 cached unverified" "$STOA_LOG" || fail "unverified fill not logged"
write_config "$SUMDB_URL" "sumdb_recheck: 1s"
kill -HUP "$STOA_PID"
wait_for grep -q "quarantined" "$STOA_LOG" || fail "no quarantine after the database came back"
wait_for grep -q "re-checked" "$STOA_LOG" || fail "no re-check summary"
curl -sf "$SUMDB_URL/lookup/example.com/late@v1.0.0" >"$TMP/record" || fail "lookup of late"
read -r h state _ <<<"$(pin_of example.com/late/@v/v1.0.0.zip)"
assert_eq "$h" "$(h1_of example.com/late v1.0.0)" "quarantined pin takes the database's hash"
assert_eq "$state" 1 "quarantined pin state"
[ "$h" != "$bad" ] || fail "the database's hash equals the tampered one"
[ -e "$DATA/example.com/late/@v/v1.0.0.zip" ] && fail "quarantined version still cached"
cmp -s "$DATA/quarantine/example.com/late/@v/v1.0.0.zip" "$TMP/alt/example.com/late/@v/v1.0.0.zip" ||
    fail "no copy of the tampered bytes in the quarantine directory"
read -r _ state _ <<<"$(pin_of example.com/fine/@v/v1.0.0.zip)"
assert_eq "$state" 1 "honest unverified version verified by the re-check"
[ -e "$DATA/example.com/fine/@v/v1.0.0.zip" ] || fail "honest version removed"
[ "$(metric 'stoa_integrity_events_total{event="quarantined"}')" -ge 1 ] || fail "quarantine not counted"
wait_for grep -q '"target":"quarantined"' "$DATA/audit.jsonl" || fail "quarantine not audited"
# While the upstream still tampers, the refetch is refused; once it is honest, the go
# command gets the database's bytes.
assert_eq "$(http_status GET "$STOA_URL/example.com/late/@v/v1.0.0.zip")" 404 "tampered refetch after quarantine"
curl -sf -X POST "$UPSTREAM_URL/_control/reset" >/dev/null
go_gets_honest_zip example.com/late
pass "versions cached while the database was down are re-checked: wrong ones quarantined, right ones verified"

# 4. A failing pin store is seen by the documented alert (issue 15): a pin write that
# fails counts as stoa_storage_errors_total{op="pin_put"}, not as nothing.
stop_stoa 2>/dev/null || true
rm -rf "$DATA/.pins" "$DATA/example.com/fine"
: >"$DATA/.pins" # a file where the pin directory belongs: every pin write fails
write_config "$SUMDB_URL"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
assert_eq "$(http_status GET "$STOA_URL/example.com/fine/@v/v1.0.0.zip")" 200 "fill with a broken pin store"
settle
errs=$(metric 'stoa_storage_errors_total{op="pin_put",kind="error"}')
[ "${errs:-0}" -ge 1 ] || fail "failed pin writes not counted: $(curl -sf "$STOA_URL/metrics" | grep storage_errors)"
pass "failed pin writes reach stoa_storage_errors_total{op=\"pin_put\"} ($errs)"
stop_stoa
