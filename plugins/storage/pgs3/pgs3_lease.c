/* Cross-replica fill leases: a session-level PostgreSQL advisory lock on a hash of
 * the file's key, held on a connection of its own (the lease pool) for the length of
 * the fill. A crashed holder's session ends and PostgreSQL drops its lock, so a lease
 * never outlives its process. Lease connections are separate from the query pool:
 * the holder needs query connections to commit while it holds the lease. */
#include "pgs3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lease {
    PGconn *c;
    char key[600];
} lease;

/* Both the lock and the unlock hash the same text; the seed keeps this key space
 * apart from other advisory-lock users of the database. */
#define LOCK_SQL "SELECT pg_advisory_lock(hashtextextended($1, 7372657))"
#define UNLOCK_SQL "SELECT pg_advisory_unlock(hashtextextended($1, 7372657))"

stoa_status pgs3_lease(void *state, const stoa_key *key, uint32_t wait_ms, void **handle, stoa_error *err)
{
    pgs3 *p = state;
    lease *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    snprintf(l->key, sizeof(l->key), "fill %s %s@%s", pgs3_kind_name(key->kind), key->module,
             key->version != NULL ? key->version : "");
    stoa_status st = pgs3_db_acquire(&p->leases, &l->c, err);
    if (st != STOA_OK) {
        free(l);
        pgs3_scrub(p, err);
        return st;
    }
    char set[64];
    snprintf(set, sizeof(set), "SET lock_timeout = %u", wait_ms > 0 ? wait_ms : 1);
    const char *params[1] = {l->key};
    st = pgs3_db_simple(l->c, set, err);
    PGresult *r = st == STOA_OK ? pgs3_db_exec(l->c, LOCK_SQL, 1, params) : NULL;
    if (st == STOA_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        int timed_out = code != NULL && strcmp(code, "55P03") == 0;
        st = pgs3_db_fail(l->c, r, "lease", err);
        if (timed_out)
            st = stoa_fail(err, STOA_TIMEOUT, "another replica held the fill lease for %s longer than %u ms", l->key,
                           wait_ms);
        r = NULL;
    }
    PQclear(r);
    if (st != STOA_OK) {
        pgs3_db_release(&p->leases, l->c);
        free(l);
        pgs3_scrub(p, err);
        return st;
    }
    *handle = l;
    return STOA_OK;
}

void pgs3_release(void *state, void *handle)
{
    pgs3 *p = state;
    lease *l = handle;
    const char *params[1] = {l->key};
    PQclear(pgs3_db_exec(l->c, UNLOCK_SQL, 1, params));
    pgs3_db_release(&p->leases, l->c); /* a broken connection is closed: its lock died with it */
    free(l);
}
