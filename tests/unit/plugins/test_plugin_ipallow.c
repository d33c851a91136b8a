/* ipallow internals: CIDR parsing and matching (IPv4, IPv6, mapped), X-Forwarded-For
 * and Forwarded parsing, and the trusted-proxy walk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ipallow.h"

static ipallow_net net(const char *s)
{
    ipallow_net n;
    char why[256];
    assert_int_equal(ipallow_cidr_parse(s, &n, why, sizeof(why)), 0);
    return n;
}

static ipallow_net addr(const char *s)
{
    ipallow_net a;
    assert_int_equal(ipallow_addr_parse(s, strlen(s), &a), 0);
    return a;
}

static int in(const char *cidr, const char *a)
{
    ipallow_net n = net(cidr), x = addr(a);
    return ipallow_cidr_match(&n, &x);
}

static void cidr_match(void **state)
{
    assert_true(in("10.0.0.0/8", "10.255.1.2"));
    assert_false(in("10.0.0.0/8", "11.0.0.1"));
    assert_true(in("192.168.1.128/25", "192.168.1.200"));
    assert_false(in("192.168.1.128/25", "192.168.1.127"));
    assert_true(in("0.0.0.0/0", "203.0.113.9"));
    assert_true(in("127.0.0.1", "127.0.0.1"));
    assert_false(in("127.0.0.1", "127.0.0.2"));
    assert_true(in("2001:db8::/32", "2001:db8:1::5"));
    assert_false(in("2001:db8::/32", "2001:db9::5"));
    assert_true(in("::1/128", "::1"));
    assert_true(in("[::1]", "[::1]"));
    assert_true(in("fe80::/10", "febf::1"));
    assert_false(in("fe80::/10", "fec0::1"));
    assert_true(in("::/0", "2001:db8::1"));
    /* Families never match each other; mapped IPv4 counts as IPv4. */
    assert_false(in("0.0.0.0/0", "::1"));
    assert_false(in("::/0", "10.0.0.1"));
    assert_true(in("10.0.0.0/8", "::ffff:10.1.2.3"));
    assert_true(in("::ffff:10.0.0.0/104", "10.9.9.9"));
}

