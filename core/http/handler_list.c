/*
 * @v/list and @latest: mutable answers. The upstream's last answer is kept in storage
 * (kinds LIST and LATEST) and is fresh for cache.list_ttl; after that it is refreshed
 * through a fill, and served stale when every upstream fails. A list is the union of
 * the upstream's list and the release versions stoa holds, so a version cached before
 * an upstream purge stays visible. Private namespaces answer from storage alone, unless
 * their rule names upstreams (a git origin) to fill from.
 */
#include "app.h"
#include "fill.h"
#include "handlers.h"
#include "namespace.h"
#include "quota.h"
#include "task.h"
#include "versions.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_COPY (1u << 20)

typedef struct mutable_task {
    task t;
    stoa_kind kind;                /* LIST or LATEST */
    char module[MODPATH_MAX + 1];
    char repo[sizeof(((route *)0)->repo)];
    char blocked[1024];            /* @latest names a blocked version: what to tell */
    int include_copy;              /* proxied: use the upstream's stored answer */
    int phase;                     /* 0 first look, 1 after a fill */
    fill *f;                       /* phase 1: the fill that ran */
    /* results of work() */
    stoa_status st;
    stoa_error err;
    char *copy;                    /* upstream's stored answer */
    size_t copy_len;
    int copy_fresh;
    char *body;                    /* what to send */
    size_t body_len;
    int stored_versions;
} mutable_task;

typedef struct mutable_wait {
    reqasync a;
    fill_waiter w;
    fill *f;
    reqctx *rc;
} mutable_wait;

static void start_task(reqctx *rc, int phase, fill *f);

static char *read_object(const stoa_object *obj, size_t *len)
{
    if (obj->meta.size > MAX_COPY)
        return NULL;
    char *buf = malloc(obj->meta.size + 1);
    if (buf != NULL && pread(obj->fd, buf, obj->meta.size, 0) != (ssize_t)obj->meta.size) {
        free(buf);
        return NULL;
    }
    if (buf != NULL) {
        buf[obj->meta.size] = '\0';
        *len = obj->meta.size;
    }
    return buf;
}

/* Reads the stored object key into a buffer; 1 if found. */
static int load(const stoa_key *key, char **out, size_t *len, int64_t *stored_at, stoa_error *err)
{
    stoa_object obj;
    if (storage_get(&the_app->store, key, 0, &obj, err) != STOA_OK)
        return 0;
    *out = read_object(&obj, len);
    *stored_at = obj.meta.stored_at;
    close(obj.fd);
    return *out != NULL;
}

/* What storage holds of a module: list shows the versions that are not pseudo-versions
 * (as the go command and proxy.golang.org do), @latest may fall back to them all. */
typedef struct stored {
    versions listed;
    versions all;
} stored;

static int add_stored(void *arg, const char *version, int64_t stored_at)
{
    stored *s = arg;
    if (!semver_is_pseudo(version))
        versions_add(&s->listed, version);
    versions_add(&s->all, version);
    return 0;
}

static void load_copy(mutable_task *m)
{
    int64_t at = 0;
    stoa_key key = {m->module, NULL, m->kind};
    if (m->include_copy && load(&key, &m->copy, &m->copy_len, &at, &m->err))
        m->copy_fresh = (int64_t)time(NULL) - at < (int64_t)(the_app->conf->list_ttl_ms / 1000);
}

/* @latest from storage: the .info of the highest stored version. */
static void latest_from(mutable_task *m, const versions *vs)
{
    const char *v = versions_latest(vs);
    int64_t at;
    stoa_key key = {m->module, v, STOA_KIND_INFO};
    if (v != NULL)
        load(&key, &m->body, &m->body_len, &at, &m->err);
}

/* Version rules (namespace_blocked): blocked versions are not listed. */
static int is_blocked(void *arg, const char *v)
{
    const mutable_task *m = arg;
    return namespace_blocked(the_app->conf, m->repo, m->module, v) != NULL;
}

/* An upstream's @latest that names a blocked version is refused with the rule's reason:
 * the go command asks @latest only when the list (filtered) has nothing to offer. */
static void check_latest(mutable_task *m)
{
    json_t *j = json_loadb(m->body, m->body_len, 0, NULL);
    const char *v = json_string_value(json_object_get(j, "Version"));
    const conf_namespace *ns = v != NULL ? namespace_blocked(the_app->conf, m->repo, m->module, v) : NULL;
    if (ns != NULL)
        snprintf(m->blocked, sizeof(m->blocked), "%.400s@%.128s: %.400s", m->module, v, namespace_reason(ns));
    json_decref(j);
}

/* A module whose only versions are pseudo-versions exists: its list is 200 and empty,
 * and @latest is its highest pseudo-version (versions_latest's last choice). */
static void mutable_work(task *t)
{
    mutable_task *m = (mutable_task *)t;
    stored s = {0};
    load_copy(m);
    if (m->copy != NULL)
        quota_touch(m->module, ""); /* the upstream's answers are one row of the cache quota */
    m->st = storage_list(&the_app->store, m->module, add_stored, &s, &m->err);
    m->stored_versions = (int)s.all.n;
    if (m->kind == STOA_KIND_LIST) {
        if (m->copy != NULL)
            versions_add_lines(&s.listed, m->copy, m->copy_len);
        versions_sort(&s.listed);
        versions_remove_if(&s.listed, is_blocked, m);
        if (m->copy != NULL || s.all.n > 0)
            m->body = versions_text(&s.listed, &m->body_len);
    } else if (m->copy != NULL) {
        m->body = m->copy;
        m->body_len = m->copy_len;
        m->copy = NULL;
        check_latest(m);
    } else {
        versions_sort(&s.all);
        versions_remove_if(&s.all, is_blocked, m);
        latest_from(m, &s.all);
    }
    versions_free(&s.listed);
    versions_free(&s.all);
}

