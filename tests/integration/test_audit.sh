#!/usr/bin/env bash
# Audit log: a scripted scenario (downloads through the upstream chain with a failing
# first upstream, cache hits, the go command, a publish, a delete, denied requests,
# token changes from the CLI) with the real token plugin and tokens made by `stoa token`,
# then every query of docs/audit.md, extracted from the
# document, runs in psql and returns the expected rows. Then PostgreSQL is stopped and
# restarted while requests flow: every event arrives once, none is dropped. SIGTERM
# writes what is queued. The file sink writes valid JSON lines, odd paths included, and
# the document's loading recipe puts them into the table. No token secret ever appears
# in an audit row, a JSON line or a log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

genmod -out "$TMP/up" example.com/public@v1.0.0
genmod -out "$TMP/up" -pad $((1024 * 1024)) example.com/big@v1.0.0
start_upstream "$TMP/up"
MAIN_URL=$UPSTREAM_URL
mkdir -p "$TMP/empty"
start_upstream "$TMP/empty" # answers 404 to everything, until a fault says otherwise
FLAKY_URL=$UPSTREAM_URL
start_postgres

DATA="$TMP/data" # start_stoa's data root, made now: the CLI shares its audit spool
mkdir -p "$DATA"
cat >"$TMP/stoa.yaml" <<YAML
upstreams:
  - {name: flaky, url: "$FLAKY_URL", fallthrough: on_any_error, retries: 0}
  - {name: main, url: "$MAIN_URL"}
namespaces:
  - {pattern: "corp.example.com", mode: private}
  - {pattern: "*", mode: proxy}
auth:
  plugins: [{plugin: token, options: {store: file, path: "$TMP/tokens"}}]
audit: {sink: postgres, dsn: "$PG_DSN", interval: 100ms}
YAML
# stoa migrate finds the database in audit.dsn when storage has none
"$STOA_BIN" migrate --config "$TMP/stoa.yaml" --dir "$STOA_SRC/migrations" >/dev/null || fail "stoa migrate"

# The tokens, made with the CLI and the server's settings (so each create is audited in
# the same table); their secrets stay in shell variables.
tokcli() { STOA_STORAGE_OPTIONS_ROOT="$DATA" "$STOA_BIN" token --config "$TMP/stoa.yaml" "$@"; }
newtoken() { # newtoken NAME SCOPE...: creates the token, prints its secret
    local name=$1 args=() out
    shift
    for s in "$@"; do args+=(--scope "$s"); done
    out=$(tokcli create --name "$name" "${args[@]}") || fail "stoa token create $name"
    out=${out%%$'\n'*}
    case $out in stoa_*) printf '%s' "$out" ;; *) fail "stoa token create $name printed no token" ;; esac
}
ALICE=$(newtoken alice 'read:*') || exit 1
BOB=$(newtoken bob 'read:*') || exit 1
# DELETE is the admin operation (admin implies publish), so carol needs admin to delete.
CAROL=$(newtoken carol 'publish:corp.example.com' 'admin:corp.example.com') || exit 1
DAVE=$(newtoken dave 'read:*') || exit 1
WRONG="stoa_$(openssl rand -hex 32)" # well-formed, never created: the 401 case
CONFIG_FILE="$TMP/stoa.yaml" start_stoa

