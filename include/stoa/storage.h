/*
 * Storage plugin ABI (kind STOA_PLUGIN_STORAGE).
 *
 * Storage holds objects named by (module, version, kind). Module paths are the decoded
 * module paths ("github.com/Azure/go"), already validated by the core; versions are
 * canonical semver for immutable kinds. How a plugin names them internally is its own
 * business (the disk plugin uses the escaped path, so its tree mirrors GOPROXY URLs).
 *
 * Threads: open/close run on the main thread before loops start / after they stop.
 * Every other method may be called from several threads at once and may block, except
 * where caps says STOA_STORAGE_CAP_FAST_GET: then get() and list() are cheap enough to be
 * called on an event-loop thread (local files only, no network).
 *
 * Atomicity (the contract every plugin keeps, and tests/unit checks for disk):
 *  S1. An object is visible to get() only once it is complete; a crash at any point of
 *      put() leaves either the old state or the new one, never a partial object.
 *  S2. put() of several files commits them so that a reader who sees the version in
 *      list() (which keys on STOA_KIND_INFO) can get every file of the set.
 *  S3. Immutable kinds (INFO, MOD, ZIP, SUMDB_TILE) never change once stored: put() of
 *      an existing object with the same sha256 returns STOA_OK and changes nothing; with
 *      a different sha256 it returns STOA_CONFLICT and changes nothing.
 *  S4. Mutable kinds (LIST, LATEST, SUMDB_LATEST) are replaced atomically.
 *  S5. On any status but STOA_OK, out-parameters are untouched.
 *  S6. Pins (ABI 1.2) outlive the objects they pin: remove() and quota eviction never
 *      touch them, so a module version refetched after a cache loss is held to the
 *      hash stoa first served.
 *  S7. Listings (ABI 1.4): catalog_page() and index_page() take time that grows with
 *      the page, not with the store. index_page() is exact: paging on with each last
 *      cursor reports every version exactly once, however many share a second and
 *      however put()s interleave; a version committed after a page was read never
 *      sorts before that page's last cursor.
 */
#ifndef STOA_STORAGE_H
#define STOA_STORAGE_H

#include <stoa/stoa.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum stoa_kind {
    STOA_KIND_INFO = 1,         /* <module>/@v/<version>.info, immutable */
    STOA_KIND_MOD = 2,          /* <module>/@v/<version>.mod, immutable */
    STOA_KIND_ZIP = 3,          /* <module>/@v/<version>.zip, immutable */
    STOA_KIND_LIST = 4,         /* <module>/@v/list as last fetched upstream; version is NULL */
    STOA_KIND_LATEST = 5,       /* <module>/@latest as last fetched upstream; version is NULL */
    STOA_KIND_SUMDB_TILE = 6,   /* module = database name, version = "tile/8/0/001" etc. */
    STOA_KIND_SUMDB_LATEST = 7, /* module = database name, version is NULL */
} stoa_kind;

#define STOA_KIND_IS_IMMUTABLE(k) ((k) == STOA_KIND_INFO || (k) == STOA_KIND_MOD || (k) == STOA_KIND_ZIP || (k) == STOA_KIND_SUMDB_TILE)

typedef struct stoa_key {
    const char *module;
    const char *version; /* NULL for LIST, LATEST, SUMDB_LATEST */
    stoa_kind kind;
} stoa_key;

/* Facts stored beside each object. */
typedef struct stoa_meta {
    uint64_t size;
    int64_t stored_at;        /* unix seconds of the commit */
    unsigned char sha256[32]; /* of the object's bytes */
    char h1[64];              /* "h1:..." for ZIP and MOD, else "" */
    char origin[64];          /* "published", or the upstream's name */
} stoa_meta;

/* An object handed to the core by get(). */
typedef struct stoa_object {
    int fd;          /* open for reading at offset 0; the caller owns it and closes it.
                        -1 when get() was called with STOA_GET_META_ONLY. */
    stoa_meta meta;
} stoa_object;

#define STOA_GET_META_ONLY 0x1u
/* Read the backend's own copy, past any local cache the plugin keeps (stoa verify checks
 * the backend). A hint: a plugin without a cache ignores it. (ABI 1.3) */
#define STOA_GET_NO_CACHE 0x2u

/* One file of a put(): the core has staged it in a regular file and verified it. */
typedef struct stoa_put_file {
    stoa_kind kind;
    int fd;          /* readable, at any offset: read with pread from 0. Owned by the caller. */
    stoa_meta meta;  /* size and sha256 are exact; stored_at is set by the plugin */
} stoa_put_file;

