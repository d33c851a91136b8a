/* modlex: one go.mod line split as x/mod's lexer splits it (modfile/read.go); the module
 * path modfile reads with it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "modfile.h"
#include "modlex.h"

/* The tokens of text joined by '|', parens as [ and ]; NULL when the line is refused. */
static const char *split(const char *text, int plain, const char **why)
{
    static char line[512], out[1024];
    modlex m;
    snprintf(line, sizeof(line), "%s", text);
    if (modlex_line(line, plain, &m, why) != 0)
        return NULL;
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < m.n; ++i) {
        const char *t = modlex_paren(m.tok[i], '(') ? "[" : modlex_paren(m.tok[i], ')') ? "]" : m.tok[i];
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? "|" : "", t);
    }
    return out;
}

static void words_parens_comments(void **state)
{
    const char *why;
    static const struct {
        const char *in, *want;
    } t[] = {
        {"module example.com/m", "module|example.com/m"},
        {"  require\texample.com/a v1.0.0 // indirect\r", "require|example.com/a|v1.0.0"},
        {"require (", "require|["},
        {"require(", "require|["},
        {")", "]"},
        {"require (example.com/a v1.0.0)", "require|[|example.com/a|v1.0.0|]"},
        {"a//b", "a"},
        {"// only a comment", ""},
        {"", ""},
        {"a\"b\"", "a\"b\""}, /* a quote inside a word does not start a string */
        {"x/y/z.v1 v1.2.3-pre+meta", "x/y/z.v1|v1.2.3-pre+meta"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        const char *got = split(t[i].in, 0, &why);
        if (got == NULL || strcmp(got, t[i].want) != 0)
            fail_msg("%s: got %s, want %s", t[i].in, got ? got : why, t[i].want);
    }
}

/* Interpreted strings decode as strconv.Unquote; raw strings stay as written. */
static void strings(void **state)
{
    const char *why;
    static const struct {
        const char *in, *want;
    } t[] = {
        {"module \"example.com/m\"", "module|example.com/m"},
        {"module \"a\\x2fb\"", "module|a/b"},
        {"module \"\\u0041\\U00000042\\103\"", "module|ABC"},
        {"module \"caf\\u00e9\"", "module|caf\xc3\xa9"},
        {"module \"\\U0001F600\"", "module|\xf0\x9f\x98\x80"},
        {"module \"q\\\"q\\\\\"", "module|q\"q\\"},
        {"module \"\\a\\b\\f\\n\\r\\t\\v\"", "module|\a\b\f\n\r\t\v"},
        {"module `a\\x2fb`", "module|a\\x2fb"},
        {"module \"a b\"", "module|a b"},
        {"replace \"a\" => `b` v1.0.0", "replace|a|=>|b|v1.0.0"},
        {"require (\"a\" v1.0.0)", "require|[|a|v1.0.0|]"},
        {"module \"(\"", "module|("}, /* a string reading "(" is no paren: rendered as itself */
        {"module \"a\"// c", "module|a"},
        {"module \"\"", "module|"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        const char *got = split(t[i].in, 0, &why);
        if (got == NULL || strcmp(got, t[i].want) != 0)
            fail_msg("%s: got %s, want %s", t[i].in, got ? got : why, t[i].want);
    }
    static const char *bad[] = {
        "module \"a", "module `a", "module \"a\\qb\"", "module \"a\\x2\"", "module \"a\\400\"", "module \"a\\uD800\"",
        "module \"a\\U00110000\"", "module \"a\\'b\"", "module \"a\\\"", "module \"a\"b", "module \"a\\8\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i)
        if (split(bad[i], 0, &why) != NULL)
            fail_msg("accepted: %s", bad[i]);
}

static void plain_and_limits(void **state)
{
    const char *why;
    assert_string_equal(split("example.com/a v1.0.0 h1:x= // not a comment", 1, &why),
                        "example.com/a|v1.0.0|h1:x=|//|not|a|comment");
    assert_string_equal(split("a (b) \"c\"", 1, &why), "a|(b)|\"c\"");
    char many[200] = "";
    for (int i = 0; i < MODLEX_TOKENS; ++i)
        strcat(many, "w ");
    assert_non_null(split(many, 0, &why));
    strcat(many, "w");
    assert_null(split(many, 0, &why));
    assert_string_equal(why, "too many fields");
}

/* The module path of a go.mod text, or NULL when refused. */
static const char *module_of(const char *text)
{
    static char path[256];
    char why[128];
    return modfile_module_path(text, strlen(text), path, sizeof(path), why, sizeof(why)) == 0 ? path : NULL;
}

static void module_paths(void **state)
{
    (void)state;
    assert_string_equal(module_of("module example.com/a\n"), "example.com/a");
    assert_string_equal(module_of("module \"example.com/a\" // c\n"), "example.com/a");
    assert_string_equal(module_of("\nmodule (\n\t`example.com/b`\n)\n"), "example.com/b");
    /* A quoted path may decode to any byte: blanks and controls are no module path
     * (found by fuzz_modlex: a '\r' inside a quoted block entry was accepted). */
    assert_null(module_of("module (\n\t\"exampv1.\r`\"\n)\n"));
    assert_null(module_of("module \"example.com/a b\"\n"));
    assert_null(module_of("module \"example.com/\\x01a\"\n"));
    assert_null(module_of("module \"example.com/\x7f\"\n"));
    assert_null(module_of("module \"\"\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_parens_comments),
        cmocka_unit_test(strings),
        cmocka_unit_test(plain_and_limits),
        cmocka_unit_test(module_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
