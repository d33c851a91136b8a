/*
 * Auth plugin ABI (kind STOA_PLUGIN_AUTH).
 *
 * The core runs the configured auth plugins in order for every request that reaches a
 * protected route. Each answers allow (STOA_OK), deny (STOA_UNAUTHORIZED, STOA_DENIED,
 * STOA_THROTTLED) or abstain (STOA_DECLINED). The first deny wins; where the config
 * requires auth for the operation, at least one allow is needed.
 *
 * Threads: open/close on the main thread. decide() is called on event-loop threads,
 * concurrently, and must not block: keep what you need in memory and refresh it from
 * your own thread if it lives elsewhere. reload() (may be NULL) runs on the main thread
 * after SIGHUP, while decide() may run concurrently.
 */
#ifndef STOA_AUTH_H
#define STOA_AUTH_H

#include <stoa/stoa.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum stoa_op {
    STOA_OP_READ = 1,    /* GET/HEAD of module files, lists, sumdb */
    STOA_OP_PUBLISH = 2, /* PUT of module files */
    STOA_OP_ADMIN = 3,   /* DELETE, /admin/, token management */
} stoa_op;

/* Facts about one request. Every pointer is valid only during the decide() call. */
typedef struct stoa_auth_request {
    uint32_t struct_size;
    stoa_op op;
    const char *method;
    const char *path;       /* raw request path, without query */
    const char *repo;       /* repository name, "" for the root base */
    const char *module;     /* decoded module path, or NULL when the route has none */
    const char *peer_addr;  /* direct peer's IP address as text ("127.0.0.1", "::1"),
                               never an address derived from forwarding headers */
    /* Value of the named request header (case-insensitive), or NULL. *len gets its
     * length; values are not NUL-terminated. A header sent more than once comes back
     * as one value, the lines joined with ", " in order (RFC 9110 list syntax). */
    const char *(*header)(const struct stoa_auth_request *req, const char *name, size_t *len);
    void *_core;
    /* ABI 1.1: 1 when the config requires an allow for this request, else 0. A plugin
     * can then abstain instead of denying when, say, a valid token lacks the scope for
     * a read that anonymous clients may do anyway. Check struct_size before reading. */
    int required;
} stoa_auth_request;

typedef struct stoa_auth_result {
    char identity[128];    /* who the plugin established ("token:ci-bot"), or "" */
    char client_addr[64];  /* the effective client address if the plugin derived one
                              (trusted X-Forwarded-For), or "" */
    char reason[256];      /* why, for deny and for the audit log; never a secret */
    uint32_t retry_after;  /* seconds, with STOA_THROTTLED */
} stoa_auth_result;

typedef struct stoa_auth_methods {
    uint32_t struct_size;
    /* Main thread, once. OK, INVALID (bad options), UNAVAILABLE. May block. */
    stoa_status (*open)(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err);
    void (*close)(void *state);
    /* Loop threads, concurrently, must not block. Returns OK (allow), DECLINED
     * (abstain), UNAUTHORIZED, DENIED or THROTTLED; fills *res (zeroed by the core). */
    stoa_status (*decide)(void *state, const stoa_auth_request *req, stoa_auth_result *res);
    /* Main thread after SIGHUP, with the new options. May be NULL. */
    stoa_status (*reload)(void *state, const stoa_options *opts, stoa_error *err);
    /* Administrative subcommand from the CLI (`stoa token create ...` runs the "token"
     * plugin's command with argv = {"create", ...}), on the main thread of a process
     * that serves nothing; may block. Writes human output to out (a stdio stream the
     * caller owns). OK, INVALID (usage; msg says how), UNAVAILABLE. May be NULL. */
    stoa_status (*command)(void *state, int argc, char **argv, FILE *out, stoa_error *err);
} stoa_auth_methods;

#ifdef __cplusplus
}
#endif
#endif
