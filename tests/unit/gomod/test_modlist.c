/* modlist: go.mod, go.sum and `go list -m all` parsing for stoa prefetch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "modlist.h"

static int parse(modlist *l, modlist_format f, const char *text, char *err, size_t errlen)
{
    return modlist_parse(l, f, "in", text, strlen(text), err, errlen);
}

/* Renders l as "module version kinds;..." with kinds as i/m/z letters. */
static const char *render(const modlist *l)
{
    static char out[4096];
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < l->n; ++i)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s %s %s%s%s;", l->v[i].module, l->v[i].version,
                              l->v[i].kinds & MODLIST_INFO ? "i" : "", l->v[i].kinds & MODLIST_MOD ? "m" : "",
                              l->v[i].kinds & MODLIST_ZIP ? "z" : "");
    return out;
}

static void expect(modlist_format f, const char *text, const char *want)
{
    modlist l = {0};
    char err[512] = "";
    if (parse(&l, f, text, err, sizeof(err)) != 0)
        fail_msg("unexpected error: %s\n--- input ---\n%s", err, text);
    modlist_finish(&l);
    if (strcmp(render(&l), want) != 0)
        fail_msg("got  %s\nwant %s\n--- input ---\n%s", render(&l), want, text);
    modlist_free(&l);
}

static void expect_error(modlist_format f, const char *text, const char *want)
{
    modlist l = {0};
    char err[512] = "";
    if (parse(&l, f, text, err, sizeof(err)) == 0)
        fail_msg("accepted:\n%s", text);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    assert_int_equal(l.n, 0);
    modlist_free(&l);
}

static void format_from_name(void **state)
{
    assert_int_equal(modlist_format_of("go.sum"), MODLIST_GOSUM);
    assert_int_equal(modlist_format_of("/x/y/go.sum"), MODLIST_GOSUM);
    assert_int_equal(modlist_format_of("deps.sum"), MODLIST_GOSUM);
    assert_int_equal(modlist_format_of("go.mod"), MODLIST_GOMOD);
    assert_int_equal(modlist_format_of("tools/other.mod"), MODLIST_GOMOD);
    assert_int_equal(modlist_format_of("-"), MODLIST_GOLIST);
    assert_int_equal(modlist_format_of("modules.txt"), MODLIST_GOLIST);
}

static void gosum(void **state)
{
    expect(MODLIST_GOSUM,
           "example.com/b v1.0.0 h1:AAAA=\n"
           "example.com/b v1.0.0/go.mod h1:BBBB=\n"
           "example.com/a v0.1.0/go.mod h1:CCCC=\r\n"
           "\n"
           "github.com/Upper/x/v2 v2.3.4-rc.1 h1:DDDD=\n"
           "example.com/b v1.0.0/go.mod h1:BBBB=\n",
           "example.com/a v0.1.0 m;example.com/b v1.0.0 imz;github.com/Upper/x/v2 v2.3.4-rc.1 imz;");
    expect(MODLIST_GOSUM, "", "");
    expect_error(MODLIST_GOSUM, "example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0\n", "in:2: malformed go.sum line");
    expect_error(MODLIST_GOSUM, "example.com/a v1.0.0 h1:x= extra\n", "in:1: malformed go.sum line");
    expect_error(MODLIST_GOSUM, "example.com/a v1.0 h1:x=\n", "in:1: example.com/a: version v1.0 is not a canonical");
    expect_error(MODLIST_GOSUM, "example.com/a v1.0.0 sha256:x\n", "in:1: malformed hash");
    expect_error(MODLIST_GOSUM, "example.com/a v1.0.0 h1:\n", "malformed hash");
    expect_error(MODLIST_GOSUM, "Example.com/a v1.0.0 h1:x=\n", "in:1: module path Example.com/a");
    expect_error(MODLIST_GOSUM, "example.com/a/v2 v1.0.0 h1:x=\n", "in:1:");
    expect_error(MODLIST_GOSUM, "example.com/a v1.0.0/go.sum h1:x=\n", "not a canonical");
}

