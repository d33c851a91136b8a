/* The watcher: LISTEN on one connection of its own, forget each removed version in the
 * memo, and report removals and stores to the core (ABI 1.6 watch). The memo trusts
 * entries only while this thread is listening, so every way of losing notifications (a
 * dropped connection, a restarted server, a silent network partition caught by the
 * probe, a missing trigger) turns the fast path off until a new session is listening
 * again; and the core is told LOST when a session stops listening and when one starts,
 * so its cache ledger walks the store after every gap. */
#include "pgs3.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 1000  /* between attempts to listen again */
#define IDLE_MS 10000  /* a quiet connection is probed this often */
#define PROBE_MS 5000  /* a probe unanswered for this long means the connection is lost */
#define WATCH_SETTINGS "SET statement_timeout = '10s'; SET application_name = 'stoa-pgs3-watch'"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum { READY, STOP, QUIET };

/* Waits up to ms for fd (if >= 0) to be readable: READY, QUIET when ms passed, STOP when
 * the watcher is asked to stop. */
static int wait_for(pgs3_watch *w, int fd, int ms)
{
    struct pollfd p[2] = {{w->wake[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int n = poll(p, fd >= 0 ? 2 : 1, ms);
    if (n > 0 && (p[0].revents & POLLIN) != 0)
        return STOP;
    return n == 0 ? QUIET : READY;
}

static void report(pgs3_watch *w, const stoa_change *c)
{
    pthread_mutex_lock(&w->mu);
    if (w->cb != NULL)
        w->cb(w->cb_arg, c);
    pthread_mutex_unlock(&w->mu);
}

static void report_lost(pgs3_watch *w)
{
    report(w, &(stoa_change){.type = STOA_CHANGE_LOST});
}

/* "<kind> <size> <published|proxied> <module>@<version>" (migrations 0008, 0009), with
 * version "" for a list or latest, or "lost" for a row whose payload would not fit a
 * notification. A kind this build does not know is a change it cannot report: LOST. */
static void stored(pgs3_watch *w, char *payload)
{
    char kind[16], origin[16];
    unsigned long long size;
    int at = 0;
    stoa_change c = {.type = STOA_CHANGE_STORED};
    char *v = NULL;
    if (sscanf(payload, "%15s %llu %15s %n", kind, &size, origin, &at) != 3 || at == 0 ||
        (v = strchr(payload + at, '@')) == NULL || (c.kind = pgs3_kind_of(kind)) == 0) {
        report_lost(w);
        return;
    }
    *v = '\0';
    c.module = payload + at;
    c.version = v + 1;
    c.size = size;
    c.published = strcmp(origin, "published") == 0;
    report(w, &c);
}

static void handle_notified(pgs3_watch *w, PGconn *c)
{
    for (PGnotify *n; (n = PQnotifies(c)) != NULL; PQfreemem(n)) {
        if (strcmp(n->relname, PGS3_STORED_CHANNEL) == 0) {
            stored(w, n->extra);
            continue;
        }
        char *at = strchr(n->extra, '@'); /* module paths and tile names hold no '@' */
        if (at == NULL)
            continue;
        *at = '\0'; /* "module@": a list or latest (migration 0009), version "" */
        pgs3_memo_forget(w->memo, n->extra, at + 1);
        report(w, &(stoa_change){.type = STOA_CHANGE_REMOVED, .module = n->extra, .version = at + 1});
    }
}

/* Runs sql without blocking past PROBE_MS or a stop; notifications that arrive
 * meanwhile are handled. 0 when it succeeded, -1 when the session is lost, 1 on stop. */
static int query(pgs3_watch *w, PGconn *c, const char *sql, int *rows)
{
    if (!PQsendQuery(c, sql))
        return -1;
    int64_t until = now_ms() + PROBE_MS;
    int ok = 1;
    for (;;) {
        while (!PQisBusy(c)) {
            PGresult *r = PQgetResult(c);
            if (r == NULL) {
                handle_notified(w, c);
                return ok ? 0 : -1;
            }
            ExecStatusType s = PQresultStatus(r);
            ok = ok && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
            if (rows != NULL && s == PGRES_TUPLES_OK)
                *rows = PQntuples(r);
            PQclear(r);
        }
        int64_t left = until - now_ms();
        if (left <= 0)
            return -1;
        if (wait_for(w, PQsocket(c), (int)left) == STOP)
            return 1;
        if (!PQconsumeInput(c))
            return -1;
    }
}

/* Listens until the connection is lost (0) or the watcher is stopped (1); *live is set
 * once the memo was told it is listening. */
static int session(pgs3_watch *w, PGconn *c, int *warned, int *live)
{
    int triggers = 0;
    int rc = query(w, c, "LISTEN " PGS3_WATCH_CHANNEL "; LISTEN " PGS3_STORED_CHANNEL, NULL);
    if (rc == 0)
        rc = query(w, c, "SELECT 1 FROM pg_trigger WHERE tgname = 'storage_files_removed' AND NOT tgisinternal",
                   &triggers);
    if (rc != 0)
        return rc > 0;
    if (triggers == 0) {
        if (!*warned)
            w->host->log(w->host, STOA_LOG_WARN,
                         "migration 0006 (storage_files_removed) is not applied: every hit asks PostgreSQL until "
                         "`stoa migrate` has run");
        *warned = 1;
        return wait_for(w, -1, IDLE_MS) == STOP;
    }
    *warned = 0;
    pgs3_memo_listening(w->memo, 1);
    report_lost(w); /* what was committed before this session listened went unheard */
    *live = 1;
    if (w->lost)
        w->host->log(w->host, STOA_LOG_INFO, "listening for removals again: hits skip PostgreSQL");
    for (;;) {
        int why = wait_for(w, PQsocket(c), IDLE_MS);
        if (why == STOP)
            return 1;
        if (why == QUIET && (rc = query(w, c, "SELECT 1", NULL)) != 0) /* a silent partition shows here */
            return rc > 0;
        if (!PQconsumeInput(c))
            return 0;
        handle_notified(w, c);
    }
}

static void *run(void *arg)
{
    pgs3_watch *w = arg;
    int warned = 0;
    for (;;) {
        PGconn *c = NULL;
        stoa_error err;
        int stop = 0, live = 0;
        if (pgs3_db_acquire(&w->db, &c, &err) == STOA_OK) {
            stop = session(w, c, &warned, &live);
            pgs3_db_release(&w->db, c);
        }
        if (live) {
            pgs3_memo_listening(w->memo, 0);
            report_lost(w);
            if (!stop)
                w->host->log(w->host, STOA_LOG_WARN,
                             "lost the PostgreSQL connection that hears of removals: hits ask PostgreSQL until it "
                             "is back");
            w->lost = 1;
        }
        if (stop || wait_for(w, -1, RETRY_MS) == STOP)
            return NULL;
    }
}

/* Stops and joins the thread, if any, and closes what it used. */
static void stop_thread(pgs3_watch *w)
{
    if (w->running) {
        ssize_t n = write(w->wake[1], "x", 1);
        (void)n;
        pthread_join(w->thread, NULL);
        w->running = 0;
    }
    for (int i = 0; i < 2; ++i)
        if (w->wake[i] >= 0)
            close(w->wake[i]);
    w->wake[0] = w->wake[1] = -1;
    pgs3_db_close(&w->db);
}

/* Opens the connection and starts the thread. */
static stoa_status run_thread(pgs3_watch *w, stoa_error *err)
{
    stoa_status st = pgs3_db_open(&w->db, w->host, w->dsn, WATCH_SETTINGS, 1, err);
    if (st != STOA_OK)
        return st;
    if (pipe2(w->wake, O_CLOEXEC) != 0) {
        pgs3_db_close(&w->db);
        return stoa_fail(err, STOA_INTERNAL, "pipe: %s", strerror(errno));
    }
    int e = pthread_create(&w->thread, NULL, run, w);
    if (e != 0) {
        stop_thread(w);
        return stoa_fail(err, STOA_INTERNAL, "cannot start the PostgreSQL watcher: %s", strerror(e));
    }
    w->running = 1;
    return STOA_OK;
}

stoa_status pgs3_watch_start(pgs3_watch *w, const stoa_host *host, const char *dsn, pgs3_memo *memo, stoa_error *err)
{
    memset(w, 0, sizeof(*w));
    w->wake[0] = w->wake[1] = -1;
    w->host = host;
    w->dsn = dsn;
    w->memo = memo;
    pthread_mutex_init(&w->mu, NULL);
    return memo->n > 0 ? run_thread(w, err) : STOA_OK; /* else nothing to keep current yet */
}

stoa_status pgs3_watch_changes(pgs3_watch *w, stoa_change_cb cb, void *arg, stoa_error *err)
{
    pthread_mutex_lock(&w->mu);
    w->cb = cb;
    w->cb_arg = arg;
    pthread_mutex_unlock(&w->mu);
    stoa_status st = w->running ? STOA_OK : run_thread(w, err);
    if (st != STOA_OK) {
        pthread_mutex_lock(&w->mu);
        w->cb = NULL; /* the contract: after a failed watch(), cb is never called */
        pthread_mutex_unlock(&w->mu);
    }
    return st;
}

void pgs3_watch_stop(pgs3_watch *w)
{
    if (w->memo == NULL)
        return; /* never started: a zeroed struct */
    stop_thread(w);
    pthread_mutex_destroy(&w->mu);
    w->memo = NULL;
}
