/* Fills per client address: the limit holds per address, an address's count survives
 * any order of other addresses leaving (backward-shift deletion keeps probe runs
 * whole), and a full table refuses rather than miscounts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "clientfills.h"

static void limit_per_address(void **state)
{
    assert_int_equal(clientfills_take("10.0.0.1", 2), 0);
    assert_int_equal(clientfills_take("10.0.0.1", 2), 0);
    assert_int_equal(clientfills_take("10.0.0.1", 2), -1);
    assert_int_equal(clientfills_of("10.0.0.1"), 2);
    assert_int_equal(clientfills_take("10.0.0.2", 2), 0);
    clientfills_put("10.0.0.1");
    assert_int_equal(clientfills_take("10.0.0.1", 2), 0);
    for (int i = 0; i < 2; ++i)
        clientfills_put("10.0.0.1");
    clientfills_put("10.0.0.2");
    assert_int_equal(clientfills_of("10.0.0.1"), 0);
    assert_int_equal(clientfills_of("10.0.0.2"), 0);
    clientfills_put("10.0.0.9"); /* never taken: no effect */
    assert_int_equal(clientfills_of("10.0.0.9"), 0);
}

static void zero_is_unbounded(void **state)
{
    for (int i = 0; i < 1000; ++i)
        assert_int_equal(clientfills_take("::1", 0), 0);
    assert_int_equal(clientfills_of("::1"), 1000);
    for (int i = 0; i < 1000; ++i)
        clientfills_put("::1");
    assert_int_equal(clientfills_of("::1"), 0);
    assert_int_equal(clientfills_take("", 1), 0); /* no address: one shared key */
    assert_int_equal(clientfills_take("", 1), -1);
    clientfills_put("");
}

static void addr(char *out, size_t len, unsigned i)
{
    snprintf(out, len, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

static void churn_keeps_counts(void **state)
{
    enum { N = CLIENTFILLS_SLOTS * 3 / 4 };
    static unsigned order[N];
    char a[32];
    for (unsigned i = 0; i < N; ++i) {
        addr(a, sizeof(a), i);
        for (unsigned k = 0; k <= i % 3; ++k)
            assert_int_equal(clientfills_take(a, 0), 0);
        order[i] = i;
    }
    srand(7);
    for (unsigned i = N - 1; i > 0; --i) {
        unsigned j = (unsigned)rand() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (unsigned k = 0; k < N; ++k) {
        addr(a, sizeof(a), order[k]);
        for (unsigned n = 0; n <= order[k] % 3; ++n)
            clientfills_put(a);
        assert_int_equal(clientfills_of(a), 0);
        if (k % 97 == 0) /* every address still held keeps its count */
            for (unsigned m = k + 1; m < N; ++m) {
                addr(a, sizeof(a), order[m]);
                assert_int_equal(clientfills_of(a), order[m] % 3 + 1);
            }
    }
}

static void full_table_refuses(void **state)
{
    char a[32];
    for (unsigned i = 0; i < CLIENTFILLS_SLOTS; ++i) {
        addr(a, sizeof(a), i);
        assert_int_equal(clientfills_take(a, 1), 0);
    }
    assert_int_equal(clientfills_take("192.0.2.1", 1), -1);
    addr(a, sizeof(a), 5);
    assert_int_equal(clientfills_take(a, 2), 0); /* a known address still counts */
    clientfills_put(a);
    clientfills_put(a);
    assert_int_equal(clientfills_take("192.0.2.1", 1), 0);
    clientfills_put("192.0.2.1");
    for (unsigned i = 0; i < CLIENTFILLS_SLOTS; ++i) {
        addr(a, sizeof(a), i);
        if (i != 5)
            clientfills_put(a);
        assert_int_equal(clientfills_of(a), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limit_per_address),
        cmocka_unit_test(zero_is_unbounded),
        cmocka_unit_test(churn_keeps_counts),
        cmocka_unit_test(full_table_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
