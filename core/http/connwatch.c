#include "connwatch.h"

#include "app.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "numfmt.h"

#include <h2o/http1.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef struct watched {
    h2o_linklist_t link;
    connwatch_loop *w;
    h2o_socket_t *sock;   /* freed by h2o before on_close runs: not read there */
    size_t in_flight;     /* input bytes of the request the router has, until it ends */
    size_t sampled;       /* unconsumed input bytes at the last sample */
    int64_t since_ms;     /* the accept, or the last request */
    unsigned requests, h2;
    struct sockaddr_storage peer; /* named only when told: most connections never are */
    /* The body gate (w->gate): h2o's read callback, called from gate_read. */
    h2o_socket_cb inner;
    size_t seen;                  /* input bytes h2o has parsed */
    h2o_timeout_entry_t regate;   /* after a request: h2o re-arms its own callback */
    size_t tried;                 /* input bytes at the last judge of an incomplete head */
    unsigned judged : 1;          /* the head at the input's start was judged */
    h2o_timeout_entry_t lingered; /* connwatch_linger's deadline */
    size_t drained;
    unsigned lingering : 1;       /* connwatch_linger owns the socket */
    unsigned routed : 1;          /* a request is in the router */
    unsigned reading : 1;         /* in a call into h2o: on_close defers the free */
    unsigned closed : 1;
} watched;

static void gate_read(h2o_socket_t *sock, const char *err);
static void on_close(void *data);

/* At most one warn line a second per loop: 1 when one may go now (and it is counted as
 * gone). */
static int log_due(connwatch_loop *w, int64_t now)
{
    if (w->logged_ms != 0 && now - w->logged_ms < 1000)
        return 0;
    w->logged_ms = now;
    return 1;
}

/* (Re)installs gate_read where h2o set its own read callback: after accept, after
 * h2o re-arms reading for a keep-alive request, and at each sample. An HTTP/2
 * connection is left alone once it shows. */
/* The head at the input's start is judged afresh: h2o has parsed all there is. */
static void rejudge(watched *c)
{
    c->seen = c->sock->input->size;
    c->tried = 0;
    c->judged = 0;
}

static void gate(watched *c)
{
    h2o_socket_t *sock = c->sock;
    if (c->lingering)
        return;
    /* HTTP/2 shows with its first request (ALPN cannot be asked before the handshake
     * ends); until then its frames fail the gate's parse at the first byte and pass. */
    if (c->h2) {
        if (sock->_cb.read == gate_read)
            sock->_cb.read = c->inner;
        return;
    }
    if (sock->_cb.read == NULL || sock->_cb.read == gate_read)
        return;
    c->inner = sock->_cb.read;
    rejudge(c);
    sock->_cb.read = gate_read;
}

static void judge(watched *c, h2o_socket_t *sock, const char **err)
{
    if (c->w->gate == NULL)
        return;
    char peer[INET6_ADDRSTRLEN] = "";
    numfmt_addr((const struct sockaddr *)&c->peer, peer, sizeof(peer));
    connwatch_verdict v = c->w->gate(sock->input->bytes, sock->input->size, c->seen, c->tried, peer, sock->ssl != NULL);
    c->judged = v != CONNWATCH_MORE; /* once per head: a body dripped a byte a read costs no reparse */
    c->tried = v == CONNWATCH_MORE ? sock->input->size : 0;
    if (v != CONNWATCH_CLOSE)
        return;
    *err = "request body refused before it was read";
    if (log_due(c->w, clock_mono_ms()))
        log_msg(STOA_LOG_WARN, "http",
                "refused a request body from %s before reading it: the request was pipelined behind another, "
                "so the connection was closed instead of answered",
                peer);
}

/* After a call into h2o on c's socket (flagged reading, so on_close only marks c): frees
 * c if the socket closed meanwhile, else notes that h2o has parsed all there is and puts
 * the gate back if h2o set a callback of its own. */
static void after_h2o(watched *c, h2o_socket_t *sock)
{
    c->reading = 0;
    if (c->closed) {
        free(c);
        return;
    }
    c->seen = sock->input->size;
    gate(c);
}

void connwatch_http1_accept(h2o_accept_ctx_t *ctx, h2o_socket_t *sock, struct timeval connected_at)
{
    if (sock->on_close.cb != on_close) {
        h2o_http1_accept(ctx, sock, connected_at);
        return;
    }
    watched *c = sock->on_close.data;
    const char *err = NULL;
    c->seen = c->tried = 0; /* h2o has parsed none of it: a refused head is withheld, never closed */
    if (sock->input->size > 0)
        judge(c, sock, &err);
    c->reading = 1;
    h2o_http1_accept(ctx, sock, connected_at);
    after_h2o(c, sock);
}

static void gate_read(h2o_socket_t *sock, const char *err)
{
    watched *c = sock->on_close.data;
    if (err == NULL && !c->routed && !c->judged && sock->input->size > 0)
        judge(c, sock, &err);
    c->reading = 1;
    c->inner(sock, err);
    after_h2o(c, sock);
}

/* After a request: h2o has consumed it and parsed what followed, and the next head
 * (at the input's start now) is judged afresh. */
static void on_regate(h2o_timeout_entry_t *entry)
{
    watched *c = H2O_STRUCT_FROM_MEMBER(watched, regate, entry);
    rejudge(c);
    gate(c);
}

static void sample(h2o_timeout_entry_t *entry)
{
    connwatch_loop *w = H2O_STRUCT_FROM_MEMBER(connwatch_loop, tick, entry);
    for (h2o_linklist_t *n = w->conns.next; n != &w->conns; n = n->next) {
        watched *c = H2O_STRUCT_FROM_MEMBER(watched, link, n);
        c->sampled = c->sock->input->size;
        gate(c);
    }
    h2o_timeout_link(w->loop, &w->every, &w->tick);
}

