/* libFuzzer target: module path unescaping, validation, escaping and pattern matching.
 * Properties beyond "no crash": escape(unescape(x)) == x, and a path that passes
 * modpath_check escapes and unescapes back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "modpath.h"
#include "semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[2 * MODPATH_MAX], out[2 * MODPATH_MAX + 8], back[2 * MODPATH_MAX + 8], why[256];
    if (fuzz_cstr(data, size, in, sizeof(in)) < 0)
        return 0;

    if (modpath_unescape(in, out, sizeof(out), why, sizeof(why)) == 0) {
        if (modpath_escape(out, back, sizeof(back), why, sizeof(why)) == 0 && strcmp(back, in) != 0)
            abort(); /* unescape accepted something escape would not produce */
    }
    if (modpath_check(in, why, sizeof(why)) == 0) {
        if (modpath_escape(in, out, sizeof(out), why, sizeof(why)) != 0)
            abort(); /* every valid path has an escaped form */
        if (modpath_unescape(out, back, sizeof(back), why, sizeof(why)) != 0 || strcmp(back, in) != 0)
            abort();
        size_t plen;
        const char *major = modpath_split_major(in, &plen);
        if (plen > strlen(in) || major < in || major > in + strlen(in))
            abort();
        (void)modpath_check_major(in, "v2.0.0", why, sizeof(why));
        (void)modpath_check_major(in, "v1.0.0+incompatible", why, sizeof(why));
    }
    /* The first line as patterns, the rest as target. */
    char *nl = strchr(in, '\n');
    if (nl != NULL) {
        *nl = '\0';
        (void)modpath_match_patterns(in, nl + 1);
    }
    return 0;
}
