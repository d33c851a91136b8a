#!/usr/bin/env bash
# Issue 21 finding 16: the checksum-database proxy forwards (and, for tiles, stores)
# only names the database serves: supported, latest, lookup/<module>@<version> and
# tile paths as x/mod's tlog.ParseTilePath accepts them, without a query. Anything
# else is refused with no request to the database (a recording loopback one here)
# and nothing stored.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_hostile.sh"

DB=sum.golang.org
tile=$(head -c 8192 /dev/zero | tr '\0' a)
cat >"$TMP/plan.json" <<JSON
{"/tile/8/0/000": {"body": "$tile"},
 "/tile/8/data/000.p/3": {"body": "data"},
 "/latest": {"body": "go.sum database tree\n1\nAAAA\n"},
 "/lookup/example.com/a@v1.0.0": {"body": "1\nexample.com/a v1.0.0 h1:x=\n"}}
JSON
start_hostile "$TMP/plan.json"
hostile_config "$HOSTILE_URL" "sumdbs: [{name: $DB, url: \"$HOSTILE_URL\"}]"
start_stoa

code() { curl -s --path-as-is -o /dev/null -w '%{http_code}' --max-time 10 "$STOA_URL/sumdb/$DB/$1"; }

# Well-formed names are forwarded.
for p in tile/8/0/000 tile/8/data/000.p/3 latest lookup/example.com/a@v1.0.0; do
    assert_eq "$(code "$p")" 200 "$p"
done
assert_eq "$(code supported)" 200 supported
pass "supported, latest, a lookup, a full and a partial data tile are served"

: >"$HOSTILE_LOG"
for p in 'tile/8/0/000%3Fjunk=1' 'tile/8/0/000%3Fjunk=2' 'tile/8/0/000%23x' tile/8/0/0000 tile/8/0/x000 \
    tile/8/0/001/234 tile/8/0/000.p/256 tile/8/0/000.p/0 tile/8/0/000.p/05 tile/8/9/000 tile/8/01/000 \
    tile/4/0/000 tile/8/0/000/ tile/8/0 'tile/8/0/%2B01' 'lookup/example.com/a@v1.0.0%3Fx=1' lookup/nope \
    'latest%3Fx' other/thing 'x/../latest'; do
    c=$(code "$p")
    case $c in 400 | 404) ;; *) fail "$p: got $c, want 400 or 404" ;; esac
done
for p in 'tile/8/0/000?junk=3' 'latest?x=1' 'supported?x' 'lookup/example.com/a@v1.0.0?x=1'; do
    assert_eq "$(code "$p")" 400 "$p (a query)"
done
assert_eq "$(cat "$HOSTILE_LOG")" "" "requests the database received for malformed names"
stored=$(find "$DATA" -path "*sumdb*" -name '*junk*' -o -path "*sumdb*" -name '*%*' | head -3)
assert_eq "$stored" "" "files stored for malformed tile names"
pass "malformed tile, lookup and other names and any query are refused without a request upstream"
