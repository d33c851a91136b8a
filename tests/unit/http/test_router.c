/* The router's decision: method and route to an operation, 405 with the right Allow,
 * 413 for a body nobody reads, and what a plain listener of a TLS server answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "router.h"

/* A request on a TLS listener (or a plain server), no body, Host "proxy.example". */
static router_facts facts(const char *method, route_type t)
{
    return (router_facts){.method = method, .method_len = strlen(method), .type = t, .authority = "proxy.example",
                          .authority_len = strlen("proxy.example"), .path = "/x/@v/list",
                          .path_len = strlen("/x/@v/list"), .https_port = 443};
}

static int decide(router_facts f, router_verdict *v)
{
    return router_decide(&f, v);
}

static void expect_op(const char *method, route_type t, stoa_op op)
{
    router_verdict v;
    assert_int_equal(decide(facts(method, t), &v), 0);
    assert_int_equal(v.op, op);
}

static void expect_405(const char *method, route_type t, const char *allow)
{
    router_verdict v;
    assert_int_equal(decide(facts(method, t), &v), 405);
    assert_string_equal(v.allow, allow);
}

static void file_routes(void **state)
{
    route_type files[] = {ROUTE_INFO, ROUTE_MOD, ROUTE_ZIP};
    for (size_t i = 0; i < 3; ++i) {
        expect_op("GET", files[i], STOA_OP_READ);
        expect_op("HEAD", files[i], STOA_OP_READ);
        expect_op("PUT", files[i], STOA_OP_PUBLISH);
        expect_op("DELETE", files[i], STOA_OP_ADMIN);
        expect_405("POST", files[i], "GET, HEAD, PUT, DELETE");
    }
}

static void other_routes(void **state)
{
    expect_op("GET", ROUTE_LIST, STOA_OP_READ);
    expect_op("HEAD", ROUTE_CATALOG, STOA_OP_READ);
    expect_op("GET", ROUTE_ADMIN, STOA_OP_ADMIN);
    expect_op("HEAD", ROUTE_ADMIN, STOA_OP_ADMIN);
    expect_405("PUT", ROUTE_LIST, "GET, HEAD");
    expect_405("DELETE", ROUTE_LATEST, "GET, HEAD");
    expect_405("POST", ROUTE_ADMIN, "GET, HEAD");
    /* Methods are case-sensitive and matched whole. */
    expect_405("get", ROUTE_LIST, "GET, HEAD");
    expect_405("GETX", ROUTE_LIST, "GET, HEAD");
    expect_405("GE", ROUTE_LIST, "GET, HEAD");
}

static void build_takes_put_only(void **state)
{
    expect_op("PUT", ROUTE_BUILD, STOA_OP_PUBLISH);
    expect_405("GET", ROUTE_BUILD, "PUT");
    expect_405("DELETE", ROUTE_BUILD, "PUT");
}

/* X-Stoa-Import makes a module file's PUT an admin's import into the cache, body and all;
 * it changes nothing else. */
static void import_is_admin(void **state)
{
    route_type files[] = {ROUTE_INFO, ROUTE_MOD, ROUTE_ZIP};
    router_verdict v;
    for (size_t i = 0; i < 3; ++i) {
        router_facts f = facts("PUT", files[i]);
        f.import_cache = 1;
        f.body_len = 10;
        assert_int_equal(decide(f, &v), 0);
        assert_int_equal(v.op, STOA_OP_ADMIN);
        f = facts("GET", files[i]);
        f.import_cache = 1;
        assert_int_equal(decide(f, &v), 0);
        assert_int_equal(v.op, STOA_OP_READ);
    }
    router_facts f = facts("PUT", ROUTE_BUILD);
    f.import_cache = 1;
    assert_int_equal(decide(f, &v), 0);
    assert_int_equal(v.op, STOA_OP_PUBLISH);
}

static int with_body(const char *method, route_type t, size_t len, router_verdict *v)
{
    router_facts f = facts(method, t);
    f.body_len = len;
    return decide(f, v);
}

static void body_only_on_publish(void **state)
{
    router_verdict v;
    assert_int_equal(with_body("GET", ROUTE_ZIP, 1, &v), 413);
    assert_int_equal(with_body("DELETE", ROUTE_MOD, 10, &v), 413);
    assert_int_equal(with_body("PUT", ROUTE_ZIP, 10, &v), 0);
    assert_int_equal(v.op, STOA_OP_PUBLISH);
    assert_int_equal(with_body("PUT", ROUTE_BUILD, 10, &v), 0);
    /* A method refused is 405 even with a body. */
    assert_int_equal(with_body("POST", ROUTE_LIST, 10, &v), 405);
}

