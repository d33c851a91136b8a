#include "sendwatch.h"

#include "metrics.h"
#include "loop.h"

#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>

static void expired(h2o_timeout_entry_t *entry)
{
    sendwatch *w = H2O_STRUCT_FROM_MEMBER(sendwatch, entry, entry);
    h2o_conn_t *conn = w->req->conn;
    h2o_socket_t *sock = conn->callbacks->get_socket != NULL ? conn->callbacks->get_socket(conn) : NULL;
    metrics_send_timeout();
    if (w->note != NULL)
        snprintf(w->note, w->note_len, "send timeout: the client took no bytes for %llu ms",
                 (unsigned long long)server_loop_of(conn->ctx)->send_timeout.timeout);
    if (sock == NULL)
        return;
    /* A reset drops what the client never took instead of leaving it to the kernel. The
     * descriptor stays h2o's: shut down, it polls as hung up and h2o's write fails. */
    int fd = h2o_socket_get_fd(sock);
    struct linger reset = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    (void)shutdown(fd, SHUT_RDWR);
}

void sendwatch_init(sendwatch *w, h2o_req_t *req, char *note, size_t note_len)
{
    *w = (sendwatch){.entry = {.cb = expired}, .req = req, .note = note, .note_len = note_len};
}

void sendwatch_arm(sendwatch *w)
{
    h2o_timeout_t *t = &server_loop_of(w->req->conn->ctx)->send_timeout;
    if (t->timeout == 0)
        return;
    sendwatch_disarm(w);
    h2o_timeout_link(w->req->conn->ctx->loop, t, &w->entry);
    /* h2o stamps the entry with the loop's clock (gettimeofday ms, cached when this turn
     * began), so the cut could come a few ms before send_timeout by the real clock. The
     * next real ms is the stamp that keeps "took no bytes for N ms" true; every entry on
     * this list is stamped so, which keeps the list in order. A stamp far from the loop's
     * would mean another clock source: then h2o's own stands. */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    uint64_t next_ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000 + 1;
    if (next_ms > w->entry.registered_at && next_ms - w->entry.registered_at < 1000)
        w->entry.registered_at = next_ms;
}

void sendwatch_disarm(sendwatch *w)
{
    if (h2o_timeout_is_linked(&w->entry))
        h2o_timeout_unlink(&w->entry);
}
