#!/usr/bin/env bash
# The foundation acceptance test (test_goproxy.sh) on the pgs3 plugin: real
# PostgreSQL and s3rver instead of the disk tree.
TEST_STORAGE=pgs3 exec bash "$(dirname "$0")/test_goproxy.sh"
