#!/usr/bin/env bash
# The documentation says what the binary does: docs/configuration.md's reference table
# is the output of `stoa config-reference`, every metric docs/operations.md names is
# exported by a running stoa, every command docs/ shows as `stoa SUBCOMMAND` exists,
# and relative links in README.md and docs/ point at files that exist.
. "$(dirname "$0")/lib.sh"
cd "$STOA_SRC"

# 1. The generated config reference.
"$STOA_BIN" config-reference >"$TMP/ref.md" || fail "stoa config-reference"
[ "$(wc -l <"$TMP/ref.md")" -gt 20 ] || fail "config-reference printed too little"
sed -n '/^<!-- BEGIN stoa config-reference -->$/,/^<!-- END stoa config-reference -->$/p' docs/configuration.md |
    sed '1d;$d' >"$TMP/doc.md"
diff -u "$TMP/doc.md" "$TMP/ref.md" >"$TMP/ref.diff" ||
    fail "docs/configuration.md's reference differs from the binary; run docs/update-config-reference.sh:
$(cat "$TMP/ref.diff")"
pass "docs/configuration.md reference table == stoa config-reference"

# 2. Metric names in docs/operations.md exist in /metrics.
genmod -out "$TMP/up" example.com/m@v1.0.0
start_upstream "$TMP/up"
# A cache limit with a fast evictor: the cache size gauges exist once a round ran.
start_stoa STOA_UPSTREAMS_0_URL="$UPSTREAM_URL" STOA_UPSTREAMS_0_NAME=fixture STOA_CACHE_MAX_SIZE=1GiB \
    STOA_CACHE_EVICT_INTERVAL=100ms
curl -sf "$STOA_URL/example.com/m/@v/v1.0.0.info" >/dev/null || fail "fill through the fixture"
round_ran() { curl -sf "$STOA_URL/metrics" | grep -q '^stoa_cache_bytes{'; }
wait_for round_ran || fail "no eviction round in 15 s"
curl -sf "$STOA_URL/metrics" >"$TMP/metrics.txt" || fail "GET /metrics"
names=$(grep -o '\bstoa_[a-z0-9_]*' docs/operations.md | sort -u)
[ "$(printf '%s\n' "$names" | wc -l)" -ge 8 ] || fail "docs/operations.md names too few metrics"
for n in $names; do
    grep -qE "^$n(\{| |_bucket|_sum|_count)" "$TMP/metrics.txt" || fail "docs/operations.md names $n, which /metrics does not export"
done
pass "every metric docs/operations.md names is exported ($(printf '%s\n' "$names" | wc -l) names)"

# 2b. The Grafana dashboard is valid JSON whose every query names exported metrics.
dash_names=$(python3 - "$STOA_SRC/docs/grafana/stoa-dashboard.json" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in d["panels"] for t in p["targets"]]
assert len(exprs) >= 10, "too few panels"
for n in sorted({m for e in exprs for m in re.findall(r"\b(?:stoa|process)_[a-z0-9_]+", e)}):
    print(re.sub(r"_(bucket|sum|count)$", "", n))
PY
) || fail "docs/grafana/stoa-dashboard.json does not parse"
for n in $dash_names; do
    grep -qE "^$n(\{| |_bucket|_sum|_count)" "$TMP/metrics.txt" || fail "the Grafana dashboard queries $n, which /metrics does not export"
done
pass "the Grafana dashboard queries only exported metrics ($(printf '%s\n' "$dash_names" | wc -l) names)"

# 3. Subcommands the docs show exist (each answers --help or usage, not 'unknown command').
# Commands are looked for in code: fenced blocks and `inline code`.
cmds=$(python3 - README.md docs/*.md <<'PY'
import re, sys
found = set()
for path in sys.argv[1:]:
    fenced = False
    for line in open(path):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        code = [line] if fenced else re.findall(r"`([^`]+)`", line)
        for c in code:
            found.update(re.findall(r"(?:^\s*(?:\$ )?|\|\s*|&&\s*)stoa ([a-z][a-z-]+)", c))
print("\n".join(sorted(found)))
PY
)
[ -n "$cmds" ] || fail "found no stoa commands in the docs"
for cmd in $cmds; do
    out=$("$STOA_BIN" "$cmd" --help 2>&1 || true)
    assert_not_contains "$out" "unknown command" "docs mention 'stoa $cmd'"
done
pass "every 'stoa SUBCOMMAND' in README.md and docs/ code exists: $(echo $cmds)"

# 4. Relative links resolve.
bad=0
for f in README.md docs/*.md; do
    dir=$(dirname "$f")
    for link in $(grep -oE '\]\([^)#[:space:]]+' "$f" | sed 's/^](//' | grep -vE '^[a-z]+:' || true); do
        target=$(realpath -m --relative-to=. "$dir/$link")
        [ -e "$target" ] && continue
        echo "broken link in $f: $link" >&2
        bad=1
    done
done
[ $bad = 0 ] || fail "broken relative links"
pass "relative links in README.md and docs/ resolve"

# 5. The emergency recipes load as they are written: every YAML block of the runbook
# (copied in a hurry, during an outage) and the first full configuration of the git
# origin page pass `stoa check-config`.
python3 - "$TMP/recipes" docs/runbook.md docs/origin.md <<'PY' || fail "cannot extract the YAML blocks"
import os, re, sys
out = sys.argv[1]
os.makedirs(out)
for doc in sys.argv[2:]:
    blocks = re.findall(r"```yaml\n(.*?)```", open(doc).read(), re.S)
    if "origin" in doc:
        blocks = blocks[:1]  # the others are fragments of it
    assert blocks, doc + " has no yaml block"
    for i, b in enumerate(blocks):
        open(os.path.join(out, "%s.%d.yaml" % (os.path.basename(doc), i)), "w").write(b)
PY
n=0
for f in "$TMP"/recipes/*.yaml; do
    out=$("$STOA_BIN" check-config --config "$f" 2>&1) || fail "$(basename "$f") does not load: $out
$(cat "$f")"
    n=$((n + 1))
done
pass "the runbook's and the origin page's configurations load ($n blocks)"
