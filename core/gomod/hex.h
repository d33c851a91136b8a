/* Lower-case hexadecimal, the one encoder for digests, ETags, ids and escapes. */
#ifndef STOA_HEX_H
#define STOA_HEX_H

#include <stddef.h>

/* "0123456789abcdef": for callers that place digits themselves (ids, JSON escapes). */
extern const char hex_digits[16];

/* Lower-case hex of the n bytes at b into out (2n + 1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *b, size_t n, char *out);

#endif
