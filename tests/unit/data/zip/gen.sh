#!/bin/sh
# Regenerates the zip fixtures and expected.txt from the real Go implementation.
# Needs python3 and the go command (1.19+, with its vendored golang.org/x/mod); works
# offline. Run from anywhere: sh tests/unit/data/zip/gen.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
export GOPATH="$tmp/gopath" GOMODCACHE="$tmp/gopath/pkg/mod" GOCACHE="$tmp/gocache" \
       GOFLAGS=-mod=mod GONOSUMDB='*' GONOSUMCHECK=1 GOSUMDB=off GOTOOLCHAIN=local GO111MODULE=on

# 1. The oracle program, against a temporary copy of the x/mod that ships with Go.
xmod=$(go env GOROOT)/src/cmd/vendor/golang.org/x/mod
mkdir -p "$tmp/xmod" "$tmp/gen"
cp -R "$xmod/." "$tmp/xmod/"
printf 'module golang.org/x/mod\n\ngo 1.17\n' > "$tmp/xmod/go.mod"
cp "$here/gen/main.go" "$tmp/gen/"
printf 'module stoagen\n\ngo 1.17\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => %s\n' "$tmp/xmod" > "$tmp/gen/go.mod"
(cd "$tmp/gen" && GOPROXY=off go build -o "$tmp/oracle" .)

# 2. Fixture zips (python's zipfile, fixed timestamps so bytes are reproducible).
python3 - "$here" <<'PY'
import sys, zipfile, os
out = sys.argv[1]
P = "example.com/m@v1.0.0/"
T = (2020, 1, 2, 3, 4, 6)

def info(name, method=zipfile.ZIP_DEFLATED, mode=0o100644, system=3):
    zi = zipfile.ZipInfo(name, T)
    zi.compress_type = method
    zi.create_system = system
    zi.external_attr = mode << 16
    return zi

def make(fname, entries):
    with zipfile.ZipFile(os.path.join(out, fname), "w") as z:
        for e in entries:
            name, data = e[0], e[1]
            kw = e[2] if len(e) > 2 else {}
            z.writestr(info(name, **kw), data)

gomod = b"module example.com/m\n\ngo 1.19\n"
big = b"".join(b"line %06d\n" % i for i in range(30000))
make("valid-basic.zip", [
    (P + "go.mod", gomod),
    (P + "LICENSE", b"MIT License\n"),
    (P + "m.go", b"package m\n"),
    (P + "sub/", b"", {"mode": 0o040755}),
    (P + "sub/dir/b.go", b"package dir\n"),
    (P + "vendor/modules.txt", b"# example.org/x v1.0.0\n"),
    (P + "vendor/example.org/x/x.go", b"package x\n"),
    (P + "doc/h\u00e9llo.txt", "caf\u00e9\n".encode()),
    (P + "testdata/big.txt", big),
])
make("valid-stored.zip", [
    (P + "go.mod", gomod, {"method": zipfile.ZIP_STORED}),
    (P + "empty.txt", b"", {"method": zipfile.ZIP_STORED}),
    (P + "x.go", b"package m\n", {"method": zipfile.ZIP_STORED, "system": 0, "mode": 0}),
])
make("valid-nogomod.zip", [(P + "a.go", b"package m\n")])

bad = {
    "bad-slip.zip": [(P + "../x", b"x")],
    "bad-abs.zip": [("/etc/x", b"x")],
    "bad-abs2.zip": [(P + "/etc/x", b"x")],
    "bad-backslash.zip": [(P + "a\\b.go", b"x")],
    "bad-prefix.zip": [("example.com/other@v1.0.0/a.go", b"x")],
    "bad-case.zip": [(P + "A.go", b"x"), (P + "a.go", b"y")],
    "bad-dup.zip": [(P + "a.go", b"x"), (P + "a.go", b"y")],
    "bad-filedir.zip": [(P + "a", b"x"), (P + "a/b.go", b"y")],
    "bad-symlink.zip": [(P + "link.go", b"a.go", {"mode": 0o120777})],
    "bad-fifo.zip": [(P + "fifo", b"", {"mode": 0o010644})],
    "bad-method.zip": [(P + "a.go", b"package m\n" * 10, {"method": zipfile.ZIP_BZIP2})],
    "bad-nested-gomod.zip": [(P + "go.mod", gomod), (P + "sub/go.mod", b"module x\n")],
    "bad-gomod-case.zip": [(P + "GO.MOD", gomod)],
    "bad-char.zip": [(P + "a?.go", b"x")],
    "bad-windows.zip": [(P + "aux.go", b"x")],
    "bad-unclean.zip": [(P + "a/./b.go", b"x")],
    "bad-newline.zip": [(P + "a\nb.go", b"x")],
}
import warnings
warnings.simplefilter("ignore")
for f, e in bad.items():
    make(f, e)

