# PostgreSQL and S3 (s3rver) for integration tests; source after lib.sh.
# Both run on 127.0.0.1 in $TMP, as throw-away instances stopped by lib.sh's EXIT trap.

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

# start_postgres -> PG_DSN, PG_PORT, PG_DATA. PostgreSQL refuses to run as root: when
# root, the cluster belongs to the 'postgres' system user (runuser).
start_postgres() {
    [ -x "$PG_BIN/initdb" ] || fail "PostgreSQL server binaries not found (apt-get install postgresql)"
    PG_DATA="$TMP/pg"
    mkdir -p "$PG_DATA"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$PG_DATA"
        chmod 755 "$TMP"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U stoa --auth=trust -E UTF8 >"$TMP/initdb.log" 2>&1 ||
        { cat "$TMP/initdb.log" >&2; fail "initdb"; }
    PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    PG_AS=("${as[@]}")
    pg_ctl_start
    PG_DSN="postgresql://stoa@127.0.0.1:$PG_PORT/postgres"
}

pg_ctl_start() {
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 30 \
        -o "-h 127.0.0.1 -p $PG_PORT -k '' -c fsync=off -c full_page_writes=off" start >/dev/null ||
        { cat "$PG_DATA/server.log" >&2; fail "postgres did not start"; }
    PG_STARTED=1
}
pg_ctl_stop() { "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; PG_STARTED=0; }
psqlc() { psql "$PG_DSN" -v ON_ERROR_STOP=1 -qAtX "$@"; }

# The S3 server: @20minutes/s3rver from npm (it verifies Signature V4; s3rver 3.7.1
# accepted any), installed once per build tree (npm's cache serves later installs).
# Its package asks for Node.js 24 but runs on Debian's 20 (checked: the whole pgs3 suite).
S3RVER_DIR="$STOA_BUILD/node"
S3RVER_PKG="@20minutes/s3rver@5.0.0"
install_s3rver() {
    (
        flock 9
        if [ ! -f "$S3RVER_DIR/node_modules/@20minutes/s3rver/package.json" ]; then
            mkdir -p "$S3RVER_DIR"
            npm install --prefix "$S3RVER_DIR" --no-audit --no-fund --loglevel=error --engine-strict=false \
                "$S3RVER_PKG" >&2 || fail "npm install $S3RVER_PKG"
        fi
    ) 9>"$STOA_BUILD/s3rver.lock"
}

# s3rver_run DIR PORT BUCKET [CERT KEY]: becomes the server (exec: run it with &, its pid is $!).
s3rver_run() {
    NODE_PATH="$S3RVER_DIR/node_modules" exec node "$STOA_SRC/tests/integration/s3rver_v4.js" "$1" 127.0.0.1 "$2" "$3" \
        "${@:4}"
}

# start_s3 [BUCKET] -> S3_HOST (host:port), S3_BUCKET, S3_PID, S3_PORT; credentials S3RVER/S3RVER.
start_s3() {
    install_s3rver
    S3_BUCKET=${1:-stoa}
    S3_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    s3rver_run "$TMP/s3" "$S3_PORT" "$S3_BUCKET" >"$TMP/s3.log" 2>&1 &
    S3_PID=$!
    PIDS+=("$S3_PID")
    S3_HOST="127.0.0.1:$S3_PORT"
    wait_for curl -s -o /dev/null "http://$S3_HOST/" || { cat "$TMP/s3.log" >&2; fail "s3rver did not start"; }
}

# use_pgs3: PostgreSQL + s3rver, the schema migrated, and STORAGE_ENV set so that
# start_stoa uses the pgs3 plugin on them (PGS3_ENV: the same settings for other stoa
# commands, e.g. env "${PGS3_ENV[@]}" "$STOA_BIN" gc).
use_pgs3() {
    start_postgres
    start_s3 stoa
    "$STOA_BIN" migrate --dsn "$PG_DSN" --dir "$STOA_SRC/migrations" >"$TMP/migrate.log" 2>&1 ||
        { cat "$TMP/migrate.log" >&2; fail "stoa migrate"; }
    mkdir -p "$TMP/stoa-tmp"
    PGS3_ENV=(STOA_STORAGE_PLUGIN=pgs3 STOA_STORAGE_OPTIONS_DSN="$PG_DSN" STOA_STORAGE_OPTIONS_S3_HOST="$S3_HOST"
        STOA_STORAGE_OPTIONS_BUCKET="$S3_BUCKET" STOA_STORAGE_OPTIONS_ACCESS_KEY=S3RVER
        STOA_STORAGE_OPTIONS_SECRET_KEY=S3RVER STOA_STORAGE_OPTIONS_PROTOCOL=http STOA_TMP_DIR="$TMP/stoa-tmp")
    STORAGE_ENV=("${PGS3_ENV[@]}")
}

# not_served URL: the first answer of URL that is not a hit, waiting up to 3 s for the
# removal to reach this replica (a notification is asynchronous: milliseconds).
not_served() {
    local i code
    for i in $(seq 1 30); do
        code=$(http_status GET "$1")
        [ "$code" != 200 ] && { echo "$code after $i"; return; }
        sleep 0.1
    done
    echo "still 200"
}

_pg_cleanup() { [ "${PG_STARTED:-0}" = 1 ] && pg_ctl_stop 2>/dev/null || true; }
