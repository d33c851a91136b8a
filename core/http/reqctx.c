#include "reqctx.h"

#include "audit.h"
#include "connwatch.h"
#include "hex.h"
#include "log.h"
#include "metrics.h"
#include "numfmt.h"
#include "urlshow.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

static const char *const kind_names[] = {
    [ROUTE_CATALOG] = "catalog", [ROUTE_INDEX] = "index", [ROUTE_ADMIN] = "admin", [ROUTE_INFO] = "info",
    [ROUTE_MOD] = "mod",         [ROUTE_ZIP] = "zip",     [ROUTE_LIST] = "list",   [ROUTE_LATEST] = "latest",
    [ROUTE_SUMDB] = "sumdb",     [ROUTE_BUILD] = "build",   [ROUTE_UI_HOME] = "home", [ROUTE_UI_MODULE] = "module",
};

static int audited(const reqctx *rc)
{
    route_type t = rc->r.type;
    if (rc->auth != NULL && strcmp(rc->auth, "deny") == 0)
        return 1;
    /* the web UI shows what /catalog lists, so who browsed is recorded as for /catalog */
    return (t >= ROUTE_CATALOG && t <= ROUTE_SUMDB) || t == ROUTE_BUILD || t == ROUTE_UI_HOME || t == ROUTE_UI_MODULE;
}

static const char *action_of(const h2o_req_t *req, route_type t)
{
    if (t == ROUTE_BUILD)
        return "build-info";
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PUT")))
        return h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-stoa-import"), -1) >= 0 ? "import" : "publish";
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE")))
        return "delete";
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))
        return "request";
    switch (t) {
    case ROUTE_INFO:
    case ROUTE_MOD:
    case ROUTE_ZIP: return "download";
    case ROUTE_LIST:
    case ROUTE_LATEST: return "list";
    case ROUTE_SUMDB: return "sumdb";
    case ROUTE_CATALOG:
    case ROUTE_INDEX: return "catalog";
    case ROUTE_ADMIN: return "admin";
    case ROUTE_UI_HOME:
    case ROUTE_UI_MODULE: return "ui";
    default: return "request";
    }
}

/* The request target as logs and audit show it: no secret a query may carry. */
static void shown_path(const h2o_req_t *req, char *out, size_t n)
{
    char raw[1024];
    reqctx_copy(raw, sizeof(raw), req->path);
    url_redact_query(raw, out, n);
}

static void emit_audit(const reqctx *rc, double duration_ms)
{
    if (!audited(rc))
        return;
    const h2o_req_t *req = rc->req;
    audit_event ev;
    memset(&ev, 0, sizeof(ev));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    ev.time_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 - (int64_t)(duration_ms * 1000);
    audit_copy(ev.request_id, sizeof(ev.request_id), rc->request_id);
    audit_copy(ev.action, sizeof(ev.action), action_of(req, rc->r.type));
    if ((size_t)rc->r.type < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[rc->r.type] != NULL)
        audit_copy(ev.kind, sizeof(ev.kind), kind_names[rc->r.type]);
    reqctx_copy(ev.method, sizeof(ev.method), req->method);
    char path[sizeof(ev.path)];
    shown_path(req, path, sizeof(path));
    audit_copy(ev.path, sizeof(ev.path), path);
    audit_copy(ev.repo, sizeof(ev.repo), rc->r.repo);
    audit_copy(ev.module, sizeof(ev.module), rc->r.module);
    audit_copy(ev.version, sizeof(ev.version), rc->r.version);
    ev.status = req->res.status;
    audit_copy(ev.client, sizeof(ev.client), rc->client);
    audit_copy(ev.identity, sizeof(ev.identity), rc->identity);
    audit_copy(ev.auth, sizeof(ev.auth), rc->auth);
    for (size_t i = 0; rc->cache[i] != '\0' && i + 1 < sizeof(ev.cache); ++i)
        ev.cache[i] = (char)tolower((unsigned char)rc->cache[i]);
    audit_copy(ev.upstream, sizeof(ev.upstream), rc->upstream);
    audit_copy(ev.upstream_failed, sizeof(ev.upstream_failed), rc->upstream_failed);
    int upload = strcmp(ev.action, "publish") == 0 || strcmp(ev.action, "import") == 0;
    ev.bytes = upload ? req->entity.len : req->bytes_sent;
    ev.duration_ms = duration_ms;
    audit_copy(ev.error, sizeof(ev.error), rc->error);
    audit_copy(ev.target, sizeof(ev.target), rc->target);
    audit_emit(&ev);
}

