/*
 * The pgs3 storage plugin: metadata rows in PostgreSQL (migrations/0001_storage.sql),
 * bodies in S3 under content-addressed keys. put() touches and uploads each body,
 * then commits all rows of the set in one transaction: the commit is the moment the
 * files become visible (S1, S2); a crash before it leaves only an unreferenced body
 * for `stoa gc`. get() spools the body into an unlinked temp file in tmp_dir and
 * hands the core its descriptor.
 */
#include "pgs3.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const kind_names[] = {
    [STOA_KIND_INFO] = "info", [STOA_KIND_MOD] = "mod", [STOA_KIND_ZIP] = "zip", [STOA_KIND_LIST] = "list",
    [STOA_KIND_LATEST] = "latest", [STOA_KIND_SUMDB_TILE] = "sumdb_tile", [STOA_KIND_SUMDB_LATEST] = "sumdb_latest",
};

const char *pgs3_kind_name(stoa_kind k)
{
    return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[k] != NULL ? kind_names[k] : NULL;
}

stoa_kind pgs3_kind_of(const char *name)
{
    for (size_t k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); ++k)
        if (kind_names[k] != NULL && strcmp(kind_names[k], name) == 0)
            return (stoa_kind)k;
    return 0;
}

void pgs3_crash_point(const char *point)
{
    const char *at = getenv("STOA_PGS3_CRASH_AT");
    if (at != NULL && strcmp(at, point) == 0)
        _exit(99);
}

static void redact(char *msg, const char *secret)
{
    size_t n = strlen(secret);
    if (n < 3) /* too short to search for without mangling ordinary words */
        return;
    for (char *at; (at = strstr(msg, secret)) != NULL;) {
        memmove(at + 3, at + n, strlen(at + n) + 1);
        memcpy(at, "***", 3);
    }
}

void pgs3_scrub(const pgs3 *p, stoa_error *err)
{
    redact(err->msg, p->o.secret_key);
    redact(err->msg, p->o.session_token);
    PQconninfoOption *opts = PQconninfoParse(p->o.dsn, NULL);
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; ++o)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
            redact(err->msg, o->val);
    PQconninfoFree(opts);
}

/* Statement and lock waits on query connections are bounded; lease connections wait
 * on purpose (their lock_timeout is set per lease). */
#define QUERY_SETTINGS "SET statement_timeout = '60s'; SET lock_timeout = '30s'"
#define LEASE_SETTINGS "SET statement_timeout = 0"

static stoa_status check_schema(PGconn *c, void *arg, stoa_error *err)
{
    PGresult *r = PQexec(c, "SELECT 1 FROM storage_files LIMIT 0");
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        PQclear(r);
        return STOA_OK;
    }
    return pgs3_db_fail(c, r, "schema check", err);
}

static void pgs3_close(void *state)
{
    pgs3 *p = state;
    if (p == NULL)
        return;
    pgs3_watch_stop(&p->watch);
    pgs3_db_close(&p->leases);
    pgs3_db_close(&p->db);
    pgs3_memo_free(&p->memo);
    explicit_bzero(&p->o, sizeof(p->o));
    free(p);
}

