/* The one h2o handler: parses the route, checks the method, dispatches. */
#ifndef STOA_ROUTER_H
#define STOA_ROUTER_H

#include <h2o.h>

void router_register(h2o_pathconf_t *pathconf);

#endif
