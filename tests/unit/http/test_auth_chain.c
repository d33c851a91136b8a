/* The auth chain on its own: plugins in order, the first deny wins, a required request
 * needs an allow, loopback alone passes with no plugins, identities and client
 * addresses from the plugins, and failed-authentication throttling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "status.h"
#include "throttle.h"

/* A plugin that answers what its state says, and counts its calls. */
typedef struct canned {
    stoa_status answer;
    const char *identity, *client, *reason;
    uint32_t retry_after;
    int calls, saw_required;
} canned;

static stoa_status canned_decide(void *state, const stoa_auth_request *req, stoa_auth_result *res)
{
    canned *c = state;
    ++c->calls;
    c->saw_required = req->required;
    snprintf(res->identity, sizeof(res->identity), "%s", c->identity ? c->identity : "");
    snprintf(res->client_addr, sizeof(res->client_addr), "%s", c->client ? c->client : "");
    snprintf(res->reason, sizeof(res->reason), "%s", c->reason ? c->reason : "");
    res->retry_after = c->retry_after;
    return c->answer;
}

/* Like auth/token: "Bearer good" is token:ci, any other credential is wrong, none abstains. */
static stoa_status token_decide(void *state, const stoa_auth_request *req, stoa_auth_result *res)
{
    size_t n;
    const char *v = req->header(req, "Authorization", &n);
    if (v == NULL)
        return STOA_DECLINED;
    if (n == strlen("Bearer good") && memcmp(v, "Bearer good", n) == 0)
        return snprintf(res->identity, sizeof(res->identity), "token:ci"), STOA_OK;
    return snprintf(res->reason, sizeof(res->reason), "unknown token"), STOA_UNAUTHORIZED;
}

/* Like auth/ipallow with sufficient: true: 10.0.0.0/8 counts as an allow. */
static stoa_status sufficient_decide(void *state, const stoa_auth_request *req, stoa_auth_result *res)
{
    if (strncmp(req->peer_addr, "10.", 3) != 0)
        return STOA_DECLINED;
    return snprintf(res->identity, sizeof(res->identity), "ip:%s", req->peer_addr), STOA_OK;
}

static plugin canned_plugin = {.name = "canned", .m.auth = {.struct_size = sizeof(stoa_auth_methods), .decide = canned_decide}};
static plugin token_plugin = {.name = "token", .m.auth = {.struct_size = sizeof(stoa_auth_methods), .decide = token_decide}};
static plugin sufficient_plugin = {.name = "ipallow",
                                   .m.auth = {.struct_size = sizeof(stoa_auth_methods), .decide = sufficient_decide}};

typedef struct fixture {
    plugin *plugins[4];
    void *states[4];
    auth_chain chain;
    stoa_auth_request req;
    auth_subject subject;
    auth_decision d;
    const char *authz; /* the Authorization header sent, or NULL */
} fixture;

static fixture fx;

static const char *header(const stoa_auth_request *req, const char *name, size_t *len)
{
    if (fx.authz == NULL || strcasecmp(name, "authorization") != 0)
        return NULL;
    return *len = strlen(fx.authz), fx.authz;
}
static int setup(void **state)
{
    throttle_reset();
    memset(&fx, 0, sizeof(fx));
    fx.chain = (auth_chain){fx.plugins, fx.states, 0, 0, 10000};
    fx.req = (stoa_auth_request){sizeof(fx.req), STOA_OP_READ, "GET", "/x/@v/list", "", "x", "192.0.2.1", header, NULL, 1};
    fx.subject = (auth_subject){.req = &fx.req, .now_ms = 1000000};
    snprintf(fx.subject.client, sizeof(fx.subject.client), "%s", fx.req.peer_addr);
    return 0;
}

static void add(plugin *p, void *st)
{
    fx.plugins[fx.chain.n] = p;
    fx.states[fx.chain.n++] = st;
}

static stoa_status run(void)
{
    return auth_chain_run(&fx.chain, &fx.subject, &fx.d);
}

/* Runs with a peer (and client) address. */
static stoa_status run_from(const char *addr)
{
    fx.req.peer_addr = addr;
    snprintf(fx.subject.client, sizeof(fx.subject.client), "%s", addr);
    return run();
}