static void on_reqctx_dispose(void *p)
{
    reqctx *rc = p;
    h2o_req_t *req = rc->req;
    connwatch_done(req);
    char path[512], method[16], ua[256] = "";
    shown_path(req, path, sizeof(path));
    reqctx_copy(method, sizeof(method), req->method);
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_USER_AGENT, -1);
    if (i >= 0)
        reqctx_copy(ua, sizeof(ua), req->headers.entries[i].value);
    log_access a = {method, path, req->res.status, req->bytes_sent, reqctx_elapsed_ms(rc), rc->cache,
                    rc->client, rc->identity, rc->error, rc->request_id, ua};
    log_request(&a);
    metrics_request(rc->r.type, req->res.status, req->bytes_sent, rc->cache, a.duration_ms);
    metrics_request_base(method, rc->r.repo, req->res.status);
    emit_audit(rc, a.duration_ms);
}

void reqctx_copy(char *dst, size_t n, h2o_iovec_t v)
{
    const char *nul = v.len > 0 ? memchr(v.base, '\0', v.len) : NULL;
    audit_copyn(dst, n, v.base, nul != NULL ? (size_t)(nul - v.base) : v.len);
}

double reqctx_elapsed_ms(const reqctx *rc)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - rc->start.tv_sec) * 1e3 + (double)(now.tv_nsec - rc->start.tv_nsec) / 1e6;
}

static void peer_text(h2o_req_t *req, char *out, size_t len)
{
    struct sockaddr_storage ss;
    out[0] = '\0';
    if (req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss) != 0)
        numfmt_addr((struct sockaddr *)&ss, out, len);
}

reqctx *reqctx_new(h2o_req_t *req)
{
    reqctx *rc = h2o_mem_alloc_shared(&req->pool, sizeof(*rc), on_reqctx_dispose);
    memset(rc, 0, offsetof(reqctx, r));
    rc->r.type = ROUTE_NONE;
    rc->identity[0] = rc->client[0] = rc->error[0] = '\0';
    rc->req = req;
    rc->cache = "";
    clock_gettime(CLOCK_MONOTONIC, &rc->start);
    connwatch_request(req, reqctx_start_ms(rc));
    peer_text(req, rc->client, sizeof(rc->client));
    rc->upstream[0] = rc->upstream_failed[0] = '\0';
    rc->auth = NULL;
    rc->target[0] = '\0';
    rc->linger = 0;
    reqctx_new_id(rc->request_id, sizeof(rc->request_id));
    /* rc, and so the id, lives in the request's pool: no copy needed */
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, rc->request_id,
                          strlen(rc->request_id));
    return rc;
}

static unsigned prefix;
static pthread_once_t prefix_once = PTHREAD_ONCE_INIT;
static atomic_ullong counter;

static void init_prefix(void)
{
    if (getrandom(&prefix, sizeof(prefix), 0) != (ssize_t)sizeof(prefix))
        prefix = (unsigned)time(NULL);
}

/* "%08x-%llx" by hand: it runs for every request on the loop threads. */
void reqctx_new_id(char *out, size_t len)
{
    pthread_once(&prefix_once, init_prefix);
    char buf[8 + 1 + 16 + 1], *p = buf + sizeof(buf) - 1;
    *p = '\0';
    unsigned long long n = atomic_fetch_add(&counter, 1) + 1;
    do {
        *--p = hex_digits[n & 15];
        n >>= 4;
    } while (n != 0);
    *--p = '-';
    for (unsigned v = prefix, i = 0; i < 8; ++i, v >>= 4)
        *--p = hex_digits[v & 15];
    audit_copy(out, len, p);
}
