#!/usr/bin/env bash
# Runs the pgs3 storage-contract unit test (tests/unit/plugins/test_pgs3.c) against a real
# PostgreSQL and s3rver: S1-S5, the fill lease and gc at the plugin's ABI.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"

use_pgs3
bin="$STOA_BUILD/tests/test_pgs3"
[ -x "$bin" ] || fail "$bin not built"
PGS3_TEST_DSN="$PG_DSN" PGS3_TEST_S3_HOST="$S3_HOST" "$bin" || fail "pgs3 storage contract"
pass "pgs3 keeps the storage contract S1-S5, leases and gc"
