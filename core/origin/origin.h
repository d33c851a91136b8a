/*
 * The `direct` upstream: GOPROXY answers computed from a module's own git repository,
 * as `GOPROXY=direct` computes them in the go command, so that it can stand last in the
 * upstream chain (core/upstream.c calls it where a proxy upstream would do an HTTP GET).
 *
 * relpath is a GOPROXY path ("<escaped module>/@v/list", "/@v/<v>.info|.mod|.zip",
 * "/@latest"); the answer is written to fd (truncated first). Steps: resolve the
 * repository (origin_resolve.h), refuse internal addresses unless the host is in
 * private_hosts, refresh the bare mirror (origin_git.h; at most every cache.list_ttl),
 * then answer from the module's view of it (origin_module.h).
 *
 * Returns STOA_OK; STOA_NOTFOUND (no such repository, revision or version, access
 * denied: a 404 lets `,` chains fall through) with the reason in why; STOA_TIMEOUT /
 * STOA_UNAVAILABLE / STOA_BADGATEWAY when the git server failed (counted against the
 * upstream's health like any upstream); STOA_INTERNAL. Credentials never appear in why.
 *
 * Blocking: worker threads only.
 */
#ifndef STOA_ORIGIN_H
#define STOA_ORIGIN_H

#include "conf.h"

#include <stddef.h>

int origin_fetch(const struct conf *c, const conf_upstream *u, const char *relpath, int fd, char *why, size_t whylen);

#endif
