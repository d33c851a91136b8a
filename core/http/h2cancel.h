/*
 * HTTP/2 rapid-reset mitigation (CVE-2023-44487, unpatched in Debian's h2o 2.2.5;
 * issue 21 finding 6): a connection that cancels more than limits.h2_cancels requests
 * whose work was still pending, within H2CANCEL_WINDOW_MS, is closed, as the patched
 * servers do. Normal clients cancel rarely (a go command that gives up on one fetch).
 *
 * Loop thread only: each loop counts its own connections in a small thread-local table.
 */
#ifndef STOA_H2CANCEL_H
#define STOA_H2CANCEL_H

#include <h2o.h>

#define H2CANCEL_WINDOW_MS 10000

/* req is being disposed while work for it is pending. A no-op for HTTP/1 (one
 * request per cancel costs a connection) and when limits.h2_cancels is 0. */
void h2cancel_note(h2o_req_t *req);

#endif
