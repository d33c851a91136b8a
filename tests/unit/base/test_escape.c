/* escape.h: untrusted bytes made safe for logs, JSON and PostgreSQL text; and
 * url_redact_query, which hides secrets a client put in a query. */
#include "escape.h"
#include "urlshow.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

static void esc(const char *in, size_t len, int flags, const char *want)
{
    char out[128];
    size_t n = esc_text(out, sizeof(out), in, len, flags);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void utf8_rules(void **state)
{
    (void)state;
    /* x/text's and the Unicode standard's table 3-7: what is well-formed */
    struct { const char *s; size_t want; } cases[] = {
        {"a", 1}, {"\xc3\xa9", 2}, {"\xe2\x82\xac", 3}, {"\xf0\x9f\x98\x80", 4}, {"\xf4\x8f\xbf\xbf", 4},
        {"\xc0\xaf", 0},          /* overlong '/' */
        {"\xc1\xbf", 0},          /* overlong */
        {"\xe0\x80\xaf", 0},      /* overlong, three bytes */
        {"\xed\xa0\x80", 0},      /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 0},  /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 0}, {"\xff", 0}, {"\x80", 0}, /* never a start */
        {"\xe2\x82", 0},          /* cut short */
        {"\xc3\x28", 0},          /* bad continuation */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); ++i)
        assert_int_equal(utf8_seq_len((const unsigned char *)cases[i].s, strlen(cases[i].s)), cases[i].want);
}

static void escapes(void **state)
{
    (void)state;
    esc("/golang.org/x/text/@v/list", 26, 0, "/golang.org/x/text/@v/list");
    esc("caf\xc3\xa9", 5, 0, "caf\xc3\xa9");                  /* valid UTF-8 is kept */
    esc("a\xff" "b\xc0\xaf", 5, 0, "a\\xffb\\xc0\\xaf");       /* invalid bytes, one by one */
    esc("\x1b[31mred", 8, 0, "\\x1b[31mred");                /* no terminal escapes in a log */
    esc("a\\b", 3, 0, "a\\x5cb");                            /* '\' escaped: the escapes are unambiguous */
    esc("a\0b", 3, 0, "a\\x00b");
    esc("a b\"c", 5, ESC_SPACE, "a\\x20b\\x22c");
    esc("a b\"c", 5, ESC_QUOTE, "a b\\x22c");
    esc("\x7f", 1, 0, "\\x7f");
}

static void never_overruns(void **state)
{
    (void)state;
    char out[6];
    assert_int_equal(esc_text(out, sizeof(out), "ab\xff", 3, 0), 2); /* "\xff" does not fit after "ab" */
    assert_string_equal(out, "ab");
    assert_int_equal(esc_text(out, sizeof(out), "abcd\xc3\xa9", 6, 0), 4); /* nor half of a character */
    assert_string_equal(out, "abcd");
    assert_int_equal(esc_text(out, 1, "abc", 3, 0), 0);
    assert_string_equal(out, "");
}

static void redact(const char *in, const char *want)
{
    char out[256];
    url_redact_query(in, out, sizeof(out));
    assert_string_equal(out, want);
}

static void query_secrets(void **state)
{
    (void)state;
    redact("/golang.org/x/text/@v/list", "/golang.org/x/text/@v/list");
    redact("/catalog?token=abc&pagesize=10", "/catalog?token=***&pagesize=10");
    redact("/x?Access-Token=t1&a=1&X-Amz-Signature=s&X-Amz-Credential=c", "/x?Access-Token=***&a=1&X-Amz-Signature=***&X-Amz-Credential=***");
    redact("/x?password=&tokens=keep&t=1", "/x?password=***&tokens=keep&t=1"); /* whole names only */
    redact("/x?token", "/x?token");        /* no value, nothing to hide */
    redact("/x?&&key=k&", "/x?&&key=***&");
    char small[12];
    url_redact_query("/x?token=abcdef", small, sizeof(small));
    assert_string_equal(small, "/x?token=**");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(utf8_rules), cmocka_unit_test(escapes),
                                       cmocka_unit_test(never_overruns), cmocka_unit_test(query_secrets)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
