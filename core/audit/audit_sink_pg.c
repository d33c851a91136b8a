/* The PostgreSQL sink (see audit_sink.h): one multi-row INSERT per batch, the batch
 * passed as one json array parameter whose keys are the column names (json, not
 * jsonb: PostgreSQL need not build a binary form it would throw away). */
#include "audit_sink.h"

#include "audit_event.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pg_sink {
    audit_sink super;
    char *dsn;
    PGconn *conn;
} pg_sink;

#define AUDIT_COLUMNS                                                                                                   \
    "id, time, instance, request_id, action, kind, method, path, repo, module, version, status, client, identity, "   \
    "auth, cache, upstream, upstream_failed, bytes, duration_ms, error, target"

static const char insert_sql[] =
    "INSERT INTO audit_events (" AUDIT_COLUMNS ") SELECT " AUDIT_COLUMNS
    " FROM json_populate_recordset(NULL::audit_events, $1::json) ON CONFLICT (id) DO NOTHING";

static int connect_db(pg_sink *p, char *err, size_t errlen)
{
    if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK)
        return 0;
    if (p->conn != NULL)
        PQfinish(p->conn);
    /* Bounds of our own unless the DSN sets them (later keywords win): a database that
     * hangs must not hold the writer longer than the queue lasts. */
    const char *keys[] = {"connect_timeout", "tcp_user_timeout", "options", "application_name", "dbname", NULL};
    const char *vals[] = {"5", "15000", "-c statement_timeout=30000", "stoa-audit", p->dsn, NULL};
    p->conn = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(p->conn) == CONNECTION_OK) {
        PQsetNoticeProcessor(p->conn, NULL, NULL);
        return 0;
    }
    const char *m = PQerrorMessage(p->conn);
    snprintf(err, errlen, "cannot connect to PostgreSQL: %.*s", (int)strcspn(m, "\n"), m);
    PQfinish(p->conn);
    p->conn = NULL;
    return -1;
}

/* Data errors (class 22) and constraint violations (23) will fail again as they are;
 * anything else (connection lost, shutdown, missing table before `stoa migrate`) may
 * pass later. */
static audit_sink_result classify(PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state != NULL && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0))
        return AUDIT_SINK_REJECT;
    return AUDIT_SINK_RETRY;
}

static audit_sink_result pg_write(audit_sink *s, char *const *lines, size_t n, char *err, size_t errlen)
{
    pg_sink *p = (pg_sink *)s;
    if (connect_db(p, err, errlen) != 0)
        return AUDIT_SINK_RETRY;
    size_t len;
    char *arr = audit_join(lines, n, "[", ',', "]", &len);
    if (arr == NULL)
        return snprintf(err, errlen, "out of memory"), AUDIT_SINK_RETRY;
    const char *params[1] = {arr};
    PGresult *r = PQexecParams(p->conn, insert_sql, 1, NULL, params, NULL, NULL, 0);
    free(arr);
    audit_sink_result res = AUDIT_SINK_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        res = PQstatus(p->conn) == CONNECTION_OK ? classify(r) : AUDIT_SINK_RETRY;
        const char *m = PQerrorMessage(p->conn);
        snprintf(err, errlen, "PostgreSQL: %.*s%s", (int)strcspn(m, "\n"), m,
                 strstr(m, "audit_events") != NULL && strstr(m, "does not exist") != NULL ? " (run `stoa migrate`)" : "");
    }
    PQclear(r);
    return res;
}

static void pg_close(audit_sink *s)
{
    pg_sink *p = (pg_sink *)s;
    if (p->conn != NULL)
        PQfinish(p->conn);
    free(p->dsn);
    free(p);
}

audit_sink *audit_sink_pg(const char *dsn, char *err, size_t errlen)
{
    if (dsn == NULL || dsn[0] == '\0')
        return snprintf(err, errlen, "audit.sink is postgres but no database is set: set audit.dsn or storage.options.dsn"),
               NULL;
    pg_sink *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->dsn = strdup(dsn)) == NULL) {
        free(p);
        return snprintf(err, errlen, "out of memory"), NULL;
    }
    p->super = (audit_sink){"postgres", pg_write, pg_close};
    return &p->super;
}
