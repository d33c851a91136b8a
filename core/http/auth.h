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
#include "plugin.h"

#include <stoa/auth.h>

struct app;

typedef struct auth_decision {
    stoa_status status;      /* OK or a deny */
    char reason[256];
    uint32_t retry_after;
} auth_decision;

int auth_open(struct app *a, char *err, size_t errlen);
void auth_close(struct app *a);

/* Decides for rc: fills rc->identity, rc->client (if a plugin derived the client from
 * a trusted proxy's header) and, on a deny, rc->error with the reason, for the access
 * log and the audit event. A 401 for a request that carried credentials counts as a
 * failed authentication (core/http/throttle.h); a throttled address gets THROTTLED. */
stoa_status auth_check(reqctx *rc, stoa_op op, auth_decision *d);

/* The chain's inputs, none from the_app or h2o, so it is testable alone: the opened
 * plugins in order, each with its state, and the auth.throttle limits. */
typedef struct auth_chain {
    plugin *const *plugins;
    void *const *states;
    size_t n;
    uint32_t throttle_failures;  /* 0: no throttling */
    uint32_t throttle_window_ms;
} auth_chain;

/* One request as the chain sees it. client and identity are in and out: a plugin may
 * derive the client (a trusted proxy's header), the chain names who was established. */
typedef struct auth_subject {
    const stoa_auth_request *req; /* what each plugin is told; req->required: an allow is needed */
    int has_credentials;          /* Authorization or X-JFrog-Art-Api was sent */
    uint64_t credential;          /* a fingerprint of those headers, for the throttle key */
    uint64_t now_ms;              /* monotonic, for the throttle */
    char client[64];
    char identity[128];
} auth_subject;

/* auth_check without the request: the chain's verdict in *d (zeroed first), returned.
 * The first deny wins (a status other than DENIED or THROTTLED counts as UNAUTHORIZED);
 * a required request needs an allow, and with no plugins only a loopback client passes
 * (as identity "loopback"), everyone else is DENIED. Then, on the client the chain
 * established: a 401 with credentials counts as a failure for "<client>#<credential>",
 * and for the client on that key's first failure in a window (so the client counts
 * distinct failing credentials); while either key is blocked the verdict is THROTTLED
 * whatever the chain said. */
stoa_status auth_chain_run(const auth_chain *c, auth_subject *s, auth_decision *d);

/* The chain's verdict on a request's head alone, before h2o reads its body
 * (core/http/bodygate.h), in *d. As auth_check, but nothing is counted: a failure
 * counts once, when the request reaches the router. req: op, method, path, peer_addr
 * and header set; repo, module and required are filled in from r. client: the peer's
 * address, as a plugin may replace it. Loop thread. */
stoa_status auth_predict(const route *r, stoa_auth_request *req, const char *client, uint64_t now_ms,
                         auth_decision *d);

/* 1 when the chain would let rc's client read module (op READ, same credentials,
 * client and repository): /catalog and /index list only what the caller may read.
 * Loop thread, like auth_check; no side effects on rc, not throttled. */
int auth_may_read(reqctx *rc, const char *module);

/* 1 when rc's route skips the chain: /healthz, /readyz, /version unless
 * auth.require.health, /metrics unless auth.require.metrics. */
int auth_exempt(const reqctx *rc);

/* Sends the answer for a deny: 401 with WWW-Authenticate, 403, or 429 with Retry-After. */
void auth_send_denial(reqctx *rc, const auth_decision *d);

/* Loads the named auth plugin for a CLI command (token management). */
int auth_run_command(struct app *a, const char *name, int argc, char **argv, char *err, size_t errlen);

#endif
