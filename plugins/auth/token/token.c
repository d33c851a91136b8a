/*
 * The token auth plugin: checks API tokens from a file or PostgreSQL store.
 *
 * Options: store (file | postgres), path (file store, ./stoa-data/tokens), dsn
 * (postgres store), refresh (how often the store is checked for changes: 1s for files,
 * 5s for PostgreSQL).
 *
 * decide() reads an in-memory snapshot under a read lock and never touches the store;
 * a refresher thread checks the store every `refresh` and swaps in a new snapshot, so
 * created and revoked tokens take effect without a restart. reload() (SIGHUP) takes a
 * new refresh interval; moving the store needs a restart.
 */
#include "token.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

typedef struct token_state {
    const stoa_host *host;
    token_store *store;
    pthread_mutex_t store_lock; /* one caller of the store at a time */
    pthread_rwlock_t lock;      /* guards set */
    token_set set;
    _Atomic uint64_t refresh_ms;
    char where[1024]; /* "store path-or-dsn" the store was opened with */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    int stopping;
    int failing; /* the last reload failed (logged once per outage) */
} token_state;

static int parse_ms(const char *s, uint64_t *ms)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || v == 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        *ms = v;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        *ms = v * 1000;
    else if (strcmp(end, "m") == 0)
        *ms = v * 60000;
    else
        return -1;
    return 0;
}

/* Replaces the snapshot if the store changed. Refresher thread (and open). */
static void refresh(token_state *s, int force)
{
    stoa_error err = {0};
    token_set next = {0};
    pthread_mutex_lock(&s->store_lock);
    int changed = force || s->store->ops->changed(s->store);
    stoa_status rc = changed ? s->store->ops->load(s->store, &next, &err) : STOA_OK;
    pthread_mutex_unlock(&s->store_lock);
    if (rc != STOA_OK) {
        if (!s->failing)
            s->host->log(s->host, STOA_LOG_ERROR, "cannot reload tokens (keeping the previous set): %s", err.msg);
        s->failing = 1;
        return;
    }
    if (s->failing)
        s->host->log(s->host, STOA_LOG_INFO, "token store readable again");
    s->failing = 0;
    if (!changed)
        return;
    pthread_rwlock_wrlock(&s->lock);
    token_set old = s->set;
    s->set = next;
    pthread_rwlock_unlock(&s->lock);
    token_set_free(&old);
}

static void *refresher(void *arg)
{
    token_state *s = arg;
    pthread_mutex_lock(&s->stop_lock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        uint64_t ms = atomic_load(&s->refresh_ms);
        until.tv_sec += (time_t)(ms / 1000);
        until.tv_nsec += (long)(ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000)
            until.tv_sec += 1, until.tv_nsec -= 1000000000;
        while (!s->stopping && pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &until) != ETIMEDOUT)
            ;
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->stop_lock);
        refresh(s, 0);
        pthread_mutex_lock(&s->stop_lock);
    }
    pthread_mutex_unlock(&s->stop_lock);
    return NULL;
}

