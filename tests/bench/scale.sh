#!/usr/bin/env bash
# Scale run (issue 19): publish N/10 versions through the HTTP API, then measure;
# publish up to N, measure again; print N vs N/10 for publish rate, restart (to
# /readyz), RSS once listed, hit requests/s (wrk on .info hits), one /catalog page and
# the whole catalog. Flat is the target for all but the whole catalog (~10).
# Not in CI:  SCALE_N=50000 tests/bench/scale.sh   (the `stoa.yaml` is the defaults:
# disk storage, fsync off as in every test, 2 threads)
# SCALE_STORAGE=pgs3 runs on pgs3 (a PostgreSQL and an s3rver started in $TMP, as the
# integration tests do). SCALE_SEED=sql then adds the versions past N/10 as rows in
# PostgreSQL (each a copy of a published version's rows, sharing its S3 bodies) rather
# than through the API: publishing 500,000 versions into s3rver takes hours here, and the
# listings and hits read only PostgreSQL and the bodies.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
export STOA_SRC=$src STOA_BUILD=${STOA_BUILD:-$src/build}
export STOA_BIN=${STOA_BIN:-$STOA_BUILD/stoa} STOA_PLUGIN_DIR=${STOA_PLUGIN_DIR:-$STOA_BUILD/plugins}
. "$src/tests/integration/lib.sh"
. "$src/tests/bench/lib_scale.sh"
N=${SCALE_N:-50000}
SECS=${SCALE_SECONDS:-5}
printf 'mode: offline\nnamespaces: [{pattern: corp.example.com, mode: private}]\n' >"$TMP/stoa.yaml"
export CONFIG_FILE="$TMP/stoa.yaml"
STORAGE=${SCALE_STORAGE:-disk}
case "$STORAGE" in
disk) ;;
pgs3) . "$src/tests/integration/lib_pg.sh"; use_pgs3 ;;
*) fail "SCALE_STORAGE: disk or pgs3, not $STORAGE" ;;
esac
start_stoa
log() { echo "scale: $*" >&2; }

