#include "audit_request.h"

#include "audit.h"
#include "hex.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char *const kind_names[] = {
    [ROUTE_CATALOG] = "catalog", [ROUTE_INDEX] = "index", [ROUTE_ADMIN] = "admin", [ROUTE_INFO] = "info",
    [ROUTE_MOD] = "mod",         [ROUTE_ZIP] = "zip",     [ROUTE_LIST] = "list",   [ROUTE_LATEST] = "latest",
    [ROUTE_SUMDB] = "sumdb",
};

static int audited(const reqctx *rc)
{
    route_type t = rc->r.type;
    if (rc->auth != NULL && strcmp(rc->auth, "deny") == 0)
        return 1;
    return t >= ROUTE_CATALOG && t <= ROUTE_SUMDB;
}

static const char *action_of(const h2o_req_t *req, route_type t)
{
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("PUT")))
        return "publish";
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
    default: return "request";
    }
}

void audit_request(const reqctx *rc, double duration_ms)
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
    http_copy(ev.method, sizeof(ev.method), req->method);
    http_copy(ev.path, sizeof(ev.path), req->path);
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
    ev.bytes = strcmp(ev.action, "publish") == 0 ? req->entity.len : req->bytes_sent;
    ev.duration_ms = duration_ms;
    audit_copy(ev.error, sizeof(ev.error), rc->error);
    audit_emit(&ev);
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
void audit_request_id(char *out, size_t len)
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
