/*
 * h2o_accept for a TLS socket, with one step between the handshake and HTTP/1: h2o
 * parses the request that came with the client's last handshake flight inside the
 * handshake itself, before any read callback could show its head to the body gate
 * (core/http/bodygate.h). So the handshake is run here, as h2o_accept runs it (ALPN
 * picks HTTP/2 or HTTP/1, ctx's handshake timeout closes a stalled one), and before
 * h2o_http1_accept the connection watch judges what already arrived. Loop thread.
 */
#ifndef STOA_TLSACCEPT_H
#define STOA_TLSACCEPT_H

#include <h2o.h>

/* sock is watched (connwatch_accept) already; ctx has an SSL_CTX. */
void tlsaccept(h2o_accept_ctx_t *ctx, h2o_socket_t *sock);

#endif
