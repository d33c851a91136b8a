/*
 * A request's context: its start and its end. A reqctx lives in the request's pool;
 * when h2o disposes the request, the dispose callback writes the access-log line,
 * counts the request and emits its audit event, so every request is logged and
 * audited exactly once however it ends. Loop thread.
 *
 * Audited: module files, lists, @latest, checksum-database lookups, catalog, admin,
 * web UI pages, publishes and deletes, build-info uploads, and any request the auth
 * chain denied. Not audited: probes, /version, /metrics and unknown paths.
 */
#ifndef STOA_REQCTX_H
#define STOA_REQCTX_H

#include "route.h"

#include <h2o.h>
#include <time.h>

typedef struct reqctx {
    h2o_req_t *req;
    route r;
    const char *cache;      /* "HIT", "MISS", "STALE", "" */
    char identity[128];
    char client[64];
    char error[256];
    struct timespec start;
    /* For the audit event. */
    char request_id[24];          /* also sent as X-Request-Id */
    char upstream[64];            /* the upstream that served a miss (the X-Upstream header) */
    char upstream_failed[256];    /* comma-separated upstreams that failed while filling */
    const char *auth;             /* "allow", "deny", "anonymous"; NULL when no auth check ran */
    char target[160];             /* what the request acted on, beyond module@version ("build:ci/7") */
    int linger;                   /* the body gate held the body back: answer, then drain and close */
} reqctx;

/* A new context in req's pool, with a fresh request id sent as X-Request-Id. */
reqctx *reqctx_new(h2o_req_t *req);

/* Milliseconds since the request started. */
double reqctx_elapsed_ms(const reqctx *rc);

/* When the request started, in clock_mono_ms() milliseconds: the clock read once per
 * request, for whoever needs "now" while it is decided. */
static inline int64_t reqctx_start_ms(const reqctx *rc)
{
    return (int64_t)rc->start.tv_sec * 1000 + rc->start.tv_nsec / 1000000;
}

/* v as a C string in dst (size n): cut at a NUL byte, or truncated on a UTF-8 boundary;
 * the bytes are raw (the log and audit sinks escape them). For the request's method and
 * path, where snprintf("%.*s") showed in profiles. */
void reqctx_copy(char *dst, size_t n, h2o_iovec_t v);

/* A new request id, "<8 hex per process>-<counter in hex>". Any thread. */
void reqctx_new_id(char *out, size_t len);

#endif
