#include "migrate.h"

#include "dirs.h"

#include <ctype.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        size_t l = strlen(e->d_name);
        char *end;
        long num = strtol(e->d_name, &end, 10);
        if (l < 6 || strcmp(e->d_name + l - 4, ".sql") != 0 || !isdigit((unsigned char)e->d_name[0]) || *end != '_' ||
            num <= 0 || num > INT_MAX)
            continue;
        if (n == MAX_MIGRATIONS) {
            closedir(dp);
            return snprintf(err, errlen, "more than %d migrations in %s", MAX_MIGRATIONS, dir), -1;
        }
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

/* libpq's messages end in a newline; ours are embedded in longer lines. */
static void pq_error(PGconn *c, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", PQerrorMessage(c));
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
}

static int exec_ok(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY; /* an empty file is fine */
    if (!ok)
        pq_error(c, err, errlen);
    PQclear(r);
    return ok ? 0 : -1;
}

/* PostgreSQL's NOTICEs ("relation ... already exists, skipping") are not for users.
 * (PQsetNoticeProcessor with a NULL function changes nothing.) */
static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static PGconn *connect_db(const char *dsn, char *err, size_t errlen)
{
    /* Refuse a malformed DSN without echoing it: libpq's parse errors quote it,
     * password included. */
    PQconninfoOption *parsed = PQconninfoParse(dsn, NULL);
    if (parsed == NULL) {
        snprintf(err, errlen, "the database DSN is not a valid PostgreSQL connection string or URI");
        return NULL;
    }
    PQconninfoFree(parsed);
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        char why[512];
        pq_error(c, why, sizeof(why));
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", why);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

/* 1 applied, 0 not (or no bookkeeping table yet), -1 query failed (err set). */
static int applied(PGconn *c, int number, char *err, size_t errlen)
{
    char num[16];
    snprintf(num, sizeof(num), "%d", number);
    const char *params[1] = {num};
    PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, params, NULL, NULL, 0);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    int yes = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) == 1
              : state != NULL && strcmp(state, "42P01") == 0 ? 0
                                                               : (pq_error(c, err, errlen), -1);
    PQclear(r);
    return yes;
}

static int apply_one(PGconn *c, const char *dir, const migration *m, FILE *out, char *err, size_t errlen)
{
    char *sql = slurp(dir, m->name);
    if (sql == NULL)
        return snprintf(err, errlen, "cannot read %s/%s", dir, m->name), -1;
    char num[16];
    snprintf(num, sizeof(num), "%d", m->number);
    int rc = exec_ok(c, "BEGIN", err, errlen);
    if (rc == 0 && (rc = exec_ok(c, sql, err, errlen)) != 0) {
        char inner[512];
        snprintf(inner, sizeof(inner), "%s", err);
        snprintf(err, errlen, "%s: %s", m->name, inner);
    }
    if (rc == 0) {
        const char *params[2] = {num, m->name};
        PGresult *r = PQexecParams(c, "INSERT INTO schema_migrations(version, name) VALUES ($1, $2)", 2, NULL, params, NULL,
                                   NULL, 0);
        rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : (pq_error(c, err, errlen), -1);
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

/* The migrations shipped in dir (into m, count in *n) and a connection to dsn; NULL
 * with err filled when either fails. */
static PGconn *scan_and_connect(const char *dsn, const char *dir, migration *m, int *n, char *err, size_t errlen)
{
    *n = scan(dir, m, err, errlen);
    return *n < 0 ? NULL : connect_db(dsn, err, errlen);
}

int migrate_apply(const char *dsn, const char *dir, FILE *out, char *err, size_t errlen)
{
    migration m[MAX_MIGRATIONS];
    int n;
    PGconn *c = scan_and_connect(dsn, dir, m, &n, err, errlen);
    if (c == NULL)
        return -1;
    /* One session-level lock for the whole run, taken before the bookkeeping table
     * is created: two replicas migrating at once would otherwise race on CREATE TABLE
     * IF NOT EXISTS (a unique violation in pg_type). The second waits, then finds
     * everything applied. */
    char lock[64];
    snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%d)", MIGRATE_LOCK);
    int rc = exec_ok(c, lock, err, errlen), count = 0;
    if (rc == 0)
        rc = exec_ok(c, create_table, err, errlen);
    for (int i = 0; rc == 0 && i < n; ++i) {
        int done = applied(c, m[i].number, err, errlen);
        if (done != 0) {
            rc = done < 0 ? -1 : 0;
            continue;
        }
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
    int n;
    PGconn *c = scan_and_connect(dsn, dir, m, &n, err, errlen);
    if (c == NULL)
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; ++i) {
        int done = applied(c, m[i].number, err, errlen);
        if (done == 0)
            snprintf(err, errlen, "the database schema is behind: migration %s is not applied; run `stoa migrate`",
                     m[i].name);
        rc = done == 1 ? 0 : -1;
    }
    PQfinish(c);
    return rc;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *migrate_find_dir(char *buf, size_t len)
{
    /* A build tree (build/stoa), an installed prefix (bin/stoa), the image
     * (/usr/lib/stoa/stoa), then the working directory. */
    static const char *const rels[] = {"../migrations", "../../migrations", "../share/stoa/migrations",
                                       "../../share/stoa/migrations", NULL};
    if (dirs_beside_binary(rels, buf, len) == 0)
        return buf;
    return is_dir("migrations") ? "migrations" : NULL;
}
