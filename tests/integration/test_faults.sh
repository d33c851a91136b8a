#!/usr/bin/env bash
# Fault injection on the disk plugin:
#  1. kill -9 at random moments while stoa fills from the upstream and takes publishes,
#     several rounds on one data dir; after each crash the store holds only complete,
#     hash-correct files (sha256 vs sidecar metadata, zips valid, bytes equal to the
#     upstream's), a published version is visible only whole, and a restart cleans the
#     leftover temp files and serves everything correctly;
#  2. a crash exactly at the commit point (STOA_DISK_CRASH_AT=before_rename) leaves nothing
#     visible;
#  3. storage full (RLIMIT_FSIZE on the running stoa): 507/503, the process survives,
#     small files still work, nothing half-written appears.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storecheck.sh"

ROUNDS=${FAULT_ROUNDS:-6}
small=() big=() pub=()
for i in $(seq -w 1 40); do small+=("example.com/small/m$i@v1.0.0"); done
for i in 1 2 3 4; do big+=("example.com/big/b$i@v1.0.0"); done
for i in $(seq -w 1 30); do pub+=("corp.example.com/p$i@v1.0.0"); done
genmod -out "$TMP/up" "${small[@]}"
genmod -out "$TMP/up" -pad $((3 << 20)) "${big[@]}"
genmod -out "$TMP/pub" "${pub[@]}"          # zips to publish (never served upstream)
start_upstream "$TMP/up"
fault "$UPSTREAM_URL" "*" "delay:30"       # widen the fetch window the kills aim at
fixture_config
DATA="$TMP/data"

fetch() { # fetch OUT URL [curl args...]: the status code; the body goes to OUT
    local o=$1 u=$2
    shift 2
    curl -s -o "$o" -w '%{http_code}' "$@" "$u"
}
urlpath() { # urlpath MODULE@VERSION EXT
    local m=${1%@*} v=${1#*@}
    printf '/%s/@v/%s.%s' "$m" "$v" "$2"
}

# One client: fetches and publishes a shuffled selection until stoa goes away.
client() {
    local seed=$1 spec ext
    for spec in $(printf '%s\n' "${small[@]}" "${big[@]}" | shuf --random-source=<(yes "$seed")); do
        for ext in info mod zip; do
            curl -s -o /dev/null --max-time 20 "$STOA_URL$(urlpath "$spec" $ext)" || return 0
        done
    done
}
publisher() {
    local seed=$1 spec
    for spec in $(printf '%s\n' "${pub[@]}" | shuf --random-source=<(yes "$seed")); do
        curl -s -o /dev/null --max-time 20 -T "$TMP/pub$(urlpath "$spec" zip)" "$STOA_URL$(urlpath "$spec" zip)" || return 0
    done
}

# 1. Random kill -9 during fills and publishes.
leftovers=0
for round in $(seq 1 "$ROUNDS"); do
    start_stoa
    [ -z "$(ls -A "$DATA/.tmp")" ] || fail "round $round: temp files survived the restart: $(ls "$DATA/.tmp")"
    load=()
    for c in 1 2 3 4; do client "$round$c" & load+=($!); done
    publisher "$round" & load+=($!)
    # The kill point: a random moment 0.1-1.5 s into the load (not a synchronisation).
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.1 + rand() * 1.4 }')"
    kill -9 "$STOA_PID"
    wait "$STOA_PID" 2>/dev/null || true
    for p in "${load[@]}"; do wait "$p" || true; done
    leftovers=$((leftovers + $(ls -A "$DATA/.tmp" | wc -l)))
    out=$(check_store "$DATA" "$TMP/up" "corp.example.com/") || fail "round $round: $out"
done
pass "$ROUNDS rounds of kill -9 during fills and publishes: store consistent ($out; $leftovers temp files left by the crashes)"

# After the crashes: everything is served correctly (stored or refilled).
fault "$UPSTREAM_URL" "*" "ok"
start_stoa
[ -z "$(ls -A "$DATA/.tmp")" ] || fail "temp files survived the restart"
for spec in "${small[@]}" "${big[@]}"; do
    for ext in info mod zip; do
        curl -sf -o "$TMP/got" "$STOA_URL$(urlpath "$spec" $ext)" || fail "fetch $spec .$ext after crashes"
        cmp -s "$TMP/got" "$TMP/up$(urlpath "$spec" $ext)" || fail "$spec .$ext differs from the upstream after crashes"
    done
