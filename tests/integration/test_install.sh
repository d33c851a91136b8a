#!/usr/bin/env bash
# `cmake --install` into a temp prefix, then the installed copy used as a VM's operator
# would: it serves from another directory with plugins found beside it, migrates a
# real PostgreSQL without --dir, answers --help alike for every command, and ships a
# man page, completions and a hardened systemd unit naming the prefix's paths.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

P="$TMP/prefix"
cmake --install "$STOA_BUILD" --prefix "$P" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log" >&2; fail "cmake --install"; }
for f in bin/stoa lib/stoa/plugins/disk.so lib/stoa/plugins/pgs3.so lib/stoa/plugins/token.so \
    lib/stoa/plugins/ipallow.so share/stoa/migrations/0001_storage.sql share/doc/stoa/README.md \
    share/doc/stoa/configuration.md share/man/man1/stoa.1 share/bash-completion/completions/stoa \
    share/zsh/vendor-completions/_stoa lib/systemd/system/stoa.service lib/sysusers.d/stoa.conf etc/stoa/stoa.yaml; do
    [ -f "$P/$f" ] || fail "not installed: $f"
done
pass "cmake --install lays out binary, plugins, migrations, docs, man page, completions, unit and config"

# The installed binary, nothing of the build tree in its environment, run elsewhere.
unset STOA_PLUGIN_DIR
STOA_BIN="$P/bin/stoa"
mkdir -p "$TMP/elsewhere" && cd "$TMP/elsewhere"
"$STOA_BIN" check-config --config "$P/etc/stoa/stoa.yaml" >/dev/null 2>&1 ||
    fail "the packaged config does not check: $("$STOA_BIN" check-config --config "$P/etc/stoa/stoa.yaml" 2>&1)"
cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: none, url: "http://127.0.0.1:9"}]
namespaces: [{pattern: "corp.example.com", mode: private}, {pattern: "*", mode: proxy}]
YAML
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
genmod -out "$TMP/m" corp.example.com/x@v1.0.0
zip=$(find "$TMP/m" -name 'v1.0.0.zip' | head -1)
assert_eq "$(http_status PUT "$STOA_URL/corp.example.com/x/@v/v1.0.0.zip" -T "$zip")" 201 "publish to the installed copy"
assert_eq "$(http_status GET "$STOA_URL/corp.example.com/x/@v/list")" 200 "read back"
stop_stoa
pass "the installed copy serves with its plugins from lib/stoa/plugins"

start_postgres
out=$("$STOA_BIN" migrate --dsn "$PG_DSN" 2>&1) || fail "stoa migrate without --dir: $out"
n=$(psqlc -c "SELECT count(*) FROM schema_migrations")
assert_eq "$n" "$(ls "$P/share/stoa/migrations" | wc -l)" "every shipped migration applied"
"$STOA_BIN" migrate --dsn "$PG_DSN" >/dev/null || fail "a second migrate"
pass "stoa migrate finds share/stoa/migrations ($n applied)"

# --help: every command the top-level help lists answers alike, exit 0.
cmds=$("$STOA_BIN" --help | awk '/^  [a-z]/ {print $1}')
[ "$(echo "$cmds" | wc -l)" -ge 9 ] || fail "stoa --help lists: $cmds"
for c in $cmds; do
    out=$("$STOA_BIN" "$c" --help) || fail "stoa $c --help exited $?"
    assert_contains "$out" "usage: stoa $c" "stoa $c --help"
    grep -qF ".SS \"stoa ${c//-/\\-}" "$P/share/man/man1/stoa.1" || fail "the man page has no section for $c"
done
if command -v man >/dev/null; then
    man -l "$P/share/man/man1/stoa.1" 2>/dev/null | grep -q "verify" || fail "man -l does not render the page"
fi
# The completions offer the same commands and flags.
words=$(bash -c '. "$1"; COMP_WORDS=(stoa ve); COMP_CWORD=1; _stoa; echo "${COMPREPLY[*]}"' _ "$P/share/bash-completion/completions/stoa")
assert_contains "$words" "verify" "bash completion of a command"
words=$(bash -c '. "$1"; COMP_WORDS=(stoa verify --st); COMP_CWORD=2; _stoa; echo "${COMPREPLY[*]}"' _ "$P/share/bash-completion/completions/stoa")
assert_eq "$words" "--strict" "bash completion of a flag"
grep -q "prefetch" "$P/share/zsh/vendor-completions/_stoa" || fail "zsh completion lacks prefetch"
pass "$(echo "$cmds" | wc -l) commands answer --help; man page and completions from the same table"

# The unit: the prefix's paths, its own user, a read-only system.
u="$P/lib/systemd/system/stoa.service"
for want in "ExecStart=$P/bin/stoa serve" "Environment=STOA_CONFIG=$P/etc/stoa/stoa.yaml" User=stoa \
    StateDirectory=stoa ProtectSystem=strict NoNewPrivileges=yes ProtectHome=yes "CapabilityBoundingSet="; do
    grep -qxF "$want" "$u" || fail "stoa.service lacks '$want'"
done
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$u" 2>&1 | grep -v "not found\|Failed to\|Unit .* not" | grep -i "error" && fail "systemd-analyze"
fi
# A reinstall keeps an operator's edited config.
echo "# edited" >>"$P/etc/stoa/stoa.yaml"
cmake --install "$STOA_BUILD" --prefix "$P" >/dev/null
grep -q "# edited" "$P/etc/stoa/stoa.yaml" || fail "reinstall overwrote etc/stoa/stoa.yaml"
pass "systemd unit hardened with the prefix's paths; a reinstall keeps the config"
