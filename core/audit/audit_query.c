#include "audit_query.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

/* Migration 0007's partial index serves this: the publishes of one module. */
#define PUBLISHERS_SQL                                                                                    \
    "SELECT DISTINCT ON (version) version, coalesce(identity, ''), extract(epoch FROM time)::bigint "      \
    "FROM audit_events WHERE action = 'publish' AND kind = 'zip' AND status = 201 AND module = $1 "        \
    "ORDER BY version, time"

int audit_publishers(const struct conf *c, const char *module, audit_publisher_cb cb, void *arg, char *err,
                     size_t errlen)
{
    if (c->audit_sink == NULL || strcmp(c->audit_sink, "postgres") != 0 || c->audit_dsn == NULL)
        return 1;
    const char *keys[] = {"connect_timeout", "options", "application_name", "dbname", NULL};
    const char *vals[] = {"3", "-c statement_timeout=5000", "stoa-ui", c->audit_dsn, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        const char *m = PQerrorMessage(conn);
        snprintf(err, errlen, "audit database: %.*s", (int)strcspn(m, "\n"), m);
        PQfinish(conn);
        return -1;
    }
    const char *params[1] = {module};
    PGresult *r = PQexecParams(conn, PUBLISHERS_SQL, 1, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(r);
        snprintf(err, errlen, "audit database: %.*s", (int)strcspn(m, "\n"), m);
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < PQntuples(r); ++i)
        if (cb(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), strtoll(PQgetvalue(r, i, 2), NULL, 10)) != 0)
            break;
    PQclear(r);
    PQfinish(conn);
    return rc;
}