static void gomod(void **state)
{
    expect(MODLIST_GOMOD,
           "// a comment\n"
           "module example.com/app // trailing\n"
           "\n"
           "go 1.21\n"
           "toolchain go1.21.3\n"
           "godebug default=go1.21\n"
           "\n"
           "require example.com/one v1.0.0\n"
           "require (\n"
           "\texample.com/two v0.2.0 // indirect\n"
           "\t\"example.com/quoted\" v1.1.0\n"
           "\texample.com/old v1.0.0\n"
           "\texample.com/local v0.0.0-20240101000000-abcdefabcdef\n"
           "\texample.com/pin v1.0.0\n"
           ")\n"
           "exclude example.com/two v0.1.0\n"
           "replace example.com/old => example.com/new v1.5.0\n"
           "replace example.com/local => ../local\n"
           "replace (\n"
           "\texample.com/pin v1.0.0 => example.com/pin v1.0.1\n"
           "\texample.com/pin v0.9.0 => ./nowhere\n"
           ")\n"
           "retract [v1.0.0, v1.0.5] // broken\n"
           "retract v0.9.0\n",
           "example.com/new v1.5.0 imz;example.com/one v1.0.0 imz;example.com/pin v1.0.1 imz;"
           "example.com/quoted v1.1.0 imz;example.com/two v0.2.0 imz;");
    expect(MODLIST_GOMOD, "module x\nrequire ()\nrequire(\n)\n", "");
    expect_error(MODLIST_GOMOD, "module x\nrequire example.com/a\n", "in:2: usage: require");
    expect_error(MODLIST_GOMOD, "module x\nrequire (\n\texample.com/a v1\n)\n", "in:3: example.com/a: version v1 is not");
    expect_error(MODLIST_GOMOD, "module x\nrequire (\n\texample.com/a v1.0.0\n", "require block not closed");
    expect_error(MODLIST_GOMOD, "module x\nfrobnicate y\n", "in:2: unknown directive: frobnicate");
    expect_error(MODLIST_GOMOD, "module x\nreplace example.com/a => example.com/b\n", "in:2: replacement example.com/b");
    expect_error(MODLIST_GOMOD, "module x\nreplace example.com/a example.com/b\n", "in:2: usage: replace");
    expect_error(MODLIST_GOMOD, "module \"x\n", "in:1: unterminated string");
    expect_error(MODLIST_GOMOD, "module x\nrequire (\nrequire (\n", "in:3: nested block");
    expect_error(MODLIST_GOMOD, "module x y\n", "in:1: usage: module");
}

/* go.mod strings are read as the go command reads them (core/gomod/modlex.c): Go's
 * escapes decoded, so a require written with them names the module it means. */
static void gomod_escapes(void **state)
{
    expect(MODLIST_GOMOD, "module m\nrequire \"example.com/\\x61\" v1.0.0\nrequire `example.com/b` v1.1.0\n",
           "example.com/a v1.0.0 imz;example.com/b v1.1.0 imz;");
    expect(MODLIST_GOMOD, "module m\nrequire (\n\t\"example.com/\\u0063\" v1.2.0 // c\n)\n",
           "example.com/c v1.2.0 imz;");
    expect_error(MODLIST_GOMOD, "module m\nrequire \"example.com/\\q\" v1.0.0\n", "in:2: bad escape");
    expect_error(MODLIST_GOMOD, "module m\nrequire \"(\" v1.0.0\n", "in:2:");
}

static void golist(void **state)
{
    expect(MODLIST_GOLIST,
           "example.com/app\n"
           "example.com/a v1.0.0\n"
           "example.com/b v1.2.0 => example.com/c v1.3.0\n"
           "example.com/d v1.0.0 => ../d\n"
           "golang.org/x/text v0.3.7\n",
           "example.com/a v1.0.0 imz;example.com/c v1.3.0 imz;golang.org/x/text v0.3.7 imz;");
    expect_error(MODLIST_GOLIST, "example.com/app\nexample.com/a v1.0.0 [v1.1.0]\n", "in:2: malformed `go list -m all`");
    expect_error(MODLIST_GOLIST, "example.com/a v1.0.0 => example.com/c\n", "in:1: replacement example.com/c");
    expect_error(MODLIST_GOLIST, "example.com/a 1.0.0\n", "in:1: example.com/a: version 1.0.0");
}

static void merge_across_files(void **state)
{
    modlist l = {0};
    char err[256];
    assert_int_equal(modlist_parse(&l, MODLIST_GOSUM, "go.sum", "example.com/a v1.0.0/go.mod h1:x=\n", 34, err,
                                   sizeof(err)),
                     0);
    assert_int_equal(modlist_parse(&l, MODLIST_GOLIST, "list", "example.com/a v1.0.0\n", 21, err, sizeof(err)), 0);
    /* an error in a later file leaves what was read before untouched */
    assert_int_equal(modlist_parse(&l, MODLIST_GOSUM, "bad.sum", "example.com/b v1.0.0 h1:x=\nbroken\n", 35, err,
                                   sizeof(err)),
                     -1);
    assert_string_equal(err, "bad.sum:2: malformed go.sum line: want \"module version hash\", got 1 fields");
    assert_int_equal(l.n, 2);
    modlist_finish(&l);
    assert_string_equal(render(&l), "example.com/a v1.0.0 imz;");
    modlist_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_from_name), cmocka_unit_test(gosum),  cmocka_unit_test(gomod),
        cmocka_unit_test(golist),           cmocka_unit_test(merge_across_files), cmocka_unit_test(gomod_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
