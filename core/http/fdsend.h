/*
 * The body of a response, sent from a file descriptor without blocking the loop.
 *
 * On a cleartext HTTP/1.x connection a body of FDSEND_ZEROCOPY_MIN bytes or more goes
 * from the page cache straight into the socket with sendfile(2), as nginx sends files:
 * h2o 2.2.5 has no such path, and reading into a buffer for writev costs one copy of
 * every byte (docs/performance.md measures what that cost zip throughput). Any other
 * body (TLS, HTTP/2, small, or a descriptor sendfile refuses) is read in chunks into a
 * pool buffer and handed to h2o_send. Either way a file that shrinks or fails mid-way
 * aborts the response: the client sees a broken transfer, never a short success. A
 * client that takes no bytes for limits.send_timeout is disconnected (sendwatch.h).
 *
 * Loop thread only.
 */
#ifndef STOA_FDSEND_H
#define STOA_FDSEND_H

#include <h2o.h>
#include <stdint.h>

#define FDSEND_ZEROCOPY_MIN (64 * 1024)

/* Starts req's response (status and headers already set) and sends the first `size`
 * bytes of fd as its body, or no body when with_body is 0 (HEAD, 304). fd is owned by
 * the response from now on: closed when the request is disposed. A send timeout is
 * told in note (note_len bytes, the request's log error), which must outlive req. */
void fdsend_start(h2o_req_t *req, int fd, uint64_t size, int with_body, char *note, size_t note_len);

#endif
