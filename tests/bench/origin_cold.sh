#!/usr/bin/env bash
# Cold zips from git (issue 17): the same repository, served on loopback by git
# http-backend, fetched (a) by the go command itself, GOPROXY=direct with an empty
# module cache, and (b) through stoa's direct upstream with an empty data dir, so both
# clone the repository and build the zip. Prints the ratio stoa/direct (target <= 1.0),
# then sends HERD concurrent requests for one cold version and counts the git fetches
# (target: 1). Not in CI:  tests/bench/origin_cold.sh
#   ORIGIN_FILES=2000 ORIGIN_RUNS=3 ORIGIN_HERD=50
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
export STOA_SRC=$src STOA_BUILD=${STOA_BUILD:-$src/build}
export STOA_BIN=${STOA_BIN:-$STOA_BUILD/stoa} STOA_PLUGIN_DIR=${STOA_PLUGIN_DIR:-$STOA_BUILD/plugins}
. "$src/tests/integration/lib.sh"
. "$src/tests/integration/lib_git.sh"
FILES=${ORIGIN_FILES:-2000} RUNS=${ORIGIN_RUNS:-3} HERD=${ORIGIN_HERD:-50}
M=github.com/stoatest/big
log() { echo "bench: $*" >&2; }

log "a repository of $FILES files, $((RUNS + 1)) tags"
start_git_server
new_repo big
put big go.mod $'module github.com/stoatest/big\n\ngo 1.19\n'
for i in $(seq 1 "$FILES"); do
    d=$((i % 40))
    mkdir -p "$TMP/work/big/p$d"
    { printf 'package p%d\n\n// File %d.\n' "$d" "$i"; head -c 3000 /dev/urandom | base64 -w 76 | sed 's|^|// |'; } \
        >"$TMP/work/big/p$d/f$i.go"
done
commit big
for r in $(seq 0 "$RUNS"); do
    put big VERSION "$r"
    commit big && g big tag "v1.0.$r"
done
publish big
log "repository: $(du -sh "$GIT_ROOT/stoatest/big" | cut -f1) bare"

origin_config
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ds=() ss=() rs=()
for r in $(seq 1 "$RUNS"); do
    v="v1.0.$r"
    clean_modcache
    t0=$(now)
    direct mod download -json "$M@$v" >"$TMP/direct.json" || fail "direct download of $v"
    d=$(secs "$t0" "$(now)")
    # A stoa with nothing: no mirror, no cache.
    DATA="$TMP/data.$r" start_stoa
    t0=$(now)
    curl -sf -o "$TMP/stoa.zip" "$STOA_URL/$M/@v/$v.zip" || fail "stoa zip of $v"
    s=$(secs "$t0" "$(now)")
    # The same module: the h1 (dirhash.Hash1 over the files) of stoa's zip is the go command's.
    python3 - "$TMP/stoa.zip" "$TMP/direct.json" <<'PY' || fail "stoa's zip of $v has another h1 than the go command's"
import base64, hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
lines = "".join("%s  %s\n" % (hashlib.sha256(z.read(n)).hexdigest(), n) for n in sorted(z.namelist()))
h1 = "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()
want = json.load(open(sys.argv[2]))["Sum"]
assert h1 == want, (h1, want)
PY
    kill "$STOA_PID" 2>/dev/null || true
    ds+=("$d") ss+=("$s") rs+=("$(awk -v a="$s" -v b="$d" 'BEGIN { printf "%.2f", a / b }')")
    log "run $r: direct ${d}s, stoa ${s}s"
done

log "herd: $HERD concurrent requests for one cold version"
DATA="$TMP/data.herd" start_stoa
before=$(grep -c 'POST .*git-upload-pack' "$GIT_LOG" || true)
v="v1.0.0"
pids=()
for i in $(seq 1 "$HERD"); do
    curl -s -o "$TMP/herd.$i.zip" -w "%{http_code}\n" "$STOA_URL/$M/@v/$v.zip" >"$TMP/herd.$i.code" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
ok=$(cat "$TMP"/herd.*.code | grep -c '^200$' || true)
same=$(md5sum "$TMP"/herd.*.zip | awk '{print $1}' | sort -u | wc -l)
fetches=$(( $(grep -c 'POST .*git-upload-pack' "$GIT_LOG" || true) - before ))

echo
echo "== stoa direct upstream vs GOPROXY=direct, $FILES files, runs=$RUNS, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %8s  target <= 1.0  %s\n' "cold zip time (stoa/direct)" "$(median "${rs[@]}")" \
    "runs: ${rs[*]} (stoa median $(median "${ss[@]}") s, direct $(median "${ds[@]}") s)"
printf '%-44s %8s  target = 1     %s\n' "git fetches for $HERD concurrent cold requests" "$fetches" \
    "($ok of $HERD answered 200, $same distinct bodies)"