static stoa_status pgs3_open(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err)
{
    pgs3 *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    p->host = host;
    stoa_status st = pgs3_opts_parse(host, opts, &p->o, err);
    if (st == STOA_OK && pgs3_memo_init(&p->memo, p->o.memo) != 0)
        st = stoa_fail(err, STOA_INTERNAL, "out of memory");
    if (st == STOA_OK)
        st = pgs3_cache_open(&p->cache, host->tmp_dir, p->o.cache_size, err);
    if (st == STOA_OK)
        st = pgs3_s3_open(&p->s3, &p->o, err);
    if (st != STOA_OK) {
        pgs3_scrub(p, err);
        pgs3_close(p);
        return st;
    }
    st = pgs3_db_open(&p->db, host, p->o.dsn, QUERY_SETTINGS, p->o.pool, err);
    if (st == STOA_OK)
        st = pgs3_db_run(&p->db, check_schema, NULL, err);
    if (st == STOA_OK)
        st = pgs3_db_open(&p->leases, host, p->o.dsn, LEASE_SETTINGS, p->o.lease_pool, err);
    if (st == STOA_OK)
        st = pgs3_watch_start(&p->watch, host, p->o.dsn, &p->memo, err);
    if (st != STOA_OK) {
        pgs3_scrub(p, err);
        pgs3_s3_close(&p->s3);
        pgs3_close(p);
        return st;
    }
    host->log(host, STOA_LOG_INFO, "metadata in PostgreSQL (pool %u), bodies in %s://%s/%s (region %s, %s addressing)",
              p->o.pool, p->o.https ? "https" : "http", p->o.s3_host, p->o.bucket, p->o.region,
              p->o.virtual_host ? "virtual" : "path");
    if (p->o.insecure_skip_verify && p->o.https)
        host->log(host, STOA_LOG_WARN,
                  "insecure_skip_verify: the S3 store's TLS certificate is NOT checked; anyone on the path can "
                  "impersonate it. Use ca_file instead outside tests");
    *state = p;
    return STOA_OK;
}

static void pgs3_close_all(void *state)
{
    pgs3 *p = state;
    pgs3_s3_close(&p->s3);
    pgs3_close(p);
}

/* ---- get ---- */

typedef struct lookup {
    const stoa_key *key;
    const char *kind;
    stoa_meta meta;
    int found;
} lookup;

static stoa_status find_row(PGconn *c, void *arg, stoa_error *err)
{
    lookup *l = arg;
    const char *params[3] = {l->key->module, l->key->version != NULL ? l->key->version : "", l->kind};
    PGresult *r = pgs3_db_exec(c,
                               "SELECT size, sha256, h1, origin, extract(epoch FROM created_at)::bigint "
                               "FROM storage_files WHERE module = $1 AND version = $2 AND kind = $3",
                               3, params);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "lookup", err);
    l->found = PQntuples(r) == 1;
    if (l->found) {
        memset(&l->meta, 0, sizeof(l->meta));
        l->meta.size = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
        l->found = pgs3_unhex(PQgetvalue(r, 0, 1), l->meta.sha256) == 0;
        snprintf(l->meta.h1, sizeof(l->meta.h1), "%s", PQgetvalue(r, 0, 2));
        snprintf(l->meta.origin, sizeof(l->meta.origin), "%s", PQgetvalue(r, 0, 3));
        l->meta.stored_at = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    }
    PQclear(r);
    return STOA_OK;
}

