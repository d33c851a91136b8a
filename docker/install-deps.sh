#!/bin/sh
# Installs the Debian packages stoa needs, only those missing.
#   docker/install-deps.sh            build + run
#   docker/install-deps.sh --test     also what the test suite needs
#   docker/install-deps.sh --runtime  only the shared libraries the binary loads
# The Dockerfile runs this same script, so CI exercises the image's install steps.
set -eu

runtime="libh2o-evloop0.13 libgit2-1.5 libcurl4 libjansson4 libyaml-0-2 libpq5 libssl3 zlib1g ca-certificates curl"
build="build-essential cmake pkg-config libh2o-evloop-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libpq-dev \
libssl-dev zlib1g-dev libcmocka-dev libgit2-dev"
test="golang-go postgresql curl openssh-server openssh-client python3 python3-prometheus-client openssl clang libclang-rt-14-dev nginx-light wrk git procps python3-yaml python3-botocore chromium"

case "${1:-}" in
--runtime) want="$runtime" ;;
--test) want="$runtime $build $test" ;;
"") want="$runtime $build" ;;
*) echo "usage: $0 [--test|--runtime]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# s3rver (the S3 server the tests run) comes from npm; Debian's nodejs/npm provide npm
# where the machine has none.
if [ "${1:-}" = "--test" ] && ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
