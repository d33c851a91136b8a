#include "tlsaccept.h"

#include "connwatch.h"

#include <h2o/http1.h>
#include <h2o/http2.h>
#include <stdlib.h>
#include <string.h>

typedef struct handshake {
    h2o_accept_ctx_t *ctx;
    h2o_socket_t *sock;
    struct timeval connected_at;
    h2o_timeout_entry_t timeout;
} handshake;

static void on_timeout(h2o_timeout_entry_t *entry)
{
    handshake *hs = H2O_STRUCT_FROM_MEMBER(handshake, timeout, entry);
    h2o_socket_t *sock = hs->sock;
    sock->data = NULL;
    free(hs);
    h2o_socket_close(sock);
}

static int is_h2(h2o_socket_t *sock)
{
    h2o_iovec_t proto = h2o_socket_ssl_get_selected_protocol(sock);
    for (const h2o_iovec_t *p = h2o_http2_alpn_protocols; p->len != 0; ++p)
        if (proto.len == p->len && memcmp(proto.base, p->base, p->len) == 0)
            return 1;
    return 0;
}

static void on_handshake(h2o_socket_t *sock, const char *err)
{
    handshake *hs = sock->data;
    h2o_accept_ctx_t *ctx = hs->ctx;
    struct timeval at = hs->connected_at;
    sock->data = NULL;
    h2o_timeout_unlink(&hs->timeout);
    free(hs);
    if (err != NULL) {
        h2o_socket_close(sock);
        return;
    }
    if (is_h2(sock)) {
        h2o_http2_accept(ctx, sock, at);
        return;
    }
    connwatch_http1_accept(ctx, sock, at);
}

void tlsaccept(h2o_accept_ctx_t *ctx, h2o_socket_t *sock)
{
    handshake *hs = calloc(1, sizeof(*hs)); /* a client-chosen count: not the aborting allocator */
    if (hs == NULL) {
        h2o_socket_close(sock);
        return;
    }
    *hs = (handshake){.ctx = ctx, .sock = sock, .connected_at = *h2o_get_timestamp(ctx->ctx, NULL, NULL)};
    hs->timeout.cb = on_timeout;
    h2o_timeout_link(ctx->ctx->loop, &ctx->ctx->handshake_timeout, &hs->timeout);
    sock->data = hs;
    h2o_socket_ssl_handshake(sock, ctx->ssl_ctx, NULL, on_handshake);
}
