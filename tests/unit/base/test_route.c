/* Route parsing: the one place URLs become module paths and versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "route.h"

static char *repos[] = {"go", "corp"};

static stoa_status parse(const char *path, route *r)
{
    char why[512];
    return route_parse(path, strlen(path), repos, 2, r, why, sizeof(why));
}

static void module_files(void **state)
{
    route r;
    assert_int_equal(parse("/example.com/m/@v/v1.2.3.zip", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_ZIP);
    assert_string_equal(r.module, "example.com/m");
    assert_string_equal(r.version, "v1.2.3");
    assert_true(r.canonical);
    assert_string_equal(r.repo, "");

    assert_int_equal(parse("/example.com/m/@v/v1.2.3.info", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_INFO);
    assert_int_equal(parse("/example.com/m/@v/v1.2.3.mod", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_MOD);
    assert_int_equal(parse("/example.com/m/@v/list", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_LIST);
    assert_int_equal(parse("/example.com/m/@latest", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_LATEST);
    assert_string_equal(r.module, "example.com/m");
}

static void case_encoding(void **state)
{
    route r;
    assert_int_equal(parse("/github.com/!azure/go-sdk/@v/list", &r), STOA_OK);
    assert_string_equal(r.module, "github.com/Azure/go-sdk");
    /* %21 is '!': both spellings arrive from clients */
    assert_int_equal(parse("/github.com/%21azure/go-sdk/@v/list", &r), STOA_OK);
    assert_string_equal(r.module, "github.com/Azure/go-sdk");
    /* The escaped form never has upper case, and '!' must precede a lower-case letter. */
    assert_int_equal(parse("/github.com/Azure/go-sdk/@v/list", &r), STOA_INVALID);
    assert_int_equal(parse("/github.com/!Azure/x/@v/list", &r), STOA_INVALID);
    assert_int_equal(parse("/github.com/azure!/x/@v/list", &r), STOA_INVALID);
}

static void versions(void **state)
{
    route r;
    assert_int_equal(parse("/example.com/m/v2/@v/v2.0.0.zip", &r), STOA_OK);
    assert_int_equal(parse("/example.com/m/@v/v2.0.0+incompatible.zip", &r), STOA_OK);
    assert_string_equal(r.version, "v2.0.0+incompatible");
    /* major suffix mismatch: well-formed, but names nothing */
    assert_int_equal(parse("/example.com/m/v2/@v/v1.0.0.zip", &r), STOA_NOTFOUND);
    assert_int_equal(parse("/example.com/m/@v/v2.0.0.zip", &r), STOA_NOTFOUND);
    assert_int_equal(parse("/example.com/m/@v/v2.0.0.mod", &r), STOA_NOTFOUND);
    /* .mod/.zip need canonical versions; .info may be a query */
    assert_int_equal(parse("/example.com/m/@v/v1.zip", &r), STOA_INVALID);
    assert_int_equal(parse("/example.com/m/@v/1.0.0.mod", &r), STOA_INVALID);
    assert_int_equal(parse("/example.com/m/@v/master.info", &r), STOA_OK);
    assert_false(r.canonical);
    assert_string_equal(r.version, "master");
    assert_int_equal(parse("/example.com/m/@v/!master.info", &r), STOA_OK);
    assert_string_equal(r.version, "Master");
    assert_int_equal(parse("/example.com/m/@v/v0.0.0-20191109021931-daa7c04131f5.zip", &r), STOA_OK);
    assert_true(r.canonical);
}

/* .info of a version the path cannot have is a query the upstream resolves (the go
 * command's proxyRepo.Stat sends any rev module.EscapeVersion accepts). */
