# Git repositories and a loopback git server for the direct-upstream tests; sourced
# after lib.sh. Module paths are github.com/stoatest/<repo> (a host the go command
# resolves statically); the go command's git reaches the loopback server through
# url.<base>.insteadOf in $GIT_TEST_CONFIG, stoa through a rule.

GIT_ROOT="$TMP/git"
GIT_TEST_CONFIG="$TMP/gitconfig"
mkdir -p "$GIT_ROOT/stoatest"
export GIT_CONFIG_NOSYSTEM=1

# start_git_server [args for git_http.py] -> GIT_URL (base, without trailing slash), GIT_LOG
start_git_server() {
    local n=${#PIDS[@]}
    GIT_LOG="$TMP/git.$n.log"
    python3 "$STOA_SRC/tests/integration/git_http.py" --root "$GIT_ROOT" --port-file "$TMP/git.$n.port" \
        --log "$GIT_LOG" "$@" 2>>"$TMP/git.$n.err" &
    PIDS+=($!)
    wait_for test -s "$TMP/git.$n.port" || fail "git server did not start"
    local scheme=http
    [[ " $* " != *" --tls-cert "* ]] || scheme=https
    GIT_URL="$scheme://127.0.0.1:$(cat "$TMP/git.$n.port")"
    touch "$GIT_LOG"
    printf '[url "%s/git/stoatest/"]\n\tinsteadOf = https://github.com/stoatest/\n' "$GIT_URL" >"$GIT_TEST_CONFIG"
}

# A working tree per repository under $TMP/work; `publish` pushes it to the bare one.
TICK=1600000000
g() { # g REPO git-args...
    local r=$1
    shift
    TICK=$((TICK + 3600))
    GIT_AUTHOR_DATE="@$TICK +0000" GIT_COMMITTER_DATE="@$TICK +0000" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
        GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com HOME="$TMP" git -C "$TMP/work/$r" "$@" >/dev/null
}
new_repo() {
    mkdir -p "$TMP/work/$1"
    git init -q -b main "$TMP/work/$1"
    git init -q --bare -b main "$GIT_ROOT/stoatest/$1"
}
put() { # put REPO FILE CONTENT
    mkdir -p "$(dirname "$TMP/work/$1/$2")"
    printf '%s' "$3" >"$TMP/work/$1/$2"
}
commit() { g "$1" add -A && g "$1" commit -q -m "${2:-change}"; }
publish() { g "$1" push -q -f --tags "$GIT_ROOT/stoatest/$1" 'refs/heads/*:refs/heads/*'; }
head_of() { git -C "$TMP/work/$1" rev-parse "${2:-HEAD}"; }

# The stoa config for a direct upstream on the loopback server; ORIGIN_KEYS holds more
# keys of that upstream ("netrc: FILE"), one per line.
origin_config() {
    {
        echo "upstreams:"
        echo "  - name: origin"
        echo "    direct: true"
        echo "    rules: [\"github.com/stoatest/* $GIT_URL/git/{path}\"]"
        echo "    insecure: github.com/stoatest"
        echo "    private_hosts: 127.0.0.1"
        [ -z "${ORIGIN_KEYS:-}" ] || printf '%s\n' "$ORIGIN_KEYS" | sed 's/^/    /'
        echo "namespaces: [{pattern: \"*\", mode: proxy}]"
        if [ "${1:-}" = - ]; then cat; else printf '%s\n' "$@"; fi
    } >"$TMP/stoa.yaml"
    export CONFIG_FILE="$TMP/stoa.yaml"
}

# direct ARGS...: the go command in GOPROXY=direct mode against the loopback repositories.
direct() {
    GOPROXY_URL=direct GO_EXTRA_ENV="GIT_CONFIG_GLOBAL=$GIT_TEST_CONFIG GONOSUMDB=github.com/stoatest GIT_TERMINAL_PROMPT=0" \
        gocmd "$@"
}
# via_stoa ARGS...: the go command through stoa only, without the git rewrite (so
# without any way to reach the repositories itself).
via_stoa() { GO_EXTRA_ENV="GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0" gocmd "$@"; }

# start_sshd -> SSH_PORT, SSH_USER, SSH_KEY (a user key sshd accepts), SSH_KNOWN (a
# known_hosts line for the server), SSH_DIR. OpenSSH's sshd on 127.0.0.1 with its own
# config, host key and authorized_keys; it serves the repositories under $GIT_ROOT to
# the user running the test (root or not: sshd then runs unprivileged).
start_sshd() {
    SSH_DIR="$TMP/ssh" SSH_USER=$(id -un)
    mkdir -p "$SSH_DIR" && chmod 700 "$SSH_DIR"
    ssh-keygen -q -t ed25519 -N '' -f "$SSH_DIR/host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$SSH_DIR/user_key"
    cp "$SSH_DIR/user_key.pub" "$SSH_DIR/authorized_keys"
    SSH_KEY="$SSH_DIR/user_key"
    SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$SSH_DIR/sshd_config" <<EOC
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSH_DIR/host_key
PidFile $SSH_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
AllowUsers $SSH_USER
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
LogLevel VERBOSE
EOC
    [ "$(id -u)" != 0 ] || mkdir -p /run/sshd
    /usr/sbin/sshd -D -e -f "$SSH_DIR/sshd_config" 2>>"$SSH_DIR/sshd.log" &
    PIDS+=($!)
    wait_for ssh-keyscan -p "$SSH_PORT" 127.0.0.1 || { cat "$SSH_DIR/sshd.log" >&2; fail "sshd did not start"; }
    SSH_KNOWN="[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$SSH_DIR/host_key.pub")"
}
