#!/bin/sh
# Regenerates the reference table in docs/configuration.md from the binary:
#   docs/update-config-reference.sh [path/to/stoa]     (default build/stoa)
# tests/integration/test_docs.sh fails until the table matches the binary again.
set -eu
cd "$(dirname "$0")/.."
stoa=${1:-build/stoa}
ref=$(mktemp)
trap 'rm -f "$ref" "$ref.md"' EXIT
"$stoa" config-reference >"$ref"
awk -v ref="$ref" '
    /^<!-- END stoa config-reference -->$/ { skip = 0 }
    !skip { print }
    /^<!-- BEGIN stoa config-reference -->$/ { while ((getline l < ref) > 0) print l; skip = 1 }
' docs/configuration.md >"$ref.md"
cat "$ref.md" >docs/configuration.md
