#!/usr/bin/env bash
# `stoa token create` run as root against a store the service's user owns: the store
# stays that user's (0600), so the server, running as that user, reads the new token;
# run as a third user, the command refuses and names the owner.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "skip - needs root to play root and the service user"
    exit 0
fi
SVC=nobody
chmod 755 "$TMP"
DATA="$TMP/data"
mkdir -p "$DATA/auth" && chown -R "$SVC:" "$DATA"
cat >"$TMP/stoa.yaml" <<YAML
upstreams: [{name: none, url: "http://127.0.0.1:9"}]
storage: {plugin: disk, options: {root: "$DATA"}}
auth:
  require: {read: true}
  plugins: [{plugin: token, options: {path: "$DATA/auth/tokens", refresh: 100ms}}]
YAML
chmod 644 "$TMP/stoa.yaml"
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"; }
tok() { "$@" "$STOA_BIN" token --config "$TMP/stoa.yaml" create --name "$NAME" --scope read 2>&1 | sed -n 1p; }

# The server runs as the service user (setpriv execs: STOA_PID is stoa itself).
printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups -- "%s" "$@"\n' "$SVC" "$(id -g $SVC)" "$STOA_BIN" >"$TMP/as-svc"
chmod 755 "$TMP/as-svc"
NAME=first FIRST=$(tok as "$SVC")
case $FIRST in stoa_*) ;; *) fail "token create as $SVC: $FIRST" ;; esac
STOA_BIN="$TMP/as-svc" CONFIG_FILE="$TMP/stoa.yaml" start_stoa
assert_eq "$(http_status GET "$STOA_URL/catalog" -H "Authorization: Bearer $FIRST")" 200 "a token the service user made"

NAME=by-root ROOT_TOKEN=$(tok)
case $ROOT_TOKEN in stoa_*) ;; *) fail "token create as root: $ROOT_TOKEN" ;; esac
assert_eq "$(stat -c '%U %a' "$DATA/auth/tokens")" "$SVC 600" "owner and mode of the store after root's create"
assert_eq "$(stat -c '%U' "$DATA/auth/tokens.lock")" "$SVC" "owner of the writers' lock"
reads() { [ "$(http_status GET "$STOA_URL/catalog" -H "Authorization: Bearer $1")" = 200 ]; }
wait_for reads "$ROOT_TOKEN" ||
    fail "the server did not take the token root created: $(grep -i denied "$STOA_LOG" | tail -2)"
assert_not_contains "$(cat "$STOA_LOG")" "Permission denied" "the server read the store"
pass "token create as root keeps the store $SVC's, 0600, and the server takes the token"

# A third user is refused, and told whose store it is; nothing changes.
before=$(sha256sum "$DATA/auth/tokens")
chmod 777 "$DATA/auth" # so only the ownership rule, not the file system, can refuse
NAME=intruder out=$(tok as daemon) && fail "token create as daemon succeeded: $out"
case $out in *"belongs to $SVC, the service's user"* | *"Permission denied"*) ;; *) fail "refusal says: $out" ;; esac
assert_eq "$(sha256sum "$DATA/auth/tokens")" "$before" "the store is unchanged"
pass "token create by another user refused, naming $SVC"
