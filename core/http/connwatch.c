#include "connwatch.h"

#include "app.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "numfmt.h"

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
} watched;

static void sample(h2o_timeout_entry_t *entry)
{
    connwatch_loop *w = H2O_STRUCT_FROM_MEMBER(connwatch_loop, tick, entry);
    for (h2o_linklist_t *n = w->conns.next; n != &w->conns; n = n->next) {
        watched *c = H2O_STRUCT_FROM_MEMBER(watched, link, n);
        c->sampled = c->sock->input->size;
    }
    h2o_timeout_link(w->loop, &w->every, &w->tick);
}

void connwatch_loop_init(connwatch_loop *w, h2o_loop_t *loop)
{
    *w = (connwatch_loop){.loop = loop};
    h2o_linklist_init_anchor(&w->conns);
    h2o_timeout_init(loop, &w->every, CONNWATCH_SAMPLE_MS);
    w->tick.cb = sample;
    h2o_timeout_link(loop, &w->every, &w->tick);
}

static void tell(watched *c, size_t unread)
{
    connwatch_loop *w = c->w;
    int64_t now = clock_mono_ms();
    metrics_unfinished_request();
    if (now - w->logged_ms < 1000 && w->logged_ms != 0) {
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
    w->logged_ms = now;
    w->untold = 0;
}

static void on_close(void *data)
{
    watched *c = data;
    h2o_linklist_unlink(&c->link);
    size_t unread = c->sampled > c->in_flight ? c->sampled - c->in_flight : 0;
    if (!c->h2 && unread > (c->requests ? 0 : CONNWATCH_IDLE_BYTES))
        tell(c, unread);
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
    c->in_flight = c->sampled = c->sock->input->size; /* the request, body included, is still there */
    c->since_ms = now_ms;
    ++c->requests;
}

void connwatch_done(h2o_req_t *req)
{
    watched *c = watched_of(req);
    if (c != NULL) /* h2o consumes the request's bytes next: the next sample sees what follows */
        c->in_flight = c->sampled = 0;
}