static void first_deny_wins(void **state)
{
    canned allow = {.answer = STOA_OK, .identity = "a"}, no = {.answer = STOA_DENIED, .reason = "not from here"};
    add(&canned_plugin, &allow);
    add(&canned_plugin, &no);
    add(&canned_plugin, &allow);
    assert_int_equal(run(), STOA_DENIED);
    assert_int_equal(fx.d.status, STOA_DENIED);
    assert_string_equal(fx.d.reason, "not from here");
    assert_int_equal(allow.calls, 1); /* the chain stopped at the deny */
    assert_int_equal(no.saw_required, 1);
}

static void other_failures_are_401(void **state)
{
    canned broken = {.answer = STOA_INVALID};
    add(&canned_plugin, &broken);
    assert_int_equal(run(), STOA_UNAUTHORIZED);
    assert_string_equal(fx.d.reason, status_name(STOA_INVALID));
}

static void required_needs_an_allow(void **state)
{
    canned abstain = {.answer = STOA_DECLINED};
    add(&canned_plugin, &abstain);
    add(&token_plugin, NULL);
    assert_int_equal(run(), STOA_UNAUTHORIZED);
    assert_non_null(strstr(fx.d.reason, "read needs credentials"));
    assert_string_equal(fx.subject.identity, "");
    fx.req.required = 0;
    assert_int_equal(run(), STOA_OK);
    assert_int_equal(abstain.saw_required, 0);
    fx.req.required = 1;
    fx.authz = "Bearer good";
    assert_int_equal(run(), STOA_OK);
    assert_string_equal(fx.subject.identity, "token:ci");
    fx.authz = "Bearer bad";
    assert_int_equal(run(), STOA_UNAUTHORIZED);
    assert_string_equal(fx.d.reason, "unknown token");
}

static void no_plugins_loopback_only(void **state)
{
    fx.req.op = STOA_OP_PUBLISH;
    assert_int_equal(run_from("127.0.0.1"), STOA_OK);
    assert_string_equal(fx.subject.identity, "loopback");
    fx.subject.identity[0] = '\0';
    assert_int_equal(run_from("::1"), STOA_OK);
    assert_int_equal(run_from("::ffff:127.9.0.1"), STOA_OK);
    fx.subject.identity[0] = '\0';
    assert_int_equal(run_from("10.0.0.1"), STOA_DENIED);
    assert_string_equal(fx.d.reason, "publish needs authentication, and no auth plugins are configured (only "
                                     "loopback may publish)");
    assert_string_equal(fx.subject.identity, "");
    assert_int_equal(run_from("::ffff:10.0.0.1"), STOA_DENIED);
    assert_int_equal(run_from("not an address"), STOA_DENIED);
    fx.req.required = 0;
    assert_int_equal(run_from("10.0.0.1"), STOA_OK);
    assert_string_equal(fx.subject.identity, "");
}

static void loopback_needs_no_plugins(void **state)
{
    canned abstain = {.answer = STOA_DECLINED};
    add(&canned_plugin, &abstain);
    assert_int_equal(run_from("127.0.0.1"), STOA_UNAUTHORIZED);
}

static void sufficient_plugin_allows(void **state)
{
    fx.req.op = STOA_OP_PUBLISH;
    add(&sufficient_plugin, NULL);
    add(&token_plugin, NULL);
    assert_int_equal(run_from("10.1.2.3"), STOA_OK);
    assert_string_equal(fx.subject.identity, "ip:10.1.2.3");
    fx.subject.identity[0] = '\0';
    assert_int_equal(run_from("192.0.2.7"), STOA_UNAUTHORIZED);
    assert_non_null(strstr(fx.d.reason, "publish needs credentials"));
}

static void throttled_carries_retry_after(void **state)
{
    canned busy = {.answer = STOA_THROTTLED, .retry_after = 7, .reason = "slow down"};
    add(&canned_plugin, &busy);
    assert_int_equal(run(), STOA_THROTTLED);
    assert_int_equal(fx.d.retry_after, 7);
    assert_string_equal(fx.d.reason, "slow down");
    busy.reason = NULL;
    assert_int_equal(run(), STOA_THROTTLED);
    assert_string_equal(fx.d.reason, status_name(STOA_THROTTLED));
}

static void identity_from_the_allow(void **state)
{
    canned maybe = {.answer = STOA_DECLINED, .identity = "maybe"}, first = {.answer = STOA_OK, .identity = "first"},
           second = {.answer = STOA_OK, .identity = "second"}, late = {.answer = STOA_DECLINED, .identity = "late"};
    add(&canned_plugin, &maybe);
    add(&canned_plugin, &first);
    add(&canned_plugin, &second);
    add(&canned_plugin, &late);
    assert_int_equal(run(), STOA_OK);
    assert_string_equal(fx.subject.identity, "first");
    assert_int_equal(late.calls, 1);
}

