/* Module paths: escaping, CheckPath, major-version suffixes, GOPRIVATE matching
 * (vectors from golang.org/x/mod/module's tests and the go command's docs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "modpath.h"

static void escaping(void **state)
{
    static const struct {
        const char *path, *esc;
    } t[] = {{"ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789", "ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789"},
             {"github.com/GoogleCloudPlatform/omega", "github.com/!google!cloud!platform/omega"},
             {"github.com/Azure/azure-sdk-for-go", "github.com/!azure/azure-sdk-for-go"}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        char out[MODPATH_MAX * 2], back[MODPATH_MAX + 1];
        assert_int_equal(modpath_escape(t[i].path, out, sizeof(out), NULL, 0), 0);
        assert_string_equal(out, t[i].esc);
        assert_int_equal(modpath_unescape(out, back, sizeof(back), NULL, 0), 0);
        assert_string_equal(back, t[i].path);
    }
    static const char *const bad[] = {"github.com/Azure", "github.com/!!azure", "github.com/!0", "x!", "a\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        char out[64], why[128] = "";
        if (modpath_unescape(bad[i], out, sizeof(out), why, sizeof(why)) == 0)
            fail_msg("unescape accepted %s", bad[i]);
        assert_true(why[0] != '\0');
    }
    char out[64];
    assert_int_equal(modpath_escape("a!b", out, sizeof(out), NULL, 0), -1);
}

static void check_path(void **state)
{
    static const char *const good[] = {"x.y/z", "x.y", "github.com/foo/bar", "gopkg.in/yaml.v2", "gopkg.in/check.v1",
                                       "example.com/m/v2", "example.com/FOO/bar", "x.y/~z", "x.y/a_b-c.d",
                                       "github.com/foo/bar.v2"};
    static const char *const bad[] = {"", "x.y/", "/x.y", "x.y//z", "x.y/./z", "x.y/../z", "x.y/.z", "x.y/z.", "xy/z",
                                      "X.y/z", "-x.y/z", "x.y/z~1", "x.y/con", "x.y/AUX.go", "x.y/com1", "x.y/a b",
                                      "x.y/a%b", "x.y/é", "example.com/m/v1", "example.com/m/v0", "example.com/m/v02",
                                      "example.com/m/v2.1", "gopkg.in/yaml", "gopkg.in/yaml.v02"};
    char why[256];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); ++i)
        if (modpath_check(good[i], why, sizeof(why)) != 0)
            fail_msg("rejected %s: %s", good[i], why);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        why[0] = '\0';
        if (modpath_check(bad[i], why, sizeof(why)) == 0)
            fail_msg("accepted %s", bad[i]);
        assert_true(why[0] != '\0');
    }
    char longp[MODPATH_MAX + 10] = "example.com/";
    memset(longp + 12, 'a', sizeof(longp) - 13);
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(modpath_check(longp, why, sizeof(why)), -1);
}

static void majors(void **state)
{
    char why[256];
    assert_int_equal(modpath_check_major("example.com/m", "v1.2.3", why, sizeof(why)), 0);
    assert_int_equal(modpath_check_major("example.com/m", "v0.0.0-20191109021931-daa7c04131f5", why, sizeof(why)), 0);
    assert_int_equal(modpath_check_major("example.com/m", "v2.0.0+incompatible", why, sizeof(why)), 0);
    assert_int_equal(modpath_check_major("example.com/m", "v2.0.0", why, sizeof(why)), -1);
    assert_int_equal(modpath_check_major("example.com/m/v2", "v2.0.0", why, sizeof(why)), 0);
    assert_int_equal(modpath_check_major("example.com/m/v2", "v1.0.0", why, sizeof(why)), -1);
    assert_int_equal(modpath_check_major("example.com/m/v2", "v2.0.0+incompatible", why, sizeof(why)), -1);
    assert_int_equal(modpath_check_major("gopkg.in/yaml.v2", "v2.4.0", why, sizeof(why)), 0);
    assert_int_equal(modpath_check_major("gopkg.in/yaml.v2", "v3.0.0", why, sizeof(why)), -1);
    assert_int_equal(modpath_check_major("gopkg.in/yaml.v1", "v0.0.0-20191109021931-daa7c04131f5", why, sizeof(why)), 0);
    size_t n;
    assert_string_equal(modpath_split_major("example.com/m/v3", &n), "/v3");
    assert_int_equal(n, strlen("example.com/m"));
    assert_string_equal(modpath_split_major("example.com/m", &n), "");
}

static void patterns(void **state)
{
    static const struct {
        const char *patterns, *target;
        int match;
    } t[] = {
        {"corp.example.com", "corp.example.com/x/y", 1},   {"corp.example.com", "corp.example.com", 1},
        {"corp.example.com", "corp.example.community/x", 0}, {"*.corp.com", "a.corp.com/b", 1},
        {"*.corp.com", "corp.com/b", 0},                   {"*.corp.com", "a.b.corp.com/x", 1}, /* path.Match: * spans dots */
        {"example.com/*/private", "example.com/team/private/x", 1}, {"example.com/*/private", "example.com/team/public", 0},
        {"a.com,b.com", "b.com/x", 1},                     {",,a.com,", "a.com", 1},
        {"", "a.com", 0},                                  {"*", "anything.com/x/y", 1},
        {"example.com/a/b/c", "example.com/a", 0},         {"example.com/", "example.com/x", 1},
        {"ex?mple.com", "example.com/z", 1},               {"[a-c].com", "b.com/x", 1},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i)
        if (modpath_match_patterns(t[i].patterns, t[i].target) != t[i].match)
            fail_msg("match(%s, %s) != %d", t[i].patterns, t[i].target, t[i].match);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(escaping), cmocka_unit_test(check_path), cmocka_unit_test(majors),
                                       cmocka_unit_test(patterns)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
