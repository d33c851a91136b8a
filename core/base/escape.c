/* Safe text from untrusted bytes; see escape.h. */
#include "escape.h"

#include "hex.h"
#include "utf8.h"

static int needs_escape(unsigned char c, int flags)
{
    return c < 0x20 || c == 0x7F || c == '\\' || ((flags & ESC_SPACE) && c == ' ') ||
           ((flags & (ESC_SPACE | ESC_QUOTE)) && c == '"');
}

size_t esc_text(char *dst, size_t n, const char *s, size_t len, int flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t at = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq_len(p + i, len - i);
        if (k == 1 && !needs_escape(p[i], flags)) {
            if (at + 1 >= n)
                break;
            dst[at++] = (char)p[i++];
        } else if (k > 1) {
            if (at + k >= n)
                break;
            for (size_t j = 0; j < k; ++j)
                dst[at++] = (char)p[i++];
        } else {
            if (at + 4 >= n)
                break;
            dst[at++] = '\\';
            dst[at++] = 'x';
            dst[at++] = hex_digits[p[i] >> 4];
            dst[at++] = hex_digits[p[i] & 15];
            ++i;
        }
    }
    dst[at] = '\0';
    return at;
}
