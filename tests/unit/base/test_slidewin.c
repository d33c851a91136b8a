/* slidewin: no window of 60 s ever holds more than max events, across a minute
 * boundary too (the fixed-window bound it replaced let 2 x max through there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "slidewin.h"

static void bound_holds_across_a_minute_boundary(void **state)
{
    (void)state;
    slidewin w;
    memset(&w, 0, sizeof(w));
    assert_int_equal(slidewin_take(&w, 119, 2), 1);
    assert_int_equal(slidewin_take(&w, 119, 2), 1);
    assert_int_equal(slidewin_take(&w, 120, 2), 0); /* a new calendar minute, same window */
    assert_int_equal(slidewin_take(&w, 178, 2), 0);
    assert_int_equal(slidewin_take(&w, 179, 2), 1); /* 119 is 60 s old: out */
    assert_int_equal(slidewin_take(&w, 179, 2), 1);
    assert_int_equal(slidewin_take(&w, 180, 2), 0);
}

static void events_age_out_one_second_at_a_time(void **state)
{
    (void)state;
    slidewin w;
    memset(&w, 0, sizeof(w));
    for (int64_t t = 1000; t < 1010; ++t)
        assert_int_equal(slidewin_take(&w, t, 10), 1);
    assert_int_equal(slidewin_take(&w, 1059, 10), 0);
    assert_int_equal(slidewin_take(&w, 1060, 10), 1); /* 1000 left */
    assert_int_equal(slidewin_take(&w, 1060, 10), 0);
    /* long idle: everything is gone, slots reused for new seconds */
    for (int i = 0; i < 10; ++i)
        assert_int_equal(slidewin_take(&w, 5000, 10), 1);
    assert_int_equal(slidewin_take(&w, 5000, 10), 0);
}

static void zero_is_no_bound(void **state)
{
    (void)state;
    slidewin w;
    memset(&w, 0, sizeof(w));
    for (int i = 0; i < 1000; ++i)
        assert_int_equal(slidewin_take(&w, 7, 0), 1);
    assert_int_equal(slidewin_take(&w, 8, 1000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bound_holds_across_a_minute_boundary),
        cmocka_unit_test(events_age_out_one_second_at_a_time),
        cmocka_unit_test(zero_is_no_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
