/* Repository resolution and version arithmetic of the direct upstream (core/origin/):
 * cases from the go command's vcs tests and x/mod's pseudo_test.go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "origin_module.h"
#include "origin_resolve.h"

#include <stoa/stoa.h>

#include <stdlib.h>
#include <string.h>

static void static_hosts(void **state)
{
    origin_root r;
    char why[256];
    assert_int_equal(origin_static_root("github.com/user/repo/sub/v2", 0, &r, why, sizeof(why)), 1);
    assert_string_equal(r.root, "github.com/user/repo");
    assert_string_equal(r.url, "https://github.com/user/repo");
    assert_int_equal(origin_static_root("github.com/user", 0, &r, why, sizeof(why)), -1);
    assert_int_equal(origin_static_root("github.com/user/repo.git", 0, &r, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "invalid version control suffix"));
    assert_int_equal(origin_static_root("bitbucket.org/a/b/c", 0, &r, why, sizeof(why)), 1);
    assert_string_equal(r.root, "bitbucket.org/a/b");
    assert_int_equal(origin_static_root("git.openstack.org/a/b.git/c", 0, &r, why, sizeof(why)), 1);
    assert_string_equal(r.root, "git.openstack.org/a/b");
    /* .git-qualified paths: the shortest root ending in .git */
    assert_int_equal(origin_static_root("git.corp.example.com/team/lib.git/sub", 0, &r, why, sizeof(why)), 1);
    assert_string_equal(r.root, "git.corp.example.com/team/lib.git");
    assert_string_equal(r.url, "https://git.corp.example.com/team/lib.git");
    assert_int_equal(origin_static_root("git.corp.example.com/a.git/b.git", 1, &r, why, sizeof(why)), 1);
    assert_string_equal(r.root, "git.corp.example.com/a.git");
    assert_string_equal(r.url, "http://git.corp.example.com/a.git");
    assert_int_equal(origin_static_root("example.com/x.hg/y", 0, &r, why, sizeof(why)), -1);
    assert_int_equal(origin_static_root("example.com/plain/path", 0, &r, why, sizeof(why)), 0);
}

static void rules_first(void **state)
{
    conf_rule rules[] = {{.match = "git.corp.example.com/*/*", .url = "ssh://git@git.corp.example.com/{path}.git"},
                         {.match = "other.example/a,github.com/mirror/*", .url = "https://mirror.example/{root}"}};
    origin_resolve_cfg cfg = {.rules = rules, .nrules = 2};
    origin_root r;
    char why[256];
    assert_int_equal(origin_resolve(&cfg, "git.corp.example.com/team/lib/sub/v3", &r, why, sizeof(why)), STOA_OK);
    assert_string_equal(r.root, "git.corp.example.com/team/lib");
    assert_string_equal(r.url, "ssh://git@git.corp.example.com/team/lib.git");
    assert_string_equal(r.how, "rule");
    assert_int_equal(origin_resolve(&cfg, "github.com/mirror/x", &r, why, sizeof(why)), STOA_OK);
    assert_string_equal(r.url, "https://mirror.example/github.com/mirror/x");
    assert_ptr_equal(r.rule, &rules[1]);
    assert_int_equal(r.rule_index, 1);
    /* fewer elements than the pattern: no match, the static table applies */
    assert_int_equal(origin_resolve(&cfg, "github.com/other/y", &r, why, sizeof(why)), STOA_OK);
    assert_string_equal(r.how, "static");
}

static const char *page_a, *page_b;
static int gets;
static char *fake_get(const char *url, const origin_resolve_cfg *cfg, long *status, char *why, size_t whylen)
{
    gets++;
    *status = 200;
    if (strcmp(url, "https://example.org/pkg/sub?go-get=1") == 0)
        return strdup(page_a);
    if (strcmp(url, "https://example.org/pkg?go-get=1") == 0)
        return strdup(page_b);
    snprintf(why, whylen, "%s: connection refused", url);
    return NULL;
}

