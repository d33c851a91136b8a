/*
 * A proxied version brought in from another proxy's store (`stoa import --public-mode
 * cache`: an air-gapped Athens cannot be refilled from upstream). Its zip, and the go.mod
 * the go command derives from it, are held to exactly what a fill holds an upstream's
 * answer to: validate_staged, the checksum database under the sumdb_check policy
 * (sumcheck_fill: unconfirmed passes unverified under lenient, within
 * sumdb_unverified_max, and is re-checked later), then the pins. Only then are .zip,
 * .mod and a generated .info committed in one storage put, as cache with origin
 * "import", and counted in the quota ledger. Beside a stored zip with the same bytes,
 * a missing .mod or .info is put (checked the same way) rather than reported there.
 *
 * Worker threads only (storage, network).
 */
#ifndef STOA_IMPORTCACHE_H
#define STOA_IMPORTCACHE_H

#include "conf.h"
#include "route.h"

#include <stoa/storage.h>

#define IMPORTCACHE_ORIGIN "import"

typedef struct importcache_result {
    int created;               /* 0: the same zip, .mod and .info were stored already */
    stoa_meta zip, mod;        /* sha256 and h1 of each */
    const char *sumdb;         /* "verified", "unverified" or "unchecked": the weaker of the two */
} importcache_result;

/* Imports r's version (canonical, a proxy namespace under c: the caller checks) from the
 * zip in zip_fd, its .info saying info_time ("" for now), checked under c's sumdb_check. STOA_OK; STOA_UNPROCESSABLE when the
 * bytes are refused (not a valid module zip, contradicted by the checksum database or
 * a pin, or unconfirmed where the policy refuses that), nothing stored; STOA_CONFLICT
 * when other bytes are stored under the version; STOA_INTERNAL or a storage status. */
stoa_status importcache_version(const struct conf *c, const route *r, int zip_fd, const char *info_time,
                                importcache_result *out, stoa_error *err);

#endif
