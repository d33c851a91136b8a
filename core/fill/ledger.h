/*
 * The cache ledger: the bytes each proxied version holds in storage, per file
 * (.info, .mod, .zip), so eviction rounds find their victims without walking the
 * store (issue 19). A walk of storage replaces the ledger; between walks fills set
 * the size of what they stored, and publishes, deletes and evictions forget their
 * versions. Sizes are set, not added: a file stored twice counts once.
 *
 * The ledger is "valid" only after a walk replaced it, while every note since fitted
 * in memory and no one said notes were missed (ledger_invalidate); until then rounds
 * walk. Published versions never enter it: a
 * walk leaves out every version with a published file. One mutex; any thread.
 */
#ifndef STOA_LEDGER_H
#define STOA_LEDGER_H

#include <stoa/storage.h>

#include <stddef.h>
#include <stdint.h>

/* A version as the ledger holds it; module and version point into the row. */
typedef struct ledger_row {
    const char *module, *version;
    uint64_t bytes[3]; /* of its .info, .mod and .zip (LEDGER_SLOT) */
    int64_t stored_at; /* seconds since the epoch: the earliest file, or the first note */
} ledger_row;

/* The bytes[] slot of a kind: 0 .info, 1 .mod, 2 .zip; -1 for kinds not counted. */
static inline int ledger_slot(stoa_kind k)
{
    return k == STOA_KIND_INFO ? 0 : k == STOA_KIND_MOD ? 1 : k == STOA_KIND_ZIP ? 2 : -1;
}

static inline uint64_t ledger_row_bytes(const ledger_row *r)
{
    return r->bytes[0] + r->bytes[1] + r->bytes[2];
}

/* A fill stored kind (INFO, MOD or ZIP; others are ignored) of module@version. */
void ledger_note(const char *module, const char *version, stoa_kind kind, uint64_t bytes);

/* module@version is gone from storage, or is no longer proxied content. */
void ledger_forget(const char *module, const char *version);

/* A walk starts now: notes from here on are kept by ledger_replace, whatever the walk
 * saw. Returns the walk's generation. */
uint64_t ledger_walk_begin(void);

/* Replaces the ledger with what the walk from gen found (rows for proxied versions,
 * their strings copied) plus what was noted since gen. 0; -1 out of memory, or 1 when
 * ledger_invalidate ran since gen: either leaves the ledger invalid. */
int ledger_replace(uint64_t gen, const ledger_row *rows, size_t n);

/* Changes to storage may have gone unnoted (another process's, unheard): the ledger is
 * invalid until a walk that begins after this call replaces it. Any thread. */
void ledger_invalidate(void);

/* 1 when the ledger holds every proxied version (see above). */
int ledger_valid(void);

/* The bytes of every version in the ledger. */
uint64_t ledger_total(void);

/* A copy of every row, in no order: *out and the strings are one allocation the caller
 * frees with free(*out). Returns the count, or -1 (out of memory, or not valid). */
long ledger_snapshot(ledger_row **out);

/* Empties the ledger and marks it invalid (tests, and a limit set to 0). */
void ledger_reset(void);

#endif
