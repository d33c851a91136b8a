/* libFuzzer target: the body gate's HTTP/1 head parsing and rename (core/http/bodyhead.h),
 * which run on client bytes before h2o sees them. Properties: a parsed head's fields lie
 * inside the input; the rename keeps the head's length and every value in place, and
 * leaves a head that announces no body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bodyhead.h"

static void within(const char *buf, size_t n, const char *p, size_t len)
{
    if (len > 0 && (p < buf || p + len > buf + n))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bodyhead h, after;
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    int n = bodyhead_parse(buf, size, 0, &h);
    if (n > 0) {
        if ((size_t)n > size)
            abort();
        within(buf, (size_t)n, h.method, h.method_len);
        within(buf, (size_t)n, h.path, h.path_len);
        for (size_t i = 0; i < h.nfields; ++i) {
            within(buf, (size_t)n, h.fields[i].name, h.fields[i].name_len);
            within(buf, (size_t)n, h.fields[i].value, h.fields[i].value_len);
        }
        bodyhead_withhold(&h);
        if (bodyhead_parse(buf, size, 0, &after) != n || after.nfields != h.nfields || bodyhead_has_body(&after))
            abort();
        for (size_t i = 0; i < h.nfields; ++i)
            if (after.fields[i].value != h.fields[i].value || after.fields[i].value_len != h.fields[i].value_len ||
                memcmp(after.fields[i].value, data + (h.fields[i].value - buf), h.fields[i].value_len) != 0)
                abort();
    }
    free(buf);
    return 0;
}
