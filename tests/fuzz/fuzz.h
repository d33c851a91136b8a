/* Helpers shared by the fuzz targets (header-only: each target is one program). */
#ifndef STOA_FUZZ_H
#define STOA_FUZZ_H

#include <stdint.h>
#include <string.h>

/* Copies data into out as a C string. -1 if it does not fit or holds a NUL (the
 * functions under test take NUL-terminated strings from callers that have already
 * rejected NUL, e.g. route_parse). */
static inline int fuzz_cstr(const uint8_t *data, size_t size, char *out, size_t outlen)
{
    if (size >= outlen || memchr(data, 0, size) != NULL)
        return -1;
    memcpy(out, data, size);
    out[size] = '\0';
    return 0;
}

#endif