static int spool_open(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    char path[4096];
    snprintf(path, sizeof(path), "%s/pgs3.XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

static stoa_status fetch_body(pgs3 *p, const stoa_meta *m, unsigned flags, int *out, stoa_error *err)
{
    if (!(flags & STOA_GET_NO_CACHE) && (*out = pgs3_cache_get(&p->cache, m->sha256, m->size)) >= 0)
        return STOA_OK;
    char key[PGS3_KEY_MAX];
    pgs3_blob_key(m->sha256, key);
    int fd = spool_open(p->host->tmp_dir);
    if (fd < 0)
        return stoa_fail(err, errno == ENOSPC ? STOA_NOSPACE : STOA_INTERNAL, "cannot create a temp file in %s: %s",
                         p->host->tmp_dir, strerror(errno));
    stoa_status st = pgs3_s3_get(&p->s3, key, fd, m->size, m->sha256, err);
    if (st == STOA_NOTFOUND)
        st = stoa_fail(err, STOA_UNAVAILABLE, "the body of this file (%s) is missing from S3", key);
    if (st != STOA_OK) {
        close(fd);
        return st;
    }
    pgs3_cache_put(&p->cache, m->sha256, fd, m->size);
    *out = fd;
    return STOA_OK;
}

static stoa_status get_impl(pgs3 *p, const stoa_key *key, unsigned flags, stoa_object *out, stoa_error *err)
{
    lookup l = {key, pgs3_kind_name(key->kind), {0}, 0};
    if (l.kind == NULL || key->module == NULL)
        return stoa_fail(err, STOA_INVALID, "pgs3: bad key");
    uint64_t gen = pgs3_memo_gen(&p->memo);
    stoa_status st = pgs3_db_run(&p->db, find_row, &l, err);
    if (st == STOA_UNAVAILABLE && pgs3_memo_get(&p->memo, key, 0, &l.meta)) {
        l.found = 1; /* the database is down, but this immutable file's row is known */
        st = STOA_OK;
    }
    if (st != STOA_OK)
        return st;
    if (!l.found)
        return stoa_fail(err, STOA_NOTFOUND, "not stored");
    pgs3_memo_put(&p->memo, key, &l.meta, gen);
    int fd = -1;
    if (!(flags & STOA_GET_META_ONLY) && (st = fetch_body(p, &l.meta, flags, &fd, err)) != STOA_OK)
        return st;
    out->fd = fd;
    out->meta = l.meta;
    return STOA_OK;
}

static stoa_status pgs3_get(void *state, const stoa_key *key, unsigned flags, stoa_object *out, stoa_error *err)
{
    stoa_status st = get_impl(state, key, flags, out, err);
    if (st != STOA_OK)
        pgs3_scrub(state, err);
    return st;
}

/* A hit from memory and the body cache: an open and an fstat, as on disk. */
static stoa_status pgs3_get_local(void *state, const stoa_key *key, unsigned flags, stoa_object *out)
{
    pgs3 *p = state;
    stoa_meta m;
    if ((flags & STOA_GET_NO_CACHE) || !pgs3_memo_get(&p->memo, key, 1, &m))
        return STOA_DECLINED;
    int fd = -1;
    if (!(flags & STOA_GET_META_ONLY) && (fd = pgs3_cache_get(&p->cache, m.sha256, m.size)) < 0)
        return STOA_DECLINED;
    out->fd = fd;
    out->meta = m;
    return STOA_OK;
}

/* ---- put ---- */

typedef struct putset {
    pgs3 *p;
    const char *module, *version;
    const stoa_put_file *files;
    size_t n;
    int skip[4];
    char hex[4][65];
    const char *conflict; /* kind that differs from what is stored */
} putset;

/* Stored sha256 of one file: 1 same, 0 different (CONFLICT), -1 absent. */
static stoa_status compare(PGconn *c, putset *s, size_t i, int *same, stoa_error *err)
{
    const char *params[3] = {s->module, s->version != NULL ? s->version : "", pgs3_kind_name(s->files[i].kind)};
    PGresult *r = pgs3_db_exec(c, "SELECT sha256 FROM storage_files WHERE module = $1 AND version = $2 AND kind = $3", 3,
                               params);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "lookup", err);
    *same = PQntuples(r) == 0 ? -1 : strcmp(PQgetvalue(r, 0, 0), s->hex[i]) == 0;
    PQclear(r);
    return STOA_OK;
}

static stoa_status conflict(putset *s, size_t i, stoa_error *err)
{
    return stoa_fail(err, STOA_CONFLICT, "%s@%s: %s already exists with different content; versions are immutable",
                     s->module, s->version != NULL ? s->version : "", pgs3_kind_name(s->files[i].kind));
}

/* Before uploading anything: refuse a set that changes an immutable file (S3), and
 * skip files stored already with the same bytes. */
static stoa_status precheck(PGconn *c, void *arg, stoa_error *err)
{
    putset *s = arg;
    for (size_t i = 0; i < s->n; ++i) {
        int same = -1;
        s->skip[i] = 0;
        if (!STOA_KIND_IS_IMMUTABLE(s->files[i].kind))
            continue;
        stoa_status st = compare(c, s, i, &same, err);
        if (st != STOA_OK)
            return st;
        if (same == 0)
            return conflict(s, i, err);
        s->skip[i] = same == 1;
    }
    return STOA_OK;
}

typedef struct touch {
    const char *hex;
    char size[24];
} touch;

/* Marks the body as in use now, so gc leaves it alone while it is uploaded and
 * committed; waits while a gc holds the row. */
static stoa_status touch_blob(PGconn *c, void *arg, stoa_error *err)
{
    touch *t = arg;
    const char *params[2] = {t->hex, t->size};
    PGresult *r = pgs3_db_exec(c,
                               "INSERT INTO storage_blobs (sha256, size) VALUES ($1, $2) "
                               "ON CONFLICT (sha256) DO UPDATE SET touched_at = now()",
                               2, params);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pgs3_db_fail(c, r, "touch", err);
    PQclear(r);
    return STOA_OK;
}

/* An existing body is trusted only once it hashes to its address: a body damaged
 * behind stoa's back would otherwise survive every re-put of the right bytes (a
 * refetch after `stoa verify --evict`). Only identical files meet an existing body
 * (go.mod files shared by versions, re-publishes, refills), so the extra read is rare.
 * 1 when intact; 0 when it could not be confirmed (damaged, short, gone: logged), and
 * the caller uploads the right bytes, which is always safe at a content address. */
static int body_intact(pgs3 *p, const char *key, const stoa_meta *m)
{
    stoa_error err = {0};
    int fd = spool_open(p->host->tmp_dir);
    stoa_status st = fd < 0 ? STOA_INTERNAL : pgs3_s3_get(&p->s3, key, fd, m->size, m->sha256, &err);
    if (fd >= 0)
        close(fd);
    if (st != STOA_OK && fd >= 0) {
        pgs3_scrub(p, &err);
        const char *what = st == STOA_INTERNAL ? "replacing a damaged" : "rewriting an unconfirmed";
        p->host->log(p->host, STOA_LOG_WARN, "%s S3 body: %s", what, err.msg);
    }
    return st == STOA_OK;
}

static stoa_status upload(pgs3 *p, const stoa_put_file *f, const char *hex, stoa_error *err)
{
    touch t = {hex, ""};
    snprintf(t.size, sizeof(t.size), "%llu", (unsigned long long)f->meta.size);
    stoa_status st = pgs3_db_run(&p->db, touch_blob, &t, err);
    if (st != STOA_OK)
        return st;
    char key[PGS3_KEY_MAX];
    pgs3_blob_key(f->meta.sha256, key);
    uint64_t size = 0;
    int64_t mtime;
    st = pgs3_s3_head(&p->s3, key, &size, &mtime, err);
    if (st != STOA_OK && st != STOA_NOTFOUND)
        return st;
    if (st == STOA_OK && size == f->meta.size && body_intact(p, key, &f->meta))
        return STOA_OK; /* the same content is there already (content-addressed) */
    /* A GET cut short may be another writer's upload of these same bytes in flight
     * (s3rver rewrites in place); uploading them too is harmless. */
    return pgs3_s3_put(&p->s3, key, f->fd, f->meta.size, err);
}

static stoa_status insert_row(PGconn *c, putset *s, size_t i, stoa_error *err)
{
    const stoa_put_file *f = &s->files[i];
    char size[24];
    snprintf(size, sizeof(size), "%llu", (unsigned long long)f->meta.size);
    const char *params[7] = {s->module, s->version != NULL ? s->version : "", pgs3_kind_name(f->kind), size, s->hex[i],
                             f->meta.h1, f->meta.origin};
    const char *sql = STOA_KIND_IS_IMMUTABLE(f->kind)
                          ? "INSERT INTO storage_files (module, version, kind, size, sha256, h1, origin) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
                          : "INSERT INTO storage_files (module, version, kind, size, sha256, h1, origin) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (module, version, kind) DO UPDATE SET "
                            "size = EXCLUDED.size, sha256 = EXCLUDED.sha256, h1 = EXCLUDED.h1, origin = EXCLUDED.origin, "
                            "created_at = now()";
    PGresult *r = pgs3_db_exec(c, sql, 7, params);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (code != NULL && strcmp(code, "23503") == 0) { /* gc took the body meanwhile */
            PQclear(r);
            return stoa_fail(err, STOA_UNAVAILABLE, "the uploaded body was garbage-collected before the commit; retry");
        }
        return pgs3_db_fail(c, r, "insert", err);
    }
    int inserted = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    int same = 1;
    stoa_status st = inserted ? STOA_OK : compare(c, s, i, &same, err); /* another writer won the race */
    return st != STOA_OK ? st : same == 1 ? STOA_OK : conflict(s, i, err);
}