static void meta_tags(void **state)
{
    char p[512], v[64], r[2048], why[512];
    const char *html = "<html><head>"
                       "<meta name=\"go-import\" content=\"example.org/pkg mod https://proxy.example\">"
                       "<meta name='go-import' content='example.org/pkg git https://code.example/pkg'>"
                       "<meta name=\"go-import\" content=\"example.org/other git https://code.example/other\">"
                       "</head><body><meta name=\"go-import\" content=\"example.org git https://evil\"></body>";
    assert_int_equal(origin_meta_match(html, "example.org/pkg/sub", p, sizeof(p), v, sizeof(v), r, sizeof(r), why,
                                       sizeof(why)),
                     STOA_OK);
    assert_string_equal(p, "example.org/pkg");
    assert_string_equal(v, "git");
    assert_string_equal(r, "https://code.example/pkg");
    assert_int_equal(origin_meta_match(html, "example.org/pkgx", p, sizeof(p), v, sizeof(v), r, sizeof(r), why,
                                       sizeof(why)),
                     STOA_NOTFOUND);
    const char *two = "<meta name=go-import content=\"a.org/x git https://a\"><meta name=go-import content=\"a.org git https://b\">";
    assert_int_equal(origin_meta_match(two, "a.org/x/y", p, sizeof(p), v, sizeof(v), r, sizeof(r), why, sizeof(why)),
                     STOA_CONFLICT);
    const char *bad = "<meta name=go-import content=\"a.org/x git\">";
    assert_int_equal(origin_meta_match(bad, "a.org/x", p, sizeof(p), v, sizeof(v), r, sizeof(r), why, sizeof(why)),
                     STOA_NOTFOUND);
}

static void discovery(void **state)
{
    origin_resolve_cfg cfg = {.get = fake_get};
    origin_root r;
    char why[512];
    page_a = page_b = "<meta name=\"go-import\" content=\"example.org/pkg git https://code.example/pkg\">";
    gets = 0;
    assert_int_equal(origin_resolve(&cfg, "example.org/pkg/sub", &r, why, sizeof(why)), STOA_OK);
    assert_string_equal(r.root, "example.org/pkg");
    assert_string_equal(r.url, "https://code.example/pkg");
    assert_int_equal(gets, 2); /* the shorter prefix was verified at its own page */
    page_b = "<meta name=\"go-import\" content=\"example.org/pkg git https://elsewhere/pkg\">";
    assert_int_equal(origin_resolve(&cfg, "example.org/pkg/sub", &r, why, sizeof(why)), STOA_NOTFOUND);
    assert_non_null(strstr(why, "disagree"));
    page_a = "<meta name=\"go-import\" content=\"example.org/pkg/sub hg https://code.example/pkg\">";
    assert_int_equal(origin_resolve(&cfg, "example.org/pkg/sub", &r, why, sizeof(why)), STOA_UNPROCESSABLE);
    page_a = "<meta name=\"go-import\" content=\"example.org/pkg/sub git file:///etc\">";
    assert_int_equal(origin_resolve(&cfg, "example.org/pkg/sub", &r, why, sizeof(why)), STOA_NOTFOUND);
    assert_int_equal(origin_resolve(&cfg, "unreachable.example/x", &r, why, sizeof(why)), STOA_UNAVAILABLE);
}

static void pseudo_versions(void **state)
{
    const int64_t t = 1136214245; /* 2006-01-02T15:04:05Z, as in x/mod's tests */
    struct {
        const char *major, *older, *want;
    } cases[] = {
        {"", "", "v0.0.0-20060102150405-abcdef123456"},
        {"v2", "", "v2.0.0-20060102150405-abcdef123456"},
        {"", "v1.2.3", "v1.2.4-0.20060102150405-abcdef123456"},
        {"", "v1.2.99999999999999999", "v1.2.100000000000000000-0.20060102150405-abcdef123456"},
        {"", "v1.2.3-pre", "v1.2.3-pre.0.20060102150405-abcdef123456"},
        {"", "v1.3.0-pre", "v1.3.0-pre.0.20060102150405-abcdef123456"},
        {"", "v2.0.0+incompatible", "v2.0.1-0.20060102150405-abcdef123456+incompatible"},
        {"", "v1.9.9", "v1.9.10-0.20060102150405-abcdef123456"},
    };
    char out[160];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        origin_pseudo_version(cases[i].major, cases[i].older, t, "abcdef123456", out, sizeof(out));
        assert_string_equal(out, cases[i].want);
    }
}

static void gomod_path(void **state)
{
    char out[256];
    const char *a = "// comment\nmodule  example.com/m // trailing\n\ngo 1.19\n";
    origin_gomod_path(a, strlen(a), out, sizeof(out));
    assert_string_equal(out, "example.com/m");
    const char *b = "module \"example.com/q\"\n";
    origin_gomod_path(b, strlen(b), out, sizeof(out));
    assert_string_equal(out, "example.com/q");
    const char *c = "modulex example.com/no\ngo 1.19\n";
    origin_gomod_path(c, strlen(c), out, sizeof(out));
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(static_hosts), cmocka_unit_test(rules_first), cmocka_unit_test(meta_tags),
        cmocka_unit_test(discovery),    cmocka_unit_test(pseudo_versions), cmocka_unit_test(gomod_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
