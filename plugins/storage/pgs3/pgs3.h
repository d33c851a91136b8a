/*
 * The pgs3 storage plugin's internals: metadata in PostgreSQL (libpq), bodies in S3
 * (libcurl, AWS Signature V4) under content-addressed keys blobs/sha256/<2 hex>/<62 hex>.
 *
 *   pgs3.c        the method table: get, put, list, remove, walk, objects, health
 *   pgs3_opts.c   options and their checks
 *   pgs3_db.c     the PostgreSQL connection pool (lazy connect, reconnect, retry)
 *   pgs3_s3.c     S3 calls with a no-progress timeout, bodies streamed from/to fds
 *   pgs3_memo.c   remembered metadata of immutable files: hits without a query, and
 *                 through PostgreSQL outages
 *   pgs3_watch.c  LISTEN for removals and stores on every replica: the memo forgets
 *                 removed versions, the core's cache ledger follows both
 *   pgs3_cache.c  a local copy of S3 bodies, so hits need no S3 GET
 *   pgs3_lease.c  cross-replica fill leases (PostgreSQL advisory locks)
 *   pgs3_gc.c     removal of bodies no row refers to
 *   pgs3_pin.c    pins (table storage_pins)
 *
 * Threads: every function here may be called from several worker threads at once
 * unless it says otherwise. Secrets (the DSN's password, secret_key) never reach a
 * message: pgs3_scrub() runs over every error a method returns.
 */
#ifndef STOA_PGS3_H
#define STOA_PGS3_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stoa/storage.h>

#define PGS3_KEY_MAX 96 /* "blobs/sha256/ab/" + 62 hex + NUL */

typedef struct pgs3_opts {
    char dsn[2048];          /* secret: may hold a password */
    char s3_host[256];       /* host:port */
    char bucket[64];
    char access_key[256];
    char secret_key[256];    /* secret */
    int https;               /* protocol: https | http */
    char region[64];         /* signing region (region, AWS_REGION, us-east-1) */
    char session_token[4096];/* secret: temporary credentials (AWS_SESSION_TOKEN) */
    char ca_file[4096];      /* PEM CAs to trust instead of the system's (AWS_CA_BUNDLE) */
    int insecure_skip_verify;/* TLS without certificate checks: explicit choice only */
    int virtual_host;        /* addressing: virtual (bucket.host/key) | path (host/bucket/key) */
    uint32_t s3_connect_timeout_ms;
    uint32_t s3_total_timeout_ms; /* 0: none */
    unsigned pool;           /* PostgreSQL connections for queries */
    unsigned lease_pool;     /* PostgreSQL connections that hold fill leases */
    uint32_t s3_timeout_ms;  /* an S3 call without progress for this long fails */
    uint32_t gc_grace_s;     /* gc keeps unreferenced bodies younger than this */
    unsigned memo;           /* remembered immutable metadata entries */
    uint64_t cache_size;     /* bytes of S3 bodies kept in <tmp_dir>/pgs3-cache; 0: none */
} pgs3_opts;

/* Parses opts (with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY as fallbacks).
 * STOA_OK or STOA_INVALID with a message naming the option. Main thread. */
stoa_status pgs3_opts_parse(const stoa_host *host, const stoa_options *opts, pgs3_opts *o, stoa_error *err);

/* ---- PostgreSQL pool ---- */

typedef struct pgs3_db {
    const stoa_host *host;
    const char *dsn;
    const char *settings;    /* SQL run on every new connection */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    PGconn **idle;
    size_t nidle, total, max;
    int64_t down_until;      /* monotonic ms: connects fail fast until then */
    char down_msg[sizeof(((stoa_error *)0)->msg)]; /* why the last connect failed */
} pgs3_db;

/* Validates dsn (without echoing it) and connects once to prove it works. */
stoa_status pgs3_db_open(pgs3_db *db, const stoa_host *host, const char *dsn, const char *settings, unsigned max,
                         stoa_error *err);
void pgs3_db_close(pgs3_db *db);

/* Takes a connection (waits up to 10 s when all are busy). UNAVAILABLE when the
 * server cannot be reached. */
stoa_status pgs3_db_acquire(pgs3_db *db, PGconn **out, stoa_error *err);
/* Gives it back; a broken one is closed, so the next acquire reconnects. */
void pgs3_db_release(pgs3_db *db, PGconn *c);

/* Runs fn on a pooled connection; when fn fails because the connection broke (the
 * server restarted), runs it once more on a fresh one. fn must therefore be
 * repeatable: a failed fn leaves no open transaction and no partial effect. */
