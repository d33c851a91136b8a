/*
 * Refusing a request body before it is read (issue 21 finding 5). h2o 2.2.5 reads a
 * whole HTTP/1 request body, up to limits.max_body, before any handler runs, so an
 * anonymous PUT of 500 MB used to be buffered and only then refused. The connection's
 * read callback (core/http/connwatch.c) shows each HTTP/1 request head to the gate
 * before h2o parses it. A head that announces a body the router or the auth chain
 * would refuse has its Content-Length, Transfer-Encoding and Expect headers renamed in
 * place (same length: h2o's offsets hold), so h2o reads no body, sends no 100 Continue
 * and hands the bodyless request to the router. The router sees the marker, answers the
 * refusal as usual (logged, audited, counted once) and ends the connection (drained,
 * then closed: connwatch_linger), so the body's bytes are never read as a request.
 *
 * The gate only predicts: it counts no failure, and a head it cannot judge alone (a
 * forwarding header longer than it keeps) passes, leaving the verdict to the router
 * after the body. A head h2o had already parsed when the gate first saw it (pipelined
 * behind a response) cannot be renamed: a refusal closes the connection instead.
 * HTTP/2 streams are not gated (h2o 2.2.5 buffers their bodies before any hook).
 */
#ifndef STOA_BODYGATE_H
#define STOA_BODYGATE_H

#include "connwatch.h"

#include <stddef.h>

/* The gate for the head at the start of buf (len bytes, writable); seen: how many of
 * those bytes h2o has parsed already; last_len as for bodyhead_parse; peer and tls: the
 * connection's. Uses the_app's configuration and auth chain. A connwatch_gate. Loop
 * thread. */
connwatch_verdict bodygate_judge(char *buf, size_t len, size_t seen, size_t last_len, const char *peer, int tls);

#endif
