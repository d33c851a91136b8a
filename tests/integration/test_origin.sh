#!/usr/bin/env bash
# The direct upstream (core/origin/): stoa answers from git repositories served on
# loopback by `git http-backend`, and every answer must equal what the go command's own
# GOPROXY=direct mode computes from the same repositories: versions lists, Version and
# Time of queries (tags, branches, hashes, latest, pseudo-versions), go.mod and zip h1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_git.sh"

start_git_server

# basic: lightweight and annotated tags, a prerelease, commits after the last tag, a
# branch, invalid and non-canonical tags, vendor/, a nested module, a symlink.
new_repo basic
put basic go.mod $'module github.com/stoatest/basic\n\ngo 1.19\n'
put basic basic.go $'package basic\n'
put basic LICENSE 'MIT'
commit basic && g basic tag v1.0.0
put basic vendor/modules.txt '# vendored'
put basic vendor/x.org/y/y.go $'package y\n'
put basic nested/go.mod $'module github.com/stoatest/basic/nested\n'
put basic nested/n.go $'package nested\n'
put basic docs/a.txt 'a'
ln -s basic.go "$TMP/work/basic/link.go"
commit basic && g basic tag -a v1.1.0 -m 'annotated'
put basic b.go $'package basic\n// b\n'
commit basic && g basic tag v1.2.0-rc.1
g basic tag v1.3 && g basic tag vfoo && g basic tag v1.4.0+meta
put basic c.go $'package basic\n// c\n'
commit basic
g basic checkout -q -b feature && put basic f.go $'package basic\n// f\n' && commit basic && g basic checkout -q main
publish basic

# mono: a root module, a submodule with prefixed tags and no LICENSE, a /v2 in a subdirectory.
new_repo mono
put mono go.mod $'module github.com/stoatest/mono\n'
put mono LICENSE 'Apache'
put mono sub/go.mod $'module github.com/stoatest/mono/sub\n'
put mono sub/s.go $'package sub\n'
commit mono && g mono tag v1.0.0 && g mono tag sub/v0.1.0
put mono sub/t.go $'package sub\n// t\n'
put mono v2/go.mod $'module github.com/stoatest/mono/v2\n'
put mono v2/m.go $'package mono\n'
commit mono && g mono tag sub/v0.2.0 && g mono tag v2.0.0
put mono sub/u.go $'package sub\n// u\n'
commit mono
publish mono

# old: no go.mod at all, v2+ tags (+incompatible).
new_repo old
put old old.go $'package old\n'
commit old && g old tag v1.0.0
put old two.go $'package old\n'
commit old && g old tag v2.0.0
put old three.go $'package old\n'
commit old && g old tag v3.1.0
put old four.go $'package old\n'
commit old
publish old

# rootv2: the /v2 module at the repository root.
new_repo rootv2
put rootv2 go.mod $'module github.com/stoatest/rootv2/v2\n'
put rootv2 r.go $'package rootv2\n'
commit rootv2 && g rootv2 tag v2.0.0
put rootv2 s.go $'package rootv2\n// s\n'
commit rootv2 && g rootv2 tag v2.1.0
put rootv2 t.go $'package rootv2\n// t\n'
commit rootv2
publish rootv2

# untagged: only commits: v0.0.0 pseudo-versions.
new_repo untagged
put untagged go.mod $'module github.com/stoatest/untagged\n'
commit untagged
put untagged x.go $'package untagged\n'
commit untagged
publish untagged

# retr: the highest release retracts itself; later commits must not use it as a base.
new_repo retr
put retr go.mod $'module github.com/stoatest/retr\n'
commit retr && g retr tag v1.0.0
put retr a.go $'package retr\n'
commit retr && g retr tag v1.1.0
put retr go.mod $'module github.com/stoatest/retr\n\nretract v1.2.0 // broken\n'
commit retr && g retr tag v1.2.0
put retr b.go $'package retr\n'
commit retr
publish retr

origin_config
start_stoa

# compare WHAT ARGS...: the same go command both ways; identical output or the same failure.
compare() {
    local what=$1 a b ra=0 rb=0
    shift
    clean_modcache
    a=$(direct "$@" 2>&1) || ra=$?
    clean_modcache
    b=$(via_stoa "$@" 2>&1) || rb=$?
    if [ $ra -ne 0 ]; then
        [ $rb -ne 0 ] || fail "$what: direct failed ($a) but stoa answered: $b"
        pass "$what: both fail"
        return
    fi
    [ $rb -eq 0 ] || fail "$what: direct gave $a; through stoa: $b"
    assert_eq "$(norm "$b")" "$(norm "$a")" "$what"
    pass "$what: $(norm "$a" | tr '\n' ' ' | cut -c1-150)"
}
# Only the fields stoa must reproduce (paths to the module cache differ).
norm() { printf '%s\n' "$1" | grep -E '"(Path|Version|Time|Sum|GoModSum|Error)"|^github' | sed 's/^[[:space:]]*//; s/,$//'; }

