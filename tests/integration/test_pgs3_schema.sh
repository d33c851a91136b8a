#!/usr/bin/env bash
# Schema and secrets around pgs3: `stoa serve` refuses a database whose schema is
# behind and says to run `stoa migrate`; two migrators at once both succeed and the
# schema is applied once; secrets (the DSN's password, the S3 secret key) appear in
# no error and no log line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

start_postgres
start_s3 stoa
mkdir -p "$TMP/stoa-tmp"
pgs3_env() { # pgs3_env DSN SECRET
    ENV=(STOA_LISTEN=127.0.0.1:0 STOA_STORAGE_PLUGIN=pgs3 STOA_STORAGE_OPTIONS_DSN="$1" STOA_STORAGE_OPTIONS_S3_HOST="$S3_HOST"
        STOA_STORAGE_OPTIONS_BUCKET=stoa STOA_STORAGE_OPTIONS_ACCESS_KEY=S3RVER STOA_STORAGE_OPTIONS_SECRET_KEY="$2"
        STOA_STORAGE_OPTIONS_PROTOCOL=http STOA_TMP_DIR="$TMP/stoa-tmp")
}
# serve_refused MESSAGE: stoa serve must exit non-zero at start, printing MESSAGE.
serve_refused() {
    local out rc=0
    out=$(env "${ENV[@]}" timeout 30 "$STOA_BIN" serve 2>&1) || rc=$?
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "stoa serve did not refuse (exit $rc): $out"
    assert_contains "$out" "$1"
    SERVE_OUT=$out
}
pgs3_env "$PG_DSN" S3RVER

# 1. A database nobody migrated.
serve_refused 'run `stoa migrate`'
pass "stoa serve refuses an unmigrated database and says to run stoa migrate"

# 2. Two migrators at once: both succeed, each migration is recorded once.
"$STOA_BIN" migrate --dsn "$PG_DSN" --dir "$STOA_SRC/migrations" >"$TMP/m1.log" 2>&1 &
m1=$!
"$STOA_BIN" migrate --dsn "$PG_DSN" --dir "$STOA_SRC/migrations" >"$TMP/m2.log" 2>&1 &
m2=$!
wait "$m1" || fail "first migrator: $(cat "$TMP/m1.log")"
wait "$m2" || fail "second migrator: $(cat "$TMP/m2.log")"
files=$(ls "$STOA_SRC/migrations"/[0-9]*_*.sql | wc -l)
assert_eq "$(psqlc -c "SELECT count(*) FROM schema_migrations")" "$files" "recorded migrations"
assert_not_contains "$(cat "$TMP/m1.log" "$TMP/m2.log")" "NOTICE" "PostgreSQL notices in migrate output"
out=$("$STOA_BIN" migrate --dsn "$PG_DSN" --dir "$STOA_SRC/migrations") || fail "third migrate"
assert_contains "$out" "nothing to apply"
pass "concurrent stoa migrate: both succeed, applied once; a rerun applies nothing"

# 3. Serving works on the current schema; a schema that is behind is refused by name.
STORAGE_ENV=("${ENV[@]:1}")
start_stoa
stop_stoa
last=$(psqlc -c "SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1")
psqlc -c "DELETE FROM schema_migrations WHERE name = '$last'"
serve_refused "$last"
assert_contains "$SERVE_OUT" 'run `stoa migrate`'
psqlc -c "INSERT INTO schema_migrations (version, name) VALUES (split_part('$last', '_', 1)::int, '$last')"
pass "stoa serve refuses a schema that is behind, naming the missing migration"

# 4. Secrets stay out of messages: a malformed DSN holding a password, a wrong S3 key.
pgs3_env "host=127.0.0.1 port=$PG_PORT user=stoa password=Sekr1tPassw0rd dbname" S3RVER
serve_refused "not a valid PostgreSQL connection string"
assert_not_contains "$SERVE_OUT" "Sekr1tPassw0rd" "the DSN password in an error"
out=$("$STOA_BIN" migrate --dsn "host=127.0.0.1 password=Sekr1tPassw0rd dbname" 2>&1) && fail "migrate with a bad DSN"
assert_not_contains "$out" "Sekr1tPassw0rd" "the DSN password in a migrate error"
pgs3_env "postgresql://stoa:Sekr1tPassw0rd@127.0.0.1:$PG_PORT/postgres" WrongS3Secret42
genmod -out "$TMP/priv" corp.example.com/p@v1.0.0
# Never ready (S3 refuses the key), so not start_stoa: wait for the listener only.
env "${ENV[@]}" STOA_MODE=offline STOA_NAMESPACES_0_PATTERN=corp.example.com STOA_NAMESPACES_0_MODE=private \
    STOA_NAMESPACES_1_PATTERN='*' "$STOA_BIN" serve >"$TMP/bad.log" 2>&1 &
STOA_PID=$! STOA_LOG="$TMP/bad.log"
PIDS+=("$STOA_PID")
wait_for started "$STOA_PID" "$STOA_LOG" && grep -q "listening on" "$STOA_LOG" || fail "stoa did not start"
STOA_URL=$(grep -o 'listening on http://[0-9.:]*' "$STOA_LOG" | sed 's/listening on //')
body=$(curl -s "$STOA_URL/readyz")
assert_contains "$body" "SignatureDoesNotMatch" "readyz names the S3 failure"
assert_contains "$body" "check secret_key" "readyz says what to check"
code=$(http_status PUT "$STOA_URL/corp.example.com/p/@v/v1.0.0.zip" --data-binary @"$TMP/priv/corp.example.com/p/@v/v1.0.0.zip")
assert_eq "$code" 503 "publish with a wrong S3 key"
body2=$(curl -s -X PUT "$STOA_URL/corp.example.com/p/@v/v1.0.0.zip" --data-binary @"$TMP/priv/corp.example.com/p/@v/v1.0.0.zip")
assert_contains "$body2" "HTTP 403" "the publish error names the S3 failure"
assert_contains "$body2" "secret_key" "the publish error says what to check"
stop_stoa
for text in "$body" "$body2" "$(cat "$STOA_LOG")"; do
    assert_not_contains "$text" "WrongS3Secret42" "the S3 secret key in a message"
    assert_not_contains "$text" "Sekr1tPassw0rd" "the DSN password in a message"
done
pass "no secret in errors or logs"