static void info_queries(void **state)
{
    route r;
    char out[1024];
    assert_int_equal(parse("/rsc.io/breaker/@v/v2.0.0.info", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_INFO);
    assert_false(r.canonical);
    assert_string_equal(r.version, "v2.0.0");
    assert_int_equal(parse("/example.com/m/v2/@v/v1.0.0.info", &r), STOA_OK);
    assert_false(r.canonical);
    assert_int_equal(parse("/example.com/m/v2/@v/v2.0.0.info", &r), STOA_OK);
    assert_true(r.canonical);
    static const char *ok[] = {"master", "v1.2", "v1.2.3-pre+build", "daa7c04131f5", "release-1.0_x~y", "a@b",
                               "(x)", "x%20y", "x%23y", "[a]{b}^c=d,e&f$g", ".hidden", "v1.2.3+incompatible.x"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); ++i) {
        char path[256];
        snprintf(path, sizeof(path), "/example.com/m/@v/%s.info", ok[i]);
        if (parse(path, &r) != STOA_OK || r.canonical)
            fail_msg("refused query %s", ok[i]);
    }
    /* EscapeVersion refuses these, so the go command never sends them. */
    static const char *bad[] = {"..", "x.", "a!", "a!1", "a*b", "a?b", "a%3Fb", "a'b", "a%22b", "a<b", "a|b", "a:b",
                                "con", "NUL.x", "Lpt1", "%C3%A9t%C3%A9", "a%60b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        char path[256];
        snprintf(path, sizeof(path), "/example.com/m/@v/%s.info", bad[i]);
        if (parse(path, &r) == STOA_OK)
            fail_msg("accepted query %s", bad[i]);
    }
    /* Asked of the upstream escaped for a URL path. */
    assert_int_equal(parse("/example.com/m/@v/a%20b%23c%25d[e].info", &r), STOA_OK);
    assert_string_equal(r.version, "a b#c%d[e]");
    assert_int_equal(route_upstream_path(&r, out, sizeof(out)), 0);
    assert_string_equal(out, "example.com/m/@v/a%20b%23c%25d%5Be%5D.info");
    assert_int_equal(parse("/example.com/m/@v/v1.0.0+meta.info", &r), STOA_OK);
    assert_int_equal(route_upstream_path(&r, out, sizeof(out)), 0);
    assert_string_equal(out, "example.com/m/@v/v1.0.0+meta.info");
}

