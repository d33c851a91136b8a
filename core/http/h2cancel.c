/* The close is a shutdown(2) of the connection's socket: h2o's next read on it fails
 * and h2o closes the connection its own way, with every stream, from its own stack. */
#include "h2cancel.h"

#include "app.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"

#include <sys/socket.h>

#define SLOTS 256 /* connections counted at once per loop; a collision restarts a count */

typedef struct slot {
    uint64_t conn_id;
    int64_t since_ms;
    uint32_t n;
} slot;

static _Thread_local slot slots[SLOTS];

void h2cancel_note(h2o_req_t *req)
{
    uint32_t limit = the_app->conf->h2_cancels;
    if (limit == 0 || req->version < 0x200)
        return;
    int64_t now = clock_mono_ms();
    slot *s = &slots[req->conn->id % SLOTS];
    if (s->conn_id != req->conn->id || now - s->since_ms > H2CANCEL_WINDOW_MS)
        *s = (slot){req->conn->id, now, 0};
    if (++s->n != limit + 1)
        return; /* under the limit, or already closed */
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL)
        return;
    shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
    metrics_h2_cancel_close();
    log_msg(STOA_LOG_WARN, "http", "closed an HTTP/2 connection that cancelled %u pending requests within %d s "
            "(limits.h2_cancels)", s->n, H2CANCEL_WINDOW_MS / 1000);
}