static void token_close(void *state)
{
    token_state *s = state;
    if (s == NULL)
        return;
    if (s->thread_started) {
        pthread_mutex_lock(&s->stop_lock);
        s->stopping = 1;
        pthread_cond_signal(&s->stop_cond);
        pthread_mutex_unlock(&s->stop_lock);
        pthread_join(s->thread, NULL);
    }
    if (s->store != NULL)
        s->store->ops->close(s->store);
    token_set_free(&s->set);
    pthread_cond_destroy(&s->stop_cond);
    pthread_mutex_destroy(&s->stop_lock);
    pthread_mutex_destroy(&s->store_lock);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

static stoa_status check_options(const stoa_options *opts, stoa_error *err)
{
    static const char *const known[] = {"store", "path", "dsn", "refresh", NULL};
    for (size_t i = 0; i < opts->count; ++i) {
        int ok = 0;
        for (int k = 0; known[k] != NULL; ++k)
            ok |= strcmp(opts->items[i].key, known[k]) == 0;
        if (!ok)
            return stoa_fail(err, STOA_INVALID, "unknown option '%s' (known: store, path, dsn, refresh)",
                             opts->items[i].key);
    }
    return STOA_OK;
}

/* Reads store, path/dsn and refresh; where gets "KIND LOCATION". */
static stoa_status store_options(const stoa_host *host, const stoa_options *opts, char *where, size_t wlen,
                                 uint64_t *refresh_ms, stoa_error *err)
{
    if (check_options(opts, err) != STOA_OK)
        return err->status;
    const char *kind = host->option(opts, "store", "file");
    const char *r = host->option(opts, "refresh", NULL);
    int pg = strcmp(kind, "postgres") == 0;
    if (!pg && strcmp(kind, "file") != 0)
        return stoa_fail(err, STOA_INVALID, "store: expected file or postgres, got '%s'", kind);
    *refresh_ms = pg ? 5000 : 1000;
    if (r != NULL && parse_ms(r, refresh_ms) != 0)
        return stoa_fail(err, STOA_INVALID, "refresh: expected a duration like 500ms, 2s, 1m, got '%s'", r);
    const char *loc = pg ? host->option(opts, "dsn", NULL) : host->option(opts, "path", "./stoa-data/tokens");
    if (loc == NULL)
        return stoa_fail(err, STOA_INVALID, "store: postgres needs the dsn option (postgresql://user@host/db)");
    snprintf(where, wlen, "%s %s", kind, loc);
    return STOA_OK;
}

static token_store *open_store(const stoa_host *host, const stoa_options *opts, token_state *s, stoa_error *err)
{
    uint64_t refresh_ms;
    if (store_options(host, opts, s->where, sizeof(s->where), &refresh_ms, err) != STOA_OK)
        return NULL;
    atomic_store(&s->refresh_ms, refresh_ms);
    if (strncmp(s->where, "file ", 5) == 0)
        return token_store_file_open(s->where + 5, err);
    return token_store_pg_open(s->where + strlen("postgres "), err);
}

static stoa_status token_open(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err)
{
    token_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    s->host = host;
    pthread_mutex_init(&s->store_lock, NULL);
    /* Writers (a reload swapping a pointer) must not starve behind a stream of readers. */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&s->stop_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    s->store = open_store(host, opts, s, err);
    stoa_status rc = s->store == NULL ? err->status : s->store->ops->load(s->store, &s->set, err);
    if (rc == STOA_OK && pthread_create(&s->thread, NULL, refresher, s) != 0)
        rc = stoa_fail(err, STOA_INTERNAL, "cannot start the token refresher thread");
    s->thread_started = rc == STOA_OK;
    if (rc != STOA_OK) {
        token_close(s);
        return rc;
    }
    *state = s;
    return STOA_OK;
}

/* Finds the token presented (by hash) and copies its entry. 1 if found. */
static int find(token_state *s, const char *cred, token_entry *out)
{
    unsigned char h[32];
    token_hash(cred, strlen(cred), h);
    pthread_rwlock_rdlock(&s->lock);
    long i = token_lookup(&s->set, h);
    if (i >= 0)
        *out = s->set.items[i];
    pthread_rwlock_unlock(&s->lock);
    return i >= 0;
}

static stoa_status judge(const stoa_auth_request *req, const token_entry *e, token_match_fn match,
                         stoa_auth_result *res)
{
    char when[32];
    snprintf(res->identity, sizeof(res->identity), "token:%s", e->name);
    if (e->revoked != 0) {
        token_time_text(e->revoked, when, sizeof(when));
        snprintf(res->reason, sizeof(res->reason), "token '%s' was revoked at %s", e->name, when);
        return STOA_UNAUTHORIZED;
    }
    if (e->expires != 0 && e->expires <= (int64_t)time(NULL)) {
        token_time_text(e->expires, when, sizeof(when));
        snprintf(res->reason, sizeof(res->reason), "token '%s' expired at %s", e->name, when);
        return STOA_UNAUTHORIZED;
    }
    const char *op = token_op_name(req->op);
    if (token_scopes_allow(e->scopes, req->op, req->module, match)) {
        snprintf(res->reason, sizeof(res->reason), "token '%s' has scope %s", e->name, op);
        return STOA_OK;
    }
    snprintf(res->reason, sizeof(res->reason), "token '%s' lacks scope %s:%s (it has: %.120s)", e->name, op,
             req->module != NULL ? req->module : "*", e->scopes);
    int required = req->struct_size >= offsetof(stoa_auth_request, required) + sizeof(int) && req->required;
    /* Where anonymous clients may do this anyway, a narrow token does not make it worse. */
    return required ? STOA_DENIED : STOA_DECLINED;
}

static stoa_status token_decide(void *state, const stoa_auth_request *req, stoa_auth_result *res)
{
    token_state *s = state;
    char cred[TOKEN_CRED_MAX];
    token_cred_result cr = token_cred_get(req, cred, res->reason, sizeof(res->reason));
    if (cr == TOKEN_CRED_NONE)
        return STOA_DECLINED;
    if (cr == TOKEN_CRED_MALFORMED)
        return STOA_UNAUTHORIZED;
    token_entry e;
    int found = find(s, cred, &e);
    OPENSSL_cleanse(cred, sizeof(cred));
    if (!found) {
        snprintf(res->reason, sizeof(res->reason), "invalid token");
        return STOA_UNAUTHORIZED;
    }
    return judge(req, &e, s->host->match_patterns, res);
}

static stoa_status token_command(void *state, int argc, char **argv, FILE *out, stoa_error *err)
{
    token_state *s = state;
    pthread_mutex_lock(&s->store_lock);
    stoa_status rc = token_cli(s->store, argc, argv, out, err);
    pthread_mutex_unlock(&s->store_lock);
    return rc;
}

static stoa_status token_reload(void *state, const stoa_options *opts, stoa_error *err)
{
    token_state *s = state;
    char where[sizeof(s->where)];
    uint64_t refresh_ms;
    if (store_options(s->host, opts, where, sizeof(where), &refresh_ms, err) != STOA_OK)
        return err->status;
    if (strcmp(where, s->where) != 0)
        return stoa_fail(err, STOA_INVALID, "moving the token store (store, path, dsn) needs a restart");
    atomic_store(&s->refresh_ms, refresh_ms);
    return STOA_OK;
}

static const stoa_auth_methods methods = {
    .struct_size = sizeof(stoa_auth_methods),
    .open = token_open,
    .close = token_close,
    .decide = token_decide,
    .reload = token_reload,
    .command = token_command,
};

static const stoa_plugin descriptor = {STOA_ABI_MAJOR, sizeof(stoa_plugin), STOA_PLUGIN_AUTH, "token", "1.0", &methods};

STOA_EXPORT const stoa_plugin *stoa_plugin_entry(void)
{
    return &descriptor;
}