static void bases(void **state)
{
    route r;
    assert_int_equal(parse("/api/go/go/example.com/m/@v/list", &r), STOA_OK);
    assert_string_equal(r.repo, "go");
    assert_string_equal(r.module, "example.com/m");
    assert_int_equal(parse("/api/go/nope/example.com/m/@v/list", &r), STOA_NOTFOUND);
    assert_int_equal(parse("/api/go/corp/example.com/m/@v/v1.0.0.zip;build.name=x;build.number=3", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_ZIP);
    assert_string_equal(r.matrix, ";build.name=x;build.number=3");
    assert_int_equal(parse("/healthz", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_HEALTHZ);
    assert_int_equal(parse("/catalog?pagesize=3", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_CATALOG);
    assert_int_equal(parse("/sumdb/sum.golang.org/lookup/x@v1.0.0", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_SUMDB);
    assert_string_equal(r.rest, "sum.golang.org/lookup/x@v1.0.0");
}

/* The web UI: "/" and ui/module/<escaped module> at the root base only. */
static void web_ui(void **state)
{
    route r;
    assert_int_equal(parse("/", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_UI_HOME);
    assert_int_equal(parse("/?q=<b>&from=x", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_UI_HOME);
    assert_int_equal(parse("/ui/module/github.com/!azure/go", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_UI_MODULE);
    assert_string_equal(r.module, "github.com/Azure/go");
    assert_int_equal(parse("/ui/module/github.com/Azure/go", &r), STOA_INVALID); /* not case-escaped */
    assert_int_equal(parse("/ui/module/", &r), STOA_INVALID);
    assert_int_equal(parse("/ui/module/nodot/x", &r), STOA_INVALID);
    assert_int_equal(parse("/ui/module/../../etc", &r), STOA_INVALID);
    assert_int_equal(parse("/api/go/go/", &r), STOA_NOTFOUND); /* a repository base is GOPROXY only */
    assert_int_equal(parse("/api/go/go/ui/module/example.com/m", &r), STOA_NOTFOUND);
    assert_int_equal(parse("/ui/other", &r), STOA_NOTFOUND);
}

/* Artifactory's own addresses and the calls its clients make (jf go-publish). */
static void artifactory(void **state)
{
    route r;
    assert_int_equal(parse("/artifactory/api/go/go/example.com/m/@v/v1.0.0.mod;go.version=v1.0.0", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_MOD);
    assert_string_equal(r.repo, "go");
    assert_string_equal(r.module, "example.com/m");
    assert_int_equal(parse("/artifactory%2Fapi%2Fgo%2Fcorp/example.com/m/@v/list", &r), STOA_OK);
    assert_string_equal(r.repo, "corp");
    assert_int_equal(parse("/artifactory/api/go/nope/example.com/m/@v/list", &r), STOA_NOTFOUND);
    assert_int_equal(parse("/artifactory/api/system/version", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_ART_VERSION);
    assert_int_equal(parse("/api/system/ping", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_ART_PING);
    assert_int_equal(parse("/artifactory/api/build", &r), STOA_OK);
    assert_int_equal(r.type, ROUTE_BUILD);
    /* only before api/, once: anything else is a module path like any other */
    assert_int_not_equal(parse("/artifactory/artifactory/api/build", &r), STOA_OK);
    assert_int_not_equal(parse("/api/go/go/api/system/version", &r), STOA_OK);
    assert_int_not_equal(parse("/artifactory/healthz", &r), STOA_OK);
}

static void hostile(void **state)
{
    route r;
    static const char *bad[] = {
        "/../secret",
        "/%2e%2e/secret/@v/list",
        "/example.com/%2e%2e/%2e%2e/secret/@v/list",
        "/example.com/m/@v/..%2f..%2fsecret.info",
        "/example.com/m%00/@v/list",
        "/example.com/m/@v/v1.0.0.zip%00",
        "/example.com\\m/@v/list",
        "//etc/passwd/@v/list",
        "/example.com/m/@v/v1.0.0.tar",
        "/example.com/m/@v/",
        "/example.com/m/@v/sub/v1.0.0.zip",
        "/example.com/m/@bogus",
        "/example.com/m/@v/%zz.zip",
        "/example.com/m/@v/v1.0.0.zip%",
        "example.com/m/@v/list",
        "/sumdb/../x",
        "/sumdb/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        stoa_status s = parse(bad[i], &r);
        if (s == STOA_OK)
            fail_msg("accepted %s", bad[i]);
    }
    char longpath[8192];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    assert_int_equal(parse(longpath, &r), STOA_INVALID);
    char longmod[1024] = "/example.com/";
    memset(longmod + strlen(longmod), 'a', 700);
    strcat(longmod, "/@v/list");
    assert_int_equal(parse(longmod, &r), STOA_INVALID);
}

static void upstream_path(void **state)
{
    route r;
    char out[1024];
    assert_int_equal(parse("/github.com/%21azure/x/@v/!master.info", &r), STOA_OK);
    assert_int_equal(route_upstream_path(&r, out, sizeof(out)), 0);
    assert_string_equal(out, "github.com/!azure/x/@v/!master.info");
    assert_int_equal(parse("/api/go/go/example.com/m/@latest", &r), STOA_OK);
    assert_int_equal(route_upstream_path(&r, out, sizeof(out)), 0);
    assert_string_equal(out, "example.com/m/@latest");
}

static void query_decode(void **state)
{
    char out[16];
    assert_int_equal(route_percent_decode("a%21b+c", 7, out, sizeof(out)), 0);
    assert_string_equal(out, "a!b c");
    assert_int_equal(route_percent_decode("a%2", 3, out, sizeof(out)), -1);
    assert_int_equal(route_percent_decode("%00", 3, out, sizeof(out)), -1);
    assert_int_equal(route_percent_decode("0123456789abcdefgh", 18, out, sizeof(out)), -1);
    assert_string_equal(out, ""); /* a failure leaves a string, not a prefix without its NUL */
    assert_int_equal(route_percent_decode("ab%zz", 5, out, sizeof(out)), -1);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(module_files), cmocka_unit_test(case_encoding), cmocka_unit_test(versions),
        cmocka_unit_test(bases),        cmocka_unit_test(hostile),       cmocka_unit_test(upstream_path),
        cmocka_unit_test(query_decode), cmocka_unit_test(info_queries),  cmocka_unit_test(artifactory),
        cmocka_unit_test(web_ui),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
