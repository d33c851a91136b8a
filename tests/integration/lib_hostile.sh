# Hostile upstreams for the bounds tests (hostile_upstream.py); source after lib.sh.

# start_hostile PLAN -> HOSTILE_URL, HOSTILE_LOG: an upstream answering from the JSON
# plan file PLAN (re-read on every request).
start_hostile() {
    local n=${#PIDS[@]}
    local pf="$TMP/hostile.$n.port"
    HOSTILE_LOG="$TMP/hostile.$n.log"
    [ -f "$1" ] || echo '{}' >"$1"
    : >"$HOSTILE_LOG"
    python3 "$STOA_SRC/tests/integration/hostile_upstream.py" "$1" "$pf" "$HOSTILE_LOG" 2>>"$TMP/hostile.$n.err" &
    PIDS+=($!)
    wait_for test -s "$pf" || fail "hostile upstream did not start"
    HOSTILE_URL="http://127.0.0.1:$(cat "$pf")"
}

# hostile_config URL [YAML...]: $TMP/stoa.yaml with URL as the only upstream (no
# retries, so each answer is asked once), everything proxied, then the given YAML.
hostile_config() {
    local url=$1
    shift
    {
        echo "upstreams: [{name: hostile, url: \"$url\", retries: 0${UPSTREAM_EXTRA:-}}]"
        printf '%s\n' "$@"
    } >"$TMP/stoa.yaml"
    export CONFIG_FILE="$TMP/stoa.yaml"
}