/* list() callback: one version with an INFO object. Return non-zero to stop. */
typedef int (*stoa_version_cb)(void *arg, const char *version, int64_t stored_at);

/* walk() callback: one stored (module, version) with an INFO object. Non-zero stops. */
typedef int (*stoa_walk_cb)(void *arg, const char *module, const char *version, int64_t stored_at);

#define STOA_STORAGE_CAP_FAST_GET 0x1u

/* FNV-1a of "module@version": the tie-breaker of the core's fallback index order, whose
 * cursors are "<stored_at>.<this, 16 hex>"; a plugin that still accepts them uses it. */
static inline uint64_t stoa_version_hash(const char *module, const char *version)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = module; *p; ++p)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ '@') * 1099511628211ull;
    for (const char *p = version; *p; ++p)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* One version as catalog_page() and index_page() report it (ABI 1.4). Strings are
 * valid during the callback only. */
#define STOA_CURSOR_MAX 64
typedef struct stoa_entry {
    const char *module;
    const char *version;
    int64_t stored_at;  /* unix seconds */
    const char *cursor; /* index_page(): resumes strictly after this entry; opaque, at most
                           STOA_CURSOR_MAX-1 bytes of [A-Za-z0-9._-]. "" from catalog_page() */
} stoa_entry;

/* catalog_page() and index_page() callback. Non-zero stops. (ABI 1.4) */
typedef int (*stoa_entry_cb)(void *arg, const stoa_entry *e);

/* objects() callback: one stored object and its facts. Non-zero stops. (ABI 1.4) */
typedef int (*stoa_object_cb)(void *arg, const stoa_key *key, const stoa_meta *meta);

/* What gc() did (ABI 1.1). */
typedef struct stoa_gc_stats {
    uint64_t examined;      /* candidates looked at */
    uint64_t removed;       /* objects removed */
    uint64_t removed_bytes; /* their size */
} stoa_gc_stats;

/* What stoa first served for a MOD or ZIP of a canonical version it filled from an
 * upstream, and whether the checksum database has confirmed it (ABI 1.2). */
typedef enum stoa_pin_state {
    STOA_PIN_UNVERIFIED = 0, /* cached while the database could not confirm it: re-checked later */
    STOA_PIN_VERIFIED = 1,   /* the database's record has this hash */
    STOA_PIN_UNCHECKED = 2,  /* not subject to the database (nosumdb, sumdb_check off, unknown to it) */
} stoa_pin_state;

typedef struct stoa_pin {
    char h1[64];       /* "h1:..." */
    int32_t state;     /* stoa_pin_state */
    int64_t pinned_at; /* unix seconds when first recorded; kept by pin_put's replace */
} stoa_pin;

#define STOA_PIN_CREATE 0x1u /* pin_put: only if the key has no pin yet */

/* pin_walk() callback. Non-zero stops. */
typedef int (*stoa_pin_cb)(void *arg, const char *module, const char *version, stoa_kind kind, const stoa_pin *pin);

/* A change to a store that several processes share, as watch() reports it (ABI 1.6).
 * Strings are valid during the callback only. */
typedef enum stoa_change_type {
    STOA_CHANGE_STORED = 1,  /* an object of any kind but SUMDB_LATEST was committed (LIST and
                                LATEST with version ""); plugins built for 1.6 before this
                                may report only INFO, MOD and ZIP */
    STOA_CHANGE_REMOVED = 2, /* objects of module@version were removed (some or all;
                                version "" for a LIST or LATEST) */
    STOA_CHANGE_LOST = 3,    /* changes up to now may have gone unreported (see watch) */
} stoa_change_type;

typedef struct stoa_change {
    stoa_change_type type;
    const char *module, *version; /* STORED and REMOVED; NULL for LOST */
    stoa_kind kind;               /* STORED; REMOVED: the one object removed, or 0 (some or all) */
    uint64_t size;                /* STORED: the object's bytes */
    int published;                /* STORED: its origin is "published" */
} stoa_change;

/* watch() callback (ABI 1.6). */
typedef void (*stoa_change_cb)(void *arg, const stoa_change *change);

