/*
 * Stream-through: sends an uncached zip to a client while its fill is still
 * downloading it, so the first bytes arrive long before a large transfer completes.
 *
 * A streamer is a fill waiter that is poked as bytes land in the fill's staged file.
 * It starts the response once STREAM_MIN bytes of one upstream attempt are there:
 * smaller files complete first and are answered the ordinary way, so the chain's
 * fall-through stays invisible for them. It then sends what is available but always
 * holds back the last byte until the fill has validated the whole file, so a client
 * never receives a complete response for bytes that fail validation. When the attempt
 * it streams is abandoned (the upstream failed mid-way, or its zip was rejected) or the
 * fill fails, the response is aborted: the client sees a broken transfer, never a
 * short success. Storage is untouched by any of this: only the fill commits.
 *
 * Loop thread only.
 */
#ifndef STOA_STREAM_H
#define STOA_STREAM_H

#include "fill.h"
#include "http.h"

#define STREAM_MIN (256 * 1024)

/* Answers rc the ordinary way when its fill ended, or validated a file smaller than
 * STREAM_MIN (fill.h: an early delivery), before streaming began; the request is alive
 * and f valid during the call. */
typedef void (*stream_fallback_cb)(reqctx *rc, fill *f);

/* Joins (or starts) the fill for rc's route and streams its file to rc. */
void stream_start(reqctx *rc, stream_fallback_cb fallback);

#endif
