/*
 * Where a fill's bytes come from when serving: the upstream chain, each answer
 * validated (core/gomod/validate.h), checked against the checksum database
 * (core/integrity/sumcheck.h) and pinned (core/integrity/pin.h) before the fill may
 * cache or serve it. A rejected answer counts against its upstream like an error and,
 * where the chain's fall-through rule allows, the next upstream is asked.
 */
#ifndef STOA_FILL_SOURCE_H
#define STOA_FILL_SOURCE_H

#include "fill.h"

/* A fill_source_fn (fill.h). */
stoa_status fill_from_upstreams(fill_fetch *q);

#endif
