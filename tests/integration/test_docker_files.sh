#!/usr/bin/env bash
# docker/ without a Docker engine: the Compose file parses and is wired as documented,
# both Dockerfiles pass structural checks (Debian has no hadolint), the example config
# with the Compose environment passes `stoa check-config`, the image's file layout lets
# stoa find its plugins by default, and the HEALTHCHECK command succeeds against stoa.
. "$(dirname "$0")/lib.sh"
cd "$STOA_SRC"
check="python3 $STOA_SRC/tests/integration/docker_check.py"
python3 -c 'import yaml' 2>/dev/null || fail "PyYAML missing (python3-yaml, installed by docker/install-deps.sh --test)"

# 1. Compose: services, wiring, and the stoa service's environment.
$check compose docker/docker-compose.yml "$TMP/compose.env" || fail "docker/docker-compose.yml"
grep -q '^STOA_STORAGE_OPTIONS_DSN=postgresql://' "$TMP/compose.env" || fail "no DSN in the compose env"
# The checker catches a compose file that ships s3rver or writes a secret in the file.
sed -e 's|image: minio/minio:.*|build: {context: ., dockerfile: Dockerfile}|' \
    -e 's|MINIO_ROOT_PASSWORD: \${STOA_S3_SECRET_KEY:-change-me-minio}|MINIO_ROOT_PASSWORD: hunter22|' \
    docker/docker-compose.yml >"$TMP/bad-compose.yml"
cp docker/Dockerfile "$TMP/Dockerfile"; cp -r docker/stoa.example.yaml "$TMP/"
$check compose "$TMP/bad-compose.yml" "$TMP/bad.env" 2>"$TMP/badc.err" && fail "a compose file without MinIO passed"
assert_contains "$(cat "$TMP/badc.err")" "must be MinIO"
assert_contains "$(cat "$TMP/badc.err")" "MINIO_ROOT_PASSWORD is written in the file"
pass "docker-compose.yml parses; MinIO with its bucket created by mc, healthchecks, secrets from env, migrate before stoa"

# 2. Dockerfiles.
$check dockerfile docker/Dockerfile "$STOA_SRC" || fail "docker/Dockerfile"
# The checker itself must catch what it claims to: a root final stage, apt-get install.
printf 'FROM debian:bookworm\nRUN apt-get install -y curl\nCMD stoa\n' >"$TMP/Bad.Dockerfile"
$check dockerfile "$TMP/Bad.Dockerfile" "$TMP" 2>"$TMP/bad.err" && fail "a bad Dockerfile passed"
for want in "install-deps.sh, not apt-get" "JSON (exec) form" "runs as root"; do
    assert_contains "$(cat "$TMP/bad.err")" "$want"
done
pass "Dockerfiles: multi-stage bookworm, install-deps.sh in both stages, non-root, HEALTHCHECK, COPY sources exist"

# 3. The example config, with the environment Compose gives it, is valid.
mapfile -t envs <"$TMP/compose.env"
out=$(env "${envs[@]/#STOA_CONFIG=*/STOA_CONFIG=$STOA_SRC/docker/stoa.example.yaml}" "$STOA_BIN" check-config 2>&1) ||
    fail "stoa check-config rejects docker/stoa.example.yaml: $out"
assert_contains "$out" "storage pgs3, 3 upstream(s), 3 namespace rule(s), 2 auth plugin(s)"
sed 's/fallthrough: on_any_error/fallthrough: sometimes/' docker/stoa.example.yaml >"$TMP/broken.yaml"
rc=0
out=$("$STOA_BIN" check-config --config "$TMP/broken.yaml" 2>&1) || rc=$?
assert_eq "$rc" 2 "check-config exit status for a bad file"
line=$(grep -n 'fallthrough: sometimes' "$TMP/broken.yaml" | head -1 | cut -d: -f1)
assert_contains "$out" "broken.yaml:$line: upstreams[0].fallthrough: expected on_not_found or on_any_error, got 'sometimes'"
pass "stoa check-config: example config valid with the Compose env; a bad value exits 2 with file:line"

# 4. The image layout: /usr/local/bin/stoa -> /usr/lib/stoa/stoa, plugins beside it.
root="$TMP/image"
mkdir -p "$root/usr/lib/stoa/plugins" "$root/usr/local/bin"
cp "$STOA_BIN" "$root/usr/lib/stoa/stoa"
cp "$STOA_PLUGIN_DIR"/*.so "$root/usr/lib/stoa/plugins/"
ln -s ../../lib/stoa/stoa "$root/usr/local/bin/stoa"
plugin_dir_env=$STOA_PLUGIN_DIR
unset STOA_PLUGIN_DIR
STOA_BIN="$root/usr/local/bin/stoa" start_stoa
export STOA_PLUGIN_DIR=$plugin_dir_env
grep -q "storage disk" "$STOA_LOG" || fail "stoa did not load its disk plugin from the default dir"
pass "stoa started through the /usr/local/bin symlink finds /usr/lib/stoa/plugins by default"

# 5. The HEALTHCHECK command itself, pointed at this stoa.
mapfile -t hc < <($check healthcheck docker/Dockerfile)
assert_eq "${hc[0]}" curl "healthcheck program"
"${hc[@]/http:\/\/127.0.0.1:3000/$STOA_URL}" || fail "the HEALTHCHECK command failed against a running stoa"
stop_stoa
pass "the Dockerfile's HEALTHCHECK command succeeds against stoa's /healthz"

# 6. The install script both stages run: valid shell, and --runtime installs (or finds) its list.
sh -n docker/install-deps.sh || fail "install-deps.sh syntax"
sh docker/install-deps.sh --runtime || fail "install-deps.sh --runtime"
for p in curl libh2o-evloop0.13 libcurl4 ca-certificates; do
    dpkg-query -W -f='${Status}' "$p" | grep -q "install ok installed" || fail "$p not installed by --runtime"
done
pass "docker/install-deps.sh --runtime (the runtime stage's step) succeeds"
