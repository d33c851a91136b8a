#!/usr/bin/env bash
# What `jf go-publish` and `jf rt build-publish` send, replayed from jfrog-client-go's
# source (artifactory/services/go/publish.go, utils.AddChecksumHeaders): the server
# URL ends in /artifactory/, the version comes first, each of zip, mod and info is
# PUT with ;props;go.version=V and X-Checksum{,-Sha1,-Md5}, and each must answer 201
# (CheckResponseStatus(resp, body, http.StatusCreated)); a pipeline's retry must too.
# Then the go command reads through Artifactory's own address.
. "$(dirname "$0")/lib.sh"

make_tls_cert
DATA="$TMP/data"
mkdir -p "$DATA"
cat >"$TMP/stoa.yaml" <<YAML
tls: {cert: "$TLS_CERT", key: "$TLS_KEY"}
upstreams: [{name: none, url: "http://127.0.0.1:9"}]
repositories: [{name: go-local}]
namespaces:
  - {pattern: "corp.example.com", mode: private}
  - {pattern: "*", mode: proxy}
auth:
  require: {read: true}
  plugins: [{plugin: token, options: {store: file, path: "$TMP/tokens"}}]
audit: {sink: file, path: "$TMP/audit.jsonl", interval: 50ms}
YAML
tok() { STOA_STORAGE_OPTIONS_ROOT="$DATA" "$STOA_BIN" token --config "$TMP/stoa.yaml" create "$@" | head -1; }
CI=$(tok --name ci --scope 'publish:corp.example.com' --scope 'read:*')
CONFIG_FILE="$TMP/stoa.yaml" start_stoa
ART="$STOA_URL/artifactory"
J=(-u "ci:$CI")
export CURL_CA_BUNDLE="$TLS_CA"

# 1. The version probe: jf needs >= 6.10.0 to send the .info at all.
out=$(curl -sf "${J[@]}" "$ART/api/system/version") || fail "api/system/version"
ver=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
python3 - "$ver" <<'PY' || fail "version $ver is below 6.10.0: jf would skip the .info"
import sys
v = tuple(int(x) for x in sys.argv[1].split("-")[0].split("."))
sys.exit(0 if v >= (6, 10, 0) else 1)
PY
assert_eq "$(curl -sf "$ART/api/system/ping")" OK "api/system/ping"
pass "api/system/version ($ver) and api/system/ping under /artifactory/"

# 2. The module's zip, mod and info, as jf builds them, then the three PUTs.
mkdir -p "$TMP/src"
printf 'module corp.example.com/lib\n\ngo 1.20\n' >"$TMP/src/go.mod"
printf 'package lib\n\nfunc V() string { return "v1.4.0" }\n' >"$TMP/src/lib.go"
(cd "$TMP/src" && python3 - "$TMP/lib.zip" <<'PY')
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for f in ("go.mod", "lib.go"):
        z.write(f, "corp.example.com/lib@v1.4.0/" + f)
PY
cp "$TMP/src/go.mod" "$TMP/lib.mod"
printf '{"Version":"v1.4.0","Time":"2026-12-01T10:00:00Z"}' >"$TMP/lib.info"
deploy() { # deploy FILE EXT -> "status sha256-from-body header-sha256"
    local f=$1 sha sha1 md5
    sha=$(sha256sum "$f" | cut -d' ' -f1) sha1=$(sha1sum "$f" | cut -d' ' -f1) md5=$(md5sum "$f" | cut -d' ' -f1)
    curl -s "${J[@]}" -T "$f" -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' \
        -H "X-Checksum-Sha1: $sha1" -H "X-Checksum-Md5: $md5" -H "X-Checksum: $sha" \
        "$ART/api/go/go-local/corp.example.com/lib/@v/v1.4.0.$2;build.name=ci;build.number=7;go.version=v1.4.0"
    printf ' %s %s' "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checksums"]["sha256"])' "$TMP/b")" \
        "$(tr -d '\r' <"$TMP/h" | sed -n 's/^x-checksum-sha256: //Ip')"
}
for round in first retry; do
    for ext in zip mod info; do
        f="$TMP/lib.$ext"
        sha=$(sha256sum "$f" | cut -d' ' -f1)
        assert_eq "$(deploy "$f" "$ext")" "201 $sha $sha" "$round PUT of .$ext: status, body checksums.sha256, X-Checksum-Sha256"
    done