M=github.com/stoatest
for m in basic mono mono/sub mono/v2 old rootv2/v2 untagged; do
    compare "versions $m" list -m -versions "$M/$m"
done
for q in latest v1.0.0 v1.1.0 v1.2.0-rc.1 main feature "$(head_of basic v1.0.0 | cut -c1-12)" \
    "$(head_of basic | cut -c1-7)" "$(head_of basic)" v1.3 v1.4.0 nosuch v9.9.9; do
    compare "basic@$q info" list -m -json "$M/basic@$q"
done
for q in latest v0.1.0 v0.2.0 main; do compare "mono/sub@$q info" list -m -json "$M/mono/sub@$q"; done
for q in latest v2.0.0 main; do compare "mono/v2@$q info" list -m -json "$M/mono/v2@$q"; done
for q in latest v1.0.0 v2.0.0+incompatible v3.1.0+incompatible main; do compare "old@$q info" list -m -json "$M/old@$q"; done
for q in latest v2.1.0 main; do compare "rootv2/v2@$q info" list -m -json "$M/rootv2/v2@$q"; done
for q in latest main; do compare "untagged@$q info" list -m -json "$M/untagged@$q"; done
compare "versions retr (retracted hidden)" list -m -versions "$M/retr"
for q in latest main v1.2.0; do compare "retr@$q info" list -m -json "$M/retr@$q"; done
latest=$(curl -sf "$STOA_URL/$M/retr/@latest") || fail "retr @latest"
assert_contains "$latest" '"Version":"v1.1.0"' "@latest skips the retracted release"

# go.mod and zip hashes, for tags and pseudo-versions.
for mv in basic@v1.1.0 basic@main basic@feature mono@v1.0.0 mono/sub@v0.2.0 mono/sub@main mono/v2@v2.0.0 \
    old@v3.1.0+incompatible old@main rootv2/v2@v2.1.0 rootv2/v2@main untagged@main; do
    compare "download $mv" mod download -json "$M/$mv"
done

# A pseudo-version is checked against the repository: a wrong timestamp is refused.
pv=$(direct list -m -f '{{.Version}}' "$M/basic@main")
bad=$(printf '%s' "$pv" | sed 's/-0\.\([0-9]\{8\}\)/-0.19990101/')
compare "bad pseudo-version" list -m -json "$M/basic@$bad"
compare "good pseudo-version" mod download -json "$M/basic@$pv"

# A tag pushed after the mirror's last refresh is found without waiting for list_ttl:
# an unknown revision fetches again, as the go command does.
stop_stoa
start_stoa STOA_CACHE_LIST_TTL=60s
curl -sf "$STOA_URL/$M/basic/@v/list" >/dev/null || fail "list basic"
g basic tag v1.5.0 && publish basic
info=$(curl -sf "$STOA_URL/$M/basic/@v/v1.5.0.info") || fail "a tag pushed just now is not found"
assert_contains "$info" '"Version":"v1.5.0"'
pass "new tag within list_ttl: $info"

# 50 concurrent cold requests for one repository (different files of it) cause one git
# fetch: the fill's single-flight per file, and the mirror's lock per repository.
stop_stoa
DATA="$TMP/data-cold" start_stoa STOA_CACHE_LIST_TTL=60s STOA_UPSTREAMS_0_MIRROR_DIR="$TMP/mirrors-cold"
before=$(grep -c 'git-upload-pack' "$GIT_LOG" | grep -v '^$' || true)
seq 1 50 | sed -e "s|.*|$STOA_URL/$M/mono/@v/v1.0.0.info|;2~3s|v1.0.0.info|list|;3~3s|@v/v1.0.0.info|@latest|" |
    xargs -P 50 -n 1 curl -s -o /dev/null -w '%{http_code} %{url_effective}\n' >"$TMP/cold.txt"
bad=$(grep -v '^200 ' "$TMP/cold.txt" || true)
[ -z "$bad" ] || fail "concurrent cold requests failed: $(head -5 <<<"$bad"); $(grep -E 'warn|error' "$STOA_LOG" | tail -5)"
after=$(grep -c 'git-upload-pack' "$GIT_LOG" || true)
# one fetch = the ref advertisement (GET info/refs?service=git-upload-pack) + one POST
fetches=$(( (after - before) / 2 ))
assert_eq "$fetches" 1 "git fetches for 50 concurrent cold requests"
pass "50 concurrent cold requests: $((after - before)) upload-pack requests (one fetch)"
metrics=$(curl -sf "$STOA_URL/metrics") || fail "GET /metrics"
assert_contains "$metrics" 'stoa_git_fetches_total{host="127.0.0.1"} 1'
assert_contains "$metrics" 'stoa_git_fetch_failures_total{host="127.0.0.1"} 0'
/usr/bin/python3 "$STOA_SRC/tests/integration/promq.py" <<<"$metrics" >/dev/null ||
    fail "/metrics does not parse with the git families"
pass "/metrics counts that one fetch for host 127.0.0.1"
