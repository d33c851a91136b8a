/* semver: validity, canonical form, ordering, pseudo-versions (vectors from
 * golang.org/x/mod/semver and module tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "semver.h"

static void validity(void **state)
{
    static const struct {
        const char *v, *canon; /* canon NULL: invalid */
    } t[] = {
        {"bad", NULL},           {"v1-alpha.beta.gamma", NULL}, {"v1-pre", NULL},        {"v1+meta", NULL},
        {"v1-pre+meta", NULL},   {"v1.2-pre", NULL},            {"v1.2+meta", NULL},     {"v1.2-pre+meta", NULL},
        {"v1.0.0-alpha", "v1.0.0-alpha"}, {"v1.0.0-alpha.1", "v1.0.0-alpha.1"}, {"v1.0.0-alpha.beta", "v1.0.0-alpha.beta"},
        {"v1.0.0-beta", "v1.0.0-beta"},   {"v1.0.0-rc.1", "v1.0.0-rc.1"},       {"v1.0.0", "v1.0.0"},
        {"v1.2", "v1.2.0"},      {"v1", "v1.0.0"},              {"v1.2.3+meta", "v1.2.3"}, {"v1.2.3-pre+meta", "v1.2.3-pre"},
        {"v2.0.0+incompatible", "v2.0.0+incompatible"},         {"v01.2.3", NULL},       {"v1.02.3", NULL},
        {"v1.2.03", NULL},       {"v1.2.3-01", NULL},           {"1.2.3", NULL},         {"v1.2.3-", NULL},
        {"v1.2.3-a..b", NULL},   {"v1.2.3+", NULL},             {"", NULL},              {"v", NULL},
        {"v1.2.3-0", "v1.2.3-0"}, {"v1.2.3-x_y", NULL},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        char out[SEMVER_MAX + 1];
        int ok = semver_canonical(t[i].v, out, sizeof(out)) == 0;
        if (ok != (t[i].canon != NULL) || semver_is_valid(t[i].v) != ok)
            fail_msg("%s: valid=%d", t[i].v, ok);
        if (ok && strcmp(out, t[i].canon) != 0)
            fail_msg("canonical(%s) = %s, want %s", t[i].v, out, t[i].canon);
    }
    assert_true(semver_is_canonical("v1.2.3"));
    assert_false(semver_is_canonical("v1.2"));
    assert_false(semver_is_canonical("v1.2.3+meta"));
    assert_true(semver_is_canonical("v2.0.0+incompatible"));
}

static void ordering(void **state)
{
    /* Ascending, from the semver spec's precedence example plus Go specifics. */
    static const char *const order[] = {"v0.0.0-20191109021931-daa7c04131f5", "v0.1.0", "v1.0.0-alpha", "v1.0.0-alpha.1",
                                        "v1.0.0-alpha.beta", "v1.0.0-beta", "v1.0.0-beta.2", "v1.0.0-beta.11",
                                        "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.2.0", "v1.10.0", "v2.0.0+incompatible",
                                        "v10.0.0"};
    size_t n = sizeof(order) / sizeof(order[0]);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
            int want = i < j ? -1 : i > j ? 1 : 0;
            if (semver_compare(order[i], order[j]) != want)
                fail_msg("compare(%s, %s) != %d", order[i], order[j], want);
        }
    assert_int_equal(semver_compare("v1.2", "v1.2.0"), 0);
    assert_int_equal(semver_compare("bad", "v1.0.0"), -1);
    assert_int_equal(semver_compare("bad", "worse"), 0);
}

static void pseudo(void **state)
{
    assert_true(semver_is_pseudo("v0.0.0-20191109021931-daa7c04131f5"));
    assert_true(semver_is_pseudo("v1.2.4-0.20191109021931-daa7c04131f5"));
    assert_true(semver_is_pseudo("v1.2.3-pre.0.20191109021931-daa7c04131f5"));
    assert_true(semver_is_pseudo("v2.0.1-0.20191109021931-daa7c04131f5+incompatible"));
    assert_false(semver_is_pseudo("v1.2.3"));
    assert_false(semver_is_pseudo("v1.2.3-pre"));
    assert_false(semver_is_pseudo("v1.2.3-20191109021931-daa7c04131f5")); /* not v0.0.0 and no 0. */
    assert_false(semver_is_pseudo("v0.0.0-2019110902193-daa7c04131f5"));  /* 13 digits */
    assert_false(semver_is_pseudo("v0.0.0-20191109021931-")); /* empty revision */
    assert_true(semver_is_prerelease("v1.0.0-rc.1"));
    assert_false(semver_is_prerelease("v1.0.0+meta"));
    char m[8];
    assert_int_equal(semver_major("v2.3.4", m, sizeof(m)), 0);
    assert_string_equal(m, "v2");
    assert_true(semver_is_incompatible("v2.0.0+incompatible"));
}

static void hostile(void **state)
{
    char big[4096];
    memset(big, '1', sizeof(big) - 1);
    big[0] = 'v';
    big[sizeof(big) - 1] = '\0';
    assert_false(semver_is_valid(big));
    assert_false(semver_is_valid("v1.2.3-\xff"));
    assert_false(semver_is_valid(NULL));
    char small[4];
    assert_int_equal(semver_canonical("v1.2.3", small, sizeof(small)), -1);
    /* A valid "vN" just under SEMVER_MAX whose canonical form ("vN.0.0") is over it:
     * canonical must refuse rather than produce a version semver_is_valid rejects
     * (tests/fuzz/corpus/semver/crash-long-major). */
    char longmajor[SEMVER_MAX + 1], canon[2 * SEMVER_MAX];
    memset(longmajor, '7', SEMVER_MAX - 2);
    longmajor[0] = 'v';
    longmajor[SEMVER_MAX - 2] = '\0';
    assert_true(semver_is_valid(longmajor));
    assert_int_equal(semver_canonical(longmajor, canon, sizeof(canon)), -1);
    assert_false(semver_is_canonical(longmajor));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(validity), cmocka_unit_test(ordering), cmocka_unit_test(pseudo),
                                       cmocka_unit_test(hostile)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
