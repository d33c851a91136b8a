/*
 * `stoa gc` for pgs3: removes S3 bodies that no storage_files row refers to and that
 * no put touched within gc_grace. Safe beside running servers (docs/storage-pgs3.md):
 *  - put() touches the body's storage_blobs row before uploading, and its commit
 *    inserts rows whose foreign key needs that blobs row;
 *  - gc locks the blobs row (creating a placeholder for a body without one), checks
 *    for references in a later statement (so it sees every committed put), deletes
 *    the row, then the S3 object, then commits. A put racing with it either waits for
 *    the lock and uploads again, or fails its foreign key check: never a row without
 *    a body.
 */
#include "pgs3.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct sweep {
    pgs3 *p;
    stoa_gc_stats *stats;
    int64_t cutoff;  /* unix seconds: bodies modified after this are kept */
    stoa_status st;
    stoa_error *err;
    /* current candidate, for collect() */
    const char *key;
    char hex[65], size[24], grace[24];
    int removed;
} sweep;

static stoa_status locked_check(PGconn *c, sweep *s, int *orphan, stoa_error *err)
{
    const char *touch[2] = {s->hex, s->size};
    PGresult *r = pgs3_db_exec(c,
                               "INSERT INTO storage_blobs (sha256, size, touched_at) VALUES ($1, $2, '-infinity') "
                               "ON CONFLICT (sha256) DO NOTHING",
                               2, touch);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return pgs3_db_fail(c, r, "gc placeholder", err);
    PQclear(r);
    const char *lock[2] = {s->hex, s->grace};
    r = pgs3_db_exec(c,
                     "SELECT touched_at < now() - make_interval(secs => $2::int) FROM storage_blobs "
                     "WHERE sha256 = $1 FOR UPDATE",
                     2, lock);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "gc lock", err);
    int old = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    /* A new statement, a new snapshot: sees puts that committed while we waited. */
    r = pgs3_db_exec(c, "SELECT EXISTS (SELECT 1 FROM storage_files WHERE sha256 = $1)", 1, lock);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "gc reference check", err);
    *orphan = old && strcmp(PQgetvalue(r, 0, 0), "f") == 0;
    PQclear(r);
    return STOA_OK;
}

static stoa_status collect(PGconn *c, void *arg, stoa_error *err)
{
    sweep *s = arg;
    int orphan = 0;
    s->removed = 0;
    stoa_status st = pgs3_db_simple(c, "BEGIN", err);
    if (st == STOA_OK)
        st = locked_check(c, s, &orphan, err);
    if (st == STOA_OK && orphan) {
        const char *del[1] = {s->hex};
        PGresult *r = pgs3_db_exec(c, "DELETE FROM storage_blobs WHERE sha256 = $1", 1, del);
        st = PQresultStatus(r) == PGRES_COMMAND_OK ? (PQclear(r), STOA_OK) : pgs3_db_fail(c, r, "gc delete", err);
        if (st == STOA_OK)
            st = pgs3_s3_delete(&s->p->s3, s->key, err);
    }
    if (st == STOA_OK)
        st = pgs3_db_simple(c, orphan ? "COMMIT" : "ROLLBACK", err);
    if (st != STOA_OK)
        pgs3_db_rollback(c);
    s->removed = st == STOA_OK && orphan;
    return st;
}

static int on_object(void *arg, const char *key, uint64_t size, int64_t mtime)
{
    sweep *s = arg;
    if (pgs3_blob_hex(key, s->hex) != 0 || mtime > s->cutoff)
        return 0; /* not ours, or too young to judge */
    ++s->stats->examined;
    s->key = key;
    snprintf(s->size, sizeof(s->size), "%llu", (unsigned long long)size);
    s->st = pgs3_db_run(&s->p->db, collect, s, s->err);
    if (s->st != STOA_OK)
        return 1;
    if (s->removed) {
        ++s->stats->removed;
        s->stats->removed_bytes += size;
        s->p->host->log(s->p->host, STOA_LOG_INFO, "gc: removed unreferenced body %s (%llu bytes)", key,
                        (unsigned long long)size);
    }
    return 0;
}

stoa_status pgs3_gc(void *state, stoa_gc_stats *stats, stoa_error *err)
{
    pgs3 *p = state;
    sweep s = {.p = p, .stats = stats, .err = err, .st = STOA_OK};
    s.cutoff = (int64_t)time(NULL) - (int64_t)p->o.gc_grace_s;
    snprintf(s.grace, sizeof(s.grace), "%u", p->o.gc_grace_s);
    stoa_status st = pgs3_s3_list(&p->s3, "blobs/", on_object, &s, err);
    if (st == STOA_OK)
        st = s.st;
    if (st != STOA_OK)
        pgs3_scrub(p, err);
    return st;
}
