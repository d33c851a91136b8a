#!/usr/bin/env bash
# Lifecycle: SIGHUP reloads the configuration under load without losing a request and
# refuses a bad one; an open circuit is closed by active probing, without traffic;
# SIGTERM lets a large download finish and exits 0.
. "$(dirname "$0")/lib.sh"

genmod -out "$TMP/up" example.com/a@v1.0.0 example.com/banned@v1.0.0 example.com/b@v1.0.0
genmod -out "$TMP/up" -pad $((4 * 1024 * 1024)) example.com/big@v1.0.0
start_upstream "$TMP/up"; U1=$UPSTREAM_URL; U1_LOG=$UPSTREAM_LOG
start_upstream "$TMP/up"; U2=$UPSTREAM_URL
conf() { # conf [EXTRA_YAML]: writes the config file
    cat >"$TMP/stoa.yaml" <<YAML
upstreams:
  - {name: u1, url: "$U1", fallthrough: on_any_error, retries: 0, max_fails: 1, fail_timeout: 10m, probe_interval: 200ms}
  - {name: u2, url: "$U2", retries: 0}
${1:-}
YAML
}
conf
CONFIG_FILE="$TMP/stoa.yaml" start_stoa

# logged_at_least N TEXT: the stoa log has TEXT on N lines or more (re-read on each call).
logged_at_least() { [ "$(grep -c "$2" "$STOA_LOG")" -ge "$1" ]; }

# Load on keep-alive connections while the configuration is reloaded five times.
curl -sf -o /dev/null "$STOA_URL/example.com/a/@v/v1.0.0.info" || fail "warm"
urls=()
for i in $(seq 1 3000); do urls+=(-o /dev/null "$STOA_URL/example.com/a/@v/v1.0.0.info"); done
load=()
for c in 1 2 3 4; do
    curl -s -w '%{http_code}\n' "${urls[@]}" >"$TMP/codes.$c" &
    load+=($!)
done
for i in 1 2 3 4 5; do
    if [ $((i % 2)) = 1 ]; then
        conf 'namespaces: [{pattern: example.com/banned, mode: deny, reason: "banned by policy"}, {pattern: "*", mode: proxy}]'
    else
        conf
    fi
    kill -HUP "$STOA_PID"
    wait_for logged_at_least "$i" "configuration reloaded" || fail "reload $i not logged"
done
kill -0 "${load[0]}" 2>/dev/null || fail "the load ended before the reloads did: the test proves nothing"
wait "${load[@]}"
assert_eq "$(cat "$TMP"/codes.* | sort | uniq -c | sed 's/^ *//')" "12000 200" "answers during reloads"
pass "12000 keep-alive requests during 5 reloads: all 200"

# The last reload (5th) installed the deny rule.
body=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/banned/@v/v1.0.0.info")
assert_contains "$body" "banned by policy"
assert_contains "$body" " 410"
pass "a reloaded namespace rule is in force at once"

# A bad file and a change that needs a restart are refused; the old config stays.
printf 'upstreams: [{name: u1, url: "%s", colour: blue}]\n' "$U1" >"$TMP/stoa.yaml"
kill -HUP "$STOA_PID"
wait_for logged_at_least 1 "configuration refused" || fail "bad config not refused"
assert_contains "$(grep 'configuration refused' "$STOA_LOG")" "colour"
conf 'workers: 9' # (threads comes from the environment, which wins over the file)
kill -HUP "$STOA_PID"
wait_for logged_at_least 2 "configuration refused" || fail "static change not refused"
assert_contains "$(grep 'configuration refused' "$STOA_LOG" | tail -1)" "need a restart: workers"
assert_eq "$(http_status GET "$STOA_URL/example.com/banned/@v/v1.0.0.info")" 410 "old config still in force"
pass "a bad config and a restart-only change are refused with the reason; the old config stays"

# Active probing: u1 fails once, its circuit opens for 10 minutes; after it recovers,
# the prober closes the circuit without any client request.
fault "$U1" '/*' status:503
assert_eq "$(http_status GET "$STOA_URL/example.com/b/@v/v1.0.0.mod")" 200 "served by u2"
assert_contains "$(curl -s "$STOA_URL/admin/upstreams" | tr -d ' \n')" '"name":"u1","url":"'"$U1"'","fallthrough":"on_any_error","backup":false,"state":"open"'
curl -sf -X POST "$U1/_control/reset" >/dev/null
: >"$U1_LOG"
u1_closed() { curl -s "$STOA_URL/admin/upstreams" | tr -d ' \n' | grep -q '"name":"u1"[^}]*"state":"closed"'; }
wait_for u1_closed || fail "u1's circuit was not closed by probing"
assert_contains "$(cat "$U1_LOG")" "GET /"
pass "an open circuit is closed by an active probe once the upstream answers"

# SIGTERM while a large (throttled) download streams: it completes, stoa exits 0.
fault "$U1" /example.com/big/@v/v1.0.0.zip throttle
curl -s -o "$TMP/big" "$STOA_URL/example.com/big/@v/v1.0.0.zip" &
dl=$!
wait_for test -s "$TMP/big" || fail "download did not start"
kill -TERM "$STOA_PID"
wait "$dl" || fail "the in-flight download failed after SIGTERM (curl exit $?)"
assert_eq "$(sha256sum <"$TMP/big")" "$(sha256sum <"$TMP/up/example.com/big/@v/v1.0.0.zip")" "bytes after SIGTERM"
rc=0
wait "$STOA_PID" || rc=$?
assert_eq "$rc" 0 "exit status after SIGTERM"
pass "SIGTERM during a large download: the download completes, stoa exits 0"