static void cidr_errors(void **state)
{
    ipallow_net n;
    char why[256];
    const char *bad[] = {"", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0/8", "::1/129", "example.com",
                         "10.0.0.0/8x", "1.2.3.4.5", "fe80::1%eth0", "2001:db8::/32/1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i)
        assert_int_equal(ipallow_cidr_parse(bad[i], &n, why, sizeof(why)), -1);
    assert_int_equal(ipallow_cidr_parse("10.1.2.3/8", &n, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "did you mean 10.0.0.0/8?"));
    assert_int_equal(ipallow_cidr_parse("2001:db8::1/32", &n, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "2001:db8::/32"));
    /* A mapped network's prefix counts from the IPv6 address: the message names 96. */
    assert_int_equal(ipallow_cidr_parse("::ffff:0.0.0.0/95", &n, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "must be 96 to 128"));
    assert_int_equal(ipallow_cidr_parse("::ffff:10.0.0.0/129", &n, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "must be 96 to 128"));
}

static void list_parsing(void **state)
{
    ipallow_list l = {0};
    char why[256];
    assert_int_equal(ipallow_list_add(&l, "10.0.0.0/8, 192.168.0.0/16 ::1", why, sizeof(why)), 0);
    assert_int_equal(l.n, 3);
    ipallow_net a = addr("192.168.7.7"), b = addr("172.16.0.1"), c = addr("::1");
    assert_true(ipallow_list_match(&l, &a));
    assert_false(ipallow_list_match(&l, &b));
    assert_true(ipallow_list_match(&l, &c));
    assert_int_equal(ipallow_list_add(&l, "10.0.0.0/8,bogus", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "bogus"));
    ipallow_list_free(&l);
}

static void text(const ipallow_net *h, const char *want)
{
    char buf[64];
    ipallow_addr_text(h, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void xff(void **state)
{
    ipallow_net hops[IPALLOW_MAX_HOPS];
    const char v[] = " 203.0.113.7 ,10.0.0.1:8080, [2001:db8::1]:443,2001:db8::2,unknown,";
    int n = ipallow_xff_parse(v, strlen(v), hops);
    assert_int_equal(n, 6);
    text(&hops[0], "203.0.113.7");
    text(&hops[1], "10.0.0.1");
    text(&hops[2], "2001:db8::1");
    text(&hops[3], "2001:db8::2");
    assert_int_equal(hops[4].family, 0);
    assert_int_equal(hops[5].family, 0);
    /* Longer than the limit: the rightmost hops are kept. */
    char many[4096] = "";
    for (int i = 0; i < 100; ++i)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s10.0.0.%d", i ? "," : "", i);
    n = ipallow_xff_parse(many, strlen(many), hops);
    assert_int_equal(n, IPALLOW_MAX_HOPS);
    text(&hops[IPALLOW_MAX_HOPS - 1], "10.0.0.99");
}

static void forwarded(void **state)
{
    ipallow_net hops[IPALLOW_MAX_HOPS];
    const char v[] = "for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\", "
                     "proto=https;for=\"198.51.100.17:80\", for=_hidden, for=\"a,b\";proto=http, by=10.0.0.1";
    int n = ipallow_forwarded_parse(v, strlen(v), hops);
    assert_int_equal(n, 6);
    text(&hops[0], "192.0.2.60");
    text(&hops[1], "2001:db8:cafe::17");
    text(&hops[2], "198.51.100.17");
    assert_int_equal(hops[3].family, 0); /* obfuscated */
    assert_int_equal(hops[4].family, 0); /* the quoted comma did not split */
    assert_int_equal(hops[5].family, 0); /* no for= */
}

static void client_walk(void **state)
{
    ipallow_list trusted = {0};
    char why[256];
    assert_int_equal(ipallow_list_add(&trusted, "10.0.0.0/24", why, sizeof(why)), 0);
    ipallow_net hops[IPALLOW_MAX_HOPS], out;
    const char chain[] = "6.6.6.6, 203.0.113.5, 10.0.0.2";
    int n = ipallow_xff_parse(chain, strlen(chain), hops);
    ipallow_net proxy = addr("10.0.0.1"), outsider = addr("198.51.100.1");
    /* Trusted peer: walk left over trusted hops to the first untrusted one. */
    assert_int_equal(ipallow_client(&proxy, hops, n, &trusted, &out), 0);
    text(&out, "203.0.113.5");
    /* Untrusted peer: its header is ignored. */
    assert_int_equal(ipallow_client(&outsider, hops, n, &trusted, &out), 0);
    text(&out, "198.51.100.1");
    /* Every hop trusted: the leftmost is the client. */
    const char all[] = "10.0.0.7, 10.0.0.8";
    n = ipallow_xff_parse(all, strlen(all), hops);
    assert_int_equal(ipallow_client(&proxy, hops, n, &trusted, &out), 0);
    text(&out, "10.0.0.7");
    /* A trusted proxy reporting garbage: refused, but garbage beyond the client is fine. */
    const char junk[] = "unknown";
    n = ipallow_xff_parse(junk, strlen(junk), hops);
    assert_int_equal(ipallow_client(&proxy, hops, n, &trusted, &out), -1);
    const char junk_left[] = "unknown, 203.0.113.5";
    n = ipallow_xff_parse(junk_left, strlen(junk_left), hops);
    assert_int_equal(ipallow_client(&proxy, hops, n, &trusted, &out), 0);
    text(&out, "203.0.113.5");
    /* No header from a trusted peer: the peer itself. */
    assert_int_equal(ipallow_client(&proxy, hops, 0, &trusted, &out), 0);
    text(&out, "10.0.0.1");
    ipallow_list_free(&trusted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cidr_match), cmocka_unit_test(cidr_errors), cmocka_unit_test(list_parsing),
        cmocka_unit_test(xff),        cmocka_unit_test(forwarded),   cmocka_unit_test(client_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
