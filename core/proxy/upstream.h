/*
 * The upstream chain: GOPROXY-style ordered fetch with fall-through rules, timeouts and
 * passive health (circuit breaking). Blocking: call from worker threads only.
 *
 * For each upstream in config order (backups only when every primary's circuit is
 * open): fetch base_url/relpath into fd. 200 ends the walk. 404/410 always move to
 * the next. Any other status, a timeout or a connection error moves on only when the
 * upstream's fallthrough is on_any_error; otherwise the walk stops there.
 * A failure that is not 404/410 counts against the upstream's health: after max_fails
 * in a row its circuit opens for fail_timeout, during which it is skipped unless every
 * upstream is open (then all are tried: better a slow answer than none).
 */
#ifndef STOA_UPSTREAM_H
#define STOA_UPSTREAM_H

#include "conf.h"

#include <stoa/stoa.h>

#define UPSTREAM_MAX_ATTEMPTS 16
#define UPSTREAM_SLOTS 64 /* distinct upstream names tracked (health, metrics) */

typedef struct upstream_attempt {
    char name[64];
    long http;              /* HTTP status, 0 if none */
    stoa_status status;     /* OK, NOTFOUND, BADGATEWAY, TIMEOUT, UNAVAILABLE */
    char why[320];          /* "connection refused", "503 Service Unavailable", a rejection */
    double ms;
    int final;              /* not worth a retry (the body broke its size limit) */
} upstream_attempt;

typedef struct upstream_result {
    stoa_status status;     /* OK, NOTFOUND (every upstream said so), or the last failure */
    int served_by;          /* index into conf->upstreams, -1 if none */
    uint64_t bytes;         /* body bytes written to fd */
    char etag[128];
    char content_type[128];
    int not_modified;       /* the conditional upstream answered 304 (nothing in fd) */
    size_t nattempts;
    upstream_attempt attempts[UPSTREAM_MAX_ATTEMPTS];
} upstream_result;

/* Upstream bodies are bounded while they stream, counting decoded bytes (a gzip bomb
 * stops at the limit): zips and go.mod files by x/mod's limits, the small JSON and
 * text answers far below. Over the limit the attempt fails (BADGATEWAY, no retry). */
#define UPSTREAM_MAX_INFO (64u << 10)   /* .info, @latest */
#define UPSTREAM_MAX_LIST (4u << 20)    /* @v/list */
#define UPSTREAM_MAX_OTHER (16u << 20)  /* anything else (checksum-database answers) */
/* Slower than this (bytes per second) for timeout.stall aborts an attempt as stalled,
 * unless the upstream's timeout.min_rate says otherwise. */
#define UPSTREAM_LOW_SPEED 1024L
/* The limit for relpath's kind: ZIPCHECK_MAX_ZIP for .zip, ZIPCHECK_MAX_GOMOD for .mod. */
uint64_t upstream_body_limit(const char *relpath);
/* Called as body bytes arrive (from the worker thread), with the attempt's byte count
 * so far; also with bytes == 0 when an attempt starts on a truncated file. Non-zero
 * aborts the transfer. */
typedef int (*upstream_progress_cb)(void *arg, uint64_t bytes, int64_t content_length);

/* Process-wide setup/teardown (curl_global_init, health table sized for c). */
int upstream_init(const struct conf *c);
void upstream_shutdown(void);

/* Fetches relpath ("example.com/m/@v/v1.0.0.zip") through the chain into fd, which is
 * truncated before each attempt, starting at upstream index `from` (0 for the whole
 * chain; the caller passes served_by + 1 to move on after rejecting an answer).
 * Attempts accumulate in res across calls. progress may be NULL. */
stoa_status upstream_fetch(const struct conf *c, size_t from, const char *relpath, int fd, upstream_progress_cb progress,
                           void *arg, upstream_result *res);

/* A conditional fetch: the upstream named `upstream` (only that one: validators are
 * per server) is asked with If-None-Match: etag. Its 304 ends the walk with STOA_OK,
 * served_by set and res->not_modified = 1; fd is left empty. */
typedef struct upstream_cond {
    char upstream[64];
    char etag[128];
} upstream_cond;

/* upstream_fetch, conditional when cond != NULL and cond->etag is not empty, asking
 * only the upstreams in allow (bit i = upstream i; namespace_fill_sources): the others
 * are passed over as if absent. */
stoa_status upstream_fetch_cond(const struct conf *c, size_t from, uint64_t allow, const char *relpath, int fd,
                                const upstream_cond *cond, upstream_progress_cb progress, void *arg, upstream_result *res);

/* The chain's one rule for going on: after upstream i answered st (a NOTFOUND, a
 * failure, or BADGATEWAY for an answer stoa rejected), 1 when there is a next upstream
 * and it may be asked: always after NOTFOUND (GOPROXY's ','), after anything else only
 * when i falls through on any error ('|'). */
int upstream_may_continue(const struct conf *c, size_t i, stoa_status st);

/* Counts a rejected answer (failed validation) against upstream i's health. */
void upstream_reject(const struct conf *c, size_t i, upstream_result *res, const char *why);

/* One GET of url into fd (truncated first) with u's timeouts, no chain, no retries;
 * for the checksum-database proxy. Fills *a; returns its status. */
stoa_status upstream_get(const conf_upstream *u, const char *url, int fd, upstream_result *res, upstream_attempt *a);

/* "fixture: 503 Service Unavailable; backup: connection refused" */
void upstream_describe(const upstream_result *res, char *out, size_t len);

/* Health snapshot for /admin/upstreams and metrics. Health is kept per upstream name,
 * so it survives a reload. */
typedef struct upstream_health {
    unsigned consecutive_failures;
    int open;               /* circuit open now */
    uint64_t requests, failures;
} upstream_health;
void upstream_health_of(const conf_upstream *u, upstream_health *out);

/* The slot (0..UPSTREAM_SLOTS-1) that holds name's health and metrics. Thread-safe. */
size_t upstream_slot(const char *name);

/* Active health checks (core/proxy/prober.c). upstream_probe_due says whether u's circuit is
 * open and a probe is due now (and schedules the next one); upstream_probe GETs u's base
 * URL and closes the circuit on any answer below 500. Returns the HTTP status, 0 when
 * there was none. Blocking. */
int upstream_probe_due(const conf_upstream *u, int64_t now_ms);
long upstream_probe(const conf_upstream *u);

#endif
