/*
 * `stoa gc` for pgs3: removes bodies that no storage_files row refers to and that no
 * put touched within gc_grace. Candidates come from storage_blobs, not from an S3
 * listing: put() inserts a body's row before uploading it, and gc deletes a row only
 * together with its body, so every body stoa wrote has a row (and the client needs
 * no bucket listing, which some stores restrict).
 *
 * Safe beside running servers (docs/storage-pgs3.md): gc locks the blobs row, checks
 * for references in a later statement (so it sees every put that committed while it
 * waited), deletes the row, then the S3 object, then commits. A racing put either
 * waits for the row lock and uploads again, or fails its foreign key check: never a
 * row without a body.
 */
#include "pgs3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH "200"

typedef struct sweep {
    pgs3 *p;
    stoa_gc_stats *stats;
    char grace[24];
    char last[65];         /* candidates are walked in sha256 order */
    char (*batch)[65];
    uint64_t *sizes;
    int n;
    const char *hex;       /* the candidate collect() looks at */
    int removed;
} sweep;

static stoa_status candidates(PGconn *c, void *arg, stoa_error *err)
{
    sweep *s = arg;
    const char *params[2] = {s->grace, s->last};
    PGresult *r = pgs3_db_exec(c,
                               "SELECT sha256, size FROM storage_blobs b "
                               "WHERE touched_at < now() - make_interval(secs => $1::int) AND sha256 > $2 "
                               "AND NOT EXISTS (SELECT 1 FROM storage_files f WHERE f.sha256 = b.sha256) "
                               "ORDER BY sha256 LIMIT " BATCH,
                               2, params);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "gc candidates", err);
    s->n = PQntuples(r);
    for (int i = 0; i < s->n; ++i) {
        snprintf(s->batch[i], 65, "%s", PQgetvalue(r, i, 0));
        s->sizes[i] = strtoull(PQgetvalue(r, i, 1), NULL, 10);
    }
    PQclear(r);
    return STOA_OK;
}

/* Inside the transaction: 1 when the body is still an orphan, with its row locked. */
static stoa_status still_orphan(PGconn *c, sweep *s, int *orphan, stoa_error *err)
{
    const char *params[2] = {s->hex, s->grace};
    PGresult *r = pgs3_db_exec(c,
                               "SELECT touched_at < now() - make_interval(secs => $2::int) FROM storage_blobs "
                               "WHERE sha256 = $1 FOR UPDATE",
                               2, params);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "gc lock", err);
    int old = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    /* A new statement, a new snapshot: sees puts that committed while we waited. */
    r = pgs3_db_exec(c, "SELECT EXISTS (SELECT 1 FROM storage_files WHERE sha256 = $1)", 1, params);
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
        st = still_orphan(c, s, &orphan, err);
    if (st == STOA_OK && orphan) {
        const char *params[1] = {s->hex};
        PGresult *r = pgs3_db_exec(c, "DELETE FROM storage_blobs WHERE sha256 = $1", 1, params);
        st = PQresultStatus(r) == PGRES_COMMAND_OK ? (PQclear(r), STOA_OK) : pgs3_db_fail(c, r, "gc delete", err);
        unsigned char sha[32];
        char key[PGS3_KEY_MAX];
        if (st == STOA_OK && pgs3_unhex(s->hex, sha) == 0) {
            pgs3_blob_key(sha, key);
            st = pgs3_s3_delete(&s->p->s3, key, err); /* an absent object is fine */
        }
    }
    if (st == STOA_OK)
        st = pgs3_db_simple(c, orphan ? "COMMIT" : "ROLLBACK", err);
    if (st != STOA_OK)
        pgs3_db_rollback(c);
    s->removed = st == STOA_OK && orphan;
    return st;
}

static stoa_status sweep_all(sweep *s, stoa_error *err)
{
    for (;;) {
        stoa_status st = pgs3_db_run(&s->p->db, candidates, s, err);
        if (st != STOA_OK || s->n == 0)
            return st;
        for (int i = 0; i < s->n; ++i) {
            s->hex = s->batch[i];
            ++s->stats->examined;
            if ((st = pgs3_db_run(&s->p->db, collect, s, err)) != STOA_OK)
                return st;
            if (s->removed) {
                ++s->stats->removed;
                s->stats->removed_bytes += s->sizes[i];
            }
        }
        snprintf(s->last, sizeof(s->last), "%s", s->batch[s->n - 1]);
    }
}

stoa_status pgs3_gc(void *state, stoa_gc_stats *stats, stoa_error *err)
{
    pgs3 *p = state;
    sweep s = {.p = p, .stats = stats};
    snprintf(s.grace, sizeof(s.grace), "%u", p->o.gc_grace_s);
    s.batch = calloc(atoi(BATCH), sizeof(*s.batch));
    s.sizes = calloc(atoi(BATCH), sizeof(*s.sizes));
    stoa_status st = s.batch != NULL && s.sizes != NULL ? sweep_all(&s, err) : stoa_fail(err, STOA_INTERNAL, "out of memory");
    free(s.batch);
    free(s.sizes);
    if (st != STOA_OK)
        pgs3_scrub(p, err);
    else if (stats->removed > 0)
        p->host->log(p->host, STOA_LOG_INFO, "gc: removed %llu unreferenced bodies (%llu bytes)",
                     (unsigned long long)stats->removed, (unsigned long long)stats->removed_bytes);
    return st;
}
