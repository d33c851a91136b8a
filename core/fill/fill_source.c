#include "fill_source.h"

#include "log.h"
#include "pin.h"
#include "sumcheck.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>

/* Validation, the checksum database and the pin, in that order: STOA_OK, INTERNAL
 * (stoa's own failure: no other upstream would do better), or a rejection. */
static stoa_status check(fill_fetch *q)
{
    stoa_status st = validate_staged(q->kind, q->r->module, q->r->version, q->r->canonical, q->fd, &q->meta, &q->err);
    if (st != STOA_OK)
        return st;
    sumcheck_result sc = sumcheck_fill(q->conf, q->r, q->kind, &q->meta, &q->err);
    if (sc == SUMCHECK_REFUSED)
        return STOA_BADGATEWAY;
    return pin_fill(q->r, q->kind, &q->meta, sc, &q->err);
}

stoa_status fill_from_upstreams(fill_fetch *q)
{
    const struct conf *c = q->conf;
    upstream_result *res = &q->res;
    size_t from = 0;
    for (;;) {
        stoa_status st = upstream_fetch_cond(c, from, q->sources, q->key, q->fd, q->cond, q->progress, q->progress_arg, res);
        if (st != STOA_OK)
            return st;
        const conf_upstream *u = &c->upstreams[res->served_by];
        snprintf(q->upstream, sizeof(q->upstream), "%s", u->name);
        memset(&q->meta, 0, sizeof(q->meta));
        snprintf(q->meta.origin, sizeof(q->meta.origin), "%s", u->name);
        if (res->not_modified)
            return STOA_OK;
        st = check(q);
        if (st == STOA_OK || st == STOA_INTERNAL)
            return st;
        log_msg(STOA_LOG_WARN, "fill", "rejected %s from %s: %s", q->key, u->name, q->err.msg);
        upstream_reject(c, (size_t)res->served_by, res, q->err.msg);
        q->upstream[0] = '\0';
        if (!upstream_may_continue(c, (size_t)res->served_by, STOA_BADGATEWAY))
            return STOA_BADGATEWAY;
        if (q->progress != NULL)
            q->progress(q->progress_arg, 0, -1); /* streamers must drop what they have of the rejected bytes */
        from = (size_t)res->served_by + 1;
    }
}