typedef stoa_status (*pgs3_db_fn)(PGconn *c, void *arg, stoa_error *err);
stoa_status pgs3_db_run(pgs3_db *db, pgs3_db_fn fn, void *arg, stoa_error *err);

/* Status for a failed result: UNAVAILABLE for lost connections and server
 * shutdown/overload, INTERNAL otherwise (with a hint for a missing table). Fills
 * err with "what: server message". Clears r. */
stoa_status pgs3_db_fail(PGconn *c, PGresult *r, const char *what, stoa_error *err);

/* PQexecParams with text parameters; NULL only on out of memory. */
PGresult *pgs3_db_exec(PGconn *c, const char *sql, int n, const char *const *params);

/* Runs sql expecting COMMAND_OK/TUPLES_OK. */
stoa_status pgs3_db_simple(PGconn *c, const char *sql, stoa_error *err);

/* ROLLBACK, ignoring errors (the connection may be gone). */
void pgs3_db_rollback(PGconn *c);

/* ---- S3 ---- */

typedef struct pgs3_s3 {
    char host[256], bucket[64], access[256], secret[256], token[4096], ca_file[4096], sigv4[96];
    int https, insecure, virtual_host;
    uint32_t timeout_ms, connect_timeout_ms, total_timeout_ms;
} pgs3_s3;

/* Main thread. curl_global_init once per process (reference-counted). Every call
 * below fails with a message naming the store, the HTTP status, S3's error code and
 * what to check; it retries 500/502/503/504, RequestTimeout and resets twice. */
stoa_status pgs3_s3_open(pgs3_s3 *s3, const pgs3_opts *o, stoa_error *err);
void pgs3_s3_close(pgs3_s3 *s3);

/* Uploads size bytes of fd (read with pread from 0) to key. */
stoa_status pgs3_s3_put(pgs3_s3 *s3, const char *key, int fd, uint64_t size, stoa_error *err);
/* Downloads key into out (written at its offset); fails unless exactly size bytes
 * with the given sha256 arrive. */
stoa_status pgs3_s3_get(pgs3_s3 *s3, const char *key, int out, uint64_t size, const unsigned char sha256[32],
                        stoa_error *err);
/* Size and last-modified time of key; NOTFOUND when absent. */
stoa_status pgs3_s3_head(pgs3_s3 *s3, const char *key, uint64_t *size, int64_t *mtime, stoa_error *err);
stoa_status pgs3_s3_delete(pgs3_s3 *s3, const char *key, stoa_error *err);
/* Proves the store accepts our credentials on the bucket (health). */
stoa_status pgs3_s3_probe(pgs3_s3 *s3, stoa_error *err);
/* blobs/sha256/ab/cdef... for a digest. */
void pgs3_blob_key(const unsigned char sha256[32], char out[PGS3_KEY_MAX]);
void pgs3_hex(const unsigned char sha256[32], char out[65]);
int pgs3_unhex(const char *hex, unsigned char sha256[32]);

/* ---- remembered metadata (pgs3_memo.c) ---- */

typedef struct pgs3_memo_entry pgs3_memo_entry;
typedef struct pgs3_memo {
    pthread_mutex_t mu;
    pgs3_memo_entry *slots;
    size_t n;
    uint64_t gen; /* bumped by every forget and by every change of live */
    int live;     /* the watcher is listening for removals */
} pgs3_memo;

int pgs3_memo_init(pgs3_memo *m, size_t n);
void pgs3_memo_free(pgs3_memo *m);
/* The generation to pass to pgs3_memo_put: read it before the lookup begins. */
uint64_t pgs3_memo_gen(pgs3_memo *m);
/* Remembers meta; trusted only if the memo is live and gen is still current. */
void pgs3_memo_put(pgs3_memo *m, const stoa_key *key, const stoa_meta *meta, uint64_t gen);
/* 1 and *meta when key is remembered (and trusted, with trusted_only). */
int pgs3_memo_get(pgs3_memo *m, const stoa_key *key, int trusted_only, stoa_meta *meta);
void pgs3_memo_forget(pgs3_memo *m, const char *module, const char *version);
/* The watcher started (1) or stopped (0) listening; stopping untrusts every entry. */
void pgs3_memo_listening(pgs3_memo *m, int live);

/* ---- changes from every replica (pgs3_watch.c) ---- */

/* One thread holding its own PostgreSQL connection, LISTENing on the channels that
 * migrations 0006 and 0009 notify with "module@version" for every removed row of an
 * immutable file, list or latest (version "" for the last two), and 0008 and 0009 with
 * "<kind> <size> <published|proxied> module@version" for every stored row of any kind
 * but sumdb_latest (a list or latest also when replaced). It forgets removed versions
 * in the memo and reports both to the core's callback, with STOA_CHANGE_LOST whenever
 * a session starts or stops listening; it reconnects after any failure, and the memo
 * trusts nothing while it is not listening. It runs while the memo is on or a callback
 * is set. */
