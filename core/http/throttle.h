/*
 * Throttling of repeated failed authentication, per key: a client address, or an
 * address and credential (core/http/auth.c decides which failures count where).
 *
 * A key that fails authentication `failures` times within `window` is blocked for
 * `window`: every request under it is answered 429 with Retry-After (a blocked address
 * whatever its credentials, so a blocked guesser learns nothing, not even a right
 * guess). Other keys are unaffected. State is a fixed-size table (oldest entries are evicted),
 * so memory stays bounded under address churn.
 *
 * The limits come with each call, so a configuration reload applies at once.
 * Threads: any (one short mutex; throttle_blocked skips it while nothing is blocked).
 */
#ifndef STOA_THROTTLE_H
#define STOA_THROTTLE_H

#include <stdint.h>

/* Records one failed authentication under key (a textual IP, or an IP and credential
 * fingerprint) at now_ms (monotonic); the failures-th within window_ms blocks key for
 * window_ms. Returns the failures counted in the current window (1: the first), 0 for
 * a no-op (failures == 0 or no key). */
uint32_t throttle_failure(const char *addr, uint64_t now_ms, uint32_t failures, uint32_t window_ms);

#define THROTTLE_KEY_MAX 64 /* longer keys are cut */

/* 0 if addr may proceed, else the seconds until it may (>= 1). */
uint32_t throttle_blocked(const char *addr, uint64_t now_ms);

/* Forgets everything (tests). */
void throttle_reset(void);

#endif
