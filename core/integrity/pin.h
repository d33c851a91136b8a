/*
 * Pinning (docs/integrity.md): the first hash stoa serves for a go.mod or zip it
 * filled from an upstream is recorded in storage (ABI 1.2 pins, kept across cache
 * loss and shared by replicas). A later fill of the same file - after eviction, on
 * another replica, from another upstream - that brings other bytes is refused, unless
 * the checksum database vouches for the new bytes and the pin was never verified:
 * then the pin was wrong and is corrected.
 *
 * Worker threads (storage may block).
 */
#ifndef STOA_PIN_H
#define STOA_PIN_H

#include "route.h"
#include "sumcheck.h"

#include <stoa/storage.h>

/* The pin state a fill's checksum-database result earns. */
stoa_pin_state pin_state_for(sumcheck_result sc);

/* Holds a fetched file (meta->h1, meta->origin = the upstream) to its pin and records
 * the pin when there is none. sc is the checksum-database result for these bytes.
 * STOA_OK, or STOA_BADGATEWAY with a message naming both hashes in err. A storage
 * that cannot answer is logged and passes: the commit that follows meets it too. */
stoa_status pin_fill(const route *r, stoa_kind kind, const stoa_meta *meta, sumcheck_result sc, stoa_error *err);

#endif
