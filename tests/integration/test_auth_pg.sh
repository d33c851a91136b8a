#!/usr/bin/env bash
# Token store in PostgreSQL (store: postgres): `stoa migrate` creates auth_tokens; the
# CLI writes it; a running stoa sees creations, revocations and expiry without a
# restart; only hashes are stored; a database outage keeps the last token set working.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

start_postgres
"$STOA_BIN" migrate --dsn "$PG_DSN" --dir "$STOA_SRC/migrations" >"$TMP/migrate.out" 2>&1 ||
    { cat "$TMP/migrate.out"; fail "stoa migrate"; }
assert_contains "$(cat "$TMP/migrate.out")" "0003_tokens.sql"

genmod -out "$TMP/up" example.com/pub@v1.0.0
genmod -out "$TMP/priv" corp.example.com/a@v1.0.0
start_upstream "$TMP/up"
fixture_config - <<YAML
auth:
  require: {read: true}
  throttle: {failures: 0}
  plugins: [{plugin: token, options: {store: postgres, dsn: "$PG_DSN", refresh: 200ms}}]
YAML
tok() { "$STOA_BIN" token --config "$TMP/stoa.yaml" create "$@" | head -1; }
READ=$(tok --name reader --scope read)
PUB=$(tok --name ci --scope 'publish:corp.example.com')
out=$("$STOA_BIN" token --config "$TMP/stoa.yaml" create --name ci --scope read 2>&1) && fail "duplicate name accepted"
assert_contains "$out" "a token named 'ci' exists already"
assert_eq "$(psqlc -c "SELECT count(*) FROM auth_tokens WHERE octet_length(hash) = 32")" 2 "rows with 32-byte hashes"
assert_eq "$(psqlc -c "SELECT count(*) FROM auth_tokens WHERE scopes LIKE '%stoa_%' OR name LIKE '%stoa_%'")" 0
assert_not_contains "$(psqlc -c "SELECT * FROM auth_tokens")" "${READ#stoa_}" "a token stored in the table"
listing=$("$STOA_BIN" token --config "$TMP/stoa.yaml" list)
assert_contains "$listing" "reader"
assert_contains "$listing" "publish:corp.example.com"
pass "migrate creates auth_tokens; the CLI stores names, scopes and hashes only"

CONFIG_FILE="$TMP/stoa.yaml" start_stoa
c() { curl -s -o "$TMP/body" -w '%{http_code}' "$@"; }
code_is() { [ "$(c "${@:2}")" = "$1" ]; }
list="$STOA_URL/corp.example.com/a/@v/list"
zip="$TMP/priv/corp.example.com/a/@v/v1.0.0.zip"
assert_eq "$(c -T "$zip" -H "Authorization: Bearer $READ" "$STOA_URL/corp.example.com/a/@v/v1.0.0.zip")" 403 "read token publishes"
assert_eq "$(c -T "$zip" -u "u:$PUB" "$STOA_URL/corp.example.com/a/@v/v1.0.0.zip")" 201 "publish token publishes"
assert_eq "$(c -H "X-JFrog-Art-Api: $READ" "$list")" 200 "read token reads"
assert_eq "$(c -H "Authorization: Bearer stoa_$(openssl rand -hex 32)" "$list")" 401 "wrong token"
assert_eq "$(c "$list")" 401 "anonymous"
pass "PostgreSQL store: read reads, publish publishes, read cannot publish (403), wrong and anonymous 401"

SHORT=$(tok --name short --scope read --expires 2s)
wait_for code_is 200 -H "Authorization: Bearer $SHORT" "$list" || fail "a new token never worked"
wait_for code_is 401 -H "Authorization: Bearer $SHORT" "$list" || fail "an expired token kept working"
assert_contains "$(cat "$TMP/body")" "expired"
"$STOA_BIN" token --config "$TMP/stoa.yaml" revoke ci >/dev/null || fail "revoke"
wait_for code_is 401 -H "Authorization: Bearer $PUB" "$list" || fail "a revoked token kept working"
assert_contains "$(cat "$TMP/body")" "token 'ci' was revoked"
assert_eq "$(psqlc -c "SELECT count(*) FROM auth_tokens WHERE name = 'ci' AND revoked_at IS NOT NULL")" 1
pass "creations, expiry and revocations take effect without restart"

# A database outage: the last token set keeps serving; the error is logged once.
pg_ctl_stop
wait_for grep -q "cannot reload tokens" "$STOA_LOG" || fail "the outage was not logged"
assert_eq "$(c -H "Authorization: Bearer $READ" "$list")" 200 "valid token during the outage"
assert_eq "$(c -H "Authorization: Bearer $PUB" "$list")" 401 "revoked token during the outage"
out=$("$STOA_BIN" token --config "$TMP/stoa.yaml" revoke reader 2>&1) && fail "revoke succeeded without a database"
assert_contains "$out" "cannot connect to PostgreSQL"
pg_ctl_start
wait_for grep -q "token store readable again" "$STOA_LOG" || fail "no recovery after the outage"
assert_eq "$(grep -c "cannot reload tokens" "$STOA_LOG")" 1 "outage messages"
pass "during a database outage the last token set keeps working; recovery is logged"
for t in "$READ" "$PUB" "$SHORT"; do
    if grep -qF -- "$t" "$STOA_LOG"; then fail "a token appears in the log"; fi
done
stop_stoa