static void identity_from_abstainer_and_denier(void **state)
{
    canned maybe = {.answer = STOA_DECLINED, .identity = "maybe"}, silent = {.answer = STOA_OK};
    add(&canned_plugin, &maybe);
    add(&canned_plugin, &silent);
    assert_int_equal(run(), STOA_OK);
    assert_string_equal(fx.subject.identity, "maybe");
    canned no = {.answer = STOA_DENIED, .identity = "token:revoked"};
    fx.states[1] = &no;
    assert_int_equal(run(), STOA_DENIED);
    assert_string_equal(fx.subject.identity, "token:revoked");
}

static void plugin_derives_client(void **state)
{
    canned proxy = {.answer = STOA_DECLINED, .client = "203.0.113.9"};
    add(&canned_plugin, &proxy);
    add(&sufficient_plugin, NULL);
    assert_int_equal(run_from("10.0.0.1"), STOA_OK);
    assert_string_equal(fx.subject.client, "203.0.113.9");
    assert_string_equal(fx.req.peer_addr, "10.0.0.1"); /* plugins still see the direct peer */
}

/* n requests with a wrong credential, each counted as a failure. */
static void fail_auth(const char *credential, int n)
{
    fx.authz = credential;
    fx.subject.has_credentials = 1;
    for (int i = 0; i < n; ++i) {
        fx.subject.credential = strlen(credential);
        assert_int_equal(run(), STOA_UNAUTHORIZED);
    }
}

static void throttles_a_credential(void **state)
{
    add(&token_plugin, NULL);
    fx.chain.throttle_failures = 3;
    fail_auth("Bearer x1", 2);
    fx.authz = "Bearer x1";
    assert_int_equal(run(), STOA_THROTTLED); /* the third failure blocks at once */
    assert_int_equal(fx.d.retry_after, 10);
    assert_string_equal(fx.d.reason, "too many failed authentication attempts from 192.0.2.1; retry in 10 s");
    fx.authz = "Bearer good";
    assert_int_equal(run(), STOA_THROTTLED); /* same fingerprint: even a right guess */
    fx.subject.credential = 99;
    assert_int_equal(run(), STOA_OK); /* another credential from the address */
    assert_int_equal(run_from("192.0.2.2"), STOA_OK);
    fx.subject.now_ms += 10001;
    fx.subject.credential = strlen("Bearer x1");
    assert_int_equal(run_from("192.0.2.1"), STOA_OK);
}

static void throttles_an_address(void **state)
{
    add(&token_plugin, NULL);
    fx.chain.throttle_failures = 2;
    fail_auth("Bearer a", 1);
    fx.authz = "Bearer bb";
    fx.subject.credential = 9;
    assert_int_equal(run(), STOA_THROTTLED); /* the second credential failing blocks the address */
    fx.authz = "Bearer good";
    fx.subject.credential = 1234;
    assert_int_equal(run(), STOA_THROTTLED);
    assert_int_equal(run_from("192.0.2.3"), STOA_OK);
}

static void throttle_counts_only_sent_credentials(void **state)
{
    add(&token_plugin, NULL);
    fx.chain.throttle_failures = 1;
    for (int i = 0; i < 3; ++i)
        assert_int_equal(run(), STOA_UNAUTHORIZED); /* none sent: merely asked for some */
    fx.chain.throttle_failures = 0;
    fail_auth("Bearer x", 3); /* throttling off */
    assert_int_equal(fx.d.status, STOA_UNAUTHORIZED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(first_deny_wins, setup),
        cmocka_unit_test_setup(other_failures_are_401, setup),
        cmocka_unit_test_setup(required_needs_an_allow, setup),
        cmocka_unit_test_setup(no_plugins_loopback_only, setup),
        cmocka_unit_test_setup(loopback_needs_no_plugins, setup),
        cmocka_unit_test_setup(sufficient_plugin_allows, setup),
        cmocka_unit_test_setup(throttled_carries_retry_after, setup),
        cmocka_unit_test_setup(identity_from_the_allow, setup),
        cmocka_unit_test_setup(identity_from_abstainer_and_denier, setup),
        cmocka_unit_test_setup(plugin_derives_client, setup),
        cmocka_unit_test_setup(throttles_a_credential, setup),
        cmocka_unit_test_setup(throttles_an_address, setup),
        cmocka_unit_test_setup(throttle_counts_only_sent_credentials, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
