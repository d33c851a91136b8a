/*
 * The cache ledger: the bytes each piece of proxied content holds in storage, so
 * eviction rounds find their victims without walking the store (issue 19). A row is
 * a version (its .info, .mod, .zip), a module's upstream answers (its @v/list and
 * @latest, version ""), or one checksum database tile (module the database, version
 * the tile path); ledger_place says which. The database's signed head is trust state,
 * not cache: never counted. A walk of storage replaces the ledger; between walks fills set
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
#include <string.h>

/* A row as the ledger holds it; module and version point into the row. */
typedef struct ledger_row {
    const char *module, *version;
    uint64_t bytes[3]; /* per slot (ledger_place) */
    int64_t stored_at; /* seconds since the epoch: the earliest file, or the first note */
} ledger_row;

/* Where an object of kind stored as (module, version) counts: the row (module,
 * *row_version) and the returned bytes[] slot: .info 0, .mod 1, .zip 2 of the version;
 * @v/list 0 and @latest 1 of (module, ""); a tile 2 of (database, tile path). -1 for
 * what is not counted. version may be NULL for a list or latest. */
static inline int ledger_place(stoa_kind k, const char *version, const char **row_version)
{
    *row_version = version != NULL ? version : "";
    switch (k) {
    case STOA_KIND_INFO: return 0;
    case STOA_KIND_MOD: return 1;
    case STOA_KIND_ZIP: return 2;
    case STOA_KIND_LIST: *row_version = ""; return 0;
    case STOA_KIND_LATEST: *row_version = ""; return 1;
    case STOA_KIND_SUMDB_TILE: return version != NULL && version[0] != '\0' ? 2 : -1;
    default: return -1;
    }
}

/* What a row is, by its version (ledger_place). */
static inline int ledger_row_is_answers(const ledger_row *r)
{
    return r->version[0] == '\0';
}
static inline int ledger_row_is_tile(const ledger_row *r)
{
    return strncmp(r->version, "tile/", 5) == 0;
}

static inline uint64_t ledger_row_bytes(const ledger_row *r)
{
    return r->bytes[0] + r->bytes[1] + r->bytes[2];
}

/* An object of kind was stored as (module, version) (ledger_place; what it does not
 * count is ignored). */
void ledger_note(const char *module, const char *version, stoa_kind kind, uint64_t bytes);

/* The row of (module, version) is gone from storage, or is no longer proxied content
 * (version NULL or "": the module's list and latest). */
void ledger_forget(const char *module, const char *version);

/* One object of the row is gone; the row goes with its last counted byte. */
void ledger_drop(const char *module, const char *version, stoa_kind kind);

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
