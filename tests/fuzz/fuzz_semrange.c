/* libFuzzer target: version ranges (namespaces[N].versions). Input: EXPR '\n' VERSION.
 * Properties: an expression check refuses is never matched; for a valid one, "A || A"
 * and "A A" match exactly when A does; a bare valid version as the expression matches
 * exactly the versions semver_compare calls equal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "semrange.h"
#include "semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char in[2048], twice[4200];
    char why[256];
    if (fuzz_cstr(data, size, in, sizeof(in)) != 0)
        return 0;
    char *nl = strchr(in, '\n'), *version = nl != NULL ? nl + 1 : "v1.0.0";
    if (nl != NULL)
        *nl = '\0';
    int valid = semrange_check(in, why, sizeof(why)) == 0, in_range = semrange_contains(in, version);
    if (!valid && (in_range || why[0] == '\0'))
        abort();
    if (valid && semver_is_valid(version) && 2 * strlen(in) + 4 <= SEMRANGE_MAX) {
        snprintf(twice, sizeof(twice), "%s || %s", in, in);
        if (semrange_contains(twice, version) != in_range)
            abort();
        snprintf(twice, sizeof(twice), "%s %s", in, in);
        if (strstr(in, "||") == NULL && semrange_contains(twice, version) != in_range)
            abort();
    }
    if (semver_is_valid(in) && semver_is_valid(version) && strlen(in) <= SEMVER_MAX &&
        semrange_contains(in, version) != (semver_compare(version, in) == 0))
        abort();
    return 0;
}
