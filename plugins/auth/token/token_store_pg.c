/* The PostgreSQL token store: table auth_tokens (migrations/0003_tokens.sql). One
 * connection, re-established when lost; a reload is one SELECT of every row (token
 * tables are small), so changed() always says yes. Callers serialise access. */
#include "token.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pg_store {
    token_store base;
    char *dsn;
    PGconn *conn;
} pg_store;

static void quiet(void *arg, const char *msg)
{
}

/* Libpq's messages may quote the DSN's parts but not a password; keep the first line. */
static const char *first_line(PGconn *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", c != NULL ? PQerrorMessage(c) : "out of memory");
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static stoa_status connect_db(pg_store *p, stoa_error *err)
{
    if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK)
        return STOA_OK;
    if (p->conn != NULL)
        PQfinish(p->conn);
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {p->dsn, "5", "stoa-token", NULL};
    p->conn = PQconnectdbParams(keys, vals, 1);
    if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
        char m[256];
        stoa_fail(err, STOA_UNAVAILABLE, "token store: cannot connect to PostgreSQL: %s", first_line(p->conn, m, sizeof(m)));
        PQfinish(p->conn);
        p->conn = NULL;
        return STOA_UNAVAILABLE;
    }
    PQsetNoticeProcessor(p->conn, quiet, NULL);
    return STOA_OK;
}

static PGresult *query(pg_store *p, const char *sql, int n, const char *const *params, stoa_error *err)
{
    if (connect_db(p, err) != STOA_OK)
        return NULL;
    PGresult *r = PQexecParams(p->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
        return r;
    char m[256];
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    stoa_fail(err, STOA_UNAVAILABLE, "token store: %s%s", first_line(p->conn, m, sizeof(m)),
              state != NULL && strcmp(state, "42P01") == 0 ? " (run `stoa migrate`)" : "");
    PQclear(r);
    return NULL;
}

static stoa_status pg_load(token_store *st, token_set *out, stoa_error *err)
{
    pg_store *p = (pg_store *)st;
    memset(out, 0, sizeof(*out));
    PGresult *r = query(p,
                        "SELECT name, encode(hash, 'hex'), extract(epoch FROM created_at)::bigint, "
                        "coalesce(extract(epoch FROM expires_at)::bigint, 0), "
                        "coalesce(extract(epoch FROM revoked_at)::bigint, 0), scopes FROM auth_tokens ORDER BY name",
                        0, NULL, err);
    if (r == NULL)
        return err->status;
    for (int i = 0; i < PQntuples(r); ++i) {
        token_entry e;
        memset(&e, 0, sizeof(e));
        snprintf(e.name, sizeof(e.name), "%s", PQgetvalue(r, i, 0));
        snprintf(e.scopes, sizeof(e.scopes), "%s", PQgetvalue(r, i, 5));
        e.created = strtoll(PQgetvalue(r, i, 2), NULL, 10);
        e.expires = strtoll(PQgetvalue(r, i, 3), NULL, 10);
        e.revoked = strtoll(PQgetvalue(r, i, 4), NULL, 10);
        if (token_hash_from_hex(PQgetvalue(r, i, 1), e.hash) != 0 || token_set_add(out, &e) != 0) {
            PQclear(r);
            token_set_free(out);
            return stoa_fail(err, STOA_INTERNAL, "token store: bad row for '%s' or out of memory", e.name);
        }
    }
    PQclear(r);
    return STOA_OK;
}

static int pg_changed(token_store *st)
{
    return 1;
}

static stoa_status pg_add(token_store *st, const token_entry *e, stoa_error *err)
{
    pg_store *p = (pg_store *)st;
    char hex[65], created[24], expires[24];
    for (int i = 0; i < 32; ++i)
        sprintf(hex + 2 * i, "%02x", e->hash[i]);
    snprintf(created, sizeof(created), "%" PRId64, e->created);
    snprintf(expires, sizeof(expires), "%" PRId64, e->expires);
    const char *params[5] = {e->name, hex, e->scopes, created, e->expires ? expires : NULL};
    PGresult *r = query(p,
                        "INSERT INTO auth_tokens (name, hash, scopes, created_at, expires_at) VALUES "
                        "($1, decode($2, 'hex'), $3, to_timestamp($4::bigint), to_timestamp($5::bigint)) "
                        "ON CONFLICT (name) DO NOTHING",
                        5, params, err);
    if (r == NULL)
        return err->status;
    int added = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return added ? STOA_OK
                 : stoa_fail(err, STOA_CONFLICT, "a token named '%s' exists already (names are never reused)", e->name);
}

static stoa_status pg_revoke(token_store *st, const char *name, int64_t now, stoa_error *err)
{
    pg_store *p = (pg_store *)st;
    char when[24];
    snprintf(when, sizeof(when), "%" PRId64, now);
    const char *params[2] = {name, when};
    PGresult *r = query(p,
                        "UPDATE auth_tokens SET revoked_at = coalesce(revoked_at, to_timestamp($2::bigint)) "
                        "WHERE name = $1",
                        2, params, err);
    if (r == NULL)
        return err->status;
    int found = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return found ? STOA_OK : stoa_fail(err, STOA_NOTFOUND, "no token named '%s'", name);
}

static void pg_close(token_store *st)
{
    pg_store *p = (pg_store *)st;
    if (p->conn != NULL)
        PQfinish(p->conn);
    free(p->dsn);
    free(p);
}

static const token_store_ops pg_ops = {pg_load, pg_changed, pg_add, pg_revoke, pg_close};

token_store *token_store_pg_open(const char *dsn, stoa_error *err)
{
    pg_store *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->dsn = strdup(dsn)) == NULL) {
        free(p);
        stoa_fail(err, STOA_INTERNAL, "out of memory");
        return NULL;
    }
    p->base.ops = &pg_ops;
    return &p->base;
}
