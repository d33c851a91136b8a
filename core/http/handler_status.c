/* /healthz (the process answers), /readyz (storage usable and the audit trail kept),
 * /version.
 *
 * An audit sink that is down does not make a replica unready while its events go to
 * the spool: they are replayed later and nothing is lost, and taking every replica out
 * of a load balancer because the audit database is down would turn an audit outage
 * into a registry outage. Losing events (the spool cannot be written) does. The sink's
 * state is in the body and in the stoa_audit_* metrics.
 *
 * Storage that fails after it has been ready once makes the replica degraded, not
 * unready (unless readyz.strict): replicas share their storage, so draining one drains
 * them all, while each still serves what it holds (the pgs3 body cache, the disk
 * plugin's files on another mount) and a load balancer sending nobody anywhere helps
 * no one. Storage never ready since start (a wrong key, a missing bucket) is unready:
 * such a replica must not enter the pool. */
#include "app.h"
#include "audit.h"
#include "handlers.h"
#include "task.h"

#include <stdatomic.h>
#include <stdio.h>

static atomic_int storage_was_ready;

typedef struct ready_task {
    task t;
    stoa_status st;
    stoa_error err;
} ready_task;

static void ready_work(task *t)
{
    ready_task *r = (ready_task *)t;
    r->st = storage_health(&the_app->store, &r->err);
}

static void ready_cont(task *t, reqctx *rc)
{
    ready_task *r = (ready_task *)t;
    audit_stats a;
    audit_stats_get(&a);
    if (r->st == STOA_OK)
        atomic_store(&storage_was_ready, 1);
    if (r->st != STOA_OK && !the_app->conf->readyz_strict && atomic_load(&storage_was_ready))
        http_send_text(rc, 200, "degraded: storage unavailable: %s (what this replica holds is still served; "
                       "readyz.strict: true answers 503)", r->err.msg);
    else if (r->st != STOA_OK)
        http_send_text(rc, 503, "storage not ready: %s", r->err.msg);
    else if (a.losing)
        http_send_text(rc, 503, "audit events are being lost: the sink is down and the spool cannot be written");
    else if (a.sink_down)
        http_send_text(rc, 200, "ok (audit sink down: %llu bytes spooled, replayed when it is back)",
                       (unsigned long long)a.spool_bytes);
    else
        http_send_text(rc, 200, "ok");
}

int handler_status(reqctx *rc)
{
    switch (rc->r.type) {
    case ROUTE_HEALTHZ: http_send_text(rc, 200, "ok"); return 0;
    case ROUTE_VERSION: {
        char body[256];
        int n = snprintf(body, sizeof(body), "{\"name\":\"stoa\",\"version\":\"%s\",\"abi\":%d,\"storage\":\"%s\"}\n",
                         STOA_VERSION, STOA_ABI_MAJOR, the_app->store.p->name);
        http_send_body(rc, 200, "application/json", "no-store", body, (size_t)n);
        return 0;
    }
    default: break;
    }
    ready_task *r = (ready_task *)task_new(rc, sizeof(*r), ready_work, ready_cont, NULL);
    if (r == NULL)
        http_send_text(rc, 503, "out of memory");
    else
        task_start(&r->t);
    return 0;
}
