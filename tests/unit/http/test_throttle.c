/* Failed-authentication throttling: the block starts at the Nth failure within the
 * window, lasts one window, names the seconds left, and touches no other address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "throttle.h"

static int setup(void **state)
{
    throttle_reset();
    return 0;
}

static void blocks_after_n(void **state)
{
    uint64_t t = 1000000;
    throttle_failure("10.0.0.1", t, 3, 10000);
    throttle_failure("10.0.0.1", t + 1, 3, 10000);
    assert_int_equal(throttle_blocked("10.0.0.1", t + 2), 0);
    throttle_failure("10.0.0.1", t + 2, 3, 10000);
    assert_int_equal(throttle_blocked("10.0.0.1", t + 2), 10);
    assert_int_equal(throttle_blocked("10.0.0.1", t + 8500), 2);
    assert_int_equal(throttle_blocked("10.0.0.2", t + 3), 0);
    assert_int_equal(throttle_blocked("::1", t + 3), 0);
    assert_int_equal(throttle_blocked("10.0.0.1", t + 10002), 0);
}

static void window_resets(void **state)
{
    uint64_t t = 2000000;
    throttle_failure("10.0.0.3", t, 3, 10000);
    throttle_failure("10.0.0.3", t + 1, 3, 10000);
    throttle_failure("10.0.0.3", t + 10001, 3, 10000); /* a new window: count 1 */
    assert_int_equal(throttle_blocked("10.0.0.3", t + 10002), 0);
}

static void churn_keeps_blocks(void **state)
{
    uint64_t t = 3000000;
    for (int i = 0; i < 3; ++i)
        throttle_failure("192.0.2.1", t, 3, 10000);
    char a[64];
    for (int i = 0; i < 20000; ++i) { /* many other failing addresses */
        snprintf(a, sizeof(a), "2001:db8::%x", i);
        throttle_failure(a, t + 1, 3, 10000);
    }
    assert_true(throttle_blocked("192.0.2.1", t + 2) > 0);
}

static void off(void **state)
{
    for (int i = 0; i < 10; ++i)
        throttle_failure("10.0.0.9", 5000000, 0, 10000);
    assert_int_equal(throttle_blocked("10.0.0.9", 5000001), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(blocks_after_n, setup),
        cmocka_unit_test_setup(window_resets, setup),
        cmocka_unit_test_setup(churn_keeps_blocks, setup),
        cmocka_unit_test_setup(off, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
