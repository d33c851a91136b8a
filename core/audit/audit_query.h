/*
 * Reading the audit trail back, where it is queryable (audit.sink: postgres): who
 * published each version of a module, for the web UI. Blocking (a worker thread); one
 * short-lived connection per call, bounded by connect and statement timeouts, since a
 * page view must not hold the audit writer's connection.
 */
#ifndef STOA_AUDIT_QUERY_H
#define STOA_AUDIT_QUERY_H

#include "conf.h"

#include <stdint.h>

/* One version's first successful publish. Strings valid during the call. */
typedef int (*audit_publisher_cb)(void *arg, const char *version, const char *identity, int64_t at);

/* Calls cb for each version of module that a publish created (its zip PUT answered 201),
 * from the earliest. 0; 1 when the trail is not queryable here (another sink); -1 with
 * err when the database failed. */
int audit_publishers(const struct conf *c, const char *module, audit_publisher_cb cb, void *arg, char *err,
                     size_t errlen);

#endif
