/*
 * Cache quota: an optional limit on the bytes of proxied content, kept by evicting
 * the least recently used: whole versions (.info, .mod, .zip), a module's upstream
 * answers (@v/list and @latest together) and checksum database tiles, each a row of
 * the ledger (ledger.h). Published versions are never evicted and do not count
 * against the limit: the registry is their only copy.
 *
 * Recency comes from quota_touch(), called on every served module file, list, latest
 * and tile; it is kept in memory, saved to a file each eviction round and at exit, and
 * read back at start, so `stoa gc --dry-run` in another process sees the same order.
 * A row never touched counts as used when it was stored. Eviction removes whole rows
 * (storage remove, or remove_object for answers and tiles) down to 90% of the limit,
 * so rounds do not thrash at the boundary.
 */
#ifndef STOA_QUOTA_H
#define STOA_QUOTA_H

#include "storage.h"

#include <stdint.h>
#include <stdio.h>

/* Records that the row (module, version) was used now: a version, (module, "") for
 * its list and latest, (database, tile path) for a tile. Any thread; cheap (a sharded
 * lock). */
void quota_touch(const char *module, const char *version);

/* The eviction thread keeps what storage commits in a ledger (core/fill/ledger.h,
 * fed by ledger_feed.h from quota_start on) replaced by each walk of storage, so its
 * rounds neither walk while the cache fits nor to find victims; it walks on its first
 * round with a limit, every QUOTA_RESYNC_ROUNDS rounds (hand edits, and other
 * processes on a store whose plugin does not report their changes), and after the
 * plugin says it may have missed some. */
#define QUOTA_RESYNC_ROUNDS 30

/* Recency file. 0 or -1 (errno). A missing file loads as empty. */
int quota_save(const char *path);
int quota_load(const char *path);

typedef struct quota_report {
    uint64_t proxied_bytes;   /* before eviction */
    uint64_t published_bytes; /* never evicted */
    uint64_t evicted_bytes;
    size_t entries, evicted; /* ledger rows: versions, modules' answers, tiles */
} quota_report;

/* Walks storage and evicts (or, with dry_run, only lists) proxied versions until they
 * fit in 90% of max_bytes, least recently used first. Each victim is reported to out
 * (may be NULL) as one line. Blocking: worker or main thread. */
stoa_status quota_enforce(storage *s, uint64_t max_bytes, int dry_run, FILE *out, quota_report *rep, stoa_error *err);

/* A thread that enforces the quota every interval_ms and saves the recency file each
 * round. It runs even while max_bytes is 0 (nothing is evicted then), so a reload can
 * set a limit the start did not have. Main thread: it also feeds the ledger the
 * changes other processes make to a shared store (ledger_feed.h). */
int quota_start(storage *s, uint64_t max_bytes, uint32_t interval_ms, const char *path);

/* New limit and interval for the running thread (a SIGHUP): both apply from the next
 * round, and the wait in progress restarts with the new interval. Any thread. */
void quota_configure(uint64_t max_bytes, uint32_t interval_ms);

/* What the eviction thread knows, for /metrics. rounds counts rounds that walked
 * storage (only while a limit is set), skipped those that did not (the ledger knew the
 * cache fit, or named the victims); published bytes are the last walk's, proxied
 * bytes the ledger's now (after the last round while it is not valid). Any thread. */
typedef struct quota_stats {
    uint64_t limit_bytes;
    uint64_t rounds, skipped;
    uint64_t proxied_bytes, published_bytes;
    uint64_t evicted_versions, evicted_bytes; /* since start */
    int64_t last_round;                       /* wall clock seconds, 0 before the first */
} quota_stats;
void quota_stats_get(quota_stats *out);
void quota_stop(void);

#endif
