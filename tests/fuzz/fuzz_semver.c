/* libFuzzer target: semver parsing, canonicalisation and comparison.
 * Properties: canonical(v) is canonical and compares equal to v; compare is
 * antisymmetric; only valid versions canonicalise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[2 * SEMVER_MAX], a[2 * SEMVER_MAX], canon[2 * SEMVER_MAX], major[2 * SEMVER_MAX];
    if (fuzz_cstr(data, size, in, sizeof(in)) < 0)
        return 0;
    /* Two versions separated by a newline: "a\nb". */
    char *b = strchr(in, '\n');
    if (b != NULL)
        *b++ = '\0';
    else
        b = in;
    strcpy(a, in);

    int valid = semver_is_valid(a);
    int rc = semver_canonical(a, canon, sizeof(canon));
    if (rc == 0 && !valid)
        abort();
    if (rc == 0) {
        if (!semver_is_canonical(canon) || !semver_is_valid(canon))
            abort();
        if (semver_compare(a, canon) != 0 && !semver_is_incompatible(a))
            abort();
        if (semver_major(a, major, sizeof(major)) != 0)
            abort();
    }
    if (semver_is_canonical(a) && !valid)
        abort();
    if (semver_compare(a, b) != -semver_compare(b, a))
        abort();
    if (semver_compare(a, a) != 0)
        abort();
    (void)semver_is_prerelease(a);
    (void)semver_is_pseudo(a);
    return 0;
}
