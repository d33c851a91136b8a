#!/usr/bin/env bash
# Issue 17, the emergency: every proxy upstream is dead and a project with a dozen
# dependencies still builds through stoa alone, from the modules' own git repositories
# (the go command has no git access here); then a tag moved in one repository is
# refused by the pin (same version, other bytes) and never served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_git.sh"

start_git_server
deps=()
for i in $(seq -w 1 12); do
    new_repo "dep$i"
    put "dep$i" go.mod "module github.com/stoatest/dep$i

go 1.19
"
    put "dep$i" d.go "package dep$i

func Name() string { return \"dep$i\" }
"
    commit "dep$i" && g "dep$i" tag v1.0.0 && publish "dep$i"
    deps+=("dep$i")
done
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cat >"$TMP/stoa.yaml" <<YAML
upstreams:
  - {name: golang, url: "http://127.0.0.1:$(port)", fallthrough: on_any_error, retries: 0}
  - {name: cn, url: "http://127.0.0.1:$(port)", fallthrough: on_any_error, retries: 0}
  - name: origin
    direct: true
    rules: ["github.com/stoatest/* $GIT_URL/git/{path}"]
    insecure: github.com/stoatest
    private_hosts: 127.0.0.1
namespaces: [{pattern: "*", mode: proxy}]
YAML
export CONFIG_FILE="$TMP/stoa.yaml"
start_stoa

mkdir -p "$TMP/app"
{
    printf 'module example.com/app\n\ngo 1.19\n\nrequire (\n'
    for d in "${deps[@]}"; do printf '\tgithub.com/stoatest/%s v1.0.0\n' "$d"; done
    printf ')\n'
} >"$TMP/app/go.mod"
{
    printf 'package main\n\nimport (\n\t"fmt"\n'
    for d in "${deps[@]}"; do printf '\t"github.com/stoatest/%s"\n' "$d"; done
    printf ')\n\nfunc main() {\n'
    for d in "${deps[@]}"; do printf '\tfmt.Println(%s.Name())\n' "$d"; done
    printf '}\n'
} >"$TMP/app/main.go"
out=$(cd "$TMP/app" && via_stoa build -o "$TMP/app/app" . 2>&1) || fail "go build through stoa: $out"
assert_eq "$("$TMP/app/app" | tr '\n' ' ')" "$(printf '%s ' "${deps[@]}")" "the program built from 12 git dependencies"
metrics=$(curl -sf "$STOA_URL/metrics")
assert_contains "$metrics" 'stoa_upstream_attempts_total{upstream="golang",result="connect_error"}'
[ "$(sed -n 's/^stoa_upstream_attempts_total{upstream="origin",result="ok"} \([0-9]*\)$/\1/p' <<<"$metrics")" -ge 12 ] ||
    fail "origin served fewer than 12 files: $(grep 'upstream="origin"' <<<"$metrics")"
pass "with every proxy upstream dead, a project with 12 git dependencies builds through stoa alone"

# stoa prefetch and stoa verify work with origin-filled versions (a fresh data dir for
# prefetch: nothing cached, everything from git).
stop_stoa
DATA="$TMP/data2" start_stoa
out=$("$STOA_BIN" prefetch --url "$STOA_URL" "$TMP/app/go.mod" 2>&1) || fail "prefetch of the app's go.mod: $out"
assert_contains "$out" "12 module versions, 36 of 36 files fetched"
settle
out=$(STOA_STORAGE_OPTIONS_ROOT="$TMP/data2" STOA_SUMDB_CHECK=off "$STOA_BIN" verify --config "$CONFIG_FILE" --no-sumdb \
    --all --json 2>&1) || fail "verify of origin-filled versions: $out"
python3 - "$out" <<'PY' || fail "verify's summary: $out"
import json, sys
s = json.loads(sys.argv[1].splitlines()[-1])["summary"]
assert s["checked"] == 24 and s["ok"] == 24 and s["mismatched"] == 0, s  # a .mod and a .zip per version
PY
pass "stoa prefetch fills from git, and stoa verify re-hashes the origin-filled go.mod and zip files (24 of 24 ok)"

# The tag moves: dep03's v1.0.0 now names another commit. stoa's copy is deleted (as an
# eviction would), so the next request fetches the repository again.
z="$STOA_URL/github.com/stoatest/dep03/@v/v1.0.0.zip"
curl -sf -o "$TMP/first.zip" "$z" || fail "dep03 zip"
put dep03 d.go 'package dep03

func Name() string { return "moved" }
'
fetches() { grep -c 'origin: fetched .*(github.com/stoatest/dep03' "$STOA_LOG" || true; }
before=$(fetches)
commit dep03 && g dep03 tag -f v1.0.0 && publish dep03
# The mirror sees the move when it next fetches the repository: asking for the list
# after list_ttl (1 s here) makes it refresh its refs; wait for that fetch to be logged.
fetched_again() {
    curl -s -o /dev/null "$STOA_URL/github.com/stoatest/dep03/@v/list"
    [ "$(fetches)" -gt "$before" ]
}
wait_for fetched_again || fail "the mirror of dep03 never fetched again"
assert_eq "$(http_status DELETE "$z")" 200 "delete the cached version"
refused=$(curl -s -o "$TMP/again" -w '%{http_code}' "$z")
[ "$refused" = 200 ] && ! cmp -s "$TMP/again" "$TMP/first.zip" && fail "a moved tag was served: other bytes for dep03@v1.0.0"
assert_eq "$refused" 404 "the moved tag's zip"
assert_contains "$(cat "$TMP/again")" "stoa first served"
pass "a tag moved in the repository is refused by the pin, never served with other bytes"
