/* Untrusted bytes (request paths, headers, error texts) made safe for a log line, a JSON
 * string or a PostgreSQL text column: valid UTF-8, no control characters. */
#ifndef STOA_ESCAPE_H
#define STOA_ESCAPE_H

#include "utf8.h" /* utf8_seq_len, what esc_text calls valid */

#include <stddef.h>

enum {
    ESC_SPACE = 1, /* also escape ' ' and '"': for a space-separated text field */
    ESC_QUOTE = 2, /* also escape '"': for a quoted text field */
};

/* s[0..len) into dst (size n, n > 0, NUL-ended): a byte of invalid UTF-8, a C0 control,
 * DEL and '\' become "\xHH" (flags add more, as above); everything else is copied. Stops
 * before an escape or a character that would not fit. Returns the length written. */
size_t esc_text(char *dst, size_t n, const char *s, size_t len, int flags);

#endif
