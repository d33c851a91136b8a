/* An HTTP/1 head as the body gate sees it (core/http/bodyhead.h): parsed as h2o parses
 * it, a body announced or not, and the rename that makes h2o read no body while
 * every byte h2o's offsets count stays where it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "bodyhead.h"

static int parse(const char *text, bodyhead *h)
{
    return bodyhead_parse(text, strlen(text), 0, h);
}

static void test_parse_bounds(void **state)
{
    (void)state;
    bodyhead h;
    const char *req = "PUT /corp.example.com/x/@v/v1.0.0.zip HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\n\r\nhello";
    assert_int_equal(parse(req, &h), (int)(strlen(req) - 5));
    assert_int_equal(h.method_len, 3);
    assert_memory_equal(h.method, "PUT", 3);
    assert_int_equal(h.nfields, 2);
    assert_int_equal(parse("PUT /x HTTP/1.1\r\nHost: s\r\n", &h), -2);
    assert_int_equal(parse("PUT /x HTTP/1.1\r\nHo", &h), -2);
    assert_int_equal(parse("\x01\x02 junk\r\n\r\n", &h), -1);
    /* The HTTP/2 preface is not an HTTP/1 head: it passes to h2o. */
    assert_int_equal(parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &h), -1);
}

static void test_too_many_headers(void **state)
{
    (void)state;
    char buf[8192];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "PUT /x HTTP/1.1\r\n");
    for (int i = 0; i < 101; ++i)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: v\r\n", i);
    snprintf(buf + n, sizeof(buf) - n, "\r\n");
    bodyhead h;
    assert_int_equal(parse(buf, &h), -1); /* h2o refuses it too: nothing to judge */
}

static int has_body(const char *text)
{
    bodyhead h;
    assert_true(parse(text, &h) > 0);
    return bodyhead_has_body(&h);
}

static void test_has_body(void **state)
{
    (void)state;
    assert_false(has_body("GET /x HTTP/1.1\r\nHost: s\r\n\r\n"));
    assert_false(has_body("PUT /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
    assert_true(has_body("PUT /x HTTP/1.1\r\nContent-Length: 1\r\n\r\n"));
    assert_true(has_body("PUT /x HTTP/1.1\r\ncontent-LENGTH: 10\r\n\r\n"));
    assert_true(has_body("PUT /x HTTP/1.1\r\nContent-Length: junk\r\n\r\n"));
    assert_true(has_body("GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    /* h2o takes the Transfer-Encoding over a Content-Length of 0. */
    assert_true(has_body("PUT /x HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"));
}

static void test_withhold(void **state)
{
    (void)state;
    char req[] = "PUT /x HTTP/1.1\r\nHost: s\r\nContent-Length: 9\r\nEXPECT: 100-continue\r\n"
                 "Transfer-Encoding: chunked\r\ncontent-length: 3\r\nAuthorization: Bearer t\r\n\r\nbody";
    char before[sizeof(req)];
    memcpy(before, req, sizeof(req));
    bodyhead h;
    int n = parse(req, &h);
    assert_true(n > 0);
    bodyhead_withhold(&h);
    assert_int_equal(strlen(req), strlen(before));
    bodyhead after;
    assert_int_equal(parse(req, &after), n);
    assert_false(bodyhead_has_body(&after));
    assert_int_equal(after.nfields, h.nfields);
    assert_non_null(strstr(req, BODYHEAD_HELD_LENGTH ": 9\r\n"));
    assert_non_null(strstr(req, BODYHEAD_HELD_LENGTH ": 3\r\n"));
    assert_non_null(strstr(req, BODYHEAD_HELD_EXPECT ": 100-continue\r\n"));
    assert_non_null(strstr(req, BODYHEAD_HELD_CHUNKED ": chunked\r\n"));
    assert_non_null(strstr(req, "Authorization: Bearer t\r\n\r\nbody"));
    /* Only names changed: every value and every offset is where it was. */
    for (size_t i = 0; i < h.nfields; ++i) {
        assert_int_equal(after.fields[i].value - req, h.fields[i].value - req);
        assert_memory_equal(after.fields[i].value, before + (h.fields[i].value - req), h.fields[i].value_len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_bounds),
        cmocka_unit_test(test_too_many_headers),
        cmocka_unit_test(test_has_body),
        cmocka_unit_test(test_withhold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
