# Verifies a disk storage root after a crash; sourced by test_faults.sh and test_soak.sh.
# check_store ROOT [UPSTREAM_TREE [PUBLISHED_PREFIX]]: every object under ROOT (outside .tmp and .meta)
#   - has a sidecar whose size and sha256 match the file (a half-written object would not);
#   - if it is a zip, is a readable zip whose CRCs all match;
#   - if UPSTREAM_TREE is given and holds the same path, is byte-identical to it;
#   - under PUBLISHED_PREFIX (published modules, escaped path), every .info has its .mod
#     and .zip (a published version becomes visible only whole; proxied files are
#     cached one by one, so the rule does not apply to them);
#   - every pin under ROOT/.pins parses, and a cached file it pins carries the pinned h1.
# Prints one line per problem and returns 1 if there was any. CHECKED gets the count.
check_store() {
    python3 - "$1" "${2:-}" "${3:-}" <<'PY'
import hashlib, os, sys, zipfile
root, tree, published = sys.argv[1], sys.argv[2], sys.argv[3]
bad = checked = 0
def problem(msg):
    global bad
    bad += 1
    print("store: " + msg)
for d, dirs, files in os.walk(root):
    rel = os.path.relpath(d, root)
    dirs[:] = [x for x in dirs if x not in (".tmp", ".meta", ".pins")]
    for f in files:
        p = os.path.join(d, f)
        r = os.path.normpath(os.path.join(rel, f))
        if "/@v/" not in "/" + r or not f.endswith((".zip", ".mod", ".info")):
            continue
        checked += 1
        data = open(p, "rb").read()
        try:
            meta = open(os.path.join(d, ".meta", f)).read().split()
        except OSError:
            problem(f"{r}: no sidecar metadata"); continue
        if len(meta) < 4 or meta[0] != "stoa1":
            problem(f"{r}: bad sidecar {meta!r}"); continue
        if int(meta[1]) != len(data):
            problem(f"{r}: size {len(data)} but metadata says {meta[1]}")
        if hashlib.sha256(data).hexdigest() != meta[3]:
            problem(f"{r}: sha256 differs from metadata")
        if f.endswith(".zip"):
            try:
                first = zipfile.ZipFile(p).testzip()
                if first is not None:
                    problem(f"{r}: zip entry {first} fails its CRC")
            except zipfile.BadZipFile as e:
                problem(f"{r}: not a valid zip: {e}")
        if tree:
            up = os.path.join(tree, r)
            if os.path.exists(up) and open(up, "rb").read() != data:
                problem(f"{r}: differs from the upstream's file")
        if published and r.startswith(published) and f.endswith(".info"):
            base = p[:-len(".info")]
            for ext in (".mod", ".zip"):
                if not os.path.exists(base + ext):
                    problem(f"{r}: listed version without its {ext}")
pins = os.path.join(root, ".pins")
for d, dirs, files in os.walk(pins):
    for f in files:
        r = os.path.relpath(os.path.join(d, f), pins)
        fields = open(os.path.join(d, f)).read().split()
        if len(fields) != 3 or not fields[0].startswith("h1:") or fields[1] not in "012" or not fields[2].isdigit():
            problem(f"pin {r}: malformed {fields!r}"); continue
        try:
            meta = open(os.path.join(root, os.path.dirname(r), ".meta", f)).read().split()
        except OSError:
            continue  # not cached (evicted, or never committed): the pin stands alone
        if len(meta) >= 6 and meta[5] != fields[0]:
            problem(f"pin {r}: pinned {fields[0]} but the cached file has {meta[5]}")
print(f"checked {checked} objects, {bad} problems")
sys.exit(1 if bad else 0)
PY
}