def patch(src, dst, fn):
    data = bytearray(open(os.path.join(out, src), "rb").read())
    fn(data)
    open(os.path.join(out, dst), "wb").write(bytes(data))

make("tmp-crc.zip", [(P + "a.go", b"package m\n", {"method": zipfile.ZIP_STORED})])
def flip(d):
    i = d.index(b"package m")
    d[i] ^= 0x20
patch("tmp-crc.zip", "bad-crc.zip", flip)
make("tmp-size.zip", [(P + "a.go", b"package m\n" * 20)])
def grow(d):  # declared uncompressed size + 1, in the local and the central header
    import struct
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = d.index(sig) + off
        d[i:i + 4] = struct.pack("<I", struct.unpack("<I", d[i:i + 4])[0] + 1)
patch("tmp-size.zip", "bad-size.zip", grow)
patch("valid-stored.zip", "bad-truncated.zip", lambda d: d.__delitem__(slice(len(d) - 40, None)))
def cut_middle(d):
    del d[200:260]
patch("valid-stored.zip", "bad-corrupt.zip", cut_middle)
for f in ("tmp-crc.zip", "tmp-size.zip"):
    os.remove(os.path.join(out, f))
open(os.path.join(out, "bad-notzip.zip"), "wb").write(b"this is not a zip file\n" * 3)
PY

# 3. Ask the go command itself for the h1 of the valid zips, through a file:// proxy.
gomodsum=
: > "$here/expected.txt"
for z in valid-basic valid-stored valid-nogomod; do
    rm -rf "$tmp/proxy" "$GOMODCACHE/cache/download/example.com"
    mkdir -p "$tmp/proxy/example.com/m/@v"
    cp "$here/$z.zip" "$tmp/proxy/example.com/m/@v/v1.0.0.zip"
    python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); n="example.com/m@v1.0.0/go.mod"; sys.stdout.buffer.write(z.read(n) if n in z.namelist() else b"module example.com/m\n")' \
        "$here/$z.zip" > "$tmp/proxy/example.com/m/@v/v1.0.0.mod"
    echo v1.0.0 > "$tmp/proxy/example.com/m/@v/list"
    echo '{"Version":"v1.0.0","Time":"2020-01-02T03:04:06Z"}' > "$tmp/proxy/example.com/m/@v/v1.0.0.info"
    json=$(cd "$tmp" && GOPROXY="file://$tmp/proxy" go mod download -json example.com/m@v1.0.0)
    sum=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Sum"])')
    modsum=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoModSum"])')
    oracle=$("$tmp/oracle" hashzip "$here/$z.zip")
    [ "$sum" = "$oracle" ] || { echo "go command ($sum) and HashZip ($oracle) disagree on $z" >&2; exit 1; }
    echo "$z.zip $sum" >> "$here/expected.txt"
    [ "$z" = valid-basic ] && gomodsum=$modsum
done
printf 'module example.com/m\n\ngo 1.19\n' > "$tmp/go.mod.basic"
[ "$("$tmp/oracle" hashmod "$tmp/go.mod.basic")" = "$gomodsum" ] || { echo "GoModSum mismatch" >&2; exit 1; }
echo "go.mod $gomodsum" >> "$here/expected.txt"
printf '' > "$tmp/empty.mod"
echo "empty.mod $("$tmp/oracle" hashmod "$tmp/empty.mod")" >> "$here/expected.txt"

# 4. CreateFromDir over the tree in tree.txt, hashed by the go command as above.
mkdir -p "$tmp/tree"
python3 - "$here/tree.txt" "$tmp/tree" <<'PY'
import sys, os
spec, root = sys.argv[1], sys.argv[2]
big = "".join("line %06d\n" % i for i in range(30000))
for line in open(spec, encoding="utf-8"):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    kind, rest = line[0], line[2:]
    path, _, arg = rest.partition("|")
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full) or root, exist_ok=True)
    if kind == "F":
        data = big if arg == "@BIG@" else arg.replace("\\n", "\n")
        open(full, "w", encoding="utf-8").write(data)
    elif kind == "L":
        os.symlink(arg, full)
    elif kind == "D":
        os.makedirs(full, exist_ok=True)
PY
"$tmp/oracle" create "$tmp/tree" example.com/t v1.2.3 "$tmp/tree.zip"
echo "tree example.com/t@v1.2.3 $("$tmp/oracle" hashzip "$tmp/tree.zip")" >> "$here/expected.txt"
python3 -c 'import zipfile,sys; print("\n".join("tree-file " + n for n in sorted(zipfile.ZipFile(sys.argv[1]).namelist())))' "$tmp/tree.zip" >> "$here/expected.txt"

# 5. What CheckZip says about each bad zip, for reference (not read by the tests).
for z in "$here"/bad-*.zip; do
    printf '%s: %s\n' "$(basename "$z")" "$("$tmp/oracle" check "$z" example.com/m v1.0.0 2>&1 | head -1)"
done > "$here/checkzip.txt"
cat "$here/expected.txt"
