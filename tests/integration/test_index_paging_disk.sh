#!/usr/bin/env bash
# test_index_paging.sh on the disk plugin's own index (plugins/storage/disk/disk_index.c):
# concurrent fills, many within one second, each version exactly once by cursor.
TEST_STORAGE=disk exec bash "$(dirname "$0")/test_index_paging.sh"