# publish FROM TO: versions v1.0.<i % 100> of modules corp.example.com/s/m<i / 100>, as
# zips built in memory, PUT over two keep-alive connections. Prints versions/s.
publish() {
    python3 - "$STOA_URL" "$1" "$2" <<'PY'
import http.client, io, sys, threading, time, urllib.parse, zipfile
url, a, b = urllib.parse.urlparse(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def zip_of(m, v):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("%s@%s/go.mod" % (m, v), "module %s\n" % m)
        z.writestr("%s@%s/a.go" % (m, v), "package a\n")
    return buf.getvalue()
jobs = [("corp.example.com/s/m%d" % (i // 100), "v1.0.%d" % (i % 100)) for i in range(a, b)]
bad = []
def worker(part):
    c = http.client.HTTPConnection(url.hostname, url.port)
    for m, v in part:
        c.request("PUT", "/%s/@v/%s.zip" % (m, v), body=zip_of(m, v))
        r = c.getresponse(); r.read()
        if r.status not in (200, 201):
            bad.append((m, v, r.status))
t0 = time.time()
ts = [threading.Thread(target=worker, args=(jobs[k::2],)) for k in range(2)]
[t.start() for t in ts]; [t.join() for t in ts]
if bad:
    sys.exit("publish failed: %r" % bad[:3])
print("%.1f" % (len(jobs) / (time.time() - t0)))
PY
}
# seed_sql FROM TO: versions FROM..TO-1 as copies of corp.example.com/s/m0@v1.0.0's rows
# (info, mod and zip), in one transaction. Prints "sql" for the publish rate.
seed_sql() {
    psqlc -c "INSERT INTO storage_files (module, version, kind, size, sha256, h1, origin)
        SELECT 'corp.example.com/s/m' || (i / 100), 'v1.0.' || (i % 100), f.kind, f.size, f.sha256, f.h1, f.origin
        FROM generate_series($1, $2 - 1) AS i, storage_files f
        WHERE f.module = 'corp.example.com/s/m0' AND f.version = 'v1.0.0'" >/dev/null || fail "seeding by SQL"
    psqlc -c "ANALYZE storage_files" >/dev/null # as autovacuum would after a bulk load: plans see the new size
    echo sql
}
restart() { # RESTART_S: seconds from start to /readyz (not in a subshell: it replaces the server)
    stop_stoa
    local t0; t0=$(now)
    start_stoa
    RESTART_S=$(echo "$(now) - $t0" | bc -l)
}
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$STOA_PID/status"; }
hits_rps() { # wrk over .info of 1000 published versions
    python3 -c 'import random,sys; n=int(sys.argv[1]); [print("/corp.example.com/s/m%d/@v/v1.0.%d.info" % (i // 100, i % 100)) for i in random.sample(range(n), min(n, 1000))]' "$1" >"$TMP/hits.txt"
    for p in $(head -3 "$TMP/hits.txt"); do curl -sf -o /dev/null "$STOA_URL$p" || fail "hit $p"; done
    wrk -t2 -c64 -d"${SECS}s" -s "$src/tests/bench/wrk.lua" "$STOA_URL" -- "$TMP/hits.txt" | sed -n 's/^RESULT rps=\([0-9.]*\).*/\1/p'
}
first_listing_s() { # the first listing after a restart builds the disk index
    local t0; t0=$(now)
    curl -sf -o /dev/null "$STOA_URL/catalog?pagesize=1"
    echo "$(now) - $t0" | bc -l
}
page_s() { # one catalog page of 1000 from the middle, mean of 10
    local t0; t0=$(now)
    for _ in 1 2 3 4 5 6 7 8 9 10; do curl -sf -o /dev/null "$STOA_URL/catalog?pagesize=1000&token=corp.example.com/s/m$(($1 / 200))@v1.0.50"; done
    echo "($(now) - $t0) / 10" | bc -l
}
whole_catalog_s() {
    local n t0
    t0=$(now)
    n=$(whole_catalog)
    [ "$n" = "$1" ] || fail "the whole catalog listed $n, expected $1"
    echo "$(now) - $t0" | bc -l
}
measure() { # N -> "restart rss rps page catalog" into M_OUT
    restart
    local h b p c
    h=$(hits_rps "$1") b=$(first_listing_s) p=$(page_s "$1") c=$(whole_catalog_s "$1")
    M_OUT="$RESTART_S $(rss_mb) $h $b $p $c" # RSS once the listings built the disk index
}
log "publishing $((N / 10)) versions"
pub1=$(publish 0 $((N / 10)))
measure $((N / 10))
read -r r1 m1 h1 b1 p1 c1 <<<"$M_OUT"
log "publishing up to $N${SCALE_SEED:+ by $SCALE_SEED}"
if [ "${SCALE_SEED:-}" = sql ]; then
    [ "$STORAGE" = pgs3 ] || fail "SCALE_SEED=sql needs SCALE_STORAGE=pgs3"
    pub2=$(seed_sql $((N / 10)) "$N")
else
    pub2=$(publish $((N / 10)) "$N")
fi
measure "$N"
read -r r2 m2 h2 b2 p2 c2 <<<"$M_OUT"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "== scale, $STORAGE storage${SCALE_SEED:+ (past N/10 seeded by $SCALE_SEED)}, N/10=$((N / 10)) N=$N, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-32s %12s %12s  %s\n' "" "N/10" "N" "N / (N/10)"
printf '%-32s %12.1f %12s  %s (want ~1)\n' "publish, versions/s" "$pub1" "$pub2" "$(ratio "$pub2" "$pub1")"
printf '%-32s %12.3f %12.3f  %s\n' "restart to /readyz, s" "$r1" "$r2" "$(ratio "$r2" "$r1")"
printf '%-32s %12.1f %12.1f  %s\n' "RSS after the reads, MiB" "$m1" "$m2" "$(ratio "$m2" "$m1")"
printf '%-32s %12.0f %12.0f  %s (want ~1)\n' ".info hits, requests/s" "$h1" "$h2" "$(ratio "$h2" "$h1")"
printf '%-32s %12.3f %12.3f  %s (the disk index is built: ~10)\n' "first listing after restart, s" "$b1" "$b2" "$(ratio "$b2" "$b1")"
printf '%-32s %12.4f %12.4f  %s (want ~1)\n' "one catalog page, s" "$p1" "$p2" "$(ratio "$p2" "$p1")"
printf '%-32s %12.3f %12.3f  %s (want ~10)\n' "whole catalog, s" "$c1" "$c2" "$(ratio "$c2" "$c1")"
