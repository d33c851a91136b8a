/* Safe text from untrusted bytes; see escape.h. */
#include "escape.h"

static int cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t utf8_seq_len(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    /* the second byte's range excludes overlongs, surrogates and > U+10FFFF */
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; ++i)
        if (!cont(s[i]))
            return 0;
    return n;
}

static int needs_escape(unsigned char c, int flags)
{
    return c < 0x20 || c == 0x7F || c == '\\' || ((flags & ESC_SPACE) && c == ' ') ||
           ((flags & (ESC_SPACE | ESC_QUOTE)) && c == '"');
}

size_t esc_text(char *dst, size_t n, const char *s, size_t len, int flags)
{
    static const char hex[] = "0123456789abcdef";
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
            dst[at++] = hex[p[i] >> 4];
            dst[at++] = hex[p[i] & 15];
            ++i;
        }
    }
    dst[at] = '\0';
    return at;
}
