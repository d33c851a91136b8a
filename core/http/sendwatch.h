/*
 * A bound on how long a response may wait for its client to take bytes.
 *
 * h2o 2.2.5 has no write timeout: a client that stops reading keeps its connection,
 * descriptor and buffers for as long as it keeps the TCP connection open. A body sender
 * arms its watch whenever it hands bytes to the connection or waits for room, and
 * disarms it when they are taken. If limits.send_timeout passes in between, the
 * connection is reset, as nginx does with send_timeout and reset_timedout_connection:
 * the pending write then fails inside h2o, which ends the request and closes the
 * connection its usual way. On HTTP/2 that is the whole connection, as with nginx.
 *
 * Loop thread only. A sendwatch lives in the request's pool and must be disarmed
 * before the pool is freed.
 */
#ifndef STOA_SENDWATCH_H
#define STOA_SENDWATCH_H

#include <h2o.h>

typedef struct sendwatch {
    h2o_timeout_entry_t entry; /* unlinked while not armed */
    h2o_req_t *req;
    char *note;                /* says why for the access log (reqctx.error); NULL: nowhere */
    size_t note_len;
} sendwatch;

/* Ties w to req; a timeout is told in note (note_len bytes), which must outlive req, or
 * nowhere when NULL. Not armed yet. */
void sendwatch_init(sendwatch *w, h2o_req_t *req, char *note, size_t note_len);

/* Starts (or restarts) the clock. Does nothing when the loop's timeout is 0 (off). */
void sendwatch_arm(sendwatch *w);

void sendwatch_disarm(sendwatch *w);

#endif
