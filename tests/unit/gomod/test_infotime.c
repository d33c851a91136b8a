/* validate_info_time: the .info Time forms Go's time.Time writes (RFC 3339), rewritten
 * in UTC; everything else refused. modinfo_text: the .info written back, with that time
 * or a Unix second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "modinfo.h"
#include "validate.h"

static void accepted(void **state)
{
    static const struct {
        const char *in, *utc;
        long long secs;
    } t[] = {
        {"2019-03-04T05:06:07Z", "2019-03-04T05:06:07Z", 1551675967},
        {"2019-03-04T05:06:07.5Z", "2019-03-04T05:06:07.5Z", 1551675967},
        {"2019-03-04T05:06:07.123456789Z", "2019-03-04T05:06:07.123456789Z", 1551675967},
        {"2019-03-04T05:06:07+01:00", "2019-03-04T04:06:07Z", 1551672367},
        {"2019-03-04T00:30:00.25-02:30", "2019-03-04T03:00:00.25Z", 1551668400},
        {"2020-02-29T23:59:59Z", "2020-02-29T23:59:59Z", 1583020799},
        {"2000-01-01T00:30:00+01:00", "1999-12-31T23:30:00Z", 946683000},
        {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", -62135596800LL}, /* Go's zero time */
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        char out[VALIDATE_TIME_MAX];
        int64_t secs = 0;
        if (validate_info_time(t[i].in, out, sizeof(out), &secs) != 0)
            fail_msg("%s refused", t[i].in);
        assert_string_equal(out, t[i].utc);
        assert_int_equal(secs, t[i].secs);
    }
}

static void refused(void **state)
{
    static const char *const t[] = {
        "", "2019-03-04", "2019-03-04T05:06:07", "2019-03-04 05:06:07Z", "2019-03-04T05:06:07z",
        "2019-13-04T05:06:07Z", "2019-00-04T05:06:07Z", "2019-02-29T05:06:07Z", "2019-04-31T05:06:07Z",
        "2019-03-04T24:00:00Z", "2019-03-04T05:60:07Z", "2019-03-04T05:06:60Z", "2019-03-04T05:06:07.Z",
        "2019-03-04T05:06:07.1234567890Z", "2019-03-04T05:06:07+0100", "2019-03-04T05:06:07+24:00",
        "2019-03-04T05:06:07Z ", "2019-3-04T05:06:07Z", "+019-03-04T05:06:07Z", "0000-01-01T00:00:00+00:01",
        "9999-12-31T23:59:59-00:01", "2019-03-04T05:06:07.5.5Z",
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        char out[VALIDATE_TIME_MAX];
        if (validate_info_time(t[i], out, sizeof(out), NULL) == 0)
            fail_msg("'%s' accepted as %s", t[i], out);
    }
    char small[20];
    assert_int_equal(validate_info_time("2019-03-04T05:06:07Z", small, sizeof(small), NULL), -1); /* does not fit */
}

static void written(void **state)
{
    (void)state;
    char out[128];
    assert_int_equal(modinfo_text("v1.2.3", "2019-03-04T04:06:07.5Z", 0, out, sizeof(out)), 53);
    assert_string_equal(out, "{\"Version\":\"v1.2.3\",\"Time\":\"2019-03-04T04:06:07.5Z\"}\n");
    assert_int_equal(modinfo_text("v1.2.3", "", 1551672367, out, sizeof(out)), 51);
    assert_string_equal(out, "{\"Version\":\"v1.2.3\",\"Time\":\"2019-03-04T04:06:07Z\"}\n");
    assert_int_equal(modinfo_text("v0.0.0-20190304040607-abcdefabcdef", NULL, 0, out, sizeof(out)), 79);
    assert_string_equal(out, "{\"Version\":\"v0.0.0-20190304040607-abcdefabcdef\",\"Time\":\"1970-01-01T00:00:00Z\"}\n");
    char small[51];
    assert_int_equal(modinfo_text("v1.2.3", "", 1551672367, small, sizeof(small)), -1); /* one byte short */
    char out2[VALIDATE_TIME_MAX]; /* what validate_info_time writes, modinfo_text takes */
    assert_int_equal(validate_info_time("2019-03-04T05:06:07+01:00", out2, sizeof(out2), NULL), 0);
    assert_int_equal(modinfo_text("v1.0.0", out2, 0, out, sizeof(out)), 51);
    assert_string_equal(out, "{\"Version\":\"v1.0.0\",\"Time\":\"2019-03-04T04:06:07Z\"}\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(accepted), cmocka_unit_test(refused), cmocka_unit_test(written)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