typedef struct pgs3_watch {
    pgs3_db db;
    pgs3_memo *memo;
    const stoa_host *host;
    const char *dsn;
    pthread_t thread;
    int wake[2]; /* a byte on wake[1] stops the thread */
    int running;
    int lost;    /* the thread has lost a session before (for its log) */
    pthread_mutex_t mu; /* guards cb and cb_arg, and is held while cb runs */
    stoa_change_cb cb;
    void *cb_arg;
} pgs3_watch;

#define PGS3_WATCH_CHANNEL "stoa_storage_removed"
#define PGS3_STORED_CHANNEL "stoa_storage_stored"

/* Main thread. Starts watching when the memo is on; an error only if the thread
 * cannot start. dsn must outlive the watch. */
stoa_status pgs3_watch_start(pgs3_watch *w, const stoa_host *host, const char *dsn, pgs3_memo *memo, stoa_error *err);
/* Main thread, after pgs3_watch_start. Reports changes to cb (ABI 1.6 watch),
 * starting the thread if the memo did not. */
stoa_status pgs3_watch_changes(pgs3_watch *w, stoa_change_cb cb, void *arg, stoa_error *err);
/* Main thread. Stops and joins the thread. Safe on a zeroed watch and twice. */
void pgs3_watch_stop(pgs3_watch *w);

/* ---- local copy of S3 bodies ---- */

#define PGS3_CACHE_PATH 4200

typedef struct pgs3_cache {
    char dir[4096];
    uint64_t limit;             /* bytes; 0: off */
    atomic_uint_fast64_t used;  /* bytes linked in (approximate between trims) */
    atomic_flag trimming;
} pgs3_cache;

/* Main thread. Creates or checks <tmp_dir>/pgs3-cache (emptied if the machine rebooted
 * since it was filled). limit 0: the cache is off and the calls below do nothing. */
stoa_status pgs3_cache_open(pgs3_cache *c, const char *tmp_dir, uint64_t limit, stoa_error *err);
/* A read-only descriptor on the body with this sha256 and size, or -1. */
int pgs3_cache_get(pgs3_cache *c, const unsigned char sha256[32], uint64_t size);
/* Links fd, an O_TMPFILE spool whose bytes were checked against sha256 and size, into
 * the cache; then trims it if it grew past the limit. Best effort: failures are silent. */
void pgs3_cache_put(pgs3_cache *c, const unsigned char sha256[32], int fd, uint64_t size);

/* ---- the plugin state ---- */

typedef struct pgs3 {
    const stoa_host *host;
    pgs3_opts o;
    pgs3_db db;
    pgs3_db leases;
    pgs3_s3 s3;
    pgs3_memo memo;
    pgs3_cache cache;
    pgs3_watch watch;
} pgs3;

stoa_status pgs3_lease(void *state, const stoa_key *key, uint32_t wait_ms, void **handle, stoa_error *err);
void pgs3_release(void *state, void *handle);
stoa_status pgs3_gc(void *state, stoa_gc_stats *stats, stoa_error *err);
stoa_status pgs3_pin_get(void *state, const stoa_key *key, stoa_pin *out, stoa_error *err);
stoa_status pgs3_pin_put(void *state, const stoa_key *key, const stoa_pin *pin, unsigned flags, stoa_error *err);
stoa_status pgs3_pin_walk(void *state, int only, stoa_pin_cb cb, void *arg, stoa_error *err);

/* Replaces every occurrence of the configured secrets in err->msg. */
void pgs3_scrub(const pgs3 *p, stoa_error *err);

/* Catalog and index pages (pgs3_listing.c, ABI 1.4, migration 0005). Index cursors
 * are "<ixid>.<seq>". */
stoa_status pgs3_catalog_page(void *state, const char *after_module, const char *after_version, size_t limit,
                              stoa_entry_cb cb, void *arg, stoa_error *err);
stoa_status pgs3_index_page(void *state, const char *after, int64_t since, size_t limit, stoa_entry_cb cb, void *arg,
                            stoa_error *err);

const char *pgs3_kind_name(stoa_kind k);
/* The kind named name in storage_files.kind, or 0. */
stoa_kind pgs3_kind_of(const char *name);

/* Test hook: STOA_PGS3_CRASH_AT=point makes the process _exit(99) there. */
void pgs3_crash_point(const char *point);

#endif
