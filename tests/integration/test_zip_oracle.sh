#!/usr/bin/env bash
# Issue 16 item 3, with the go command as the oracle: zips whose file names x/mod's rules
# refuse or accept (Unicode digits and marks, case-fold pairs, Windows names, odd ASCII)
# are fetched straight from a file:// proxy by `go mod download` and through stoa; stoa
# must serve exactly the ones the go command accepts, and refuse the others.
. "$(dirname "$0")/lib.sh"

names=("१.go" "１.go" "Ⅰ.go" "aः.go" "Ⓐ.go" "é.go" "a b.go" "a~b.go" "a+b.go" "a,b.go" "a'b.go" "a@b.go"
    "CON.go" "con.txt" "aux" "x/NUL.go" "x/.hidden.go" "trailing." "x/y:z.go" "a%b.go" "a=b.go" "a#b.go" "ok.go")
specs=()
for i in "${!names[@]}"; do specs+=("example.com/z/n$i@v1.0.0"); done
specs+=("example.com/z/fold1@v1.0.0" "example.com/z/fold2@v1.0.0" "example.com/z/fold3@v1.0.0")
genmod -out "$TMP/up" "${specs[@]}"
# addfiles MODULE NAME...: the module's zip gets these files too.
addfiles() {
    python3 - "$TMP/up/$1/@v/v1.0.0.zip" "$1@v1.0.0/" "${@:2}" <<'PY'
import sys, zipfile
path, prefix, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(path, "a") as z:
    for n in extra:
        z.writestr(prefix + n, "package z\n" if n.endswith(".go") else "x\n")
PY
}
for i in "${!names[@]}"; do addfiles "example.com/z/n$i" "${names[$i]}"; done
addfiles example.com/z/fold1 "İ.go" "i.go"  # x/mod folds neither into the other
addfiles example.com/z/fold2 "ı.go" "I.go"
addfiles example.com/z/fold3 "ab.go" "AB.go" # a real case-fold collision

start_upstream "$TMP/up"
fixture_config
start_stoa
agree=0
for spec in "${specs[@]}"; do
    m=${spec%@*}
    clean_modcache
    direct=ok stoa=ok
    (cd "$TMP" && GOPROXY_URL="file://$TMP/up" gocmd mod download "$spec" >/dev/null 2>"$TMP/direct.err") || direct=refused
    clean_modcache
    (cd "$TMP" && gocmd mod download "$spec" >/dev/null 2>"$TMP/stoa.err") || stoa=refused
    [ "$direct" = "$stoa" ] ||
        fail "$spec: the go command directly: $direct ($(head -c 200 "$TMP/direct.err")), through stoa: $stoa ($(head -c 300 "$TMP/stoa.err"))"
    if [ "$stoa" = refused ]; then # refused by stoa itself, not by the go command after stoa served it
        code=$(curl -s -o /dev/null -w '%{http_code}' "$STOA_URL/$m/@v/v1.0.0.zip")
        [ "$code" != 200 ] || fail "$spec: stoa served a zip the go command refuses"
    fi
    agree=$((agree + 1))
    echo "  $spec: $direct" >&2
done
pass "stoa serves exactly the zips the go command accepts ($agree cases of file names)"
