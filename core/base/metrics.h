/*
 * Prometheus metrics: lock-free counters bumped from any thread. The /metrics page
 * (core/http/handler_metrics.c) reads them with the state of the layers above and
 * renders the text exposition format. Names and labels are in docs/operations.md.
 */
#ifndef STOA_METRICS_H
#define STOA_METRICS_H

#include "pool.h"
#include "route.h"

#include <stoa/stoa.h>

#include <stdatomic.h>

#define METRICS_ROUTES (ROUTE_UI_MODULE + 1)
#define METRICS_STATUS 600
#define METRICS_REPOS 17  /* the root base and 16 repositories; more share the last slot */
#define METRICS_METHODS 6 /* GET HEAD PUT DELETE POST other */
#define METRICS_UPSTREAMS 64 /* UPSTREAM_SLOTS: per-upstream counters, by slot */
#define METRICS_BUCKETS 14

/* Storage wrapper operations (core/base/storage.c), one counter row each. */
typedef enum storage_op {
    STORAGE_OP_GET,
    STORAGE_OP_GET_COPY,
    STORAGE_OP_PUT,
    STORAGE_OP_LIST,
    STORAGE_OP_WALK,
    STORAGE_OP_REMOVE,
    STORAGE_OP_HEALTH,
    STORAGE_OP_PIN_GET,
    STORAGE_OP_PIN_PUT,
    STORAGE_OP_PIN_WALK,
    STORAGE_OP_CATALOG_PAGE,
    STORAGE_OP_INDEX_PAGE,
    STORAGE_OP_OBJECTS,
    STORAGE_OP_REMOVE_OBJECT,
    STORAGE_OPS
} storage_op;

/* The op's label value: "get", "get_copy", ..., "pin_walk". */
const char *storage_op_name(storage_op op);

/* Why a request was answered 503 busy: a full pool lane (indexed by pool_lane), or
 * the client's own fills at limits.fills_per_client. */
#define METRICS_BUSY_CLIENT_FILLS POOL_NLANES
#define METRICS_BUSY_REASONS (POOL_NLANES + 1)
/* The reason label: "fill_queue", "sumdb_queue", "work_queue", "client_fills". */
const char *metrics_busy_name(unsigned reason);

/* Upper bounds of the latency histograms' buckets, in seconds. */
extern const double metrics_buckets[METRICS_BUCKETS];
/* The route label of a route_type. */
extern const char *const metrics_route_names[METRICS_ROUTES];

typedef struct histogram {
    atomic_ullong count[METRICS_BUCKETS + 1];
    atomic_ullong sum_us;
} histogram;

typedef struct metrics_counters {
    atomic_ullong requests[METRICS_ROUTES][METRICS_STATUS];
    atomic_ullong by_base[METRICS_REPOS][METRICS_METHODS][5]; /* [repo slot][method][status class 1xx..5xx] */
    histogram duration[METRICS_ROUTES];
    atomic_ullong bytes;
    atomic_ullong cache_hit, cache_miss, cache_stale;
    atomic_ullong up_ok[METRICS_UPSTREAMS], up_notfound[METRICS_UPSTREAMS], up_timeout[METRICS_UPSTREAMS],
        up_connect[METRICS_UPSTREAMS], up_bad[METRICS_UPSTREAMS], up_rejected[METRICS_UPSTREAMS],
        up_error[METRICS_UPSTREAMS];
    histogram up_latency[METRICS_UPSTREAMS];
    atomic_ullong publishes, publish_noops;
    atomic_ullong denied_401, denied_403, denied_429;
    atomic_ullong fills_started, fills_joined, fills_done;
    atomic_ullong storage_errors[STORAGE_OPS][2]; /* [op][unavailable?] */
    atomic_ullong streams_completed, streams_aborted;
    atomic_ullong reloads_ok, reloads_refused;
    atomic_ullong sumchecks[3]; /* verified, refused, unverified */
    atomic_ullong integrity[4]; /* integrity_event */
    atomic_ullong pins[4];      /* created, matched, refused, corrected */
    atomic_ullong sumdb_forks;
    atomic_ullong send_timeouts;
    atomic_ullong busy[METRICS_BUSY_REASONS];
    atomic_ullong fills_abandoned;  /* dropped before they started: every waiter had gone */
    atomic_ullong h2_cancel_closes; /* HTTP/2 connections closed at limits.h2_cancels */
    atomic_ullong unfinished;       /* connections closed holding part of a request (core/http/connwatch.h) */
} metrics_counters;

/* The process's counters, for the renderer: read with atomic_load. */
const metrics_counters *metrics_read(void);

void metrics_request(route_type t, int status, uint64_t bytes, const char *cache, double ms);
/* The same request by method and repository base (repo "" is the root base), for
 * stoa_requests_by_base_total{method,repo,class}. */
void metrics_request_base(const char *method, const char *repo, int status);
/* The label of repository slot i ("/" for the root base), or NULL when unused. */
const char *metrics_repo_label(size_t i);
extern const char *const metrics_method_names[METRICS_METHODS];
void metrics_upstream(size_t upstream, stoa_status st, double ms);
void metrics_publish(int created);
void metrics_auth_denial(stoa_status st);
void metrics_fill(int started);
void metrics_fill_done(void); /* a started fill ended */
void metrics_upstream_rejected(size_t upstream);   /* an answer failed validation */
void metrics_storage_error(storage_op op, stoa_status st);

/* Returns st, counting it under op when it is a failure rather than an answer
 * (NOTFOUND and CONFLICT are answers). Every storage wrapper call goes through it. */
stoa_status metrics_storage_counted(storage_op op, stoa_status st);
void metrics_stream(int completed);               /* a stream-through response ended */
void metrics_reload(int ok);
/* A fill's checksum-database check: 0 verified, 1 refused, 2 passed unverified. */
void metrics_sumcheck(int result);
/* An integrity event (core/integrity/integrity.h). */
void metrics_integrity(int event);
/* Pins a fill met: 0 created, 1 matched, 2 refused (other bytes), 3 corrected. */
void metrics_pin(int result);
/* A checksum database showed a tree inconsistent with one it signed before. */
void metrics_sumdb_fork(void);
void metrics_send_timeout(void); /* a stalled reader was disconnected */
void metrics_busy(unsigned reason);   /* a request was answered 503 busy */
void metrics_fill_abandoned(void);
void metrics_h2_cancel_close(void);
void metrics_unfinished_request(void);

#endif
