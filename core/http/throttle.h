/*
 * Throttling of repeated failed authentication, per client address.
 *
 * An address that fails authentication `failures` times within `window` is blocked
 * for `window`: every request from it is answered 429 with Retry-After, whatever its
 * credentials (so a blocked guesser learns nothing, not even a right guess). Other
 * addresses are unaffected. State is a fixed-size table (oldest entries are evicted),
 * so memory stays bounded under address churn.
 *
 * The limits come with each call, so a configuration reload applies at once.
 * Threads: any (one short mutex; throttle_blocked skips it while nothing is blocked).
 */
#ifndef STOA_THROTTLE_H
#define STOA_THROTTLE_H

#include <stdint.h>

/* Records one failed authentication from addr (textual IP) at now_ms (monotonic); the
 * failures-th within window_ms blocks addr for window_ms. failures == 0: no-op. */
void throttle_failure(const char *addr, uint64_t now_ms, uint32_t failures, uint32_t window_ms);

/* 0 if addr may proceed, else the seconds until it may (>= 1). */
uint32_t throttle_blocked(const char *addr, uint64_t now_ms);

/* Forgets everything (tests). */
void throttle_reset(void);

#endif