static router_facts plain(const char *method, route_type t, int redirect)
{
    router_facts f = facts(method, t);
    f.plain_on_tls = 1;
    f.tls_redirect = redirect;
    return f;
}

static void plain_serves_health(void **state)
{
    route_type ok[] = {ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_VERSION, ROUTE_METRICS};
    router_verdict v;
    for (size_t i = 0; i < 4; ++i) {
        assert_int_equal(decide(plain("GET", ok[i], 1), &v), 0);
        assert_int_equal(v.op, STOA_OP_READ);
    }
    /* It still checks the method there. */
    assert_int_equal(decide(plain("PUT", ROUTE_HEALTHZ, 0), &v), 405);
}

static void plain_refuses_without_redirect(void **state)
{
    router_verdict v;
    assert_int_equal(decide(plain("GET", ROUTE_ZIP, 0), &v), 403);
    assert_string_equal(v.location, "");
    /* Before the method check: nothing about the route leaks in the clear. */
    assert_int_equal(decide(plain("POST", ROUTE_ZIP, 0), &v), 403);
    assert_int_equal(decide(plain("GET", ROUTE_ART_PING, 0), &v), 403);
}

static void plain_redirects(void **state)
{
    router_verdict v;
    router_facts f = plain("GET", ROUTE_LIST, 1);
    assert_int_equal(decide(f, &v), 308);
    assert_string_equal(v.location, "https://proxy.example/x/@v/list");
    f.https_port = 8443;
    f.authority = "proxy.example:8080";
    f.authority_len = strlen(f.authority);
    assert_int_equal(decide(f, &v), 308);
    assert_string_equal(v.location, "https://proxy.example:8443/x/@v/list");
    /* A body or a refused method is not looked at: the client is sent to https. */
    f = plain("DELETE", ROUTE_LIST, 1);
    f.body_len = 5;
    assert_int_equal(decide(f, &v), 308);
}

static int redirect_for(const char *authority, unsigned port, router_verdict *v)
{
    router_facts f = plain("GET", ROUTE_MOD, 1);
    f.authority = authority;
    f.authority_len = authority != NULL ? strlen(authority) : 0;
    f.https_port = port;
    return decide(f, v);
}

static void redirect_authority(void **state)
{
    router_verdict v;
    assert_int_equal(redirect_for("[::1]:8080", 9443, &v), 308);
    assert_string_equal(v.location, "https://[::1]:9443/x/@v/list");
    assert_int_equal(redirect_for("[2001:db8::1]", 443, &v), 308);
    assert_string_equal(v.location, "https://[2001:db8::1]/x/@v/list");
    assert_int_equal(redirect_for("a-b.example", 443, &v), 308);
    assert_string_equal(v.location, "https://a-b.example/x/@v/list");
    /* Only a Host the client sent, of host-name bytes, goes into a Location. */
    assert_int_equal(redirect_for(NULL, 443, &v), 403);
    assert_int_equal(redirect_for("evil.example/x", 443, &v), 403);
    assert_int_equal(redirect_for("a\r\nSet-Cookie: x", 443, &v), 403);
    assert_int_equal(redirect_for("user@host", 443, &v), 403);
    assert_int_equal(redirect_for("[::1", 443, &v), 403);
    assert_int_equal(redirect_for(":8080", 443, &v), 403);
    char longhost[300];
    memset(longhost, 'a', sizeof(longhost) - 1);
    longhost[sizeof(longhost) - 1] = '\0';
    assert_int_equal(redirect_for(longhost, 443, &v), 403);
    longhost[255] = '\0';
    assert_int_equal(redirect_for(longhost, 443, &v), 308);
}

static void plain_server_ignores_tls_rules(void **state)
{
    router_verdict v;
    router_facts f = facts("GET", ROUTE_ZIP);
    f.tls_redirect = 1; /* set, but this socket is not a plain one of a TLS server */
    assert_int_equal(decide(f, &v), 0);
    assert_string_equal(v.location, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_routes),
        cmocka_unit_test(other_routes),
        cmocka_unit_test(build_takes_put_only),
        cmocka_unit_test(body_only_on_publish),
        cmocka_unit_test(import_is_admin),
        cmocka_unit_test(plain_serves_health),
        cmocka_unit_test(plain_refuses_without_redirect),
        cmocka_unit_test(plain_redirects),
        cmocka_unit_test(redirect_authority),
        cmocka_unit_test(plain_server_ignores_tls_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
