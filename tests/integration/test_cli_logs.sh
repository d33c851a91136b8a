#!/usr/bin/env bash
# Issue 20: maintenance commands follow log.format. With json, every diagnostic on
# stderr is a JSON log line (level, who = the command) as serve writes them; with
# text it stays "stoa CMD: message". A command's report (stdout) is the same either way.
source "$(dirname "$0")/lib.sh"

echo "not a directory" >"$TMP/file"
printf 'storage: {plugin: disk, options: {root: %s/file/sub}}\nmode: offline\n' "$TMP" >"$TMP/bad.yaml"
rc=0
STOA_LOG_FORMAT=json "$STOA_BIN" gc --config "$TMP/bad.yaml" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" != 0 ] || fail "gc on a storage root that cannot exist succeeded"
python3 - "$TMP/err" <<'PY' || fail "stderr of gc with log.format json: $(cat "$TMP/err")"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "nothing on stderr"
for l in lines:
    e = json.loads(l)
    assert e["level"] == "error" and e["who"] == "gc", e
    assert "file/sub" in e["msg"], e
PY
rc=0
"$STOA_BIN" gc --config "$TMP/bad.yaml" 2>"$TMP/err" >/dev/null || rc=$?
[ "$rc" != 0 ] || fail "gc in text mode succeeded"
assert_contains "$(cat "$TMP/err")" "stoa gc: " "the text diagnostic"
pass "a failing maintenance command reports as JSON lines with log.format json, as 'stoa gc: ...' with text"

printf 'storage: {plugin: disk, options: {root: %s/data}}\nmode: offline\ncache: {max_size: 1GiB}\n' "$TMP" >"$TMP/ok.yaml"
STOA_LOG_FORMAT=json "$STOA_BIN" gc --config "$TMP/ok.yaml" >"$TMP/out" 2>"$TMP/err" || fail "gc: $(cat "$TMP/err")"
assert_contains "$(cat "$TMP/out")" "cache entries" "gc's report on stdout"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' "$TMP/err" ||
    fail "a non-JSON line on stderr: $(cat "$TMP/err")"
pass "a successful run keeps its report on stdout and writes only JSON lines to stderr"
