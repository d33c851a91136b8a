# Shared harness for stoa's integration tests; sourced by test_*.sh.
# Everything runs on 127.0.0.1, in a private temp dir removed on exit, and every
# process started here is stopped by the EXIT trap. Waits poll readiness with a bound.
set -euo pipefail

: "${STOA_BIN:?STOA_BIN must point at the stoa binary (CTest sets it)}"
: "${STOA_PLUGIN_DIR:?}" "${STOA_SRC:?}" "${STOA_BUILD:?}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/stoa-test.XXXXXX")
cd "$TMP" # defaults such as ./stoa-data land in the test's own directory
PIDS=()
cleanup() {
    local rc=$?
    if declare -F _pg_cleanup >/dev/null; then _pg_cleanup; fi
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    # A sanitizer report from any stoa this test ran fails the test, even one that
    # came at exit (leaks) after the assertions passed.
    local san
    san=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP"/stoa.*.log 2>/dev/null || true)
    if [ -n "$san" ]; then
        echo "FAIL: sanitizer report in $san:" >&2
        grep -h -A30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' $san | head -60 >&2
        rc=1
    fi
    chmod -R u+w "$TMP" 2>/dev/null || true
    if [ $rc -ne 0 ] && [ -n "${STOA_LOG:-}" ] && [ -f "$STOA_LOG" ]; then
        echo "--- stoa log (last 40 lines) ---" >&2
        tail -n 40 "$STOA_LOG" >&2
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"; }
# Plain substring tests: `printf | grep -q` under pipefail fails now and then (grep
# exits at the first match, printf gets SIGPIPE).
assert_contains() { [[ "$1" == *"$2"* ]] || fail "${3:-missing text}: '$2' not in: $1"; }
assert_not_contains() { if [[ "$1" == *"$2"* ]]; then fail "${3:-unexpected text}: '$2' in: $1"; fi; }

# wait_for CMD...: retries CMD for up to 15 s.
wait_for() {
    local i
    for i in $(seq 1 150); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    return 1
}

# settle [URL]: waits until stoa at URL (default $STOA_URL) runs no fill. A miss is
# answered as soon as its file is validated, before the fill has stored it (core/fill/fill.h),
# so a test that expects a hit or looks at storage right after a download settles first.
fills_settled() {
    local n
    n=$(curl -sfk "${1:-$STOA_URL}/metrics" | sed -n 's/^stoa_fills_in_flight \([0-9]*\)$/\1/p')
    [ "$n" = 0 ]
}
settle() { wait_for fills_settled "$@" || fail "fills still running on ${1:-$STOA_URL} after 15 s"; }

FIXTURES="$STOA_BUILD/fixtures-bin"
build_fixtures() {
    mkdir -p "$FIXTURES"
    (
        flock 9
        if [ ! -x "$FIXTURES/upstream" ] || [ ! -x "$FIXTURES/sumdb" ] || [ -n "$(find "$STOA_SRC/tests/fixtures" -newer "$FIXTURES/upstream" -name '*.go')" ]; then
            GOCACHE="$STOA_BUILD/gocache" GOPATH="$STOA_BUILD/gopath" \
                sh "$STOA_SRC/tests/fixtures/build.sh" "$FIXTURES" "$STOA_BUILD/fixtures-work"
        fi
    ) 9>"$STOA_BUILD/fixtures.lock"
}
build_fixtures

genmod() { "$FIXTURES/genmod" "$@"; }

# start_upstream ROOT [ALT_ROOT] -> UPSTREAM_URL, UPSTREAM_LOG, UPSTREAM_PID
start_upstream() {
    local n=${#PIDS[@]}
    UPSTREAM_LOG="$TMP/upstream.$n.log"
    local pf="$TMP/upstream.$n.port"
    "$FIXTURES/upstream" -root "$1" -alt-root "${2:-$1}" -port-file "$pf" -log "$UPSTREAM_LOG" 2>>"$TMP/upstream.$n.err" &
    UPSTREAM_PID=$!
    PIDS+=("$UPSTREAM_PID")
    wait_for test -s "$pf" || fail "fixture upstream did not start"
    UPSTREAM_URL="http://127.0.0.1:$(cat "$pf")"
    touch "$UPSTREAM_LOG"
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# fixture_config [YAML...]: $TMP/stoa.yaml with the fixture upstream, corp.example.com
# private and everything else proxied, then the given YAML (read from stdin when the
# only argument is "-"); exports CONFIG_FILE.
fixture_config() {
    {
        echo "upstreams: [{name: fixture, url: \"$UPSTREAM_URL\"}]"
        echo "namespaces: [{pattern: corp.example.com, mode: private}, {pattern: \"*\", mode: proxy}]"
        if [ "${1:-}" = - ]; then cat; else printf '%s\n' "$@"; fi
    } >"$TMP/stoa.yaml"
    export CONFIG_FILE="$TMP/stoa.yaml"
}

fault() { # fault URL PATH MODE [COUNT]
    curl -sf -X POST "$1/_control/fault" -d "path=$2" -d "mode=$3" -d "count=${4:-0}" >/dev/null
}

# start_stoa [VAR=value...] -> STOA_URL, STOA_PID, STOA_LOG
# Defaults: ephemeral port, disk storage in ${DATA:-$TMP/data}, no fsync, 2 threads, no checksum
# database checks unless the config names a database.
# A test may set the array STORAGE_ENV to other storage settings (lib_pg.sh use_pgs3).
# (Harness variables never start with STOA_: stoa rejects unknown STOA_* settings.)
start_stoa() {
    local n=${#PIDS[@]}
    STOA_LOG="$TMP/stoa.$n.log"
    DATA="${DATA:-$TMP/data}"
    local storage=(STOA_STORAGE_OPTIONS_ROOT="$DATA" STOA_STORAGE_OPTIONS_FSYNC=false)
    [ -z "${STORAGE_ENV+x}" ] || storage=("${STORAGE_ENV[@]}")
    # The default database is sum.golang.org: only tests that configure their own
    # fixture database check fills, so no test ever reaches for the internet.
    local sumdb=(STOA_SUMDB_CHECK=off)
    [ -n "${CONFIG_FILE:-}" ] && grep -q '^sumdb' "$CONFIG_FILE" && sumdb=()
    env STOA_LISTEN=127.0.0.1:0 "${storage[@]}" "${sumdb[@]}" \
        STOA_THREADS=2 STOA_CACHE_LIST_TTL=1s "$@" "$STOA_BIN" serve ${CONFIG_FILE:+--config "$CONFIG_FILE"} \
        >"$STOA_LOG" 2>&1 &
    STOA_PID=$!
    PIDS+=("$STOA_PID")
    wait_for started "$STOA_PID" "$STOA_LOG" || { cat "$STOA_LOG" >&2; fail "stoa did not start"; }
    grep -q "listening on" "$STOA_LOG" || { cat "$STOA_LOG" >&2; fail "stoa exited at start"; }
    STOA_URL=$(grep -o 'listening on https\?://[][0-9a-f.:]*' "$STOA_LOG" | head -1 | sed 's/listening on //')
    wait_for curl -sfk "$STOA_URL/readyz" || fail "stoa did not become ready"
}

# started PID LOG: true once LOG says listening; fails fast if PID died.
started() {
    kill -0 "$1" 2>/dev/null || return 0 # dead: stop waiting, the caller checks the log
    grep -q "listening on" "$2"
}

# stop_stoa: SIGTERM, and stoa must exit 0.
stop_stoa() {
    kill -TERM "$STOA_PID"
    local rc=0
    wait "$STOA_PID" || rc=$?
    assert_eq "$rc" 0 "stoa exit status after SIGTERM"
}

# gocmd ARGS...: the real go command with a private GOPATH, module cache and HOME.
GOHOME="$TMP/gohome"
gocmd() {
    mkdir -p "$GOHOME"
    env -u GOPRIVATE -u GONOPROXY -u GONOSUMDB -u GOFLAGS \
        HOME="$GOHOME" GOPATH="$GOHOME/go" GOMODCACHE="$GOHOME/modcache" GOCACHE="$GOHOME/cache" \
        GOFLAGS=-mod=mod GOPROXY="${GOPROXY_URL:-$STOA_URL}" GOSUMDB="${GOSUMDB_VALUE:-off}" GOTOOLCHAIN=local \
        CGO_ENABLED=0 GOENV=off ${GO_EXTRA_ENV:-} go "$@"
}
clean_modcache() { chmod -R u+w "$GOHOME" 2>/dev/null || true; rm -rf "$GOHOME/modcache" "$GOHOME/go"; }

# refused_at_load YAML TEXT: `stoa check-config` of the configuration YAML exits 2 with
# TEXT in its message.
refused_at_load() {
    printf '%s\n' "$1" >"$TMP/refused.yaml"
    local rc=0 out
    out=$("$STOA_BIN" check-config --config "$TMP/refused.yaml" 2>&1) || rc=$?
    assert_eq "$rc" 2 "check-config of: $1"
    assert_contains "$out" "$2" "check-config's message for: $1"
}

# http_status METHOD URL [curl args...]
# json_results FILE: FILE is what a client command wrote with --json (core/cli/cli_json.h):
# JSON objects one a line, each with string module, version and result (and error just
# when the result is failed, skipped or refused), the last one {"summary": {...}} alone. Prints
# "RESULT module@version[ .file]" a result, then "summary K=V..."; fails otherwise.
json_results() {
    python3 - "$1" <<'PY' || fail "not the JSON lines of --json: $(head -c 2000 "$1")"
import json, sys
*results, last = [json.loads(line) for line in open(sys.argv[1]).read().splitlines()] or [None]
for o in results:
    assert isinstance(o, dict) and all(isinstance(o.get(k), str) for k in ("module", "version", "result")), o
    assert ("error" in o) == (o["result"] in ("failed", "skipped", "refused")), o
    print(o["result"], o["module"] + "@" + o["version"] + (" ." + o["file"] if "file" in o else ""))
assert isinstance(last, dict) and list(last) == ["summary"] and isinstance(last["summary"], dict), last
print("summary", " ".join(k + "=" + json.dumps(v) for k, v in last["summary"].items()))
PY
}

http_status() {
    local m=$1 u=$2
    shift 2
    curl -sk -o /dev/null -w '%{http_code}' --path-as-is -X "$m" "$@" "$u"
}

# make_tls_cert -> TLS_CA, TLS_CERT, TLS_KEY: a throw-away CA and a server certificate
# for 127.0.0.1 and ::1 (the go command trusts it through SSL_CERT_FILE=$TLS_CA). The
# DNS:127.0.0.1 entry is for mbedTLS (libgit2's TLS in Debian), which matches no IP SANs.
make_tls_cert() {
    TLS_CA="$TMP/ca.pem" TLS_CERT="$TMP/server.pem" TLS_KEY="$TMP/server.key"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=stoa-test-ca -keyout "$TMP/ca.key" -out "$TLS_CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$TLS_KEY" -out "$TMP/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:127.0.0.1\n' >"$TMP/san.ext"
    openssl x509 -req -in "$TMP/server.csr" -CA "$TLS_CA" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
        -extfile "$TMP/san.ext" -out "$TLS_CERT" 2>/dev/null || fail "cannot make a test certificate"
}