done
assert_contains "$(cat "$TMP/b")" '"created":false' "the retry changed nothing and says so"
pass "zip, mod, info each 201 with the sha256 where jf reads it, and again on a retry"

# A wrong checksum, a wrong token, a proxied namespace: nothing of jf's 201 leaks.
code=$(curl -s -o /dev/null -w '%{http_code}' "${J[@]}" -T "$TMP/lib.zip" -H "X-Checksum-Sha1: $(printf 0%.0s {1..40})" \
    "$ART/api/go/go-local/corp.example.com/lib/@v/v1.5.0.zip;go.version=v1.5.0")
assert_eq "$code" 400 "checksum mismatch"
code=$(curl -s -o /dev/null -w '%{http_code}' -u ci:stoa_wrong -T "$TMP/lib.zip" \
    "$ART/api/go/go-local/corp.example.com/lib/@v/v1.4.0.zip")
assert_eq "$code" 401 "wrong token"
assert_eq "$(http_status GET "$ART/api/go/go-local/corp.example.com/lib/@v/list")" 401 "anonymous read of the private module"
pass "bad checksum 400, wrong token 401, anonymous read 401 under /artifactory/"

# 3. jf rt build-publish: build info acknowledged (204) and audited, not stored.
cat >"$TMP/build.json" <<'JSON'
{"version":"1.0.1","name":"lib-ci","number":"7","started":"2026-12-01T10:00:00.000+0000",
 "modules":[{"type":"go","id":"corp.example.com/lib:v1.4.0","artifacts":[{"type":"zip","sha256":"x"}]}]}
JSON
code=$(curl -s -o /dev/null -w '%{http_code}' "${J[@]}" -X PUT -H 'Content-Type: application/json' \
    --data-binary @"$TMP/build.json" "$ART/api/build")
assert_eq "$code" 204 "build info"
code=$(curl -s -o "$TMP/bad" -w '%{http_code}' "${J[@]}" -X PUT --data-binary '{"name":"x"}' "$ART/api/build")
assert_eq "$code" 400 "build info without a number"
assert_contains "$(cat "$TMP/bad")" '"number"'
assert_eq "$(http_status PUT "$ART/api/build" --data-binary @"$TMP/build.json")" 401 "anonymous build info"
assert_eq "$(http_status GET "$ART/api/build" "${J[@]}")" 405 "GET api/build"
wait_for grep -q '"target":"build:lib-ci/7"' "$TMP/audit.jsonl" || fail "build info not in the audit log: $(cat "$TMP/audit.jsonl")"
assert_contains "$(grep '"build:lib-ci/7"' "$TMP/audit.jsonl")" '"action":"build-info"'
pass "api/build: 204, audited as build-info with target build:lib-ci/7; 400/401/405 otherwise"

# 4. The go command through Artifactory's address, as an existing GOPROXY value.
mkdir -p "$TMP/app" && cd "$TMP/app"
printf 'module example.com/app\n\ngo 1.20\n\nrequire corp.example.com/lib v1.4.0\n' >go.mod
printf 'package main\n\nimport "corp.example.com/lib"\n\nfunc main() { println(lib.V()) }\n' >main.go
GO_EXTRA_ENV="SSL_CERT_FILE=$TLS_CA" GOPROXY_URL="https://ci:$CI@${STOA_URL#https://}/artifactory/api/go/go-local" gocmd build -o app . ||
    fail "go build through /artifactory/api/go/go-local"
assert_eq "$(./app 2>&1)" v1.4.0 "the built program"
pass "go build through /artifactory/api/go/go-local"