static void send_body(reqctx *rc, mutable_task *m, const char *cache)
{
    if (m->blocked[0] != '\0') {
        http_send_text(rc, 410, "%s", m->blocked);
        return;
    }
    char cc[64];
    snprintf(cc, sizeof(cc), "public, max-age=%u", the_app->conf->list_ttl_ms / 1000);
    rc->cache = cache;
    http_set_header(rc, "x-cache", cache);
    const char *ct = m->kind == STOA_KIND_LIST ? "text/plain; charset=utf-8" : "application/json";
    http_send_body(rc, 200, ct, strcmp(cache, "STALE") == 0 ? "no-cache" : cc, m->body, m->body_len);
}

static void on_filled(reqasync *a, h2o_req_t *req)
{
    mutable_wait *w = (mutable_wait *)a;
    fill *f = w->f;
    w->f = NULL; /* the next phase owns the reference */
    start_task(w->rc, 1, f);
}

static void on_wait_free(reqasync *a)
{
    mutable_wait *w = (mutable_wait *)a;
    if (w->f != NULL)
        fill_release(w->f);
}

static void on_wait_gone(reqasync *a)
{
    atomic_store(&((mutable_wait *)a)->w.gone, 1);
}

static void refresh(reqctx *rc)
{
    mutable_wait *w = (mutable_wait *)reqasync_new(rc->req, sizeof(*w), NULL, on_filled);
    if (w == NULL) {
        http_send_text(rc, 503, "out of memory");
        return;
    }
    w->a.on_free = on_wait_free;
    w->a.on_gone = on_wait_gone;
    w->rc = rc;
    w->w.job = &w->a.job;
    w->w.peer_fd = http_peer_fd(rc->req, &w->w.peer_tls);
    fill_join_result j = fill_join(&rc->r, rc->client, &w->w, &w->f);
    if (j != FILL_JOINED) {
        reqasync_drop(&w->a);
        answer_fill_busy(rc, j);
    }
}

static const char *what(const mutable_task *m)
{
    return m->kind == STOA_KIND_LIST ? "list" : "@latest";
}

static void after_fill(reqctx *rc, mutable_task *m)
{
    const stoa_error *err = fill_error(m->f);
    http_set_upstream(rc, fill_upstream(m->f), fill_failed_upstreams(m->f));
    if (fill_result(m->f) == FILL_STORED && m->body != NULL) {
        send_body(rc, m, "MISS");
    } else if (fill_result(m->f) == FILL_FAILED && err->status == STOA_NOTFOUND) {
        /* Upstreams do not know it (any more); what stoa holds still counts. */
        if (m->body != NULL && m->stored_versions > 0)
            send_body(rc, m, "MISS");
        else
            http_send_text(rc, 404, "%s %s: %s", rc->r.module, what(m), err->msg);
    } else if (m->body != NULL) {
        send_body(rc, m, "STALE");
    } else {
        int status = the_app->conf->fail_status == 502 ? 502 : 404;
        http_send_text(rc, status, "%s %s: no upstream could answer and nothing is cached: %s", rc->r.module, what(m),
                       err->msg);
    }
}

static void mutable_cont(task *t, reqctx *rc)
{
    mutable_task *m = (mutable_task *)t;
    if (m->st != STOA_OK) {
        http_send_error(rc, &m->err);
        return;
    }
    if (m->phase == 1) {
        after_fill(rc, m);
        return;
    }
    const struct conf *c = the_app->conf;
    if (m->include_copy && !m->copy_fresh && !c->offline && c->nupstreams > 0) {
        refresh(rc);
        return;
    }
    if (m->body == NULL) {
        http_send_text(rc, 404, "%s %s: nothing %s here", rc->r.module, what(m),
                       m->include_copy ? "cached (mode: offline)" : "published");
        return;
    }
    send_body(rc, m, m->copy_fresh || !m->include_copy ? "HIT" : "STALE");
}

static void mutable_fini(task *t)
{
    mutable_task *m = (mutable_task *)t;
    free(m->copy);
    free(m->body);
    if (m->f != NULL)
        fill_release(m->f);
}

static void start_task(reqctx *rc, int phase, fill *f)
{
    mutable_task *m = (mutable_task *)task_new(rc, sizeof(*m), mutable_work, mutable_cont, mutable_fini);
    if (m == NULL) {
        if (f != NULL)
            fill_release(f);
        http_send_text(rc, 503, "out of memory");
        return;
    }
    m->kind = route_kind(rc->r.type);
    snprintf(m->module, sizeof(m->module), "%s", rc->r.module);
    memcpy(m->repo, rc->r.repo, sizeof(m->repo));
    m->include_copy = namespace_fill_sources(the_app->conf, rc->r.repo, rc->r.module) != 0;
    m->phase = phase;
    m->f = f;
    task_start(&m->t);
}

int handler_list(reqctx *rc)
{
    const conf_namespace *ns = namespace_match(the_app->conf, rc->r.repo, rc->r.module);
    if (ns != NULL && ns->mode == CONF_NS_DENY) {
        http_send_text(rc, 410, "%s: %s", rc->r.module, namespace_reason(ns));
        return 0;
    }
    start_task(rc, 0, NULL);
    return 0;
}
