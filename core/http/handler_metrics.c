/* /metrics in the Prometheus text format: the counters (core/base/metrics.h) with the
 * state of the layers that own it (upstream health, audit queue, worker pool). */
#include "handlers.h"
#include "origin_metrics.h"

#include "app.h"
#include "audit.h"
#include "integrity.h"
#include "metrics.h"
#include "pool.h"
#include "quota.h"
#include "strbuf.h"
#include "upstream.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <unistd.h>

_Static_assert(METRICS_UPSTREAMS == UPSTREAM_SLOTS, "one metrics row per upstream slot");

typedef strbuf out;
#define put strbuf_put

static void put_histogram(out *o, const char *name, const char *labels, const histogram *h)
{
    unsigned long long cum = 0;
    for (size_t i = 0; i <= METRICS_BUCKETS; ++i) {
        cum += atomic_load(&h->count[i]);
        if (i < METRICS_BUCKETS)
            put(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, *labels ? "," : "", metrics_buckets[i], cum);
        else
            put(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, *labels ? "," : "", cum);
    }
    put(o, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels, (double)atomic_load(&h->sum_us) / 1e6, name, labels, cum);
}

static void render_requests(out *o, const metrics_counters *m)
{
    put(o, "# HELP stoa_requests_total HTTP requests by route and status.\n# TYPE stoa_requests_total counter\n");
    for (size_t r = 0; r < METRICS_ROUTES; ++r)
        for (size_t s = 0; s < METRICS_STATUS; ++s) {
            unsigned long long v = atomic_load(&m->requests[r][s]);
            if (v)
                put(o, "stoa_requests_total{route=\"%s\",code=\"%zu\"} %llu\n", metrics_route_names[r], s, v);
        }
    put(o, "# HELP stoa_request_duration_seconds Time to answer, by route.\n"
           "# TYPE stoa_request_duration_seconds histogram\n");
    for (size_t r = 0; r < METRICS_ROUTES; ++r) {
        char labels[64];
        snprintf(labels, sizeof(labels), "route=\"%s\"", metrics_route_names[r]);
        if (atomic_load(&m->duration[r].sum_us) || atomic_load(&m->duration[r].count[0]))
            put_histogram(o, "stoa_request_duration_seconds", labels, &m->duration[r]);
    }
    put(o, "# HELP stoa_response_bytes_total Body bytes sent.\n# TYPE stoa_response_bytes_total counter\n"
           "stoa_response_bytes_total %llu\n", atomic_load(&m->bytes));
    put(o, "# HELP stoa_cache_results_total Module file answers by cache result.\n# TYPE stoa_cache_results_total counter\n"
           "stoa_cache_results_total{result=\"hit\"} %llu\nstoa_cache_results_total{result=\"miss\"} %llu\n"
           "stoa_cache_results_total{result=\"stale\"} %llu\n",
        atomic_load(&m->cache_hit), atomic_load(&m->cache_miss), atomic_load(&m->cache_stale));
}

static void render_by_base(out *o, const metrics_counters *m)
{
    static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    put(o, "# HELP stoa_requests_by_base_total HTTP requests by method, repository base (\"/\" is the root) and "
           "status class.\n# TYPE stoa_requests_by_base_total counter\n");
    for (size_t r = 0; r < METRICS_REPOS; ++r) {
        const char *repo = metrics_repo_label(r);
        for (size_t k = 0; repo != NULL && k < METRICS_METHODS; ++k)
            for (size_t c = 0; c < 5; ++c) {
                unsigned long long v = atomic_load(&m->by_base[r][k][c]);
                if (v > 0)
                    put(o, "stoa_requests_by_base_total{method=\"%s\",repo=\"%s\",class=\"%s\"} %llu\n",
                        metrics_method_names[k], repo, classes[c], v);
            }
    }
}

