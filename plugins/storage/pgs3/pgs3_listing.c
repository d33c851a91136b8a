/* pgs3 catalog and index pages (ABI 1.4) from the indexes of migration 0005. */
#include "pgs3.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct page {
    const char *sql;
    const char *params[4];
    int nparams;
    stoa_entry_cb cb;
    void *arg;
} page;

/* Columns: module, version, epoch seconds [, ixid, seq]. */
static stoa_status each_entry(PGconn *c, void *arg, stoa_error *err)
{
    page *q = arg;
    PGresult *r = pgs3_db_exec(c, q->sql, q->nparams, q->params);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return pgs3_db_fail(c, r, "page", err);
    int with_cursor = PQnfields(r) == 5;
    for (int i = 0; i < PQntuples(r); ++i) {
        char cur[STOA_CURSOR_MAX] = "";
        if (with_cursor)
            snprintf(cur, sizeof(cur), "%s.%s", PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
        stoa_entry e = {PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), strtoll(PQgetvalue(r, i, 2), NULL, 10), cur};
        if (q->cb(q->arg, &e) != 0)
            break;
    }
    PQclear(r);
    return STOA_OK;
}

stoa_status pgs3_catalog_page(void *state, const char *after_module, const char *after_version, size_t limit,
                              stoa_entry_cb cb, void *arg, stoa_error *err)
{
    char lim[24];
    snprintf(lim, sizeof(lim), "%zu", limit);
    page q = {"SELECT module, version, extract(epoch FROM created_at)::bigint FROM storage_files "
              "WHERE kind = 'info' AND (module COLLATE \"C\", version COLLATE \"C\") > ($1, $2) "
              "ORDER BY module COLLATE \"C\", version COLLATE \"C\" LIMIT $3",
              {after_module != NULL ? after_module : "", after_version != NULL ? after_version : "", lim}, 3, cb, arg};
    if (after_module == NULL) {
        q.sql = "SELECT module, version, extract(epoch FROM created_at)::bigint FROM storage_files WHERE kind = 'info' "
                "ORDER BY module COLLATE \"C\", version COLLATE \"C\" LIMIT $1";
        q.params[0] = lim;
        q.nparams = 1;
    }
    stoa_status st = pgs3_db_run(&((pgs3 *)state)->db, each_entry, &q, err);
    if (st != STOA_OK)
        pgs3_scrub(state, err);
    return st;
}

stoa_status pgs3_index_page(void *state, const char *after, int64_t since, size_t limit, stoa_entry_cb cb, void *arg,
                            stoa_error *err)
{
    int64_t xid = -1, seq = -1;
    char tail;
    if (after != NULL && *after != '\0' && sscanf(after, "%" SCNd64 ".%" SCNd64 "%c", &xid, &seq, &tail) != 2)
        return stoa_fail(err, STOA_INVALID, "index cursor \"%.64s\" is not one pgs3 made", after);
    char x[24], s[24], t[24], lim[24];
    snprintf(x, sizeof(x), "%" PRId64, xid);
    snprintf(s, sizeof(s), "%" PRId64, seq);
    snprintf(t, sizeof(t), "%" PRId64, since);
    snprintf(lim, sizeof(lim), "%zu", limit);
    page q = {"SELECT module, version, extract(epoch FROM created_at)::bigint, ixid, seq FROM storage_files "
              "WHERE kind = 'info' AND (ixid, seq) > ($1::bigint, $2::bigint) "
              "AND ixid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint AND created_at >= to_timestamp($3) "
              "ORDER BY ixid, seq LIMIT $4",
              {x, s, t, lim}, 4, cb, arg};
    stoa_status st = pgs3_db_run(&((pgs3 *)state)->db, each_entry, &q, err);
    if (st != STOA_OK)
        pgs3_scrub(state, err);
    return st;
}
