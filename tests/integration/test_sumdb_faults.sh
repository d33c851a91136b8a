#!/usr/bin/env bash
# stoa's own checksum-database check against the real database (x/mod's sumdb.Server
# over its TestServer, tests/fixtures/sumdb) misbehaving: a tampered record, a bad
# signature, a wrong key and a forked log are each refused with a clear error and
# nothing is cached; a log that grows honestly is followed (consistency proofs), and
# the verified tree head survives a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"

DB=sum.stoa.test
mods=(grow1 grow2 lag forged badsig wrongkey fork1 fork2 after)
genmod -out "$TMP/up" $(for m in "${mods[@]}"; do echo "example.com/$m@v1.0.0"; done)
genmod -out "$TMP/alt" -require "example.com/forged@v1.0.0=example.com/grow1@v1.0.0" example.com/forged@v1.0.0
start_sumdb "$DB" "$TMP/up" -forge-root "$TMP/alt"
start_upstream "$TMP/up" "$TMP/alt"

run_stoa() { # run_stoa KEY
    printf '%s\n' "upstreams: [{name: fixture, url: \"$UPSTREAM_URL\"}]" \
        "sumdbs: [{name: $DB, url: \"$SUMDB_URL\", key: \"$1\"}]" >"$TMP/stoa.yaml"
    CONFIG_FILE="$TMP/stoa.yaml" start_stoa
}
get() { curl -s -w ' %{http_code}' "$STOA_URL/example.com/$1/@v/v1.0.0.$2"; }
# lookup MOD: the database's answer for example.com/MOD@v1.0.0 through stoa's proxy.
lookup() { curl -s -w ' %{http_code}' "$STOA_URL/sumdb/$DB/lookup/example.com/$1@v1.0.0"; }
head_size() { sed -n 2p "$DATA/sumdb/$DB/latest" 2>/dev/null; }
not_cached() {
    for k in mod zip; do
        [ ! -e "$DATA/example.com/$1/@v/v1.0.0.$k" ] || fail "$1 .$k cached after a refusal"
    done
}
run_stoa "$SUMDB_KEY"

# 1. An honest log that grows: each fill's tree extends the head stoa verified before.
assert_contains "$(get grow1 mod)" " 200"
n0=$(sumdb_size)
assert_eq "$(head_size)" "$n0" "stored tree head after the first check"
sumdb_control grow
before=$(wc -l <"$SUMDB_LOG")
assert_contains "$(get grow2 mod)" " 200"
assert_eq "$(head_size)" "$((n0 + 5))" "stored tree head after the log grew"
# The inclusion and the consistency proof share the partial tiles: each fetched once.
tiles=$(tail -n +"$((before + 1))" "$SUMDB_LOG" | grep '^GET /tile/.*\.p/' || true)
[ -n "$tiles" ] || fail "no partial tile read after the log grew"
assert_eq "$(printf '%s\n' "$tiles" | sort | uniq -d)" "" "partial tiles fetched twice in one check"
pass "an honestly growing log is followed: tree $n0 -> $((n0 + 5)), stored as the head"

# A database answering from an older tree (a lagging replica): that tree must be in the
# head (proof from the head's tiles); the head stays where it was.
sumdb_control lag
assert_eq "$(sumdb_size)" "$n0" "tree size while lagging"
assert_contains "$(get lag zip)" " 200"
assert_eq "$(head_size)" "$((n0 + 5))" "stored tree head after an older tree"
sumdb_control reset
pass "an older tree contained in the head is accepted; the head does not go back"

# 2. A tampered record: the database answers with other go.sum lines (matching what the
# upstream now serves) under the real record id and signed tree.
fault "$UPSTREAM_URL" "/example.com/forged/*" alt
sumdb_control forge
resp=$(get forged mod)
assert_contains "$resp" "checksum database $DB: record"
assert_contains "$resp" "inclusion proof failed"
assert_contains "$resp" " 404"
not_cached forged
resp=$(lookup forged) # what a client asking through stoa would have been told
assert_contains "$resp" "inclusion proof failed"
assert_contains "$resp" " 502"
sumdb_control reset
curl -sf -X POST "$UPSTREAM_URL/_control/reset" >/dev/null
pass "a tampered record is refused (inclusion proof), by the fill check and the proxied lookup; nothing is cached"

# 3. A bad signature: right key name and hash, signature bytes that do not verify.
sumdb_control badsig
resp=$(get badsig zip)
assert_contains "$resp" "checksum database $DB: invalid signature by key $DB+"
assert_contains "$resp" " 404"
assert_contains "$(curl -s -w ' %{http_code}' "$STOA_URL/sumdb/$DB/latest")" " 502"
resp=$(lookup badsig)
assert_contains "$resp" "invalid signature by key $DB+"
assert_contains "$resp" " 502"
not_cached badsig
sumdb_control reset
pass "a tree note with a bad signature is refused, by the fill check and the proxy's latest and lookups"

# 4. A forked log: validly signed, larger, but not containing the tree stoa holds.
held=$(head_size)
sumdb_control fork
forked=$(sumdb_size)
[ "$forked" -gt "$held" ] || fail "fork tree $forked not larger than $held"
resp=$(get fork1 mod)
assert_contains "$resp" "checksum database $DB forked: its tree of $held records (hash "
assert_contains "$resp" "and its tree of $forked records (hash "
assert_contains "$resp" " 404"
not_cached fork1
GOSUMDB_VALUE=off gocmd mod download example.com/fork1@v1.0.0 >"$TMP/fork.out" 2>&1 &&
    fail "the go command (GOSUMDB=off) got a module checked against a forked log"
assert_contains "$(cat "$TMP/fork.out")" "forked"
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/sumdb/$DB/latest")
assert_contains "$resp" "forked"
assert_contains "$resp" " 502"
resp=$(lookup fork2)
assert_contains "$resp" "forked"
assert_contains "$resp" " 502"
grep -q "error sumdb: checksum database $DB forked" "$STOA_LOG" || fail "fork not logged at error level"
forks=$(curl -sf "$STOA_URL/metrics" | sed -n 's/^stoa_sumdb_forks_total //p')
[ "${forks:-0}" -ge 1 ] || fail "fork not counted"
assert_eq "$(head_size)" "$held" "stored tree head after the fork"
pass "a forked log is refused (sizes and hashes named), logged, counted; the head stays"

# 5. The head survives a restart: a fresh process refuses the fork too.
stop_stoa
run_stoa "$SUMDB_KEY"
resp=$(get fork2 mod)
assert_contains "$resp" "checksum database $DB forked: its tree of $held records"
not_cached fork2
sumdb_control reset
assert_contains "$(get fork2 mod)" " 200"
pass "after a restart the stored head still exposes the fork; the honest log passes again"

# 6. A wrong key: stoa configured with another verifier key for the same name.
other=$("$FIXTURES/sumdb" -gen-key -name "$DB") || fail "sumdb -gen-key"
stop_stoa
run_stoa "$other"
resp=$(get wrongkey mod)
assert_contains "$resp" "checksum database $DB: note has no valid signature by $(echo "$other" | cut -d+ -f1-2)"
assert_contains "$resp" " 404"
not_cached wrongkey
stop_stoa
run_stoa "$SUMDB_KEY"
assert_contains "$(get after zip)" " 200"
pass "a note not signed by the configured key is refused; the right key works again"
