/* Version ranges: syntax (each refusal names the bad token), comparators, AND within an
 * alternative, OR across, x/mod's order (pre-releases and pseudo-versions below their
 * release, build metadata ignored). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "semrange.h"

static void syntax(void **state)
{
    static const char *const ok[] = {"v1.2.3", "=v1.2.3", "<v1", ">=v1.2.0 <v1.2.4", "  v1.0.0  ", "<v0.9.0 || v1.5.0",
                                     "v1.2.3-rc.1", "<=v0.0.0-20191109021931-daa7c04131f5", ">v2.0.0+incompatible",
                                     "v1.2.3\t||\tv1.2.4"};
    static const char *const bad[] = {"", "   ", "||", "v1.2.3 ||", "|| v1.2.3", "v1.2.3 || || v1.2.4", "1.2.3",
                                      "<", ">= v1.2.0", "=>v1.2.0", "v1.2.3|v1.2.4", "latest", "v1.02.3", "<<v1.0.0"};
    char why[256];
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); ++i)
        if (semrange_check(ok[i], why, sizeof(why)) != 0)
            fail_msg("\"%s\" refused: %s", ok[i], why);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i) {
        why[0] = '\0';
        if (semrange_check(bad[i], why, sizeof(why)) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
        if (why[0] == '\0')
            fail_msg("\"%s\" refused without a reason", bad[i]);
    }
    char longer[SEMRANGE_MAX + 16];
    memset(longer, ' ', sizeof(longer) - 1);
    memcpy(longer, "v1.0.0", 6);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(semrange_check(longer, why, sizeof(why)), -1);
}

static void contains(void **state)
{
    static const struct {
        const char *expr, *version;
        int in;
    } t[] = {
        {"v1.2.3", "v1.2.3", 1},
        {"v1.2.3", "v1.2.4", 0},
        {"=v1.2", "v1.2.0", 1},                 /* shorthand, as semver.Compare */
        {">=v1.2.0 <v1.2.4", "v1.2.0", 1},
        {">=v1.2.0 <v1.2.4", "v1.2.3", 1},
        {">=v1.2.0 <v1.2.4", "v1.2.4", 0},
        {">=v1.2.0 <v1.2.4", "v1.1.9", 0},
        {">=v1.2.0 <v1.2.4", "v1.2.4-rc.1", 1}, /* a pre-release sorts below its release */
        {">=v1.2.0 <v1.2.4", "v1.2.4-0.20191109021931-daa7c04131f5", 1},
        {"<v1.0.0", "v0.0.0-20191109021931-daa7c04131f5", 1},
        {"<=v1.0.0", "v1.0.0", 1},
        {">v1.0.0", "v1.0.0", 0},
        {">v1.0.0", "v1.0.1", 1},
        {"v2.0.0", "v2.0.0+incompatible", 1}, /* build metadata ignored */
        {"<v0.9.0 || v1.5.0", "v0.8.0", 1},
        {"<v0.9.0 || v1.5.0", "v1.5.0", 1},
        {"<v0.9.0 || v1.5.0", "v1.0.0", 0},
        {"not a range", "v1.0.0", 0},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(*t); ++i)
        if (semrange_contains(t[i].expr, t[i].version) != t[i].in)
            fail_msg("%s in \"%s\": want %d", t[i].version, t[i].expr, t[i].in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syntax),
        cmocka_unit_test(contains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
