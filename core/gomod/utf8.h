/* UTF-8 as Go's unicode/utf8 accepts it, PostgreSQL and jansson too. */
#ifndef STOA_UTF8_H
#define STOA_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4, at most left bytes; shortest form, no
 * surrogates, at most U+10FFFF), or 0 when the byte at s starts none. left > 0. */
size_t utf8_seq_len(const unsigned char *s, size_t left);

#endif
