/* .info, .mod and .zip of one module version: storage first, then a single-flight
 * fill through the upstream chain for proxied namespaces. */
#include "app.h"
#include "fill.h"
#include "handlers.h"
#include "metrics.h"
#include "namespace.h"
#include "quota.h"
#include "stream.h"
#include "task.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* .info and .mod hits up to this size are copied out of storage that can (get_copy)
 * rather than read through a descriptor. */
#define COPY_CAP 4096

typedef struct lookup {
    task t;
    stoa_key key;
    char module[MODPATH_MAX + 1];
    char version[SEMVER_MAX + 1];
    int second;              /* looking up again after a fill */
    stoa_status st;
    stoa_object obj;
    stoa_error err;
    char *copy;              /* COPY_CAP bytes in the request's pool, or NULL */
    int copied;              /* obj.meta.size bytes of the object are in copy */
} lookup;

typedef struct fillwait {
    reqasync a;
    fill_waiter w;
    fill *f;
    reqctx *rc;
} fillwait;

static void start_lookup(reqctx *rc, int second);

static const char *content_type(route_type t)
{
    return t == ROUTE_INFO ? "application/json" : t == ROUTE_ZIP ? "application/zip" : "text/plain; charset=utf-8";
}

static void serve(reqctx *rc, int fd, const stoa_meta *meta, const char *cache_control)
{
    http_set_header(rc, "x-cache", rc->cache);
    http_send_fd(rc, fd, meta, content_type(rc->r.type), cache_control);
}

static void send_fill_failure(reqctx *rc, const stoa_error *err)
{
    const route *r = &rc->r;
    if (err->status == STOA_NOTFOUND) {
        http_send_text(rc, 404, "%s@%s: %s", r->module, r->version, err->msg);
        return;
    }
    if (err->status == STOA_NOSPACE) { /* stoa's own disk is full: not the upstreams' fault */
        http_send_text(rc, 507, "%s@%s: cannot cache it: %s", r->module, r->version, err->msg);
        return;
    }
    int status = the_app->conf->fail_status == 502 ? 502 : 404;
    http_send_text(rc, status, "%s@%s is not cached here and no upstream could serve it: %s", r->module, r->version,
                   err->msg);
}

/* The fill ended: serve what it stored or staged, or say why not. */
static void answer_filled(reqctx *rc, fill *f)
{
    rc->cache = "MISS";
    http_set_upstream(rc, fill_upstream(f), fill_failed_upstreams(f));
    stoa_meta meta;
    int fd;
    switch (fill_result(f)) {
    case FILL_STORED: start_lookup(rc, 1); return;
    case FILL_STAGED:
        if ((fd = fill_staged(f, &meta)) < 0)
            return http_send_text(rc, 500, "cannot reopen staged file");
        serve(rc, fd, &meta, rc->r.canonical ? CACHE_IMMUTABLE : "no-cache");
        return;
    case FILL_FAILED: send_fill_failure(rc, fill_error(f)); return;
    }
}

/* Delivered early (fill.h): the file is validated, its commit still running. */
static void answer_validated(reqctx *rc, fill *f)
{
    stoa_meta meta;
    int fd = fill_staged(f, &meta);
    rc->cache = "MISS";
    http_set_upstream(rc, fill_upstream(f), fill_failed_upstreams(f));
    if (fd < 0)
        return http_send_text(rc, 500, "cannot reopen staged file");
    quota_touch(rc->r.module, rc->r.version);
    serve(rc, fd, &meta, CACHE_IMMUTABLE);
}

/* A streamer's answer when it did not stream (core/http/stream.h): the validated file,
 * whether or not its commit has ended meanwhile. */
static void answer_unstreamed(reqctx *rc, fill *f)
{
    fill_progress p;
    fill_progress_of(f, &p);
    if (p.validated)
        answer_validated(rc, f);
    else
        answer_filled(rc, f);
}

static void on_filled(reqasync *a, h2o_req_t *req)
{
    fillwait *fw = (fillwait *)a;
    if (fw->w.early)
        answer_validated(fw->rc, fw->f);
    else
        answer_filled(fw->rc, fw->f);
}

static void on_fillwait_free(reqasync *a)
{
    fillwait *fw = (fillwait *)a;
    if (fw->f != NULL)
        fill_release(fw->f);
}

static void on_fillwait_gone(reqasync *a)
{
    atomic_store(&((fillwait *)a)->w.gone, 1);
}

/* Answers a refused fill_join: the fill lane or the client is at its limit. */
void answer_fill_busy(reqctx *rc, fill_join_result why)
{
    http_send_busy(rc, why == FILL_BUSY_CLIENT ? METRICS_BUSY_CLIENT_FILLS : POOL_FILL);
}