static void render_upstreams(out *o, const metrics_counters *m)
{
    const struct conf *c = the_app->conf;
    put(o, "# HELP stoa_upstream_attempts_total Upstream fetch attempts by result.\n"
           "# TYPE stoa_upstream_attempts_total counter\n");
    for (size_t k = 0; k < c->nupstreams; ++k) {
        const char *n = c->upstreams[k].name;
        size_t i = upstream_slot(n);
        put(o, "stoa_upstream_attempts_total{upstream=\"%s\",result=\"ok\"} %llu\n", n, atomic_load(&m->up_ok[i]));
        put(o, "stoa_upstream_attempts_total{upstream=\"%s\",result=\"not_found\"} %llu\n", n, atomic_load(&m->up_notfound[i]));
        put(o, "stoa_upstream_attempts_total{upstream=\"%s\",result=\"timeout\"} %llu\n", n, atomic_load(&m->up_timeout[i]));
        put(o, "stoa_upstream_attempts_total{upstream=\"%s\",result=\"connect_error\"} %llu\n", n,
            atomic_load(&m->up_connect[i]));
        put(o, "stoa_upstream_attempts_total{upstream=\"%s\",result=\"bad_answer\"} %llu\n", n, atomic_load(&m->up_bad[i]));
        put(o, "stoa_upstream_attempts_total{upstream=\"%s\",result=\"error\"} %llu\n", n, atomic_load(&m->up_error[i]));
    }
    put(o, "# HELP stoa_upstream_rejected_total Upstream answers that failed validation (corrupt zip, wrong version).\n"
           "# TYPE stoa_upstream_rejected_total counter\n");
    for (size_t k = 0; k < c->nupstreams; ++k) {
        const char *n = c->upstreams[k].name;
        put(o, "stoa_upstream_rejected_total{upstream=\"%s\"} %llu\n", n, atomic_load(&m->up_rejected[upstream_slot(n)]));
    }
    put(o, "# HELP stoa_upstream_latency_seconds Upstream fetch time.\n# TYPE stoa_upstream_latency_seconds histogram\n");
    for (size_t k = 0; k < c->nupstreams; ++k) {
        char labels[128];
        snprintf(labels, sizeof(labels), "upstream=\"%s\"", c->upstreams[k].name);
        put_histogram(o, "stoa_upstream_latency_seconds", labels, &m->up_latency[upstream_slot(c->upstreams[k].name)]);
    }
    put(o, "# HELP stoa_upstream_circuit_open 1 while the upstream's circuit is open.\n"
           "# TYPE stoa_upstream_circuit_open gauge\n");
    for (size_t i = 0; i < c->nupstreams; ++i) {
        upstream_health h;
        upstream_health_of(&c->upstreams[i], &h);
        put(o, "stoa_upstream_circuit_open{upstream=\"%s\"} %d\n", c->upstreams[i].name, h.open);
    }
}

typedef struct git_pass {
    out *o;
    int family;
} git_pass;

static void put_git_host(void *arg, const char *host, uint64_t fetches, uint64_t failures, uint64_t bytes, double seconds)
{
    git_pass *p = arg;
    uint64_t v[] = {fetches, failures, bytes};
    if (p->family == 3)
        put(p->o, "stoa_git_fetch_seconds_total{host=\"%s\"} %.3f\n", host, seconds);
    else
        put(p->o, "stoa_git_%s{host=\"%s\"} %llu\n",
            p->family == 0 ? "fetches_total" : p->family == 1 ? "fetch_failures_total" : "fetched_bytes_total", host,
            (unsigned long long)v[p->family]);
}

/* The direct upstream's git fetches, per repository host (core/origin/); one family at a time. */
static void render_git(out *o)
{
    static const char *const head[] = {
        "# HELP stoa_git_fetches_total Git fetches by the direct upstream.\n# TYPE stoa_git_fetches_total counter\n",
        "# HELP stoa_git_fetch_failures_total Git fetches that failed.\n# TYPE stoa_git_fetch_failures_total counter\n",
        "# HELP stoa_git_fetched_bytes_total Pack bytes received.\n# TYPE stoa_git_fetched_bytes_total counter\n",
        "# HELP stoa_git_fetch_seconds_total Time spent fetching.\n# TYPE stoa_git_fetch_seconds_total counter\n"};
    for (int f = 0; f < 4; ++f) {
        put(o, "%s", head[f]);
        git_pass p = {o, f};
        origin_metrics_each(put_git_host, &p);
    }
}

