/* libFuzzer target: the GOPROXY router (route_parse), the one place URLs become module
 * paths and versions. Properties: a module route names a valid module path and, for
 * .mod/.zip, a canonical version; its upstream path parses back to the same route. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "route.h"

static char *repos[] = {"go", "corp"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static route r, r2;
    char why[512], up[ROUTE_PATH_MAX + 2];
    if (size > ROUTE_PATH_MAX + 64)
        return 0;
    if (route_parse((const char *)data, size, repos, 2, &r, why, sizeof(why)) != STOA_OK)
        return 0;
    if (!route_is_module(r.type))
        return 0;
    if (modpath_check(r.module, why, sizeof(why)) != 0)
        abort();
    if ((r.type == ROUTE_MOD || r.type == ROUTE_ZIP) && !semver_is_canonical(r.version))
        abort();
    up[0] = '/';
    if (route_upstream_path(&r, up + 1, sizeof(up) - 1) == 0) {
        if (route_parse(up, strlen(up), repos, 2, &r2, why, sizeof(why)) != STOA_OK)
            abort();
        if (r2.type != r.type || strcmp(r2.module, r.module) != 0 || strcmp(r2.version, r.version) != 0)
            abort();
    }
    return 0;
}
