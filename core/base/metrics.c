#include "metrics.h"

#include "nameslot.h"


#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

static const char *const storage_op_names[] = {
    "get", "get_copy", "put", "list", "walk", "remove", "health", "pin_get", "pin_put", "pin_walk",
    "catalog_page", "index_page", "objects", "remove_object",
};
_Static_assert(sizeof storage_op_names / sizeof *storage_op_names == STORAGE_OPS, "one name per storage_op");
const double metrics_buckets[METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
const char *const metrics_route_names[METRICS_ROUTES] = {
    "none", "healthz", "readyz", "version", "metrics", "catalog", "index", "admin",
    "info", "mod",     "zip",    "list",    "latest",  "sumdb",   "api_version", "api_ping", "build",
    "ui",   "ui_module",
};

static metrics_counters m;
NAMESLOTS_DEFINE(repo_slots, METRICS_REPOS);
const char *const metrics_method_names[METRICS_METHODS] = {"GET", "HEAD", "PUT", "DELETE", "POST", "other"};

void metrics_request_base(const char *method, const char *repo, int status)
{
    size_t k = 0;
    while (k < METRICS_METHODS - 1 && strcmp(metrics_method_names[k], method) != 0)
        ++k;
    int cls = status >= 100 && status < 600 ? status / 100 - 1 : 4;
    atomic_fetch_add(&m.by_base[nameslot_of(&repo_slots, repo[0] != '\0' ? repo : "/")][k][cls], 1);
}

const char *metrics_repo_label(size_t i)
{
    return i < METRICS_REPOS && atomic_load(&repo_slots.used[i]) ? repo_slots.names[i] : NULL;
}

const metrics_counters *metrics_read(void)
{
    return &m;
}

stoa_status metrics_storage_counted(storage_op op, stoa_status st)
{
    if (st != STOA_OK && st != STOA_NOTFOUND && st != STOA_CONFLICT)
        metrics_storage_error(op, st);
    return st;
}

const char *storage_op_name(storage_op op)
{
    return op < STORAGE_OPS ? storage_op_names[op] : "unknown";
}

static void observe(histogram *h, double seconds)
{
    size_t i = 0;
    while (i < METRICS_BUCKETS && seconds > metrics_buckets[i])
        ++i;
    atomic_fetch_add(&h->count[i], 1);
    atomic_fetch_add(&h->sum_us, (unsigned long long)(seconds * 1e6));
}

void metrics_request(route_type t, int status, uint64_t bytes, const char *cache, double ms)
{
    if ((unsigned)t >= METRICS_ROUTES)
        t = ROUTE_NONE;
    atomic_fetch_add(&m.requests[t][status > 0 && status < METRICS_STATUS ? status : 0], 1);
    observe(&m.duration[t], ms / 1e3);
    atomic_fetch_add(&m.bytes, bytes);
    if (cache != NULL && strcmp(cache, "HIT") == 0)
        atomic_fetch_add(&m.cache_hit, 1);
    else if (cache != NULL && strcmp(cache, "MISS") == 0)
        atomic_fetch_add(&m.cache_miss, 1);
    else if (cache != NULL && strcmp(cache, "STALE") == 0)
        atomic_fetch_add(&m.cache_stale, 1);
}

void metrics_upstream(size_t i, stoa_status st, double ms)
{
    if (i >= METRICS_UPSTREAMS)
        return;
    atomic_ullong *c = st == STOA_OK            ? &m.up_ok[i]
                       : st == STOA_NOTFOUND    ? &m.up_notfound[i]
                       : st == STOA_TIMEOUT     ? &m.up_timeout[i]
                       : st == STOA_UNAVAILABLE ? &m.up_connect[i]
                       : st == STOA_BADGATEWAY  ? &m.up_bad[i]
                                                : &m.up_error[i];
    atomic_fetch_add(c, 1);
    observe(&m.up_latency[i], ms / 1e3);
}

void metrics_upstream_rejected(size_t i)
{
    if (i < METRICS_UPSTREAMS)
        atomic_fetch_add(&m.up_rejected[i], 1);
}

void metrics_storage_error(storage_op op, stoa_status st)
{
    if (op < STORAGE_OPS)
        atomic_fetch_add(&m.storage_errors[op][st == STOA_UNAVAILABLE], 1);
}

void metrics_stream(int completed)
{
    atomic_fetch_add(completed ? &m.streams_completed : &m.streams_aborted, 1);
}

void metrics_sumcheck(int result)
{
    if (result >= 0 && result < 3)
        atomic_fetch_add(&m.sumchecks[result], 1);
}

void metrics_integrity(int event)
{
    if (event >= 0 && event < 4)
        atomic_fetch_add(&m.integrity[event], 1);
}

void metrics_pin(int result)
{
    if (result >= 0 && result < 4)
        atomic_fetch_add(&m.pins[result], 1);
}

void metrics_sumdb_fork(void)
{
    atomic_fetch_add(&m.sumdb_forks, 1);
}

void metrics_send_timeout(void)
{
    atomic_fetch_add(&m.send_timeouts, 1);
}

void metrics_reload(int ok)
{
    atomic_fetch_add(ok ? &m.reloads_ok : &m.reloads_refused, 1);
}

void metrics_publish(int created)
{
    atomic_fetch_add(created ? &m.publishes : &m.publish_noops, 1);
}

void metrics_auth_denial(stoa_status st)
{
    atomic_fetch_add(st == STOA_UNAUTHORIZED ? &m.denied_401 : st == STOA_THROTTLED ? &m.denied_429 : &m.denied_403, 1);
}

void metrics_fill(int started)
{
    atomic_fetch_add(started ? &m.fills_started : &m.fills_joined, 1);
}

const char *metrics_busy_name(unsigned reason)
{
    static const char *const names[METRICS_BUSY_REASONS] = {"fill_queue", "sumdb_queue", "work_queue", "client_fills"};
    _Static_assert(POOL_FILL == 0 && POOL_SUMDB == 1 && POOL_WORK == 2, "busy reasons follow the lanes");
    return reason < METRICS_BUSY_REASONS ? names[reason] : "unknown";
}

void metrics_busy(unsigned reason)
{
    if (reason < METRICS_BUSY_REASONS)
        atomic_fetch_add(&m.busy[reason], 1);
}

void metrics_fill_abandoned(void)
{
    atomic_fetch_add(&m.fills_abandoned, 1);
}

void metrics_h2_cancel_close(void)
{
    atomic_fetch_add(&m.h2_cancel_closes, 1);
}

void metrics_unfinished_request(void)
{
    atomic_fetch_add(&m.unfinished, 1);
}

void metrics_fill_done(void)
{
    atomic_fetch_add(&m.fills_done, 1);
}

