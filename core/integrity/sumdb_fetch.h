/*
 * One GET from a configured checksum database, with stoa's caching rules: full tiles
 * ("tile/H/L/NNN", no ".p/") never change, so they are served from storage when
 * present and stored after a fetch; "latest" is stored after every fetch and its last
 * good copy answers when the database is unreachable; lookups and partial tiles are
 * always fetched. For a database with a key, "latest" is stored by sumdb_head instead,
 * and only once verified (so the stored copy is the verified tree head). Used by the
 * /sumdb/ proxy (handler_sumdb.c) and by the fill's checksum check (sumcheck.c), so
 * both share one tile cache.
 *
 * Blocking (network, storage): worker threads only.
 */
#ifndef STOA_SUMDB_FETCH_H
#define STOA_SUMDB_FETCH_H

#include "conf.h"

#include <stoa/storage.h>

#include <stdint.h>

#define SUMDB_MAX_BODY (4u << 20)

typedef struct sumdb_answer {
    int fd;            /* readable from offset 0 with pread; the caller closes it */
    stoa_meta meta;    /* size and sha256 */
    const char *cache; /* "HIT", "MISS" or "STALE" (a stored latest; database down) */
} sumdb_answer;

/* sub is the path under the database: "latest", "lookup/<m>@<v>", "tile/8/0/000".
 * STOA_OK with *out filled; STOA_NOTFOUND (the database said 404/410), or the
 * failure (BADGATEWAY, TIMEOUT, UNAVAILABLE, INTERNAL) with a message naming the
 * database in err. */
stoa_status sumdb_fetch(const conf_sumdb *db, const char *sub, sumdb_answer *out, stoa_error *err);

/* The tiles one check reads: the proofs about one tree (inclusion, consistency) need
 * the same partial tiles, which are fetched each time otherwise. */
#define SUMDB_MEMO_TILES 6

typedef struct sumdb_tiles {
    const conf_sumdb *db;
    int used; /* 0 at first */
    struct {
        int level, width;
        int64_t n;
        unsigned char hashes[256 * 32];
    } memo[SUMDB_MEMO_TILES];
} sumdb_tiles;

/* A tlog_tile_reader (tlog.h) over sumdb_fetch; arg is a sumdb_tiles, which keeps the
 * partial tiles read (the first SUMDB_MEMO_TILES) for the rest of the check. */
int sumdb_read_tile(void *arg, int level, int64_t n, int width, unsigned char *out, char *why, size_t whylen);

/* Reads an answer whole (NUL-terminated; the caller frees it), leaving its fd open;
 * NULL when it is over max bytes or unreadable. */
char *sumdb_read(const sumdb_answer *a, size_t max, size_t *len);

/* sumdb_read, then closes the answer's fd. */
char *sumdb_slurp(sumdb_answer *a, size_t max, size_t *len);

#endif
