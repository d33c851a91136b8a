/* libFuzzer target: what makes untrusted bytes safe for logs (esc_text) and hides
 * secrets in URLs (url_show, url_redact_query). Properties: esc_text's output is valid
 * UTF-8 with no control byte, DEL or backslash except in its own \xHH escapes, and fits
 * the buffer; url_show hides everything between "://" and the last '@' of the authority
 * except, for ssh, the user name. The first input byte picks the function. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "fuzz.h"
#include "urlshow.h"

static void check_escaped(const char *out, size_t n)
{
    const unsigned char *p = (const unsigned char *)out;
    if (strlen(out) != n)
        abort();
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq_len(p + i, n - i);
        if (k == 0 || (k == 1 && (p[i] < 0x20 || p[i] == 0x7f)))
            abort();
        if (p[i] == '\\' && (i + 3 >= n || p[i + 1] != 'x'))
            abort();
        i += p[i] == '\\' ? 4 : k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char s[4096], out[8192];
    if (size < 2 || size > sizeof(s) - 1)
        return 0;
    size_t cap = 1 + data[1] % 64 * 64; /* small and large outputs */
    const char *v = (const char *)data + 2;
    size_t len = size - 2;
    switch (data[0] % 3) {
    case 0: check_escaped(out, esc_text(out, cap, v, len, data[0] & 4 ? ESC_SPACE : 0)); break;
    case 1:
        if (fuzz_cstr(data + 2, len, s, sizeof(s)) == 0) {
            url_redact_query(s, out, cap);
            if (strlen(out) >= cap)
                abort();
        }
        break;
    default:
        if (fuzz_cstr(data + 2, len, s, sizeof(s)) == 0) {
            url_show(s, out, sizeof(out));
            const char *at = strchr(s, '@'), *sep = strstr(s, "://");
            /* a password after "user:" in an http(s) authority never shows */
            if (sep != NULL && strncmp(s, "http", 4) == 0 && at != NULL && strcspn(sep + 3, "/?#") > (size_t)(at - sep - 3) &&
                strstr(out, "***@") == NULL)
                abort();
        }
    }
    return 0;
}