/* One transaction for the whole set: all rows or none. */
static stoa_status commit(PGconn *c, void *arg, stoa_error *err)
{
    putset *s = arg;
    stoa_status st = pgs3_db_simple(c, "BEGIN", err);
    for (size_t i = 0; st == STOA_OK && i < s->n; ++i)
        if (!s->skip[i])
            st = insert_row(c, s, i, err);
    if (st == STOA_OK)
        st = pgs3_db_simple(c, "COMMIT", err);
    if (st != STOA_OK)
        pgs3_db_rollback(c);
    return st;
}

static stoa_status check_set(const putset *s, stoa_error *err)
{
    if (s->n == 0 || s->n > 4 || s->module == NULL || *s->module == '\0')
        return stoa_fail(err, STOA_INVALID, "pgs3: put of %zu files", s->n);
    for (size_t i = 0; i < s->n; ++i) {
        stoa_kind k = s->files[i].kind;
        if (pgs3_kind_name(k) == NULL || (STOA_KIND_IS_IMMUTABLE(k) && (s->version == NULL || *s->version == '\0')))
            return stoa_fail(err, STOA_INVALID, "pgs3: put of kind %d without a version", (int)k);
    }
    return STOA_OK;
}

static stoa_status put_impl(pgs3 *p, putset *s, stoa_error *err)
{
    stoa_status st = check_set(s, err);
    for (size_t i = 0; st == STOA_OK && i < s->n; ++i)
        pgs3_hex(s->files[i].meta.sha256, s->hex[i]);
    if (st == STOA_OK)
        st = pgs3_db_run(&p->db, precheck, s, err);
    size_t todo = 0;
    for (size_t i = 0; st == STOA_OK && i < s->n; ++i)
        if (!s->skip[i] && ++todo)
            st = upload(p, &s->files[i], s->hex[i], err);
    if (st != STOA_OK || todo == 0)
        return st;
    pgs3_crash_point("before_commit");
    return pgs3_db_run(&p->db, commit, s, err);
}

