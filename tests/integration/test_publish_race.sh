#!/usr/bin/env bash
# Issue 21 finding 9: two concurrent publishes of one version with different bytes.
# Exactly one wins (201), the other gets 409, and what is served afterwards is the
# winner's: its zip, its go.mod, and an ETag that is the served bytes' sha256.
. "$(dirname "$0")/lib.sh"

N=30
vers=()
for i in $(seq 0 $((N - 1))); do vers+=("corp.example.com/race@v1.0.$i"); done
# Two variants of every version: the go directive differs, so zip and go.mod differ;
# the padding makes each PUT long enough for the two to overlap.
genmod -out "$TMP/a" -go 1.16 -pad 262144 "${vers[@]}"
genmod -out "$TMP/b" -go 1.17 -pad 262144 "${vers[@]}"
mkdir -p "$TMP/up" && start_upstream "$TMP/up"
fixture_config
start_stoa STOA_THREADS=4 STOA_STORAGE_OPTIONS_FSYNC=true # the default: fsyncs widen the window

d="corp.example.com/race/@v"
bad=0
for i in $(seq 0 $((N - 1))); do
    v="v1.0.$i"
    curl -s -o /dev/null -w '%{http_code}\n' -T "$TMP/a/$d/$v.zip" "$STOA_URL/$d/$v.zip" >"$TMP/code.a" &
    pa=$!
    curl -s -o /dev/null -w '%{http_code}\n' -T "$TMP/b/$d/$v.zip" "$STOA_URL/$d/$v.zip" >"$TMP/code.b" &
    pb=$!
    wait $pa $pb
    codes=$(sort "$TMP/code.a" "$TMP/code.b" | tr '\n' ' ')
    [ "$codes" = "201 409 " ] || { echo "trial $i: codes $codes" >&2; bad=$((bad + 1)); continue; }
    winner=a
    [ "$(cat "$TMP/code.b")" = 201 ] && winner=b
    etag=$(curl -s -D - -o "$TMP/got.zip" "$STOA_URL/$d/$v.zip" | tr -d '\r' | sed -n 's/^etag: "\(.*\)"$/\1/ip')
    got=$(sha256sum "$TMP/got.zip" | cut -c1-64)
    want=$(sha256sum "$TMP/$winner/$d/$v.zip" | cut -c1-64)
    [ "$got" = "$want" ] || { echo "trial $i: served zip is not the winner's ($winner)" >&2; bad=$((bad + 1)); continue; }
    [ "$etag" = "${got:0:32}" ] || { echo "trial $i: ETag $etag is not the served bytes' sha256 ${got:0:32}" >&2; bad=$((bad + 1)); continue; }
    curl -s "$STOA_URL/$d/$v.mod" -o "$TMP/got.mod"
    cmp -s "$TMP/got.mod" "$TMP/$winner/$d/$v.mod" || { echo "trial $i: served go.mod is not the winner's" >&2; bad=$((bad + 1)); }
done
assert_eq "$bad" 0 "trials where both won, or bytes and metadata disagree (of $N)"
pass "$N concurrent double publishes: one 201 and one 409 each, served bytes, ETag and go.mod are the winner's"
stop_stoa