static void start_fill(reqctx *rc)
{
    /* Large zips go to the client while they download (core/http/stream.h). */
    if (rc->r.type == ROUTE_ZIP && rc->r.canonical && h2o_memis(rc->req->method.base, rc->req->method.len, H2O_STRLIT("GET"))) {
        stream_start(rc, answer_unstreamed);
        return;
    }
    fillwait *fw = (fillwait *)reqasync_new(rc->req, sizeof(*fw), NULL, on_filled);
    if (fw == NULL) {
        http_send_text(rc, 503, "out of memory");
        return;
    }
    fw->a.on_free = on_fillwait_free;
    fw->a.on_gone = on_fillwait_gone;
    fw->rc = rc;
    fw->w.job = &fw->a.job;
    fw->w.wants_early = 1;
    fw->w.peer_fd = http_peer_fd(rc->req, &fw->w.peer_tls);
    fill_join_result j = fill_join(&rc->r, rc->client, &fw->w, &fw->f);
    if (j != FILL_JOINED) {
        reqasync_drop(&fw->a);
        answer_fill_busy(rc, j);
    }
}

static void miss(reqctx *rc)
{
    const route *r = &rc->r;
    const struct conf *c = the_app->conf;
    if (namespace_fill_sources(c, r->repo, r->module) == 0) {
        http_send_text(rc, 404, "%s@%s: not found in this registry (private namespace; publish it first)", r->module,
                       r->version);
        return;
    }
    if (c->offline || c->nupstreams == 0) {
        http_send_text(rc, 404, "%s@%s: not cached, and this registry is offline (mode: offline)", r->module, r->version);
        return;
    }
    start_fill(rc);
}

static void lookup_work(task *t)
{
    lookup *l = (lookup *)t;
    l->obj.fd = -1;
    if (l->copy != NULL) {
        l->st = storage_get_copy(&the_app->store, &l->key, l->copy, COPY_CAP, &l->obj.meta, &l->err);
        l->copied = l->st == STOA_OK && l->obj.meta.size <= COPY_CAP;
        if (l->st != STOA_OK || l->copied)
            return;
    }
    l->st = storage_get(&the_app->store, &l->key, 0, &l->obj, &l->err);
}

static void lookup_cont(task *t, reqctx *rc)
{
    lookup *l = (lookup *)t;
    if (l->st == STOA_OK) {
        if (!l->second)
            rc->cache = "HIT";
        quota_touch(l->module, l->version);
        if (l->copied) {
            http_set_header(rc, "x-cache", rc->cache);
            http_send_copy(rc, l->copy, &l->obj.meta, content_type(rc->r.type), CACHE_IMMUTABLE);
            return;
        }
        serve(rc, l->obj.fd, &l->obj.meta, CACHE_IMMUTABLE);
        l->obj.fd = -1; /* the response owns it now */
        return;
    }
    if (l->st != STOA_NOTFOUND) {
        http_send_error(rc, &l->err);
        return;
    }
    if (l->second)
        http_send_text(rc, 502, "%s@%s was fetched but could not be read back from storage", rc->r.module, rc->r.version);
    else
        miss(rc);
}

static void lookup_fini(task *t)
{
    lookup *l = (lookup *)t;
    if (l->st == STOA_OK && l->obj.fd >= 0)
        close(l->obj.fd);
}

static void start_lookup(reqctx *rc, int second)
{
    lookup *l = (lookup *)task_new(rc, sizeof(*l), lookup_work, lookup_cont, lookup_fini);
    if (l == NULL) {
        http_send_text(rc, 503, "out of memory");
        return;
    }
    _Static_assert(sizeof(l->module) == sizeof(rc->r.module) && sizeof(l->version) == sizeof(rc->r.version), "same sizes");
    memcpy(l->module, rc->r.module, sizeof(l->module)); /* both NUL-terminated arrays of one size */
    memcpy(l->version, rc->r.version, sizeof(l->version));
    l->key = (stoa_key){l->module, l->version, route_kind(rc->r.type)};
    l->second = second;
    l->obj.fd = -1; /* lookup_fini may run without lookup_work (a full work lane) */
    /* Only inline (FAST_GET): the copy lands in the request's pool, which a worker could
     * outlive. */
    if (rc->r.type != ROUTE_ZIP && storage_can_copy(&the_app->store) && storage_fast(&the_app->store))
        l->copy = h2o_mem_alloc_pool(&rc->req->pool, COPY_CAP);
    else if ((l->st = storage_get_local(&the_app->store, &l->key, 0, &l->obj)) == STOA_OK) {
        task_done(&l->t); /* a hit the plugin holds locally: no thread hop */
        return;
    }
    task_start(&l->t);
}

int handler_module(reqctx *rc)
{
    const route *r = &rc->r;
    const conf_namespace *ns = namespace_match(the_app->conf, r->repo, r->module);
    if (ns != NULL && ns->mode == CONF_NS_DENY) {
        http_send_text(rc, 410, "%s: %s", r->module, namespace_reason(ns));
        return 0;
    }
    const conf_namespace *block = r->canonical ? namespace_blocked(the_app->conf, r->repo, r->module, r->version) : NULL;
    if (block != NULL) {
        http_send_text(rc, 410, "%s@%s: %s", r->module, r->version, namespace_reason(block));
        return 0;
    }
    if (!r->canonical) {
        /* A query (.info of a branch or commit): never cached as immutable. */
        rc->cache = "MISS";
        miss(rc);
        return 0;
    }
    start_lookup(rc, 0);
    return 0;
}