void connwatch_loop_init(connwatch_loop *w, h2o_loop_t *loop, connwatch_gate judge_head)
{
    *w = (connwatch_loop){.gate = judge_head, .loop = loop};
    h2o_linklist_init_anchor(&w->conns);
    h2o_timeout_init(loop, &w->every, CONNWATCH_SAMPLE_MS);
    h2o_timeout_init(loop, &w->now, 0);
    h2o_timeout_init(loop, &w->linger, CONNWATCH_LINGER_MS);
    w->tick.cb = sample;
    h2o_timeout_link(loop, &w->every, &w->tick);
}

static void tell(watched *c, size_t unread)
{
    connwatch_loop *w = c->w;
    int64_t now = clock_mono_ms();
    metrics_unfinished_request();
    if (!log_due(w, now)) {
        ++w->untold;
        return;
    }
    char peer[INET6_ADDRSTRLEN], more[64] = "";
    if (numfmt_addr((const struct sockaddr *)&c->peer, peer, sizeof(peer)) != 0)
        snprintf(peer, sizeof(peer), "?");
    if (w->untold > 0)
        snprintf(more, sizeof(more), "; %u more since the last such line", w->untold);
    log_msg(STOA_LOG_WARN, "http",
            "unfinished request from %s: the connection closed %.1f s after %s with %zu bytes read that no request "
            "took (limits.request_timeout is %.0f s; a client that hung up, or a request h2o refused, end so too)%s",
            peer, (double)(now - c->since_ms) / 1000, c->requests ? "its last request" : "it opened", unread,
            (double)the_app->conf->request_timeout_ms / 1000, more);
    w->untold = 0;
}

static void on_close(void *data)
{
    watched *c = data;
    h2o_linklist_unlink(&c->link);
    if (h2o_timeout_is_linked(&c->regate))
        h2o_timeout_unlink(&c->regate);
    if (h2o_timeout_is_linked(&c->lingered))
        h2o_timeout_unlink(&c->lingered);
    size_t unread = c->sampled > c->in_flight ? c->sampled - c->in_flight : 0;
    if (!c->h2 && !c->lingering && unread > (c->requests ? 0 : CONNWATCH_IDLE_BYTES))
        tell(c, unread);
    c->w->lingering -= c->lingering;
    if (c->reading)
        c->closed = 1; /* gate_read frees it when h2o's callback returns */
    else
        free(c);
}

void connwatch_accept(connwatch_loop *w, h2o_socket_t *sock)
{
    watched *c = calloc(1, sizeof(*c)); /* a client-chosen count: not the aborting allocator */
    if (c == NULL)
        return;
    c->w = w;
    c->sock = sock;
    c->since_ms = clock_mono_ms();
    if (h2o_socket_getpeername(sock, (struct sockaddr *)&c->peer) == 0) /* h2o keeps it for the requests */
        c->peer.ss_family = AF_UNSPEC;
    h2o_linklist_insert(&w->conns, &c->link);
    sock->on_close.cb = on_close;
    sock->on_close.data = c;
    c->regate.cb = on_regate; /* this turn's timers run after h2o_accept, before any read */
    h2o_timeout_link(w->loop, &w->now, &c->regate);
}

static void linger_read(h2o_socket_t *sock, const char *err)
{
    watched *c = sock->on_close.data;
    c->drained += sock->input->size;
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (err != NULL || c->drained > CONNWATCH_LINGER_BYTES)
        h2o_socket_close(sock); /* on_close frees c */
}

static void linger_over(h2o_timeout_entry_t *entry)
{
    h2o_socket_close(H2O_STRUCT_FROM_MEMBER(watched, lingered, entry)->sock);
}

void connwatch_linger(void *data, h2o_socket_t *sock, size_t reqsize)
{
    (void)reqsize;
    if (sock == NULL) { /* the write failed: h2o let go of the socket without closing it */
        h2o_socket_close(data);
        return;
    }
    sock->data = NULL;
    if (sock->on_close.cb != on_close) {
        h2o_socket_close(sock);
        return;
    }
    watched *c = sock->on_close.data;
    c->lingering = 1;
    ++c->w->lingering;
    c->sampled = c->in_flight = 0; /* what follows is the refused body: not an unfinished request */
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (sock->ssl == NULL) /* the answer is out: FIN after it (TLS closes with its own alert) */
        shutdown(h2o_socket_get_fd(sock), SHUT_WR);
    c->lingered.cb = linger_over;
    h2o_timeout_link(c->w->loop, &c->w->linger, &c->lingered);
    h2o_socket_read_start(sock, linger_read);
}

static watched *watched_of(h2o_req_t *req)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    return sock != NULL && sock->on_close.cb == on_close ? sock->on_close.data : NULL;
}

void connwatch_request(h2o_req_t *req, int64_t now_ms)
{
    watched *c = watched_of(req);
    if (c == NULL)
        return;
    c->h2 |= req->version >= 0x200;
    c->routed = 1;
    c->in_flight = c->sampled = c->sock->input->size; /* the request, body included, is still there */
    c->since_ms = now_ms;
    ++c->requests;
}

void connwatch_done(h2o_req_t *req)
{
    watched *c = watched_of(req);
    if (c == NULL)
        return;
    /* h2o consumes the request's bytes next (the next sample sees what follows) and
     * re-arms its own read callback for a keep-alive connection: gated again on this
     * turn's timers, before the loop reads more. */
    c->in_flight = c->sampled = 0;
    c->routed = 0;
    if (!h2o_timeout_is_linked(&c->regate))
        h2o_timeout_link(c->w->loop, &c->w->now, &c->regate);
}