static stoa_status pgs3_put(void *state, const char *module, const char *version, const stoa_put_file *files, size_t n,
                            stoa_error *err)
{
    pgs3 *p = state;
    putset s = {.p = p, .module = module, .version = version, .files = files, .n = n};
    uint64_t gen = pgs3_memo_gen(&p->memo);
    stoa_status st = put_impl(p, &s, err);
    if (st != STOA_OK) {
        pgs3_scrub(p, err);
        return st;
    }
    /* What this process stored, it can serve through a database outage, as if it had
     * looked it up: a fill's client is answered from the fill, not from a lookup. */
    for (size_t i = 0; i < n; ++i) {
        if (!STOA_KIND_IS_IMMUTABLE(files[i].kind))
            continue;
        stoa_key key = {module, version, files[i].kind};
        stoa_meta m = files[i].meta;
        m.stored_at = (int64_t)time(NULL);
        pgs3_memo_put(&p->memo, &key, &m, gen);
    }
    return st;
}

/* ---- list, walk, objects, remove, health ---- */

typedef struct rows rows;
struct rows {
    const char *sql;
    const char *params[1];
    int nparams;
    int (*row)(const rows *q, const PGresult *r); /* one row; non-zero stops */
    stoa_version_cb vcb;
    stoa_walk_cb wcb;
    stoa_object_cb ocb;
    void *arg;
    int reported; /* rows went to the callback */
};

static int version_row(const rows *q, const PGresult *r)
{
    return q->vcb(q->arg, PQgetvalue(r, 0, 0), strtoll(PQgetvalue(r, 0, 1), NULL, 10)) != 0;
}

static int walk_row(const rows *q, const PGresult *r)
{
    return q->wcb(q->arg, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), strtoll(PQgetvalue(r, 0, 2), NULL, 10)) != 0;
}

/* module, version, kind, size, origin, epoch seconds. A kind this build does not
 * know is skipped; list, latest and sumdb_latest are stored with version ''. */