typedef struct stoa_storage_methods {
    uint32_t struct_size; /* sizeof(stoa_storage_methods) the plugin was built with */
    uint32_t caps;        /* STOA_STORAGE_CAP_* */

    /* Main thread, once. Parses opts, prepares the backend, sets *state (owned by the
     * plugin until close). Returns STOA_OK, or STOA_INVALID for bad options,
     * STOA_UNAVAILABLE when the backend cannot be reached. May block. */
    stoa_status (*open)(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err);
    /* Main thread, once, after every other call returned. May be NULL. */
    void (*close)(void *state);

    /* Looks an object up. OK (fills *out), NOTFOUND, UNAVAILABLE, INTERNAL. */
    stoa_status (*get)(void *state, const stoa_key *key, unsigned flags, stoa_object *out, stoa_error *err);

    /* Commits n files of one (module, version) as described by S1-S4. version is NULL
     * for mutable kinds. OK, CONFLICT, NOSPACE, UNAVAILABLE, INTERNAL. */
    stoa_status (*put)(void *state, const char *module, const char *version, const stoa_put_file *files, size_t n,
                       stoa_error *err);

    /* Calls cb for each version of module with an INFO object, in no particular order.
     * OK (also when there are none), UNAVAILABLE, INTERNAL. */
    stoa_status (*list)(void *state, const char *module, stoa_version_cb cb, void *arg, stoa_error *err);

    /* Removes every object of (module, version). OK, NOTFOUND, UNAVAILABLE, INTERNAL. */
    stoa_status (*remove)(void *state, const char *module, const char *version, stoa_error *err);

    /* Calls cb for every stored (module, version) with an INFO object, in no particular
     * order. OK, UNAVAILABLE, INTERNAL. */
    stoa_status (*walk)(void *state, stoa_walk_cb cb, void *arg, stoa_error *err);

    /* Cheap liveness probe for /readyz. OK or UNAVAILABLE. May be NULL (always ready). */
    stoa_status (*health)(void *state, stoa_error *err);

    /* ---- ABI 1.1: members below read as NULL in plugins built for 1.0 ---- */

    /* Cross-process lease around a cache fill, so that replicas sharing one backend
     * fetch a cold file upstream once. Worker thread; blocks up to wait_ms while
     * another process holds the lease for key. OK sets *handle (released with
     * release(), on any thread); TIMEOUT when the wait ran out; UNAVAILABLE when the
     * backend cannot lease now. On any status but OK the core fetches without a lease.
     * May be NULL (single-process storage: the core's in-process single-flight is
     * enough). (ABI 1.1) */
    stoa_status (*lease)(void *state, const stoa_key *key, uint32_t wait_ms, void **handle, stoa_error *err);
    /* Ends a lease lease() granted. Never fails visibly: a lease whose backend
     * connection is gone has already ended. NULL exactly when lease is. (ABI 1.1) */
    void (*release)(void *state, void *handle);

    /* Removes garbage a crash can leave (for pgs3: bodies no metadata row refers to,
     * older than the plugin's grace period) and fills *stats. Called by `stoa gc`
     * from its main thread, possibly while servers use the same backend: it must
     * never remove anything a committed or committing put() refers to. OK,
     * UNAVAILABLE, INTERNAL. May be NULL (nothing to collect). (ABI 1.1) */
    stoa_status (*gc)(void *state, stoa_gc_stats *stats, stoa_error *err);

    /* ---- ABI 1.2: members below read as NULL in plugins built for 1.0 and 1.1 ---- */

    /* Pins (S6), keyed by (module, version, kind) with kind MOD or ZIP. Plugins that
     * leave all three NULL keep no pins: the core then cannot hold refetches to earlier
     * content (it logs that at start). Shared by every process on one backend. */
    /* OK (fills *out), NOTFOUND, UNAVAILABLE, INTERNAL. (ABI 1.2) */
    stoa_status (*pin_get)(void *state, const stoa_key *key, stoa_pin *out, stoa_error *err);
    /* Records pin for key atomically. With STOA_PIN_CREATE only when key has none:
     * CONFLICT when one exists (it is left as it was). Without it, replaces h1 and
     * state and keeps pinned_at of an existing pin. OK, CONFLICT, NOSPACE,
     * UNAVAILABLE, INTERNAL. (ABI 1.2) */
    stoa_status (*pin_put)(void *state, const stoa_key *key, const stoa_pin *pin, unsigned flags, stoa_error *err);
    /* Calls cb for every pin, or only for pins in state `only` when only >= 0, in no
     * particular order. OK, UNAVAILABLE, INTERNAL. (ABI 1.2) */
    stoa_status (*pin_walk)(void *state, int only, stoa_pin_cb cb, void *arg, stoa_error *err);

    /* ---- ABI 1.3: members below read as NULL in plugins built for 1.0 to 1.2 ---- */

    /* A small object as bytes rather than a descriptor, for a FAST_GET plugin that can
     * answer it from memory (a hit's open, fstat, read and close were most of the
     * system calls of serving a .info). Looks key up like get() and fills *meta; when
     * meta->size <= cap it also copies the object's bytes to buf, else it copies
     * nothing and the caller uses get(). OK, NOTFOUND, UNAVAILABLE, INTERNAL; on
     * failure *meta is untouched (S5), buf may have been written. May be NULL. (ABI 1.3) */
    stoa_status (*get_copy)(void *state, const stoa_key *key, void *buf, size_t cap, stoa_meta *meta, stoa_error *err);

    /* ---- ABI 1.4: members below read as NULL in plugins built for 1.0 to 1.3 ---- */

    /* Versions with an INFO object in catalog order, (module, version) compared bytewise
     * (strcmp), strictly after (after_module, after_version), or from the first when
     * after_module is NULL; at most limit calls of cb, which may stop early (non-zero).
     * Time per call must not grow with the store (S7). OK, UNAVAILABLE, INTERNAL. (ABI 1.4) */
    stoa_status (*catalog_page)(void *state, const char *after_module, const char *after_version, size_t limit,
                                stoa_entry_cb cb, void *arg, stoa_error *err);
    /* Versions with an INFO object in commit order, strictly after the entry whose
     * cursor is after (NULL or "" = from the first), skipping those stored before since
     * (unix seconds; 0 = none); at most limit calls of cb. Exact (S7). INVALID for a
     * cursor this plugin did not make. (ABI 1.4) */
    stoa_status (*index_page)(void *state, const char *after, int64_t since, size_t limit, stoa_entry_cb cb, void *arg,
                              stoa_error *err);
    /* Calls cb for every stored object of every kind (info, mod, zip, list, latest,
     * checksum tiles and latest), with its facts (size, origin, stored_at; sha256 and
     * h1 may be zero/empty), in no particular order: the cache quota's accounting.
     * Non-zero from cb stops. OK, UNAVAILABLE, INTERNAL. (ABI 1.4) */
    stoa_status (*objects)(void *state, stoa_object_cb cb, void *arg, stoa_error *err);
    /* Removes the one object key (any kind), leaving the others of its version. An INFO
     * removed unlists the version. Pins stay (S6). OK, NOTFOUND, UNAVAILABLE, INTERNAL.
     * (ABI 1.4) */
    stoa_status (*remove_object)(void *state, const stoa_key *key, stoa_error *err);

    /* ---- ABI 1.5: members below read as NULL in plugins built for 1.0 to 1.4 ---- */

    /* get() answered from what this process holds, without waiting on the network, for
     * a plugin that is not FAST_GET but keeps a local copy of hot objects: the core
     * calls it on an event-loop thread first. OK exactly as get() would answer now (the
     * plugin must know the object still exists: a remove() on any process sharing the
     * backend must reach it before get_local answers OK again), or DECLINED when only
     * the backend can answer; then the core calls get() on a worker. Never another
     * status. May be NULL. (ABI 1.5) */
    stoa_status (*get_local)(void *state, const stoa_key *key, unsigned flags, stoa_object *out);

    /* ---- ABI 1.6: members below read as NULL in plugins built for 1.0 to 1.5 ---- */

    /* Reports the commits of every process sharing the backend (this one's too: the
     * core's handling of a change is idempotent), so what the core keeps of the store
     * (the cache quota's ledger) follows other replicas without walking. Main thread,
     * once, after open(). From then until close() returns, cb runs on a thread of the
     * plugin's, one change at a time, in commit order, and must not block. Each commit
     * is reported, or LOST comes after it: the plugin sends LOST whenever it may have
     * stopped hearing changes and again when it hears them anew, so a walk that begins
     * after the last LOST sees every change no event reported. OK, or any other status
     * (then cb is never called). May be NULL: one process per store. (ABI 1.6) */
    stoa_status (*watch)(void *state, stoa_change_cb cb, void *arg, stoa_error *err);
} stoa_storage_methods;

#ifdef __cplusplus
}
#endif
#endif
