/* PostgreSQL connection pool: connections are made on demand up to max, handed to
 * one thread at a time, and dropped when broken, so a restarted server is reached
 * again by the next acquire. Network waits are bounded by libpq's connect_timeout
 * and TCP keepalives (set below, overridable in the DSN) and by statement_timeout. */
#include "pgs3.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACQUIRE_WAIT_S 10
#define DOWN_MS 1000 /* after a slow failed connect, others fail at once for this long */
#define SLOW_MS 500  /* a refused connect is instant and needs no such shield */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static PGconn *connect_one(pgs3_db *db, stoa_error *err)
{
    /* Earlier keywords are defaults: the expanded dsn (dbname) overrides them. */
    const char *keys[] = {"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
                          "application_name", "dbname", NULL};
    const char *vals[] = {"5", "10", "5", "3", "stoa-pgs3", db->dsn, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c == NULL) {
        stoa_fail(err, STOA_UNAVAILABLE, "PostgreSQL: out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        stoa_fail(err, STOA_UNAVAILABLE, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
        trim(err->msg);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    if (db->settings != NULL && pgs3_db_simple(c, db->settings, err) != STOA_OK) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

stoa_status pgs3_db_open(pgs3_db *db, const stoa_host *host, const char *dsn, const char *settings, unsigned max,
                         stoa_error *err)
{
    memset(db, 0, sizeof(*db));
    db->host = host;
    db->dsn = dsn;
    db->settings = settings;
    db->max = max;
    char *why = NULL;
    PQconninfoOption *parsed = PQconninfoParse(dsn, &why);
    if (parsed == NULL) {
        PQfreemem(why); /* it may quote the DSN, password included */
        return stoa_fail(err, STOA_INVALID, "pgs3: option dsn is not a valid PostgreSQL connection string or URI");
    }
    PQconninfoFree(parsed);
    if ((db->idle = calloc(max, sizeof(PGconn *))) == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    pthread_mutex_init(&db->mu, NULL);
    pthread_cond_init(&db->cv, NULL);
    PGconn *c = connect_one(db, err);
    if (c == NULL) {
        pgs3_db_close(db);
        return STOA_UNAVAILABLE;
    }
    db->total = 1;
    pgs3_db_release(db, c);
    return STOA_OK;
}

void pgs3_db_close(pgs3_db *db)
{
    if (db->idle == NULL)
        return;
    for (size_t i = 0; i < db->nidle; ++i)
        PQfinish(db->idle[i]);
    free(db->idle);
    db->idle = NULL;
    pthread_mutex_destroy(&db->mu);
    pthread_cond_destroy(&db->cv);
}

/* An idle connection has nothing to read unless the server closed it (a restart
 * sends a FATAL message and EOF): reading then marks it broken. */
static int alive(PGconn *c)
{
    struct pollfd p = {PQsocket(c), POLLIN, 0};
    if (p.fd < 0)
        return 0;
    if (poll(&p, 1, 0) == 1)
        PQconsumeInput(c);
    return PQstatus(c) == CONNECTION_OK;
}

/* Takes an idle connection that still looks alive; closes dead ones. NULL if none. */
static PGconn *take_idle(pgs3_db *db)
{
    while (db->nidle > 0) {
        PGconn *c = db->idle[--db->nidle];
        if (alive(c))
            return c;
        PQfinish(c);
        --db->total;
    }
    return NULL;
}

/* Closes every idle connection: after one turned out dead, the others (to the same
 * server) are suspect. */
static void flush_idle(pgs3_db *db)
{
    pthread_mutex_lock(&db->mu);
    while (db->nidle > 0) {
        PQfinish(db->idle[--db->nidle]);
        --db->total;
    }
    pthread_cond_broadcast(&db->cv);
    pthread_mutex_unlock(&db->mu);
}

stoa_status pgs3_db_acquire(pgs3_db *db, PGconn **out, stoa_error *err)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ACQUIRE_WAIT_S;
    pthread_mutex_lock(&db->mu);
    while (db->nidle == 0 && db->total >= db->max)
        if (pthread_cond_timedwait(&db->cv, &db->mu, &until) == ETIMEDOUT && db->nidle == 0 && db->total >= db->max) {
            pthread_mutex_unlock(&db->mu);
            return stoa_fail(err, STOA_UNAVAILABLE, "all %zu PostgreSQL connections stayed busy for %d s", db->max,
                             ACQUIRE_WAIT_S);
        }
    PGconn *idle = take_idle(db);
    if (idle != NULL) {
        *out = idle;
        pthread_mutex_unlock(&db->mu);
        return STOA_OK;
    }
    if (now_ms() < db->down_until) {
        /* An unreachable (not refusing) server costs each attempt up to
         * connect_timeout: do not make every request wait for that. */
        stoa_fail(err, STOA_UNAVAILABLE, "%s", db->down_msg);
        pthread_mutex_unlock(&db->mu);
        return STOA_UNAVAILABLE;
    }
    ++db->total; /* reserve a slot, connect outside the lock */
    pthread_mutex_unlock(&db->mu);
    int64_t started = now_ms();
    PGconn *c = connect_one(db, err);
    if (c == NULL) {
        pthread_mutex_lock(&db->mu);
        --db->total;
        if (now_ms() - started >= SLOW_MS) {
            db->down_until = now_ms() + DOWN_MS;
            snprintf(db->down_msg, sizeof(db->down_msg), "%s", err->msg);
        }
        pthread_cond_signal(&db->cv);
        pthread_mutex_unlock(&db->mu);
        return STOA_UNAVAILABLE;
    }
    *out = c;
    return STOA_OK;
}

void pgs3_db_release(pgs3_db *db, PGconn *c)
{
    int broken = PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE;
    if (broken)
        PQfinish(c);
    pthread_mutex_lock(&db->mu);
    if (broken)
        --db->total;
    else
        db->idle[db->nidle++] = c;
    pthread_cond_signal(&db->cv);
    pthread_mutex_unlock(&db->mu);
}

stoa_status pgs3_db_run(pgs3_db *db, pgs3_db_fn fn, void *arg, stoa_error *err)
{
    for (int attempt = 0;; ++attempt) {
        PGconn *c;
        stoa_status st = pgs3_db_acquire(db, &c, err);
        if (st != STOA_OK)
            return st;
        st = fn(c, arg, err);
        int lost = PQstatus(c) != CONNECTION_OK;
        pgs3_db_release(db, c);
        if (st == STOA_OK || !lost || attempt == 1)
            return st;
        /* A pooled connection may learn that the server restarted only when used. */
        flush_idle(db);
    }
}

PGresult *pgs3_db_exec(PGconn *c, const char *sql, int n, const char *const *params)
{
    return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
}

/* SQLSTATE classes that mean "the database is not usable right now". */
static int transient(const char *state)
{
    return state == NULL || strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
           strncmp(state, "57", 2) == 0 || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
           strcmp(state, "55P03") == 0;
}

stoa_status pgs3_db_fail(PGconn *c, PGresult *r, const char *what, stoa_error *err)
{
    const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r != NULL && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(c);
    stoa_status st = PQstatus(c) != CONNECTION_OK || transient(state) ? STOA_UNAVAILABLE : STOA_INTERNAL;
    if (state != NULL && strcmp(state, "42P01") == 0)
        stoa_fail(err, STOA_INTERNAL, "PostgreSQL %s: %s (the schema is missing: run `stoa migrate`)", what, msg);
    else
        stoa_fail(err, st, "PostgreSQL %s: %s", what, *msg ? msg : "connection lost");
    trim(err->msg);
    PQclear(r);
    return err->status;
}

stoa_status pgs3_db_simple(PGconn *c, const char *sql, stoa_error *err)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        PQclear(r);
        return STOA_OK;
    }
    return pgs3_db_fail(c, r, sql, err);
}

void pgs3_db_rollback(PGconn *c)
{
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(PQexec(c, "ROLLBACK"));
}