static int object_row(const rows *q, const PGresult *r)
{
    stoa_kind k = pgs3_kind_of(PQgetvalue(r, 0, 2));
    const char *v = PQgetvalue(r, 0, 1);
    stoa_key key = {PQgetvalue(r, 0, 0), *v == '\0' && !STOA_KIND_IS_IMMUTABLE(k) ? NULL : v, k};
    stoa_meta m = {.size = strtoull(PQgetvalue(r, 0, 3), NULL, 10), .stored_at = strtoll(PQgetvalue(r, 0, 5), NULL, 10)};
    snprintf(m.origin, sizeof(m.origin), "%s", PQgetvalue(r, 0, 4));
    return k != 0 && q->ocb(q->arg, &key, &m) != 0;
}

/* Streams rows one at a time (single-row mode): a registry's catalog need not fit in
 * memory. Not repeated once rows were reported (pgs3_db_run retries after a lost
 * connection): the callback would see them twice, so the first failure stands. */
static stoa_status each_row(PGconn *c, void *arg, stoa_error *err)
{
    rows *q = arg;
    if (q->reported)
        return err->status; /* err holds that failure */
    if (!PQsendQueryParams(c, q->sql, q->nparams, NULL, q->params, NULL, NULL, 0) || !PQsetSingleRowMode(c))
        return pgs3_db_fail(c, NULL, "query", err);
    stoa_status st = STOA_OK;
    int stop = 0;
    for (PGresult *r; (r = PQgetResult(c)) != NULL;) {
        ExecStatusType rs = PQresultStatus(r);
        if (rs == PGRES_SINGLE_TUPLE && !stop && st == STOA_OK) {
            q->reported = 1;
            stop = q->row(q, r);
        } else if (rs != PGRES_SINGLE_TUPLE && rs != PGRES_TUPLES_OK && st == STOA_OK) {
            st = pgs3_db_fail(c, r, "query", err);
            continue; /* pgs3_db_fail cleared r */
        }
        PQclear(r); /* drain: the connection must be idle before it goes back */
    }
    return st;
}

static stoa_status run_rows(pgs3 *p, rows *q, stoa_error *err)
{
    stoa_status st = pgs3_db_run(&p->db, each_row, q, err);
    if (st != STOA_OK)
        pgs3_scrub(p, err);
    return st;
}

static stoa_status pgs3_list(void *state, const char *module, stoa_version_cb cb, void *arg, stoa_error *err)
{
    rows q = {.sql = "SELECT version, extract(epoch FROM created_at)::bigint FROM storage_files "
                     "WHERE module = $1 AND kind = 'info'",
              .params = {module}, .nparams = 1, .row = version_row, .vcb = cb, .arg = arg};
    return run_rows(state, &q, err);
}

static stoa_status pgs3_walk(void *state, stoa_walk_cb cb, void *arg, stoa_error *err)
{
    rows q = {.sql = "SELECT module, version, extract(epoch FROM created_at)::bigint FROM storage_files "
                     "WHERE kind = 'info'",
              .row = walk_row, .wcb = cb, .arg = arg};
    return run_rows(state, &q, err);
}

/* Every row of every kind: the cache quota's accounting (ABI 1.4). */
static stoa_status pgs3_objects(void *state, stoa_object_cb cb, void *arg, stoa_error *err)
{
    rows q = {.sql = "SELECT module, version, kind, size, origin, extract(epoch FROM created_at)::bigint "
                     "FROM storage_files",
              .row = object_row, .ocb = cb, .arg = arg};
    return run_rows(state, &q, err);
}

typedef struct removal {
    const char *module, *version;
    const char *kind; /* one object's, or NULL: the version's info, mod and zip */
    int found;
} removal;

static stoa_status delete_rows(PGconn *c, void *arg, stoa_error *err)
{
    removal *rm = arg;
    const char *params[3] = {rm->module, rm->version, rm->kind};
    PGresult *r = rm->kind != NULL
                      ? pgs3_db_exec(c, "DELETE FROM storage_files WHERE module = $1 AND version = $2 AND kind = $3", 3,
                                     params)
                      : pgs3_db_exec(c,
                                     "DELETE FROM storage_files WHERE module = $1 AND version = $2 "
                                     "AND kind IN ('info', 'mod', 'zip')",
                                     2, params);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pgs3_db_fail(c, r, "delete", err);
    rm->found = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return STOA_OK;
}

