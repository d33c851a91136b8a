#!/usr/bin/env bash
# The core's layers (docs/design.md, "Layers"): the sources have no upward include, no
# include by path and no loop between files; and the check itself sees each of those
# when one is planted in a copy of the tree.
. "$(dirname "$0")/lib.sh"

LINT="$STOA_SRC/tests/lint/layers.py"
out=$(python3 "$LINT" "$STOA_SRC") || fail "the tree breaks its layering: $out"
pass "no upward include, include by path or file loop in core/ and plugins/ ($out)"

plant() { # plant FILE LINE: a copy of the tree with LINE added to FILE; prints the lint's verdict
    rm -rf "$TMP/tree" && mkdir "$TMP/tree"
    cp -r "$STOA_SRC/core" "$STOA_SRC/plugins" "$TMP/tree/"
    sed -i "0,/^#include/s||$2\n#include|" "$TMP/tree/$1"
    python3 "$LINT" "$TMP/tree" && fail "a planted '$2' in $1 was not seen"
    true
}
assert_contains "$(plant core/gomod/semver.c '#include "server.h"')" "includes server.h of layer http, above gomod"
assert_contains "$(plant core/base/conf.c '#include "../http/http.h"')" 'names a path'
assert_contains "$(plant core/http/loop.h '#include "sendwatch.h"')" "loop: "
assert_contains "$(plant plugins/storage/disk/disk_path.h '#include "disk_meta.h"')" "loop: "
pass "an upward include, an include by path and a file loop are each refused"
