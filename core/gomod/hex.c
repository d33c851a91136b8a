#include "hex.h"

const char hex_digits[16] = "0123456789abcdef";

void hex_encode(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; ++i) {
        *out++ = hex_digits[b[i] >> 4];
        *out++ = hex_digits[b[i] & 15];
    }
    *out = '\0';
}