/* Rows go; the bodies stay until `stoa gc` finds them unreferenced. */
static stoa_status pgs3_remove(void *state, const char *module, const char *version, stoa_error *err)
{
    pgs3 *p = state;
    removal rm = {module, version != NULL ? version : "", NULL, 0};
    pgs3_memo_forget(&p->memo, module, version);
    stoa_status st = pgs3_db_run(&p->db, delete_rows, &rm, err);
    if (st == STOA_OK && !rm.found)
        st = stoa_fail(err, STOA_NOTFOUND, "%s@%s is not stored", module, rm.version);
    if (st != STOA_OK)
        pgs3_scrub(p, err);
    return st;
}

/* One row (ABI 1.4); its body stays for gc, as with remove. The memo forgets the
 * version once the row is gone (also on failure: the delete may have committed), so
 * a lookup that raced the delete is not trusted; the body cache is keyed by content
 * and serves only what the memo or a lookup names. */
static stoa_status pgs3_remove_object(void *state, const stoa_key *key, stoa_error *err)
{
    pgs3 *p = state;
    removal rm = {key->module, key->version != NULL ? key->version : "", pgs3_kind_name(key->kind), 0};
    if (rm.kind == NULL || rm.module == NULL || *rm.module == '\0' ||
        (STOA_KIND_IS_IMMUTABLE(key->kind) && *rm.version == '\0'))
        return stoa_fail(err, STOA_INVALID, "pgs3: bad key");
    stoa_status st = pgs3_db_run(&p->db, delete_rows, &rm, err);
    pgs3_memo_forget(&p->memo, rm.module, key->version);
    if (st == STOA_OK && !rm.found)
        st = stoa_fail(err, STOA_NOTFOUND, "%s@%s: no %s is stored", rm.module, rm.version, rm.kind);
    if (st != STOA_OK)
        pgs3_scrub(p, err);
    return st;
}

static stoa_status ping(PGconn *c, void *arg, stoa_error *err)
{
    return pgs3_db_simple(c, "SELECT 1", err);
}

static stoa_status pgs3_health(void *state, stoa_error *err)
{
    pgs3 *p = state;
    stoa_status st = pgs3_db_run(&p->db, ping, NULL, err);
    if (st == STOA_OK) {
        st = pgs3_s3_probe(&p->s3, err);
    }
    if (st != STOA_OK)
        pgs3_scrub(p, err);
    return st == STOA_OK ? STOA_OK : STOA_UNAVAILABLE;
}

static stoa_status pgs3_report_changes(void *state, stoa_change_cb cb, void *arg, stoa_error *err)
{
    pgs3 *p = state;
    stoa_status st = pgs3_watch_changes(&p->watch, cb, arg, err);
    if (st != STOA_OK)
        pgs3_scrub(p, err);
    return st;
}

static const stoa_storage_methods methods = {
    .struct_size = sizeof(stoa_storage_methods),
    .caps = 0,
    .open = pgs3_open,
    .close = pgs3_close_all,
    .get = pgs3_get,
    .put = pgs3_put,
    .list = pgs3_list,
    .remove = pgs3_remove,
    .walk = pgs3_walk,
    .health = pgs3_health,
    .lease = pgs3_lease,
    .release = pgs3_release,
    .gc = pgs3_gc,
    .pin_get = pgs3_pin_get,
    .pin_put = pgs3_pin_put,
    .pin_walk = pgs3_pin_walk,
    .catalog_page = pgs3_catalog_page,
    .index_page = pgs3_index_page,
    .objects = pgs3_objects,
    .remove_object = pgs3_remove_object,
    .get_local = pgs3_get_local,
    .watch = pgs3_report_changes,
};

static const stoa_plugin descriptor = {STOA_ABI_MAJOR, sizeof(stoa_plugin), STOA_PLUGIN_STORAGE, "pgs3", "1.3", &methods};

STOA_EXPORT const stoa_plugin *stoa_plugin_entry(void)
{
    return &descriptor;
}
