/*
 * Revalidation of mutable upstream answers (@v/list, @latest): the ETag an upstream
 * sent with the copy stoa stored is remembered, so the refresh after cache.list_ttl
 * asks that upstream "If-None-Match"; its 304 re-stamps the stored copy (fresh for
 * another TTL) without downloading it again.
 *
 * Validators are kept in memory (a bounded table; after a restart, or when the stored
 * copy is no longer the one the ETag belongs to, the refresh is a plain fetch).
 * Called by the fill on worker threads; thread-safe. Blocking (storage).
 */
#ifndef STOA_REVALIDATE_H
#define STOA_REVALIDATE_H

#include "route.h"
#include "storage.h"
#include "upstream.h"

#include <stoa/storage.h>

/* Fills *cond for a refresh of relpath (r's LIST or LATEST, as stored in s), or leaves cond->etag
 * empty when there is nothing to revalidate (immutable kinds included). */
void revalidate_prepare(storage *s, const route *r, stoa_kind kind, const char *relpath, upstream_cond *cond);

/* After a mutable answer from upstream `name` was stored with sha256: remembers its
 * etag (forgets relpath when etag is empty). */
void revalidate_remember(const char *relpath, stoa_kind kind, const char *name, const char *etag, const unsigned char sha256[32]);

/* After a 304: stores the stored copy again, so its stored_at (the TTL's start) is
 * now. STOA_OK, or the storage failure. */
stoa_status revalidate_touch(storage *s, const route *r, stoa_kind kind, stoa_error *err);

#endif
