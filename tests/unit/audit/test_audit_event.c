/* core/audit_event: the JSON encoding of an event, read back with jansson: odd bytes in
 * paths and identities, truncation, empty fields left out, ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "audit_event.h"

static json_t *encode(const audit_event *ev)
{
    char *s = audit_event_json(ev);
    assert_non_null(s);
    assert_null(strchr(s, '\n')); /* one line */
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (j == NULL)
        fail_msg("not JSON (%s): %s", e.text, s);
    free(s);
    return j;
}

static const char *str(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void odd_paths_are_escaped(void **state)
{
    audit_event ev = {0};
    strcpy(ev.id, "0d588f4a-8d4b-4c95-838b-971044775d9d");
    strcpy(ev.action, "download");
    /* quote, backslash, control characters, valid UTF-8, stray and truncated bytes */
    audit_copy(ev.path, sizeof(ev.path), "/a\"b\\c\t\x01/\xc3\xa9/\xff\xfe/\xe2\x82/\xed\xa0\x80/\xc0\xaf/end\xc3");
    audit_copy(ev.identity, sizeof(ev.identity), "token:\x80x");
    json_t *j = encode(&ev);
    assert_string_equal(str(j, "path"), "/a\"b\\c\t\x01/\xc3\xa9/%FF%FE/%E2%82/%ED%A0%80/%C0%AF/end%C3");
    assert_string_equal(str(j, "identity"), "token:%80x");
    json_decref(j);
}

static void empty_fields_are_left_out(void **state)
{
    audit_event ev = {0};
    strcpy(ev.id, "0d588f4a-8d4b-4c95-838b-971044775d9d");
    ev.time_us = 1764059479045291; /* 2025-11-25T08:31:19.045291Z */
    ev.status = 404;
    ev.bytes = 12;
    ev.duration_ms = 1.5;
    json_t *j = encode(&ev);
    assert_string_equal(str(j, "time"), "2025-11-25T08:31:19.045291Z");
    assert_string_equal(str(j, "action"), "request"); /* never absent: NOT NULL in the table */
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
    assert_int_equal(json_integer_value(json_object_get(j, "bytes")), 12);
    assert_true(json_real_value(json_object_get(j, "duration_ms")) == 1.5);
    assert_null(json_object_get(j, "module"));
    assert_null(json_object_get(j, "identity"));
    assert_null(json_object_get(j, "upstream_failed"));
    json_decref(j);
}

static void failed_upstreams_are_an_array(void **state)
{
    audit_event ev = {0};
    strcpy(ev.id, "0d588f4a-8d4b-4c95-838b-971044775d9d");
    strcpy(ev.upstream_failed, "flaky,far\xff");
    json_t *j = encode(&ev), *a = json_object_get(j, "upstream_failed");
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_array_get(a, 0)), "flaky");
    assert_string_equal(json_string_value(json_array_get(a, 1)), "far%FF");
    json_decref(j);
}

static void copies_truncate_on_character_boundaries(void **state)
{
    char small[5];
    audit_copy(small, sizeof(small), "ab\xc3\xa9\xc3\xa9"); /* "abéé": é does not fit whole after "ab" + 1 byte */
    assert_string_equal(small, "ab\xc3\xa9");
    audit_copy(small, sizeof(small), "abc\xc3\xa9");
    assert_string_equal(small, "abc");
    audit_copy(small, sizeof(small), NULL);
    assert_string_equal(small, "");
    char clean[6];
    audit_utf8_clean("\xff\xff", clean, sizeof(clean)); /* "%FF%FF" needs 7 bytes: only whole escapes */
    assert_string_equal(clean, "%FF");
}

static void ids_are_unique_uuids(void **state)
{
    audit_event a = {0}, b = {0};
    assert_int_equal(audit_event_new_id(&a), 0);
    assert_int_equal(audit_event_new_id(&b), 0);
    assert_int_equal(strlen(a.id), 36);
    assert_int_equal(a.id[14], '4'); /* version 4 */
    assert_string_not_equal(a.id, b.id);
}

/* Ids come from a pool of random bytes refilled every 32 ids: no repeats across refills. */
static void ids_stay_unique_across_refills(void **state)
{
    enum { N = 100 };
    static audit_event evs[N];
    for (int i = 0; i < N; ++i) {
        assert_int_equal(audit_event_new_id(&evs[i]), 0);
        assert_int_equal(strlen(evs[i].id), 36);
        assert_true(strchr("89ab", evs[i].id[19]) != NULL); /* the RFC 4122 variant */
        for (int k = 0; k < i; ++k)
            assert_string_not_equal(evs[i].id, evs[k].id);
    }
}

/* Numbers and the time are formatted by hand: they must read as printf's would. */
static void numbers_and_time_as_printf_writes_them(void **state)
{
    static const struct {
        double ms;
        const char *text;
    } cases[] = {{0, "0.000"}, {0.0004, "0.000"}, {0.0006, "0.001"}, {1.5, "1.500"}, {999.9996, "1000.000"},
                 {123456.789, "123456.789"}, {-3, "0.000"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        audit_event ev = {0};
        strcpy(ev.id, "0d588f4a-8d4b-4c95-838b-971044775d9d");
        ev.duration_ms = cases[i].ms;
        ev.status = i == 0 ? -1 : 200;
        ev.bytes = UINT64_MAX;
        ev.time_us = 1764059479000007 + (int64_t)i * 1000000;
        char *s = audit_event_json(&ev);
        char want[64];
        snprintf(want, sizeof(want), "\"duration_ms\":%s}", cases[i].text);
        if (strstr(s, want) == NULL)
            fail_msg("%g ms: want %s in %s", cases[i].ms, want, s);
        assert_non_null(strstr(s, i == 0 ? "\"status\":-1," : "\"status\":200,"));
        assert_non_null(strstr(s, "\"bytes\":18446744073709551615,"));
        snprintf(want, sizeof(want), "\"time\":\"2025-11-25T08:31:%02d.000007Z\"", 19 + (int)i);
        assert_non_null(strstr(s, want));
        free(s);
    }
}

static void cli_events_name_the_unix_user(void **state)
{
    (void)state;
    audit_event ev;
    memset(&ev, 0x55, sizeof(ev));
    audit_event_cli(&ev, "token.create", "token");
    assert_string_equal(ev.action, "token.create");
    assert_string_equal(ev.kind, "token");
    struct passwd *pw = getpwuid(geteuid());
    char want[sizeof(ev.identity)];
    snprintf(want, sizeof(want), "cli:%s", pw != NULL ? pw->pw_name : "unknown");
    assert_string_equal(ev.identity, want);
    assert_string_equal(ev.target, ""); /* the rest starts empty */
    assert_int_equal(ev.status, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(odd_paths_are_escaped),
        cmocka_unit_test(empty_fields_are_left_out),
        cmocka_unit_test(failed_upstreams_are_an_array),
        cmocka_unit_test(copies_truncate_on_character_boundaries),
        cmocka_unit_test(ids_are_unique_uuids),
        cmocka_unit_test(ids_stay_unique_across_refills),
        cmocka_unit_test(numbers_and_time_as_printf_writes_them),
        cmocka_unit_test(cli_events_name_the_unix_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
