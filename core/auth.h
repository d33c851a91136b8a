/*
 * The auth chain: runs the configured auth plugins in order for one request.
 * The first deny (UNAUTHORIZED, DENIED, THROTTLED) wins. Where the config requires
 * auth for the operation, at least one allow is needed; with no auth plugins
 * configured at all, only loopback clients pass a required check (the out-of-the-box
 * local cache), everyone else is told to configure auth.
 * Runs on the loop thread (decide() must not block).
 */
#ifndef STOA_AUTH_CORE_H
#define STOA_AUTH_CORE_H

#include "http.h"

#include <stoa/auth.h>

struct app;

typedef struct auth_decision {
    stoa_status status;      /* OK or a deny */
    char reason[256];
    uint32_t retry_after;
} auth_decision;

int auth_open(struct app *a, char *err, size_t errlen);
void auth_close(struct app *a);

/* Decides for rc (fills rc->identity and, if a plugin derived it, rc->client). */
stoa_status auth_check(reqctx *rc, stoa_op op, auth_decision *d);

/* Sends the answer for a deny: 401 with WWW-Authenticate, 403, or 429 with Retry-After. */
void auth_send_denial(reqctx *rc, const auth_decision *d);

/* Loads the named auth plugin for a CLI command (token management). */
int auth_run_command(struct app *a, const char *name, int argc, char **argv, char *err, size_t errlen);

#endif
