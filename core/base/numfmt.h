/*
 * Numbers and times formatted by hand, for the lines written per request (access log,
 * audit events): snprintf's format parsing and strftime showed in hit profiles. Any
 * thread.
 */
#ifndef STOA_NUMFMT_H
#define STOA_NUMFMT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* Decimal digits of v, right-aligned to end just before end; returns the first digit
 * (at most 20 bytes are written). */
char *numfmt_u64(char *end, uint64_t v);

/* v rounded to `decimals` (1 to 3) digits after the point, the same way right-aligned;
 * v is clamped to [0, 1e12] (NaN reads as 0), so at most 17 bytes are written. */
char *numfmt_fixed(char *end, double v, int decimals);

/* "YYYY-MM-DDTHH:MM:SS" of s in UTC, formatted once per second per thread; *len is its
 * length. Valid until the thread's next call. */
const char *numfmt_utc_second(time_t s, size_t *len);

/* The address of an IPv4 or IPv6 sockaddr as text (IPv4 by hand: inet_ntop's sprintf
 * showed in profiles), into out of at least INET6_ADDRSTRLEN bytes. 0, or -1 with out
 * "" for another family. */
int numfmt_addr(const struct sockaddr *sa, char *out, size_t len);

#endif
