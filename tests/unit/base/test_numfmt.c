/* numfmt: numbers and addresses formatted by hand agree with the libc functions they
 * replace on the per-request path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "numfmt.h"

static const char *addr_of(const char *text, int family)
{
    static char out[INET6_ADDRSTRLEN];
    struct sockaddr_storage ss = {.ss_family = (sa_family_t)family};
    void *at = family == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
                                 : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
    assert_int_equal(inet_pton(family, text, at), 1);
    assert_int_equal(numfmt_addr((struct sockaddr *)&ss, out, sizeof(out)), 0);
    return out;
}

static void addresses(void **state)
{
    (void)state;
    const char *v4[] = {"0.0.0.0", "127.0.0.1", "10.20.30.40", "255.255.255.255", "9.99.100.199"};
    for (size_t i = 0; i < sizeof(v4) / sizeof(*v4); ++i)
        assert_string_equal(addr_of(v4[i], AF_INET), v4[i]);
    assert_string_equal(addr_of("::1", AF_INET6), "::1");
    assert_string_equal(addr_of("::ffff:10.0.0.1", AF_INET6), "::ffff:10.0.0.1");
    assert_string_equal(addr_of("2001:db8::8a2e:370:7334", AF_INET6), "2001:db8::8a2e:370:7334");
    struct sockaddr_storage unix_ss = {.ss_family = AF_UNIX};
    char out[INET6_ADDRSTRLEN] = "x";
    assert_int_equal(numfmt_addr((struct sockaddr *)&unix_ss, out, sizeof(out)), -1);
    assert_string_equal(out, "");
}

static void numbers(void **state)
{
    (void)state;
    char buf[32];
    char *end = buf + sizeof(buf) - 1;
    *end = '\0';
    assert_string_equal(numfmt_u64(end, 0), "0");
    assert_string_equal(numfmt_u64(end, 18446744073709551615u), "18446744073709551615");
    assert_string_equal(numfmt_fixed(end, 1.25, 1), "1.3");
    assert_string_equal(numfmt_fixed(end, 0.0004, 3), "0.000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(addresses), cmocka_unit_test(numbers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