done
for spec in "${pub[@]}"; do
    code=$(fetch "$TMP/got" "$STOA_URL$(urlpath "$spec" zip)")
    if [ "$code" = 200 ]; then
        cmp -s "$TMP/got" "$TMP/pub$(urlpath "$spec" zip)" || fail "published $spec differs after crashes"
    else
        assert_eq "$code" 404 "published $spec after crashes: committed or absent"
    fi
    code=$(http_status PUT "$STOA_URL$(urlpath "$spec" zip)" -T "$TMP/pub$(urlpath "$spec" zip)")
    [ "$code" = 200 ] || [ "$code" = 201 ] || fail "re-publish $spec after crashes: $code"
done
(cd "$TMP" && mkdir app && cd app && printf 'module example.com/app\n\ngo 1.19\n' >go.mod &&
    gocmd mod download -json "${small[0]}" "${pub[0]}" >"$TMP/dl.json") || fail "go mod download after crashes"
out=$(check_store "$DATA" "$TMP/up" "corp.example.com/") || fail "after refill: $out"
stop_stoa
pass "after the crashes: restart cleans temp files, every file served equals the upstream's, publishes redo"

# 2. A crash exactly between writing an object and its commit (rename).
DATA="$TMP/data-commit"
mkdir -p "$DATA"
start_stoa STOA_DISK_CRASH_AT=before_rename
code=$(http_status GET "$STOA_URL$(urlpath "${small[0]}" mod)") || true # the connection dies with stoa
wait "$STOA_PID" 2>/dev/null && fail "stoa did not crash at the commit point"
[ -n "$(ls -A "$DATA/.tmp")" ] || fail "the crash left no temp file (did it happen before the write?)"
out=$(check_store "$DATA") || fail "crash at commit: $out"
[ -z "$(find "$DATA" \( -path "$DATA/.tmp" -o -path "$DATA/.pins" \) -prune -o -name '*.mod' -print)" ] || fail "crash at commit: the object is visible"
start_stoa
[ -z "$(ls -A "$DATA/.tmp")" ] || fail "restart did not clean the temp file"
assert_eq "$(http_status GET "$STOA_URL$(urlpath "${small[0]}" mod)")" 200 "refill after a crash at commit"
stop_stoa
pass "crash at the commit point: nothing visible (client saw $code), restart cleans up and refills"

# 3. Storage full: a 1 MiB file size limit on the running process.
DATA="$TMP/data-full"
mkdir -p "$DATA"
start_stoa
prlimit --pid "$STOA_PID" --fsize=$((1 << 20)):$((1 << 20)) || fail "prlimit"
code=$(fetch "$TMP/body" "$STOA_URL$(urlpath "${big[0]}" zip)")
fill_code=$code
case $code in 507 | 503) ;; *) fail "fill over the size limit: expected 507 or 503, got $code: $(head -c 300 "$TMP/body")" ;; esac
kill -0 "$STOA_PID" || fail "stoa died when the disk was full"
code=$(fetch "$TMP/body" "$STOA_URL$(urlpath "${pub[1]}" zip)" -T "$TMP/up$(urlpath "${big[1]}" zip)")
case $code in 507 | 503 | 413 | 422 | 400) ;; *) fail "publish over the size limit: got $code: $(head -c 300 "$TMP/body")" ;; esac
assert_eq "$(http_status GET "$STOA_URL$(urlpath "${small[1]}" zip)")" 200 "a small file still fits"
settle
out=$(check_store "$DATA" "$TMP/up") || fail "storage full: $out"
[ ! -e "$DATA$(urlpath "${big[0]}" zip)" ] || fail "the big zip is stored despite the limit"
[ -e "$DATA$(urlpath "${small[1]}" zip)" ] || fail "the small zip is not stored"
[ -z "$(ls -A "$DATA/.tmp")" ] || fail "failed writes left temp files: $(ls "$DATA/.tmp")"
stop_stoa
pass "storage full: $fill_code for the fill, $code for the publish, the process lives on, small files still stored, nothing partial"
