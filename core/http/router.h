/* The one h2o handler: parses the route, checks the method, dispatches. */
#ifndef STOA_ROUTER_H
#define STOA_ROUTER_H

#include <h2o.h>

/* port: where the first listen address is bound, read on each request (it is set once
 * the listeners open): a tls.plain_listen address redirects there. */
void router_register(h2o_pathconf_t *pathconf, const unsigned *port);

#endif
