/* The upstream answer checks of issue 21: address classes for redirects (upstream_addr)
 * and the module directive of a fetched go.mod (modfile). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "conf.h"
#include "modfile.h"
#include "upstream.h"
#include "upstream_addr.h"

static void classes(void **state)
{
    static const struct {
        const char *ip;
        upaddr_class c;
    } t[] = {
        {"127.0.0.1", UPADDR_LOOPBACK},     {"127.255.0.9", UPADDR_LOOPBACK},   {"::1", UPADDR_LOOPBACK},
        {"::ffff:127.0.0.1", UPADDR_LOOPBACK}, {"10.1.2.3", UPADDR_PRIVATE},   {"172.16.0.1", UPADDR_PRIVATE},
        {"172.31.255.255", UPADDR_PRIVATE}, {"172.32.0.1", UPADDR_PUBLIC},      {"192.168.1.1", UPADDR_PRIVATE},
        {"100.64.0.1", UPADDR_PRIVATE},     {"100.128.0.1", UPADDR_PUBLIC},     {"fd00::1", UPADDR_PRIVATE},
        {"169.254.169.254", UPADDR_LINKLOCAL}, {"fe80::1", UPADDR_LINKLOCAL},  {"::ffff:169.254.1.1", UPADDR_LINKLOCAL},
        {"0.0.0.0", UPADDR_RESERVED},       {"::", UPADDR_RESERVED},            {"224.0.0.1", UPADDR_RESERVED},
        {"255.255.255.255", UPADDR_RESERVED}, {"ff02::1", UPADDR_RESERVED},    {"bogus", UPADDR_RESERVED},
        {"8.8.8.8", UPADDR_PUBLIC},         {"2001:4860::8888", UPADDR_PUBLIC},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i)
        if (upaddr_classify_text(t[i].ip) != t[i].c)
            fail_msg("%s: class %d, want %d", t[i].ip, upaddr_classify_text(t[i].ip), t[i].c);
    assert_true(upaddr_redirect_ok(UPADDR_PUBLIC, UPADDR_PUBLIC));
    assert_false(upaddr_redirect_ok(UPADDR_PUBLIC, UPADDR_LOOPBACK));
    assert_false(upaddr_redirect_ok(UPADDR_LOOPBACK, UPADDR_LINKLOCAL));
    assert_true(upaddr_redirect_ok(UPADDR_PRIVATE, UPADDR_PRIVATE));
    assert_false(upaddr_redirect_ok(UPADDR_RESERVED, UPADDR_RESERVED));
}

static void module_paths(void **state)
{
    static const struct {
        const char *text, *path; /* path NULL: refused */
    } t[] = {
        {"module example.com/m\n", "example.com/m"},
        {"// comment\nmodule \"example.com/m\" // trailing\ngo 1.19\n", "example.com/m"},
        {"module `example.com/m`", "example.com/m"},
        {"\xef\xbb\xbfmodule example.com/m\r\n", NULL}, /* a BOM is not a blank */
        {"go 1.19\r\n\tmodule example.com/m\r\n", "example.com/m"},
        {"module (\n\texample.com/m\n)\n", "example.com/m"},
        {"module(\nexample.com/m\n)", "example.com/m"},
        {"{\"module\": \"example.com/m\"}", NULL},
        {"module example.com/m\nmodule example.com/n\n", NULL},
        {"module (\nexample.com/m\n", NULL},
        {"module \"example.com/m\n", NULL},
        {"module a b\n", NULL},
        {"module  \nmodule a/b/c\n", NULL}, /* issue 16: an empty directive is an error, not skipped */
        {"module // no path\n", NULL},
        {"modulex example.com/m\n", NULL},
        {"go 1.19\n", NULL},
        {"", NULL},
        {"module example.com/\xff\n", NULL},
        {"module example.com/\xc0\xaf\n", NULL},
        {"module example.com/\xed\xa0\x80\n", NULL},
        {"module example.com/caf\xc3\xa9\n", "example.com/caf\xc3\xa9"},
        /* issue 16: Go string escapes in an interpreted string, as strconv.Unquote */
        {"module \"a\\x2fb\"\n", "a/b"},
        {"module \"example.com/\\u0041\\U00000042\\103\"\n", "example.com/ABC"},
        {"module \"example.com/caf\\u00e9\"\n", "example.com/caf\xc3\xa9"},
        {"module \"example.com/\\\"q\\\"\"\n", "example.com/\"q\""},
        {"module \"example.com/m\\\\\"\n", "example.com/m\\"},
        {"module \"a\\qb\"\n", NULL},            /* unknown escape */
        {"module \"a\\x2\"\n", NULL},            /* short \x */
        {"module \"a\\400\"\n", NULL},           /* octal over 255 */
        {"module \"a\\uD800\"\n", NULL},         /* a surrogate */
        {"module \"a\\'b\"\n", NULL},            /* \' only in rune literals */
        {"module \"a\\\"\n", NULL},              /* the closing quote escaped */
        {"module \"a\" \"b\"\n", NULL},
        {"module \"a\\x20b\"\n", NULL},          /* decodes to a space */
        {"module `a\\x2fb`\n", "a\\x2fb"},       /* raw strings keep backslashes */
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        char out[600] = "", why[128] = "";
        int rc = modfile_module_path(t[i].text, strlen(t[i].text), out, sizeof(out), why, sizeof(why));
        if ((rc == 0) != (t[i].path != NULL) || (rc == 0 && strcmp(out, t[i].path) != 0))
            fail_msg("case %zu: rc %d path '%s' why '%s'", i, rc, out, why);
    }
    char why[64], out[64];
    assert_int_equal(modfile_module_path("module m\0x\n", 11, out, sizeof(out), why, sizeof(why)), -1);
}

/* The chain's rule for asking the next upstream, as GOPROXY's ',' and '|' separators. */
static void fallthrough(void **state)
{
    (void)state;
    char err[1024];
    char *env[] = {NULL};
    static const char yaml[] = "upstreams: [{url: 'http://a.test'}, {url: 'http://b.test', fallthrough: on_any_error},"
                               " {url: 'http://c.test'}]\n";
    struct conf *c = conf_parse("t.yaml", yaml, sizeof(yaml) - 1, env, err, sizeof(err));
    assert_non_null(c);
    assert_true(upstream_may_continue(c, 0, STOA_NOTFOUND));     /* ',': a 404/410 goes on */
    assert_false(upstream_may_continue(c, 0, STOA_UNAVAILABLE)); /* ',': a failure stops */
    assert_false(upstream_may_continue(c, 0, STOA_BADGATEWAY));  /* nor does a rejected answer go on */
    assert_true(upstream_may_continue(c, 1, STOA_UNAVAILABLE));  /* '|': any error goes on */
    assert_true(upstream_may_continue(c, 1, STOA_BADGATEWAY));
    assert_false(upstream_may_continue(c, 2, STOA_NOTFOUND));    /* the last has no next */
    conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(classes), cmocka_unit_test(module_paths),
                                       cmocka_unit_test(fallthrough)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
