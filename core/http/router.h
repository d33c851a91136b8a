/* The one h2o handler: parses the route, checks the method, dispatches. */
#ifndef STOA_ROUTER_H
#define STOA_ROUTER_H

#include "route.h"

#include <h2o.h>
#include <stoa/auth.h>

/* port: where the first listen address is bound, read on each request (it is set once
 * the listeners open): a tls.plain_listen address redirects there. */
void router_register(h2o_pathconf_t *pathconf, const unsigned *port);

/* What the router's decision needs of a request and the configuration; nothing of h2o
 * or the_app, so it is testable alone. Strings are not NUL-terminated. */
struct conf;

typedef struct router_facts {
    const char *method;
    size_t method_len;
    route_type type;
    size_t body_len;        /* request body bytes read, or announced when the body gate held them back */
    int plain_on_tls;       /* the socket is a tls.plain_listen one of a TLS server */
    int tls_redirect;       /* tls.redirect */
    const char *authority;  /* Host/:authority as the client sent it; len 0 when none */
    size_t authority_len;
    const char *path;       /* for the redirect's Location */
    size_t path_len;
    unsigned https_port;    /* where the redirect goes; 443 is left out of the URL */
    int import_cache;       /* X-Stoa-Import was sent: a PUT of a module file is an admin's import */
} router_facts;

typedef struct router_verdict {
    int status;             /* 0: run the auth chain for op and dispatch; else answer this */
    stoa_op op;             /* with 0 */
    const char *allow;      /* with 405: the Allow header */
    char location[ROUTE_PATH_MAX + 512]; /* with 308 */
} router_verdict;

/* route_parse with c's repository names: the router and the body gate read a path alike. */
stoa_status router_parse(const struct conf *c, const char *path, size_t len, route *r, char *why, size_t whylen);

/* In order: a plain listener of a TLS server serves only the health, version and metrics
 * routes; anything else gets 308 to https when tls.redirect is on and the client sent a
 * Host of only host-name bytes, else 403. Then a method the route does not take is 405
 * (GET/HEAD everywhere, PUT/DELETE on module files, only PUT on api/build), and a body
 * on anything but a PUT is 413. A PUT of a module file needs publish, or admin with
 * X-Stoa-Import (handler_import.c: public versions into the cache). Returns out->status. */
int router_decide(const router_facts *in, router_verdict *out);

#endif
