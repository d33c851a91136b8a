/*
 * The cache ledger kept current with what other processes sharing the store commit
 * (storage ABI 1.6 watch): their fills are noted, their removals and publishes
 * forgotten, and a plugin that may have missed changes makes the ledger invalid, so
 * the next eviction round walks. This process's own changes come back too; they are
 * harmless, since the ledger sets sizes rather than adding them and forgets a version
 * at most once.
 */
#ifndef STOA_LEDGER_FEED_H
#define STOA_LEDGER_FEED_H

#include "storage.h"

/* Main thread, once, after the storage opened. OK when the plugin reports changes,
 * DECLINED when it has nothing to report (one process per store), else its error. */
stoa_status ledger_feed_start(storage *s, stoa_error *err);

#endif
