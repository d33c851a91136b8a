#!/usr/bin/env bash
# An ssh-only repository (OpenSSH's sshd on loopback, no go-get pages) served through
# the direct upstream with an ssh key and a strict known_hosts: an unknown or changed
# host key and a refused user key are 404s that say why and name the repository, with
# nothing cached; the right ones serve the module with the h1 the go command computes
# over ssh itself (GOPROXY=direct, GIT_SSH_COMMAND with the same key), to a client that
# has no git access at all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_git.sh"
# Full malloc stacks under ASan, so tests/lsan.supp can name the libgit2 1.5 leak.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"

start_sshd
new_repo sshmod
put sshmod go.mod $'module github.com/stoatest/sshmod\n\ngo 1.19\n'
put sshmod s.go $'package sshmod\n'
commit sshmod && g sshmod tag v1.0.0
publish sshmod
M=github.com/stoatest/sshmod
REPO_URL="ssh://$SSH_USER@127.0.0.1:$SSH_PORT$GIT_ROOT"

# ssh_config KNOWN_HOSTS KEY: the direct upstream over ssh, strict (no insecure).
ssh_config() {
    cat >"$TMP/stoa.yaml" <<EOC
upstreams:
  - name: origin
    direct: true
    rules: ["github.com/stoatest/* $REPO_URL/{path}"]
    private_hosts: 127.0.0.1
    ssh_key: $2
    known_hosts: $1
namespaces: [{pattern: "*", mode: proxy}]
EOC
    export CONFIG_FILE="$TMP/stoa.yaml"
}
nothing_stored() {
    settle
    [ -z "$(find "$DATA" -path '*sshmod*' -type f 2>/dev/null)" ] || fail "$1: a refused fetch left files in storage"
}
# refused WHAT WANT...: the .info is a 404 whose text names the repository and holds WANT.
refused() {
    local what=$1 code body
    shift
    code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$STOA_URL/$M/@v/v1.0.0.info")
    body=$(cat "$TMP/body")
    assert_eq "$code" 404 "$what"
    assert_contains "$body" "$GIT_ROOT/stoatest/sshmod" "$what: the repository is named"
    for w in "$@"; do assert_contains "$body" "$w" "$what"; done
    nothing_stored "$what"
    pass "$what: 404 '$(head -c 200 "$TMP/body")'"
}

# A host the known_hosts file does not list.
printf '[127.0.0.1]:1 %s\n' "$(cut -d' ' -f1,2 "$SSH_DIR/host_key.pub")" >"$TMP/kh_other"
ssh_config "$TMP/kh_other" "$SSH_KEY"
start_stoa
refused "unknown host" "is not in $TMP/kh_other" "SHA256:"
stop_stoa

# The host listed with another key (a changed host key, or a man in the middle).
ssh-keygen -q -t ed25519 -N '' -f "$TMP/impostor"
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$TMP/impostor.pub")" >"$TMP/kh_wrong"
ssh_config "$TMP/kh_wrong" "$SSH_KEY"
start_stoa
refused "mismatching host key" "does not match $TMP/kh_wrong"
stop_stoa

# The right host key, a user key sshd does not accept.
printf '%s\n' "$SSH_KNOWN" >"$TMP/kh"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/stranger"
ssh_config "$TMP/kh" "$TMP/stranger"
start_stoa
refused "refused user key" "access denied" "the configured credential was refused"
stop_stoa

# The right host key (hashed, as ssh-keygen -H writes it) and the right user key.
cp "$TMP/kh" "$TMP/kh_hashed" && ssh-keygen -q -H -f "$TMP/kh_hashed" 2>/dev/null
assert_contains "$(cat "$TMP/kh_hashed")" "|1|" "ssh-keygen -H hashed the host"
ssh_config "$TMP/kh_hashed" "$SSH_KEY"
start_stoa
got=$(via_stoa mod download -json "$M@v1.0.0" | grep '"Sum"') || fail "download through stoa"
list=$(curl -sf "$STOA_URL/$M/@v/list") || fail "list through stoa"
assert_eq "$list" v1.0.0 "versions over ssh"
printf '[url "%s/stoatest/"]\n\tinsteadOf = https://github.com/stoatest/\n' "$REPO_URL" >"$GIT_TEST_CONFIG"
clean_modcache
want=$(GIT_SSH_COMMAND="ssh -i $SSH_KEY -o IdentitiesOnly=yes -o UserKnownHostsFile=$TMP/kh -o StrictHostKeyChecking=yes" \
    direct mod download -json "$M@v1.0.0" | grep '"Sum"') || fail "download direct over ssh"
assert_eq "$got" "$want" "h1 over ssh"
pass "hashed known_hosts, right key: $got"
