#!/usr/bin/env bash
# Scale run of the listings (issue 19): N versions (SCALE_N, default 50000) written
# straight into storage (pgs3: rows in PostgreSQL; SCALE_STORAGE=disk: .info files,
# then a restart so the disk index is built from them), then one /catalog page and the
# whole /catalog and /index (by cursor) timed at N/10 and at N. Prints the ratios: near
# 1 for a page, near 10 for a whole read. Not in CI:
#   tests/bench/scale_pgs3.sh                    SCALE_STORAGE=disk tests/bench/scale_pgs3.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
export STOA_SRC=$src STOA_BUILD=${STOA_BUILD:-$src/build}
export STOA_BIN=${STOA_BIN:-$STOA_BUILD/stoa} STOA_PLUGIN_DIR=${STOA_PLUGIN_DIR:-$STOA_BUILD/plugins}
. "$src/tests/integration/lib.sh"
. "$src/tests/integration/lib_pg.sh"
. "$src/tests/bench/lib_scale.sh"
N=${SCALE_N:-50000}
STORAGE=${SCALE_STORAGE:-pgs3}
[ "$STORAGE" = disk ] || use_pgs3
start_stoa
fill_disk() { # fill_disk FROM TO: the same versions as .info files; stoa restarted to index them
    python3 - "$DATA" "$1" "$2" <<'PY'
import os, sys
root, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(a, b):
    d = os.path.join(root, "example.com/scale/m%d/@v" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "v1.0.%d.info" % (i % 100)), "w") as f:
        f.write('{"Version":"v1.0.%d"}' % (i % 100))
PY
    stop_stoa
    start_stoa
    local t0; t0=$(now)
    page 0
    log_build=$(echo "$(now) - $t0" | bc -l)
    printf '  disk index built from the files on the first listing: %.3f s\n' "$log_build" >&2
}
fill() { # fill FROM TO: versions v1.0.<i> of 100 modules each, one shared body
    [ "$STORAGE" = disk ] && { fill_disk "$@"; return; }
    psqlc -c "INSERT INTO storage_blobs (sha256, size) VALUES (repeat('a', 64), 2) ON CONFLICT DO NOTHING;
        INSERT INTO storage_files (module, version, kind, size, sha256, origin)
        SELECT 'example.com/scale/m' || (i / 100), 'v1.0.' || (i % 100), 'info', 2, repeat('a', 64), 'published'
        FROM generate_series($1, $2 - 1) i; ANALYZE storage_files;"
}
page() { curl -sf -o /dev/null "$STOA_URL/catalog?pagesize=1000&token=example.com/scale/m$(($1 / 200))@v1.0.50"; }
whole_index() {
    local after="" n=0 next
    while :; do
        curl -sf -D "$TMP/h" -o "$TMP/p" "$STOA_URL/index?limit=2000&after=$after"
        n=$((n + $(wc -l <"$TMP/p")))
        next=$(tr -d '\r' <"$TMP/h" | awk -F': ' 'tolower($1)=="stoa-index-next"{print $2}')
        [ "$next" = "$after" ] && break
        after=$next
    done
    echo "$n"
}
measure() { # prints: page_seconds catalog_seconds index_seconds
    local t0 t1 t2 t3 c i
    page "$1" # warm
    t0=$(now); for _ in 1 2 3 4 5 6 7 8 9 10; do page "$1"; done; t1=$(now)
    c=$(whole_catalog); t2=$(now)
    i=$(whole_index); t3=$(now)
    [ "$c" = "$1" ] && [ "$i" = "$1" ] || fail "listed $c (catalog) and $i (index), expected $1"
    echo "$(echo "($t1 - $t0) / 10" | bc -l) $(echo "$t2 - $t1" | bc -l) $(echo "$t3 - $t2" | bc -l)"
}
fill 0 $((N / 10))
read -r p1 c1 i1 < <(measure $((N / 10)))
fill $((N / 10)) "$N"
read -r p2 c2 i2 < <(measure "$N")
printf 'scale %s  N/10=%d  N=%d\n' "$STORAGE" $((N / 10)) "$N"
printf '  one catalog page  %8.4f s  %8.4f s  ratio %5.2f (want ~1)\n' "$p1" "$p2" "$(echo "$p2 / $p1" | bc -l)"
printf '  whole catalog     %8.3f s  %8.3f s  ratio %5.2f (want ~10)\n' "$c1" "$c2" "$(echo "$c2 / $c1" | bc -l)"
printf '  whole index       %8.3f s  %8.3f s  ratio %5.2f (want ~10)\n' "$i1" "$i2" "$(echo "$i2 / $i1" | bc -l)"