rows() { psqlc -c "SELECT count(*) FROM audit_events"; }
rows_are() { [ "$(rows)" = "$1" ]; }
metric() { curl -sf "$STOA_URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
header() { tr -d '\r' <"$1" | sed -n "s/^$2: //Ip"; }

# ---- 1. The scenario ----
zip=example.com/public/@v/v1.0.0.zip
fault "$FLAKY_URL" "/$zip" status:503
curl -sf -D "$TMP/alice.h" -o /dev/null -H "Authorization: Bearer $ALICE" "$STOA_URL/$zip" || fail "alice's download"
assert_eq "$(header "$TMP/alice.h" x-cache)/$(header "$TMP/alice.h" x-upstream)" "MISS/main" "alice's download"
alice_rid=$(header "$TMP/alice.h" x-request-id)
[ -n "$alice_rid" ] || fail "no X-Request-Id header"
curl -sf -X POST "$FLAKY_URL/_control/reset" || fail "reset faults"
settle
curl -sf -o /dev/null -H "Authorization: Bearer $BOB" "$STOA_URL/$zip" || fail "bob's download"
curl -sf -o /dev/null "$STOA_URL/$zip" || fail "anonymous download"
# The go command: .info and .mod are misses (the .mod slowed to be the slowest request), the zip a hit.
fault "$MAIN_URL" "/example.com/public/@v/v1.0.0.mod" delay:800 1
gocmd mod download -json example.com/public@v1.0.0 >"$TMP/go.json" 2>&1 || { cat "$TMP/go.json"; fail "go mod download"; }
settle

mkdir -p "$TMP/src/a"
printf 'module corp.example.com/a\n\ngo 1.19\n' >"$TMP/src/a/go.mod"
printf 'package a\n\nfunc V() string { return "a" }\n' >"$TMP/src/a/a.go"
"$STOA_BIN" publish "$TMP/src/a" --module corp.example.com/a --version v1.0.0 --url "$STOA_URL" --token "$CAROL" \
    >/dev/null 2>&1 || fail "carol's publish"
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/a/@v/v1.0.0.info")" 401 "anonymous read of a private module (private reads need an allow by default)"
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/a/@v/v1.0.0.info" -H "Authorization: Bearer $DAVE")" 200 "read token"
assert_eq "$(http_status DELETE "$STOA_URL/corp.example.com/a/@v/v1.0.0.zip" -H "Authorization: Bearer $CAROL")" 200 "delete"
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/a/@v/list" -H "Authorization: Bearer $WRONG")" 401 "bad token"
assert_eq "$(http_status PUT "$STOA_URL/corp.example.com/a/@v/v1.0.1.zip" -H "Authorization: Bearer $DAVE" \
    --data-binary x)" 403 "read-only token publishing"
# (names are never reused, so the scenario's create makes erin, used by the file sink below)
ERIN=$(newtoken erin 'read:*') || exit 1
tokcli revoke bob >/dev/null || fail "stoa token revoke"

# 4 creates before the scenario + 3 curl zips + go's info, mod, zip + publish + private read (denied, then with a token)
# + delete + 2 denials + 2 token changes
wait_for rows_are 18 || fail "expected 18 audit rows, have: $(psqlc -c "SELECT action, path, status, identity, target FROM audit_events ORDER BY time")"
pass "scenario recorded: 18 events (token creates, downloads, hits, go, publish, delete, denials, token changes)"

# no_secrets FILE WHAT [SEEN]: FILE holds no token secret (nor its hex part); SEEN, if
# given, is text FILE must hold, so the check looks at a file that has the events.
no_secrets() {
    [ -z "${3:-}" ] || grep -qF "$3" "$1" || fail "$2 does not mention $3: the check would prove nothing"
    local v
    for v in ALICE BOB CAROL DAVE ERIN WRONG; do
        if grep -qiF "${!v#stoa_}" "$1"; then fail "$2 holds the secret of token $v"; fi
    done
}
dump_table() { psql "$PG_DSN" -X -q -v ON_ERROR_STOP=1 -c "COPY audit_events TO STDOUT" >"$TMP/table.dump" || fail "dump"; }
dump_table
no_secrets "$TMP/table.dump" "the audit table" token:carol
pass "no token secret in the audit rows"

# ---- 2. Every documented query, extracted from docs/audit.md ----
mkdir -p "$TMP/q"
awk -v dir="$TMP/q" '/^## Queries/ {q = 1} q && /^```sql/ {f = 1; n++; next} f && /^```/ {f = 0; next}
    f {print > (dir "/" n ".sql")}' "$STOA_SRC/docs/audit.md"
nq=$(find "$TMP/q" -name '*.sql' | wc -l)
assert_eq "$nq" 11 "queries in docs/audit.md (add the expected rows here when you add one)"
runq() { # runq N: output rows of query N, fields separated by |
    psql "$PG_DSN" -X -qAt -F'|' -v ON_ERROR_STOP=1 -v module=example.com/public -v private='corp.example.com/%' \
        -v identity=token:carol -v request_id="$alice_rid" -f "$TMP/q/$1.sql" || fail "query $1 failed in psql"
}
check() { # check N FIELDS EXPECTED
    local got
    got=$(runq "$1" | cut -d'|' -f"$2")
    assert_eq "$got" "$3" "query $1 of docs/audit.md"
}
day=$(psqlc -c "SELECT current_date")
check 1 1,3,4 "(anonymous)|2|v1.0.0
token:alice|1|v1.0.0
token:bob|1|v1.0.0"
check 2 2,3,4,5,7 "publish|token:carol|corp.example.com/a|v1.0.0|201
delete|token:carol|corp.example.com/a|v1.0.0|200
publish|token:dave|corp.example.com/a|v1.0.1|403"
check 3 1,2,3,6 "127.0.0.1|401|2|invalid token
127.0.0.1|403|1|token 'dave' lacks scope publish:corp.example.com/a (it has: read:*)"
check 4 1-4 "$day|example.com/public|6|4
$day|corp.example.com/a|1|0"
check 5 1-5 "$day|4|3|0|57.1"
check 6 1-3 "flaky|1|1"
check 7 1-6 "corp.example.com/a|(anonymous)|deny|401|127.0.0.1|2
corp.example.com/a|token:dave|deny|403|127.0.0.1|1"
got=$(runq 8 | awk -F'|' '{print $1 "|" ($2 != "" ? "created" : "-") "|" ($3 != "" ? "revoked" : "-") "|" ($4 != "" && $5 >= $4 ? "used" : "-") "|" $6}')
assert_eq "$got" "token:alice|created|-|used|1
token:bob|created|revoked|used|1
token:carol|created|-|used|2
token:dave|created|-|used|1
token:erin|created|-|-|0" "query 8 of docs/audit.md"
assert_eq "$(runq 9 | wc -l)" 12 "query 9: every request of the scenario"
assert_eq "$(runq 9 | head -1 | cut -d'|' -f4)" "/example.com/public/@v/v1.0.0.mod" "query 9: the delayed .mod is the slowest"
check 10 2-4,6 "publish|PUT|corp.example.com/a|201
delete|DELETE|corp.example.com/a|200"
check 11 2-9,11 "download|GET|/$zip|200|miss|main|{flaky}|token:alice|allow"
pass "all $nq queries of docs/audit.md return the expected rows"

# A zip streamed to the client while the upstream still sends it: the upstream is recorded too.
fault "$MAIN_URL" /example.com/big/@v/v1.0.0.zip throttle 1
curl -sf -o "$TMP/big.zip" "$STOA_URL/example.com/big/@v/v1.0.0.zip" || fail "stream-through download"
big_row() { psqlc -c "SELECT cache, upstream, bytes FROM audit_events WHERE module = 'example.com/big'"; }
big_recorded() { [ -n "$(big_row)" ]; }
wait_for big_recorded || fail "no audit row for the streamed zip"
assert_eq "$(big_row)" "miss|main|$(stat -c %s "$TMP/up/example.com/big/@v/v1.0.0.zip")" "audit row of a streamed zip"
assert_eq "$(metric 'stoa_stream_through_total{result="completed"}')" 1 "streamed downloads"
pass "a stream-through download records its upstream"

# ---- 3. PostgreSQL stops and comes back while requests flow ----
before=$(rows)
loader() { # one cache hit after another until $TMP/stop exists; logs "status request-id"
    while [ ! -e "$TMP/stop" ]; do
        curl -s -o /dev/null -D "$TMP/load.h" -w '%{http_code} ' "$STOA_URL/$zip"
        header "$TMP/load.h" x-request-id
    done >"$TMP/ids"
}
loader &
LOADER=$!
PIDS+=("$LOADER")
sent() { wc -l <"$TMP/ids"; }
at_least() { [ "$(sent)" -ge "$1" ]; }
spooling() { [ "$(metric stoa_audit_spool_bytes)" -gt 0 ]; }
spool_empty() { [ "$(metric stoa_audit_spool_bytes)" = 0 ]; }
wait_for at_least 20 || fail "load did not start"
pg_ctl_stop
wait_for spooling || fail "events were not spooled while PostgreSQL was down"
n=$(sent)
wait_for at_least $((n + 50)) || fail "requests stalled while PostgreSQL was down"
ready=$(curl -s -w ' %{http_code}' "$STOA_URL/readyz")
assert_contains "$ready" "audit sink down" "readyz during the outage"
assert_contains "$ready" " 200" "readyz during the outage (spooling loses nothing: still ready)"
pg_ctl_start
wait_for spool_empty || fail "the spool was not replayed after PostgreSQL came back"
ready_ok() { [ "$(curl -s "$STOA_URL/readyz")" = ok ]; }
wait_for ready_ok || fail "readyz after the outage: $(curl -s "$STOA_URL/readyz")"
n=$(sent)
wait_for at_least $((n + 20)) || fail "requests stalled after PostgreSQL came back"
touch "$TMP/stop"
wait "$LOADER" || true
total=$(sent)
assert_eq "$(cut -d' ' -f1 "$TMP/ids" | sort -u)" 200 "every request during the outage was answered"
wait_for rows_are $((before + total)) || fail "expected $((before + total)) rows, have $(rows)"
assert_eq "$(psqlc -c "SELECT count(request_id) - count(DISTINCT request_id) FROM audit_events")" 0 "events stored twice"
cut -d' ' -f2 "$TMP/ids" | sort >"$TMP/ids.sent"
psqlc -c "SELECT request_id FROM audit_events" | sort >"$TMP/ids.stored"
assert_eq "$(comm -23 "$TMP/ids.sent" "$TMP/ids.stored" | wc -l)" 0 "requests without an audit row"
assert_eq "$(metric stoa_audit_dropped_total)" 0 "dropped audit events"
[ "$(metric 'stoa_audit_events_total{result="spooled"}')" -gt 0 ] || fail "no event went through the spool"
pass "PostgreSQL restart under load: $total requests, all $total rows arrived once, 0 dropped"

# ---- 4. SIGTERM writes what is queued ----
stop_stoa
CONFIG_FILE="$TMP/stoa.yaml" start_stoa STOA_AUDIT_INTERVAL=1h STOA_AUDIT_BATCH=5000
before=$(rows)
for i in 1 2 3 4 5; do curl -sf -o /dev/null "$STOA_URL/$zip" || fail "download $i"; done
assert_eq "$(metric stoa_audit_queue_depth)" 5 "events held in the queue (interval 1h)"
assert_eq "$(rows)" "$before" "rows written before SIGTERM"
stop_stoa
assert_eq "$(rows)" "$((before + 5))" "rows after SIGTERM"
pass "SIGTERM flushes the audit queue before exit"

# ---- 5. The file sink: valid JSON lines, odd paths, and the documented loading recipe ----
mkdir -p "$TMP/file/stoa-data"
CONFIG_FILE="$TMP/stoa.yaml" start_stoa STOA_AUDIT_SINK=file STOA_AUDIT_PATH="$TMP/file/stoa-data/audit.jsonl"
curl -sf -o /dev/null -H "Authorization: Bearer $ERIN" "$STOA_URL/$zip" || fail "download with the file sink"
port=${STOA_URL##*:}
python3 - "$port" <<'PY' || fail "raw request with an odd path"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b'GET /example.com/public/@v/list?q="\\\xff\xc3\xa9\xc3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
assert s.recv(64).startswith(b"HTTP/1.1 200"), "odd path not answered"
PY
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/a/@v/list" -H "Authorization: Bearer $WRONG")" 401 "denied (file sink)"
stop_stoa
python3 - "$TMP/file/stoa-data/audit.jsonl" <<'PY' || fail "the file sink's lines"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
assert len(events) == 3, events
zip, odd, denied = events
assert zip["identity"] == "token:erin" and zip["cache"] == "hit" and zip["status"] == 200, zip
assert odd["path"] == '/example.com/public/@v/list?q="\\%FF\u00e9%C3', odd["path"]
assert denied["auth"] == "deny" and denied["status"] == 401 and denied["error"] == "invalid token", denied
for e in events:
    assert len(e["id"]) == 36 and e["time"].endswith("Z") and e["bytes"] >= 0, e
PY
no_secrets "$TMP/file/stoa-data/audit.jsonl" "the JSON lines file" token:erin
pass "file sink: valid JSON lines; quote, backslash and invalid UTF-8 in a path are escaped; no secret"

recipe=$(awk '/^```sh/ {f = 1; b = ""; next} f && /^```/ {f = 0; if (b ~ /\\copy/) print b; next} f {b = b $0 "\n"}' \
    "$STOA_SRC/docs/audit.md")
[ -n "$recipe" ] || fail "no loading recipe in docs/audit.md"
before=$(rows)
(cd "$TMP/file" && DSN="$PG_DSN" bash -euc "$recipe") >/dev/null || fail "the loading recipe of docs/audit.md"
assert_eq "$(rows)" "$((before + 3))" "rows loaded from the JSON lines file"
(cd "$TMP/file" && DSN="$PG_DSN" bash -euc "$recipe") >/dev/null || fail "loading twice"
assert_eq "$(rows)" "$((before + 3))" "rows after loading the same file twice"
assert_eq "$(psqlc -c "SELECT path FROM audit_events WHERE identity IS NULL AND path LIKE '%q=%'")" \
    '/example.com/public/@v/list?q="\%FFé%C3' "odd path after loading"
pass "the documented recipe loads the JSON lines file into audit_events, once"

dump_table
no_secrets "$TMP/table.dump" "the audit table, at the end" token:erin
cat "$TMP"/stoa.*.log >"$TMP/logs"
no_secrets "$TMP/logs" "the server logs"
pass "no token secret in the audit table, the JSON lines or the server logs"
