/*
 * The cache ledger kept current with every commit to the store: this process's, as
 * storage_put and the removes make them (storage_observe), whichever layer stored
 * (fills, list and latest refreshes, checksum tiles, imports, publishes), and other
 * processes' sharing the store (storage ABI 1.6 watch). Proxied files are noted,
 * removals and publishes forgotten, and a plugin that may have missed changes makes
 * the ledger invalid, so the next eviction round walks. With watch, this process's
 * own changes come back too; they are harmless, since the ledger sets sizes rather
 * than adding them and forgets a row at most once.
 */
#ifndef STOA_LEDGER_FEED_H
#define STOA_LEDGER_FEED_H

#include "storage.h"

/* Main thread, once, after the storage opened and before other threads use it. OK
 * when the plugin reports other processes' changes, DECLINED when it has nothing to
 * report (one process per store), else its error; this process's are heard anyway. */
stoa_status ledger_feed_start(storage *s, stoa_error *err);

#endif