/* The process_* metrics every Prometheus client library exports. */
static void render_process(out *o, const metrics_counters *m)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    unsigned fds = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        fds += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    struct rusage ru;
    double cpu = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                                                        ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6
                                                  : 0;
    put(o, "# HELP process_cpu_seconds_total User and system CPU time.\n# TYPE process_cpu_seconds_total counter\n"
           "process_cpu_seconds_total %.3f\n", cpu);
    put(o, "# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\n"
           "process_resident_memory_bytes %ld\n"
           "# HELP process_open_fds Open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds %u\n"
           "# HELP process_start_time_seconds Start time since the epoch.\n# TYPE process_start_time_seconds gauge\n"
           "process_start_time_seconds %lld\n",
        resident * sysconf(_SC_PAGESIZE), fds > 0 ? fds - 1 : 0, (long long)the_app->started);
}

/* The cache limit and what the evictor's last round found (cache.max_size). */
static void render_quota(out *o)
{
    quota_stats q;
    quota_stats_get(&q);
    put(o, "# HELP stoa_cache_limit_bytes cache.max_size: bytes of proxied content kept (0: no limit).\n"
           "# TYPE stoa_cache_limit_bytes gauge\nstoa_cache_limit_bytes %llu\n"
           "# HELP stoa_cache_evictions_total Proxied versions, module lists and checksum tiles evicted to keep "
           "cache.max_size.\n"
           "# TYPE stoa_cache_evictions_total counter\nstoa_cache_evictions_total %llu\n"
           "# HELP stoa_cache_evicted_bytes_total Bytes of what was evicted.\n"
           "# TYPE stoa_cache_evicted_bytes_total counter\nstoa_cache_evicted_bytes_total %llu\n"
           "# HELP stoa_cache_rounds_skipped_total Eviction rounds that did not walk storage: the ledger knew the "
           "cache fit, or named the victims.\n# TYPE stoa_cache_rounds_skipped_total counter\n"
           "stoa_cache_rounds_skipped_total %llu\n"
           "# HELP stoa_cache_walks_total Eviction rounds that walked storage (the first, and each resync).\n"
           "# TYPE stoa_cache_walks_total counter\nstoa_cache_walks_total %llu\n",
        (unsigned long long)q.limit_bytes, (unsigned long long)q.evicted_versions, (unsigned long long)q.evicted_bytes,
        (unsigned long long)q.skipped, (unsigned long long)q.rounds);
    if (q.rounds == 0)
        return; /* sizes are known only once a round with a limit has walked storage */
    put(o, "# HELP stoa_cache_bytes Bytes stored, by kind (proxied: the ledger's, current while it is valid; published: the last walk's).\n# TYPE stoa_cache_bytes gauge\n"
           "stoa_cache_bytes{kind=\"proxied\"} %llu\nstoa_cache_bytes{kind=\"published\"} %llu\n"
           "# HELP stoa_cache_last_eviction_round_timestamp_seconds When the evictor last ran a round with a limit.\n"
           "# TYPE stoa_cache_last_eviction_round_timestamp_seconds gauge\n"
           "stoa_cache_last_eviction_round_timestamp_seconds %lld\n",
        (unsigned long long)q.proxied_bytes, (unsigned long long)q.published_bytes, (long long)q.last_round);
}

static void render_audit(out *o, const metrics_counters *m)
{
    audit_stats a;
    audit_stats_get(&a);
    put(o, "# HELP stoa_audit_queue_depth Audit events waiting in memory.\n# TYPE stoa_audit_queue_depth gauge\n"
           "stoa_audit_queue_depth %llu\n", (unsigned long long)a.queued);
    put(o, "# HELP stoa_audit_spool_bytes Audit events waiting in the spool file for the sink.\n"
           "# TYPE stoa_audit_spool_bytes gauge\nstoa_audit_spool_bytes %llu\n", (unsigned long long)a.spool_bytes);
    put(o, "# HELP stoa_audit_events_total Audit events by fate.\n# TYPE stoa_audit_events_total counter\n"
           "stoa_audit_events_total{result=\"written\"} %llu\nstoa_audit_events_total{result=\"spooled\"} %llu\n",
        (unsigned long long)a.written, (unsigned long long)a.spooled);
    put(o, "# HELP stoa_audit_dropped_total Audit events lost (queue full, spool unwritable, refused by the sink).\n"
           "# TYPE stoa_audit_dropped_total counter\nstoa_audit_dropped_total %llu\n", (unsigned long long)a.dropped);
}

