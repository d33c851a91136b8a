# The checksum database fixture (tests/fixtures/sumdb: x/mod's sumdb.Server over its
# TestServer); sourced after lib.sh.

# start_sumdb NAME ROOT [FIXTURE ARGS...] -> SUMDB_URL, SUMDB_KEY, SUMDB_LOG, SUMDB_PID
start_sumdb() {
    local name=$1 root=$2
    shift 2
    SUMDB_LOG="$TMP/sumdb.log"
    "$FIXTURES/sumdb" -root "$root" -name "$name" -key-file "$TMP/sumdb.key" -port-file "$TMP/sumdb.port" \
        -log "$SUMDB_LOG" "$@" 2>>"$TMP/sumdb.err" &
    SUMDB_PID=$!
    PIDS+=("$SUMDB_PID")
    wait_for test -s "$TMP/sumdb.port" || fail "fixture sumdb did not start: $(cat "$TMP/sumdb.err")"
    SUMDB_URL="http://127.0.0.1:$(cat "$TMP/sumdb.port")"
    SUMDB_KEY=$(cat "$TMP/sumdb.key")
    touch "$SUMDB_LOG"
}

# sumdb_control MODE: POST /_control/MODE (forge, badsig, lag, fork, grow, reset).
sumdb_control() { curl -sf -X POST "$SUMDB_URL/_control/$1" >/dev/null || fail "sumdb control $1"; }

# sumdb_size: the size of the tree the database serves now.
sumdb_size() { curl -sf "$SUMDB_URL/latest" | sed -n 2p; }
