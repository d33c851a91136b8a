/* Untrusted bytes (request paths, headers, error texts) made safe for a log line, a JSON
 * string or a PostgreSQL text column: valid UTF-8, no control characters. */
#ifndef STOA_ESCAPE_H
#define STOA_ESCAPE_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4, at most left bytes; shortest form, no
 * surrogates, at most U+10FFFF), or 0 when the byte at s starts none. */
size_t utf8_seq_len(const unsigned char *s, size_t left);

enum {
    ESC_SPACE = 1, /* also escape ' ' and '"': for a space-separated text field */
    ESC_QUOTE = 2, /* also escape '"': for a quoted text field */
};

/* s[0..len) into dst (size n, n > 0, NUL-ended): a byte of invalid UTF-8, a C0 control,
 * DEL and '\' become "\xHH" (flags add more, as above); everything else is copied. Stops
 * before an escape or a character that would not fit. Returns the length written. */
size_t esc_text(char *dst, size_t n, const char *s, size_t len, int flags);

#endif
