/*
 * The audit event of an HTTP request, built from its reqctx when the request is
 * disposed (core/http/http.c), on the loop thread. Audited: module files, lists, @latest,
 * checksum-database lookups, catalog, admin, publishes and deletes, and any request the
 * auth chain denied. Not audited: probes, /version, /metrics and unknown paths.
 */
#ifndef STOA_AUDIT_REQUEST_H
#define STOA_AUDIT_REQUEST_H

#include "http.h"

void audit_request(const reqctx *rc, double duration_ms);

/* A new request id, "<8 hex per process>-<counter in hex>". Any thread. */
void audit_request_id(char *out, size_t len);

#endif
