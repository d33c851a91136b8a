#!/usr/bin/env bash
# The checksum database's verified tree head is shared by replicas on one pgs3 store:
# a replica that never saw the database itself refuses a fork of the log another
# replica followed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_sumdb.sh"

use_pgs3
DB=sum.stoa.test
genmod -out "$TMP/up" example.com/one@v1.0.0 example.com/two@v1.0.0 example.com/three@v1.0.0
start_sumdb "$DB" "$TMP/up"
start_upstream "$TMP/up"
printf '%s\n' "upstreams: [{name: fixture, url: \"$UPSTREAM_URL\"}]" \
    "sumdbs: [{name: $DB, url: \"$SUMDB_URL\", key: \"$SUMDB_KEY\"}]" >"$TMP/stoa.yaml"
export CONFIG_FILE="$TMP/stoa.yaml"
start_stoa && A=$STOA_URL
start_stoa && B=$STOA_URL

# 1. A follows the log as it grows; its head is stored in pgs3.
assert_eq "$(http_status GET "$A/example.com/one/@v/v1.0.0.mod")" 200 "A: one"
sumdb_control grow
assert_eq "$(http_status GET "$A/example.com/two/@v/v1.0.0.mod")" 200 "A: two after the log grew"
held=$(sumdb_size)
pass "A verified trees up to $held"

# 2. B has checked nothing yet; the database now shows a forked log.
sumdb_control fork
resp=$(curl -s -w ' %{http_code}' "$B/example.com/three/@v/v1.0.0.mod")
assert_contains "$resp" "checksum database $DB forked: its tree of $held records"
assert_contains "$resp" " 404"
resp=$(curl -s -w ' %{http_code}' "$B/example.com/three/@v/v1.0.0.zip")
assert_contains "$resp" "forked"
pass "B refuses the fork of the log A followed (head shared through pgs3)"

# 3. The honest log again: both replicas serve.
sumdb_control reset
assert_eq "$(http_status GET "$B/example.com/three/@v/v1.0.0.mod")" 200 "B: three, honest log"
assert_eq "$(http_status GET "$A/example.com/three/@v/v1.0.0.zip")" 200 "A: three, honest log"
pass "with the honest log back, both replicas serve"
