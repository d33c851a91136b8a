#!/usr/bin/env bash
# Conformance with the go command where a build that works against the upstream
# directly must work through stoa too (issue 16): .info queries that are not versions
# of the path (a v2 tag without go.mod, a branch), modules whose only versions are
# pseudo-versions (published and proxied), and checksum-database lookups of versions
# with upper case, where one module's failed lookup must not suspend the checks of
# the others. The real go command is the oracle: each go get runs straight against
# the fixture upstream first, then through stoa, and must end with the same go.mod.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sumdb.sh"

PSEUDO=v0.0.0-20240102030405-abcdef123456
genmod -out "$TMP/up" example.com/breaker@v1.0.0 example.com/breaker@v2.0.0+incompatible \
    example.com/branchy@$PSEUDO example.com/QUOTE@v1.5.3-PRE example.com/fail500/x@v1.0.0 \
    example.com/after@v1.0.0 example.com/down1@v1.0.0 example.com/down2@v1.0.0
# What proxy.golang.org answers: the v2 tag as a query resolves to the +incompatible
# version; a branch to its pseudo-version; a module with only pseudo-versions has an
# empty list and an @latest.
bdir="$TMP/up/example.com/breaker/@v"
rm "$bdir/v2.0.0+incompatible.mod" && printf 'module example.com/breaker\n' >"$bdir/v2.0.0+incompatible.mod"
python3 - "$bdir/v2.0.0+incompatible.zip" <<'PY' # +incompatible: a tree without go.mod
import sys, zipfile
p = sys.argv[1]
src = zipfile.ZipFile(p)
items = [(i, src.read(i)) for i in src.infolist() if not i.filename.endswith('/go.mod')]
src.close()
with zipfile.ZipFile(p, 'w', zipfile.ZIP_DEFLATED) as z:
    for i, data in items:
        z.writestr(i, data)
PY
cp "$bdir/v2.0.0+incompatible.info" "$bdir/v2.0.0.info"
rdir="$TMP/up/example.com/branchy/@v"
cp "$rdir/$PSEUDO.info" "$rdir/master.info"
cp "$rdir/$PSEUDO.info" "$TMP/up/example.com/branchy/@latest"
: >"$rdir/list"

DB=sum.stoa.test
start_sumdb "$DB" "$TMP/up" -fail-prefix example.com/fail500
start_upstream "$TMP/up"
fixture_config - <<YAML
sumdbs: [{name: $DB, url: "$SUMDB_URL", key: "$SUMDB_KEY"}]
sumdb_check: lenient
sumdb_unverified_max: 2
YAML
start_stoa

# go_get_both NAME ARGS...: go get ARGS in a fresh module straight from the upstream,
# then through stoa; both must succeed with the same requirements.
go_get_both() {
    local name=$1 via
    shift
    for via in direct stoa; do
        mkdir -p "$TMP/$name-$via" && cd "$TMP/$name-$via"
        printf 'module example.com/app\n\ngo 1.19\n' >go.mod
        clean_modcache
        local url=$STOA_URL
        [ $via = direct ] && url=$UPSTREAM_URL
        GOPROXY_URL=$url gocmd get "$@" 2>"$TMP/get.err" || fail "$name: go get $* ($via): $(cat "$TMP/get.err")"
        cd "$TMP"
    done
    assert_eq "$(grep -v '^go ' "$TMP/$name-stoa/go.mod")" "$(grep -v '^go ' "$TMP/$name-direct/go.mod")" "$name: go.mod"
}

# 1. .info queries are the upstream's to answer.
go_get_both breaker example.com/breaker@v2.0.0
assert_contains "$(cat "$TMP/breaker-stoa/go.mod")" "example.com/breaker v2.0.0+incompatible"
go_get_both branch example.com/branchy@master
assert_contains "$(cat "$TMP/branch-stoa/go.mod")" "example.com/branchy $PSEUDO"
assert_contains "$(cat "$UPSTREAM_LOG")" "GET /example.com/breaker/@v/v2.0.0.info"
# .mod and .zip are only asked for versions the path can have.
assert_eq "$(http_status GET "$STOA_URL/example.com/breaker/@v/v2.0.0.zip")" 404 "zip of a version the path cannot have"
# A query answer is not cached as immutable.
assert_contains "$(curl -s -D - -o /dev/null "$STOA_URL/example.com/breaker/@v/v2.0.0.info")" "cache-control: no-cache"
pass "go get of a v2 tag without go.mod and of a branch work through stoa as directly"