static void render_integrity(out *o, const metrics_counters *m)
{
    static const char *const pin_names[4] = {"created", "matched", "refused", "corrected"};
    put(o, "# HELP stoa_integrity_events_total Content that differed from the checksum database or from a pin.\n"
           "# TYPE stoa_integrity_events_total counter\n");
    for (int i = 0; i < 4; ++i)
        put(o, "stoa_integrity_events_total{event=\"%s\"} %llu\n", integrity_event_name((integrity_event)i),
            atomic_load(&m->integrity[i]));
    put(o, "# HELP stoa_pins_total Fetched go.mod and zip files held to their pins, by outcome.\n"
           "# TYPE stoa_pins_total counter\n");
    for (int i = 0; i < 4; ++i)
        put(o, "stoa_pins_total{result=\"%s\"} %llu\n", pin_names[i], atomic_load(&m->pins[i]));
}

/* The pool's lanes and what was refused for want of room. */
static void render_busy(out *o, const metrics_counters *m)
{
    put(o, "# HELP stoa_worker_queue_depth Blocking jobs waiting for a worker, by lane.\n"
           "# TYPE stoa_worker_queue_depth gauge\n");
    for (int l = 0; l < POOL_NLANES; ++l)
        put(o, "stoa_worker_queue_depth{lane=\"%s\"} %u\n", pool_lane_name((pool_lane)l), pool_queued((pool_lane)l));
    put(o, "# HELP stoa_busy_total Requests answered 503 with Retry-After for want of room, by reason.\n"
           "# TYPE stoa_busy_total counter\n");
    for (unsigned r = 0; r < METRICS_BUSY_REASONS; ++r)
        put(o, "stoa_busy_total{reason=\"%s\"} %llu\n", metrics_busy_name(r), atomic_load(&m->busy[r]));
    put(o, "# HELP stoa_fills_abandoned_total Fills dropped before they started, every client asking having gone.\n"
           "# TYPE stoa_fills_abandoned_total counter\nstoa_fills_abandoned_total %llu\n", atomic_load(&m->fills_abandoned));
    put(o, "# HELP stoa_h2_cancel_closes_total HTTP/2 connections closed for cancelling more than limits.h2_cancels "
           "pending requests.\n# TYPE stoa_h2_cancel_closes_total counter\nstoa_h2_cancel_closes_total %llu\n",
        atomic_load(&m->h2_cancel_closes));
    put(o, "# HELP stoa_http_unfinished_requests_total Connections that closed holding part of a request no handler "
           "saw (limits.request_timeout, a client hang-up, a request h2o refused).\n"
           "# TYPE stoa_http_unfinished_requests_total counter\nstoa_http_unfinished_requests_total %llu\n",
        atomic_load(&m->unfinished));
}

