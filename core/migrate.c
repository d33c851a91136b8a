#include "migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK 0x73746f61 /* "stoa" */
#define MAX_MIGRATIONS 256

typedef struct migration {
    int number;
    char name[256];
} migration;

static int by_number(const void *a, const void *b)
{
    return ((const migration *)a)->number - ((const migration *)b)->number;
}

/* Lists NNNN_*.sql files sorted by number. Returns the count or -1. */
static int scan(const char *dir, migration *m, char *err, size_t errlen)
{
    DIR *dp = opendir(dir);
    if (dp == NULL)
        return snprintf(err, errlen, "cannot read migrations directory %s", dir), -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(dp)) != NULL && n < MAX_MIGRATIONS;) {
        size_t l = strlen(e->d_name);
        char *end;
        long num = strtol(e->d_name, &end, 10);
        if (l < 6 || strcmp(e->d_name + l - 4, ".sql") != 0 || end == e->d_name || *end != '_' || num <= 0)
            continue;
        m[n].number = (int)num;
        snprintf(m[n].name, sizeof(m[n].name), "%s", e->d_name);
        ++n;
    }
    closedir(dp);
    qsort(m, (size_t)n, sizeof(*m), by_number);
    for (int i = 1; i < n; ++i)
        if (m[i].number == m[i - 1].number)
            return snprintf(err, errlen, "two migrations numbered %d in %s", m[i].number, dir), -1;
    return n;
}

static char *slurp(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (buf != NULL && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL)
        buf[len] = '\0';
    fclose(f);
    return buf;
}

static int exec_ok(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, errlen, "%s", PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static PGconn *connect_db(const char *dsn, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, NULL, NULL);
    return c;
}

static int applied(PGconn *c, int number)
{
    char num[16];
    snprintf(num, sizeof(num), "%d", number);
    const char *params[1] = {num};
    PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, params, NULL, NULL, 0);
    int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    return yes;
}

static int apply_one(PGconn *c, const char *dir, const migration *m, FILE *out, char *err, size_t errlen)
{
    char *sql = slurp(dir, m->name);
    if (sql == NULL)
        return snprintf(err, errlen, "cannot read %s/%s", dir, m->name), -1;
    char lock[64], num[16];
    snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d)", MIGRATE_LOCK);
    snprintf(num, sizeof(num), "%d", m->number);
    int rc = exec_ok(c, "BEGIN", err, errlen);
    if (rc == 0)
        rc = exec_ok(c, lock, err, errlen);
    if (rc == 0 && applied(c, m->number)) { /* another migrator got here first */
        free(sql);
        return exec_ok(c, "COMMIT", err, errlen);
    }
    if (rc == 0 && (rc = exec_ok(c, sql, err, errlen)) != 0) {
        char inner[512];
        snprintf(inner, sizeof(inner), "%s", err);
        snprintf(err, errlen, "%s: %s", m->name, inner);
    }
    if (rc == 0) {
        const char *params[2] = {num, m->name};
        PGresult *r = PQexecParams(c, "INSERT INTO schema_migrations(version, name) VALUES ($1, $2)", 2, NULL, params, NULL,
                                   NULL, 0);
        rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : (snprintf(err, errlen, "%s", PQerrorMessage(c)), -1);
        PQclear(r);
    }
    free(sql);
    if (rc != 0) {
        char ignored[64];
        exec_ok(c, "ROLLBACK", ignored, sizeof(ignored));
        return -1;
    }
    if (exec_ok(c, "COMMIT", err, errlen) != 0)
        return -1;
    fprintf(out, "applied %s\n", m->name);
    return 0;
}

static const char create_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "version integer PRIMARY KEY, name text NOT NULL, "
                                   "applied_at timestamptz NOT NULL DEFAULT now())";

int migrate_apply(const char *dsn, const char *dir, FILE *out, char *err, size_t errlen)
{
    migration m[MAX_MIGRATIONS];
    int n = scan(dir, m, err, errlen);
    if (n < 0)
        return -1;
    PGconn *c = connect_db(dsn, err, errlen);
    if (c == NULL)
        return -1;
    int rc = exec_ok(c, create_table, err, errlen), count = 0;
    for (int i = 0; rc == 0 && i < n; ++i) {
        if (applied(c, m[i].number))
            continue;
        rc = apply_one(c, dir, &m[i], out, err, errlen);
        count += rc == 0;
    }
    if (rc == 0)
        fprintf(out, count ? "%d migration(s) applied; schema is current\n" : "schema is current; nothing to apply\n", count);
    PQfinish(c);
    return rc;
}

int migrate_check(const char *dsn, const char *dir, char *err, size_t errlen)
{
    migration m[MAX_MIGRATIONS];
    int n = scan(dir, m, err, errlen);
    if (n < 0)
        return -1;
    PGconn *c = connect_db(dsn, err, errlen);
    if (c == NULL)
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; ++i)
        if (!applied(c, m[i].number))
            rc = (snprintf(err, errlen, "database schema is missing migration %s: run `stoa migrate`", m[i].name), -1);
    PQfinish(c);
    return rc;
}