# 5. Only pseudo-versions: proxied (the upstream's empty list and @latest) ...
go_get_both pseudo example.com/branchy
assert_contains "$(cat "$TMP/pseudo-stoa/go.mod")" "example.com/branchy $PSEUDO"
assert_eq "$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/branchy/@v/list")" " 200" "empty list of a proxied module"
# ... and published: list 200 and empty, @latest the highest pseudo-version.
mkdir -p "$TMP/src" && printf 'module corp.example.com/pseudo\n\ngo 1.19\n' >"$TMP/src/go.mod"
printf 'package pseudo\n\nfunc V() string { return "p" }\n' >"$TMP/src/pseudo.go"
"$STOA_BIN" publish "$TMP/src" --module corp.example.com/pseudo --version "$PSEUDO" --url "$STOA_URL" >/dev/null ||
    fail "publish of a pseudo-version"
assert_eq "$(curl -s -w ' %{http_code}' "$STOA_URL/corp.example.com/pseudo/@v/list")" " 200" "list of a pseudo-only module"
assert_contains "$(curl -s -w ' %{http_code}' "$STOA_URL/corp.example.com/pseudo/@latest")" "\"Version\":\"$PSEUDO\""
mkdir -p "$TMP/priv" && cd "$TMP/priv" && printf 'module example.com/app\n\ngo 1.19\n' >go.mod
clean_modcache
gocmd get corp.example.com/pseudo 2>"$TMP/get.err" || fail "go get of a published pseudo-only module: $(cat "$TMP/get.err")"
assert_contains "$(cat go.mod)" "corp.example.com/pseudo $PSEUDO"
cd "$TMP"
pass "modules with only pseudo-versions: list 200 and empty, @latest the pseudo-version, go get works"

# 2. Checksum-database lookups escape the version, as the go command's client does.
oracle=$(GOPROXY_URL=$UPSTREAM_URL GOSUMDB_VALUE="$SUMDB_KEY $SUMDB_URL" gocmd mod download -json \
    example.com/QUOTE@v1.5.3-PRE 2>&1) || fail "oracle download: $oracle"
clean_modcache
got=$(GOSUMDB_VALUE="$SUMDB_KEY" gocmd mod download -json example.com/QUOTE@v1.5.3-PRE 2>&1) || fail "through stoa: $got"
assert_eq "$(grep Sum <<<"$got")" "$(grep Sum <<<"$oracle")" "h1 sums of QUOTE@v1.5.3-PRE"
assert_contains "$(cat "$SUMDB_LOG")" "GET /lookup/example.com/!q!u!o!t!e@v1.5.3-!p!r!e"
metric() { curl -sf "$STOA_URL/metrics" | sed -n "s/^stoa_sumdb_checks_total{result=\"$1\"} //p"; }
[ "$(metric verified)" -ge 2 ] || fail "QUOTE's .mod and .zip were not verified: $(metric verified)"
assert_eq "$(metric unverified)" 0 "unverified fills"
pass "a version with upper case is looked up as v1.5.3-!p!r!e and verified"

# One module's failed lookup (500) passes it unverified under lenient, audited, and
# does not suspend the checks of the next module.
assert_eq "$(http_status GET "$STOA_URL/example.com/fail500/x/@v/v1.0.0.mod")" 200 "lenient: fail500 passes"
assert_eq "$(metric unverified)" 1 "unverified after a module-specific failure"
assert_eq "$(http_status GET "$STOA_URL/example.com/after/@v/v1.0.0.mod")" 200 "the next module"
assert_contains "$(cat "$SUMDB_LOG")" "GET /lookup/example.com/after@v1.0.0"
assert_eq "$(metric unverified)" 1 "after a module-specific failure, the next module is verified"
assert_not_contains "$(cat "$STOA_LOG")" "failed recently"
# audited MOD: the audit trail (written in batches) has MOD's unverified fill.
audited() { grep '"action":"sumcheck"' "$DATA/audit.jsonl" | grep '"target":"unverified"' | grep -q "\"$1\""; }
wait_for audited example.com/fail500/x || fail "no audit event for fail500's unverified fill"
pass "a module-specific lookup failure stays that module's: audited, the next fill verified"

# The database down: lenient passes at most sumdb_unverified_max a minute, then refuses.
stop_pid "$SUMDB_PID"
assert_eq "$(http_status GET "$STOA_URL/example.com/down1/@v/v1.0.0.mod")" 200 "database down: first unverified"
assert_eq "$(metric unverified)" 2 "unverified while the database is down"
resp=$(curl -s -w ' %{http_code}' "$STOA_URL/example.com/down2/@v/v1.0.0.mod")
assert_contains "$resp" "sumdb_unverified_max"
assert_not_contains "$resp" " 200"
[ ! -e "$DATA/example.com/down2/@v/v1.0.0.mod" ] || fail "down2 cached past the bound"
wait_for audited example.com/down1 || fail "no audit event for down1's unverified fill"
pass "lenient passes at most sumdb_unverified_max unverified fills a minute, each audited"