static void render_misc(out *o, const metrics_counters *m)
{
    put(o, "# HELP stoa_fills_total Cache fills started, and requests that joined a running fill.\n"
           "# TYPE stoa_fills_total counter\nstoa_fills_total{kind=\"started\"} %llu\nstoa_fills_total{kind=\"joined\"} %llu\n",
        atomic_load(&m->fills_started), atomic_load(&m->fills_joined));
    unsigned long long done = atomic_load(&m->fills_done); /* first: a fill counts as started before done */
    put(o, "# HELP stoa_fills_in_flight Cache fills running now (a miss is answered before its fill ends).\n"
           "# TYPE stoa_fills_in_flight gauge\nstoa_fills_in_flight %llu\n",
        atomic_load(&m->fills_started) - done);
    put(o, "# HELP stoa_publishes_total Module files published (created) and identical re-publishes (noop).\n"
           "# TYPE stoa_publishes_total counter\nstoa_publishes_total{result=\"created\"} %llu\n"
           "stoa_publishes_total{result=\"noop\"} %llu\n", atomic_load(&m->publishes), atomic_load(&m->publish_noops));
    put(o, "# HELP stoa_auth_denials_total Requests refused by the auth chain.\n# TYPE stoa_auth_denials_total counter\n"
           "stoa_auth_denials_total{code=\"401\"} %llu\nstoa_auth_denials_total{code=\"403\"} %llu\n"
           "stoa_auth_denials_total{code=\"429\"} %llu\n",
        atomic_load(&m->denied_401), atomic_load(&m->denied_403), atomic_load(&m->denied_429));
    put(o, "# HELP stoa_storage_errors_total Storage plugin calls that failed, by operation and kind.\n"
           "# TYPE stoa_storage_errors_total counter\n");
    for (size_t i = 0; i < STORAGE_OPS; ++i)
        put(o, "stoa_storage_errors_total{op=\"%s\",kind=\"unavailable\"} %llu\n"
               "stoa_storage_errors_total{op=\"%s\",kind=\"error\"} %llu\n",
            storage_op_name((storage_op)i), atomic_load(&m->storage_errors[i][1]), storage_op_name((storage_op)i), atomic_load(&m->storage_errors[i][0]));
    put(o, "# HELP stoa_stream_through_total Uncached zips streamed while downloading, by outcome.\n"
           "# TYPE stoa_stream_through_total counter\nstoa_stream_through_total{result=\"completed\"} %llu\n"
           "stoa_stream_through_total{result=\"aborted\"} %llu\n",
        atomic_load(&m->streams_completed), atomic_load(&m->streams_aborted));
    put(o, "# HELP stoa_config_reloads_total SIGHUP reloads, applied or refused.\n"
           "# TYPE stoa_config_reloads_total counter\nstoa_config_reloads_total{result=\"applied\"} %llu\n"
           "stoa_config_reloads_total{result=\"refused\"} %llu\n",
        atomic_load(&m->reloads_ok), atomic_load(&m->reloads_refused));
    put(o, "# HELP stoa_sumdb_checks_total Fetched modules checked against the checksum database, by outcome.\n"
           "# TYPE stoa_sumdb_checks_total counter\nstoa_sumdb_checks_total{result=\"verified\"} %llu\n"
           "stoa_sumdb_checks_total{result=\"refused\"} %llu\nstoa_sumdb_checks_total{result=\"unverified\"} %llu\n",
        atomic_load(&m->sumchecks[0]), atomic_load(&m->sumchecks[1]), atomic_load(&m->sumchecks[2]));
    render_integrity(o, m);
    put(o, "# HELP stoa_sumdb_forks_total Signed trees inconsistent with one the checksum database signed before.\n"
           "# TYPE stoa_sumdb_forks_total counter\nstoa_sumdb_forks_total %llu\n", atomic_load(&m->sumdb_forks));
    put(o, "# HELP stoa_send_timeouts_total Connections reset because the client took no bytes for limits.send_timeout.\n"
           "# TYPE stoa_send_timeouts_total counter\nstoa_send_timeouts_total %llu\n", atomic_load(&m->send_timeouts));
    render_process(o, m);
    render_busy(o, m);
    render_quota(o);
    render_audit(o, m);
    put(o, "# HELP stoa_build_info Build facts.\n# TYPE stoa_build_info gauge\n"
           "stoa_build_info{version=\"%s\",abi=\"%d\",storage=\"%s\"} 1\n", STOA_VERSION, STOA_ABI_MAJOR,
        the_app->store.p->name);
}

static char *render(size_t *len)
{
    const metrics_counters *m = metrics_read();
    out o;
    strbuf_init(&o, 16384);
    render_requests(&o, m);
    render_by_base(&o, m);
    render_upstreams(&o, m);
    render_git(&o);
    render_misc(&o, m);
    return strbuf_take(&o, len);
}

int handler_metrics(reqctx *rc)
{
    size_t len;
    char *text = render(&len);
    if (text == NULL)
        return http_send_text(rc, 503, "out of memory rendering metrics"), 0;
    http_send_body(rc, 200, "text/plain; version=0.0.4; charset=utf-8", "no-store", text, len);
    free(text);
    return 0;
}
