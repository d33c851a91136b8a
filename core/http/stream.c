#include "stream.h"

#include "h2cancel.h"
#include "handlers.h"
#include "metrics.h"
#include "reqasync.h"
#include "sendwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define STREAM_CHUNK (128 * 1024)

typedef struct stream_guard stream_guard;

/* Owned jointly by the request (through its guard) and by pokes in flight: freed once
 * the request is gone and no poke is on its way (fill.h explains `queued`). */
typedef struct streamer {
    pool_job job;             /* first: pokes arrive as this job's done() */
    fill_waiter w;
    fill *f;
    reqctx *rc;               /* NULL once the request is gone */
    stream_guard *guard;
    stream_fallback_cb fallback;
    int fd;                   /* our own descriptor on the staged file */
    unsigned gen;             /* the upstream attempt being streamed */
    int started, inflight, finished;
    uint64_t sent;
    char *buf;
} streamer;

/* Lives in the request's pool: the response's generator, and the request's end. */
struct stream_guard {
    h2o_generator_t super;    /* first: h2o hands it back to proceed/stop */
    streamer *s;
    sendwatch watch;          /* armed while the client has bytes to take */
};

static void destroy(streamer *s)
{
    if (s->fd >= 0)
        close(s->fd);
    fill_release(s->f);
    free(s->buf);
    free(s);
}

static void abort_stream(streamer *s, const char *why)
{
    s->finished = 1;
    metrics_stream(0);
    snprintf(s->rc->error, sizeof(s->rc->error), "stream-through aborted: %.200s", why);
    h2o_send(s->rc->req, NULL, 0, H2O_SEND_STATE_ERROR);
}

static int begin(streamer *s, const fill_progress *p)
{
    h2o_req_t *req = s->rc->req;
    s->buf = malloc(STREAM_CHUNK);
    s->fd = dup(fill_staged_fd(s->f));
    if (s->buf == NULL || s->fd < 0)
        return -1;
    s->gen = p->gen;
    s->started = 1;
    s->rc->cache = "MISS";
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = p->validated ? (size_t)fill_meta(s->f)->size : p->expect >= 0 ? (size_t)p->expect : SIZE_MAX;
    http_set_header(s->rc, "x-cache", "MISS");
    http_set_header(s->rc, "cache-control", CACHE_IMMUTABLE);
    http_set_header(s->rc, "content-type", "application/zip");
    h2o_start_response(req, &s->guard->super);
    return 0;
}

/* How far the client may be sent now; -1 when the stream must be aborted. */
static int64_t limit_of(streamer *s, const fill_progress *p)
{
    if (p->gen != s->gen)
        return -1;
    if (p->validated) /* final, whatever the commit does */
        return (int64_t)fill_meta(s->f)->size;
    if (!p->ended)
        return p->avail > 0 ? (int64_t)p->avail - 1 : 0; /* the last byte waits for validation */
    if (fill_result(s->f) == FILL_FAILED)
        return -1;
    return (int64_t)fill_meta(s->f)->size;
}

static void pump(streamer *s)
{
    if (s->finished || s->inflight)
        return;
    fill_progress p;
    fill_progress_of(s->f, &p);
    if (!s->started) {
        if (p.ended || (p.validated && p.avail < STREAM_MIN)) {
            s->finished = 1;
            s->fallback(s->rc, s->f);
            return;
        }
        if (p.avail < STREAM_MIN)
            return;
        if (begin(s, &p) != 0) {
            s->finished = 1;
            http_send_text(s->rc, 503, "out of memory or descriptors");
            return;
        }
    }
    int64_t limit = limit_of(s, &p);
    int done = p.ended || p.validated;
    if (done) /* the fill's fields are final only now */
        http_note_upstream(s->rc, fill_upstream(s->f), fill_failed_upstreams(s->f));
    if (limit < 0)
        return abort_stream(s, p.gen != s->gen ? "the upstream attempt was abandoned" : fill_error(s->f)->msg);
    if ((int64_t)s->sent >= limit && !done)
        return; /* wait for the next poke */
    size_t want = (uint64_t)limit - s->sent < STREAM_CHUNK ? (size_t)((uint64_t)limit - s->sent) : STREAM_CHUNK;
    ssize_t n = want > 0 ? pread(s->fd, s->buf, want, (off_t)s->sent) : 0;
    if (n < 0 || (size_t)n != want)
        return abort_stream(s, "the staged file changed under the stream");
    s->sent += (uint64_t)n;
    int final = done && (int64_t)s->sent == limit;
    if (final)
        metrics_stream(1);
    s->inflight = !final;
    s->finished = final;
    h2o_iovec_t v = h2o_iovec_init(s->buf, (size_t)n);
    sendwatch_arm(&s->guard->watch);
    h2o_send(s->rc->req, &v, 1, final ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    streamer *s = ((stream_guard *)g)->s;
    sendwatch_disarm(&((stream_guard *)g)->watch);
    s->inflight = 0;
    pump(s);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req)
{
}

/* A poke from the fill (or its end). */
static void on_poke(pool_job *job)
{
    streamer *s = (streamer *)job;
    atomic_store(&s->w.queued, 0);
    if (s->rc == NULL) {
        destroy(s);
        return;
    }
    pump(s);
}

static void on_request_gone(void *p)
{
    sendwatch_disarm(&((stream_guard *)p)->watch);
    streamer *s = ((stream_guard *)p)->s;
    if (s == NULL)
        return; /* the fill was never joined */
    if (!s->finished)
        h2cancel_note(s->rc->req);
    s->rc = NULL;
    fill_leave(s->f, &s->w);
    if (!atomic_load(&s->w.queued))
        destroy(s);
}

void stream_start(reqctx *rc, stream_fallback_cb fallback)
{
    streamer *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        http_send_text(rc, 503, "out of memory");
        return;
    }
    s->rc = rc;
    s->fd = -1;
    s->fallback = fallback;
    s->job.loop = reqasync_loop_of(rc->req);
    s->job.done = on_poke;
    s->w.job = &s->job;
    s->w.wants_progress = 1;
    s->w.peer_fd = http_peer_fd(rc->req, &s->w.peer_tls);
    atomic_init(&s->w.queued, 0);
    s->guard = h2o_mem_alloc_shared(&rc->req->pool, sizeof(*s->guard), on_request_gone);
    *s->guard = (stream_guard){.super = {on_proceed, on_stop}, .s = s};
    sendwatch_init(&s->guard->watch, rc->req, rc->error, sizeof(rc->error));
    fill_join_result j = fill_join(&rc->r, rc->client, &s->w, &s->f);
    if (j != FILL_JOINED) {
        s->guard->s = NULL; /* the request's end finds nothing to release */
        free(s);
        answer_fill_busy(rc, j);
    }
}
