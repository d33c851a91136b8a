/* token plugin internals: credential headers (Bearer, Basic, X-JFrog-Art-Api), scopes,
 * the token file format, the file store, and decide() end to end through the plugin's
 * own method table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "modpath.h"
#include "token.h"

/* ---- a request with a few headers ---- */

typedef struct fake {
    stoa_auth_request r;
    const char *names[4], *values[4];
} fake;

static const char *fake_header(const stoa_auth_request *r, const char *name, size_t *len)
{
    const fake *f = (const fake *)r;
    for (int i = 0; i < 4 && f->names[i] != NULL; ++i)
        if (strcasecmp(f->names[i], name) == 0)
            return *len = strlen(f->values[i]), f->values[i];
    return NULL;
}

static fake request(stoa_op op, const char *module, const char *hname, const char *hvalue)
{
    fake f;
    memset(&f, 0, sizeof(f));
    f.r = (stoa_auth_request){sizeof(stoa_auth_request), op, "GET", "/x", "", module, "127.0.0.1", fake_header, NULL, 1};
    f.names[0] = hname;
    f.values[0] = hvalue;
    return f;
}

static token_cred_result parse(const char *name, const char *value, char *out)
{
    char why[256];
    return token_cred_parse(name, value, strlen(value), out, why, sizeof(why));
}

static void credentials(void **state)
{
    char out[TOKEN_CRED_MAX];
    assert_int_equal(parse("authorization", "Bearer stoa_abc", out), TOKEN_CRED_FOUND);
    assert_string_equal(out, "stoa_abc");
    assert_int_equal(parse("authorization", "bearer   stoa_abc  ", out), TOKEN_CRED_FOUND);
    assert_string_equal(out, "stoa_abc");
    /* base64("ci:stoa_abc"), base64("stoa_abc:") (token as user name), no padding */
    assert_int_equal(parse("authorization", "Basic Y2k6c3RvYV9hYmM=", out), TOKEN_CRED_FOUND);
    assert_string_equal(out, "stoa_abc");
    assert_int_equal(parse("authorization", "BASIC c3RvYV9hYmM6", out), TOKEN_CRED_FOUND);
    assert_string_equal(out, "stoa_abc");
    assert_int_equal(parse("authorization", "Basic OnN0b2FfYWJj", out), TOKEN_CRED_FOUND); /* ":stoa_abc" */
    assert_string_equal(out, "stoa_abc");
    assert_int_equal(parse("x-jfrog-art-api", " stoa_abc", out), TOKEN_CRED_FOUND);
    assert_string_equal(out, "stoa_abc");
    /* Other schemes are someone else's; broken ones are ours to refuse. */
    assert_int_equal(parse("authorization", "Negotiate abc", out), TOKEN_CRED_NONE);
    assert_int_equal(parse("authorization", "Bearer", out), TOKEN_CRED_MALFORMED);
    assert_int_equal(parse("authorization", "Bearer a b", out), TOKEN_CRED_MALFORMED);
    assert_int_equal(parse("authorization", "Basic !!!", out), TOKEN_CRED_MALFORMED);
    assert_int_equal(parse("authorization", "Basic dXNlcg==", out), TOKEN_CRED_MALFORMED); /* "user": no colon */
    assert_int_equal(parse("authorization", "Basic dTo=", out), TOKEN_CRED_FOUND);         /* "u:" → user */
    assert_string_equal(out, "u");
    assert_int_equal(parse("authorization", "Basic Og==", out), TOKEN_CRED_MALFORMED);     /* ":" */
    assert_int_equal(parse("x-jfrog-art-api", "", out), TOKEN_CRED_MALFORMED);
    char long_token[TOKEN_CRED_MAX + 10];
    memset(long_token, 'a', sizeof(long_token) - 1);
    long_token[sizeof(long_token) - 1] = '\0';
    assert_int_equal(parse("x-jfrog-art-api", long_token, out), TOKEN_CRED_MALFORMED);
    /* The request-level lookup prefers Authorization. */
    fake f = request(STOA_OP_READ, NULL, "X-JFrog-Art-Api", "stoa_j");
    char why[256];
    assert_int_equal(token_cred_get(&f.r, out, why, sizeof(why)), TOKEN_CRED_FOUND);
    assert_string_equal(out, "stoa_j");
    f.names[1] = "Authorization", f.values[1] = "Bearer stoa_b";
    assert_int_equal(token_cred_get(&f.r, out, why, sizeof(why)), TOKEN_CRED_FOUND);
    assert_string_equal(out, "stoa_b");
}

static void base64(void **state)
{
    unsigned char out[64];
    assert_int_equal(token_base64_decode("", 0, out, sizeof(out)), 0);
    assert_int_equal(token_base64_decode("Zg==", 4, out, sizeof(out)), 1);
    assert_memory_equal(out, "f", 1);
    assert_int_equal(token_base64_decode("Zm9vYmE", 7, out, sizeof(out)), 5);
    assert_memory_equal(out, "fooba", 5);
    assert_int_equal(token_base64_decode("Zm9v+/==", 8, out, sizeof(out)), 4);
    assert_int_equal(token_base64_decode("Z", 1, out, sizeof(out)), -1);
    assert_int_equal(token_base64_decode("Zm9v-_", 6, out, sizeof(out)), -1);
    assert_int_equal(token_base64_decode("Zm9vYmFy", 8, out, 5), -1);
}

static void scopes(void **state)
{
    char why[256];
    assert_int_equal(token_scopes_valid("read publish:corp.example.com/* admin:a.com,b.com/x", why, sizeof(why)), 0);
    assert_int_equal(token_scopes_valid("", why, sizeof(why)), -1);
    assert_int_equal(token_scopes_valid("write", why, sizeof(why)), -1);
    assert_int_equal(token_scopes_valid("read:", why, sizeof(why)), -1);
    assert_int_equal(token_scopes_valid("read:a,,b", why, sizeof(why)), -1);
    token_match_fn m = modpath_match_patterns;
    const char *s = "read publish:corp.example.com/*";
    assert_true(token_scopes_allow(s, STOA_OP_READ, "github.com/x/y", m));
    assert_true(token_scopes_allow(s, STOA_OP_PUBLISH, "corp.example.com/a", m));
    assert_true(token_scopes_allow(s, STOA_OP_PUBLISH, "corp.example.com/a/v2", m));
    assert_false(token_scopes_allow(s, STOA_OP_PUBLISH, "corp.example.com", m));
    assert_false(token_scopes_allow(s, STOA_OP_PUBLISH, "other.example.com/a", m));
    assert_false(token_scopes_allow(s, STOA_OP_ADMIN, "corp.example.com/a", m));
    /* admin implies publish implies read, for its own patterns only. */
    assert_true(token_scopes_allow("admin:corp.example.com", STOA_OP_READ, "corp.example.com/a", m));
    assert_false(token_scopes_allow("admin:corp.example.com", STOA_OP_READ, "github.com/a", m));
    assert_true(token_scopes_allow("publish", STOA_OP_READ, "github.com/a", m));
    /* Routes without a module: any scope of the op, but admin needs an unrestricted one. */
    assert_true(token_scopes_allow("read:corp.example.com", STOA_OP_READ, NULL, m));
    assert_false(token_scopes_allow("admin:corp.example.com", STOA_OP_ADMIN, NULL, m));
    assert_true(token_scopes_allow("admin:corp.example.com,*", STOA_OP_ADMIN, NULL, m));
    assert_false(token_scopes_allow("read", STOA_OP_PUBLISH, NULL, m));
}

static token_entry entry(const char *name, const char *token, const char *scopes)
{
    token_entry e;
    memset(&e, 0, sizeof(e));
    snprintf(e.name, sizeof(e.name), "%s", name);
    snprintf(e.scopes, sizeof(e.scopes), "%s", scopes);
    token_hash(token, strlen(token), e.hash);
    e.created = 1700000000;
    return e;
}

static void file_format(void **state)
{
    token_set s = {0}, back = {0};
    token_entry a = entry("ci-bot", "stoa_one", "publish:corp.example.com/*"), b = entry("dev.1", "stoa_two", "read");
    b.expires = 1800000000, b.revoked = 1750000000;
    assert_int_equal(token_set_add(&s, &a), 0);
    assert_int_equal(token_set_add(&s, &b), 0);
    char *text = token_file_format(&s);
    assert_non_null(text);
    assert_null(strstr(text, "stoa_one")); /* hashes only */
    stoa_error err = {0};
    assert_int_equal(token_file_parse("t", text, strlen(text), &back, &err), 0);
    assert_int_equal(back.n, 2);
    assert_memory_equal(&back.items[0], &s.items[0], sizeof(token_entry));
    assert_memory_equal(&back.items[1], &s.items[1], sizeof(token_entry));
    free(text);
    token_set_free(&back);
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"ci x 1 0 0 read\n", "t:1: not a stoa token file"},
        {"# stoa tokens v1\nci 00 1 0 0 read\n", "t:2: hash"},
        {"# stoa tokens v1\n\n# c\nb@d 0000000000000000000000000000000000000000000000000000000000000000 1 0 0 read\n", "t:4: bad token name"},
        {"# stoa tokens v1\nci 0000000000000000000000000000000000000000000000000000000000000000 x 0 0 read\n", "t:2: times"},
        {"# stoa tokens v1\nci 0000000000000000000000000000000000000000000000000000000000000000 1 0 0\n", "t:2: bad or missing scopes"},
        {"# stoa tokens v1\nci 0000000000000000000000000000000000000000000000000000000000000000 1\n", "t:2: expected"},
        {"# stoa tokens v1\nci 0000000000000000000000000000000000000000000000000000000000000000 1 0 0 write\n", "t:2: bad or missing scopes"},
        {"# stoa tokens v1\nci 0000000000000000000000000000000000000000000000000000000000000000 1 0 0 read\n"
         "ci 1111111111111111111111111111111111111111111111111111111111111111 1 0 0 read\n", "t:3: token name 'ci' appears twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(token_file_parse("t", bad[i].text, strlen(bad[i].text), &back, &err), -1);
        if (strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
        assert_int_equal(back.n, 0);
    }
    /* An empty file and CRLF line ends are fine. */
    const char crlf[] = "# stoa tokens v1\r\nci 0000000000000000000000000000000000000000000000000000000000000000 1 0 0 read\r\n";
    assert_int_equal(token_file_parse("t", crlf, strlen(crlf), &back, &err), 0);
    assert_int_equal(back.n, 1);
    assert_string_equal(back.items[0].scopes, "read");
    token_set_free(&back);
    token_set_free(&s);
}

static void lookup(void **state)
{
    token_set s = {0};
    for (int i = 0; i < 5; ++i) {
        char name[16], tok[16];
        snprintf(name, sizeof(name), "t%d", i);
        snprintf(tok, sizeof(tok), "stoa_%d", i);
        token_entry e = entry(name, tok, "read");
        token_set_add(&s, &e);
    }
    unsigned char h[32];
    token_hash("stoa_3", 6, h);
    assert_int_equal(token_lookup(&s, h), 3);
    token_hash("stoa_0", 6, h);
    assert_int_equal(token_lookup(&s, h), 0);
    token_hash("stoa_5", 6, h);
    assert_int_equal(token_lookup(&s, h), -1);
    char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];
    assert_int_equal(token_generate(a), 0);
    assert_int_equal(token_generate(b), 0);
    assert_int_equal(strlen(a), TOKEN_LEN);
    assert_int_equal(strncmp(a, "stoa_", 5), 0);
    assert_string_not_equal(a, b);
    token_set_free(&s);
}

static void durations(void **state)
{
    int64_t s;
    assert_int_equal(token_parse_duration("90d", &s), 0);
    assert_int_equal(s, 90 * 86400);
    assert_int_equal(token_parse_duration("12h", &s), 0);
    assert_int_equal(s, 12 * 3600);
    assert_int_equal(token_parse_duration("2w", &s), 0);
    assert_int_equal(s, 14 * 86400);
    assert_int_equal(token_parse_duration("90", &s), -1);
    assert_int_equal(token_parse_duration("0d", &s), -1);
    assert_int_equal(token_parse_duration("-1d", &s), -1);
    assert_int_equal(token_parse_duration("1dd", &s), -1);
    assert_int_equal(token_parse_duration("99999999999999999d", &s), -1);
}

/* ---- the plugin through its method table, on a file store ---- */

extern const stoa_plugin *stoa_plugin_entry(void);

static void host_log(const stoa_host *h, stoa_log_level l, const char *fmt, ...)
{
}

static const char *host_option(const stoa_options *o, const char *key, const char *def)
{
    const char *v = def;
    for (size_t i = 0; i < o->count; ++i)
        if (strcmp(o->items[i].key, key) == 0)
            v = o->items[i].value;
    return v;
}

static void plugin_decide(void **state)
{
    char dir[] = "/tmp/stoa-token-test.XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/tokens", dir);
    stoa_host host = {STOA_ABI_MAJOR, sizeof(stoa_host), host_log, host_option, "/tmp", modpath_match_patterns, NULL, "token"};
    stoa_option items[] = {{"path", path}, {"refresh", "50ms"}};
    stoa_options opts = {2, items};
    const stoa_auth_methods *m = stoa_plugin_entry()->methods;
    void *st = NULL;
    stoa_error err = {0};
    if (m->open(&host, &opts, &st, &err) != STOA_OK)
        fail_msg("open: %s", err.msg);

    /* create through the command, capturing the token it prints once */
    char *argv[] = {"create", "--name", "ci", "--scope", "publish:corp.example.com", "--expires", "1d"};
    char out[1024] = "";
    FILE *f = fmemopen(out, sizeof(out), "w");
    assert_int_equal(m->command(st, 7, argv, f, &err), STOA_OK);
    fclose(f);
    char tok[TOKEN_LEN + 1];
    memcpy(tok, out, TOKEN_LEN);
    tok[TOKEN_LEN] = '\0';
    assert_int_equal(m->command(st, 7, argv, stderr, &err), STOA_CONFLICT);
    char *bad[] = {"create", "--name", "x", "--scope", "write"};
    assert_int_equal(m->command(st, 5, bad, stderr, &err), STOA_INVALID);

    char bearer[128];
    snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
    stoa_auth_result res;
    fake q = request(STOA_OP_PUBLISH, "corp.example.com/a", "authorization", bearer);
    stoa_status s = STOA_UNAUTHORIZED;
    for (int i = 0; i < 200 && s != STOA_OK; ++i) { /* the refresher picks the new token up */
        memset(&res, 0, sizeof(res));
        s = m->decide(st, &q.r, &res);
        if (s != STOA_OK)
            usleep(10000);
    }
    assert_int_equal(s, STOA_OK);
    assert_string_equal(res.identity, "token:ci");

    q = request(STOA_OP_PUBLISH, "other.example.com/a", "authorization", bearer);
    memset(&res, 0, sizeof(res));
    assert_int_equal(m->decide(st, &q.r, &res), STOA_DENIED);
    assert_non_null(strstr(res.reason, "lacks scope publish:other.example.com/a"));
    q.r.required = 0; /* where anonymous may do it anyway, abstain instead */
    assert_int_equal(m->decide(st, &q.r, &res), STOA_DECLINED);

    q = request(STOA_OP_READ, "x.com/y", "authorization", "Bearer stoa_wrong");
    memset(&res, 0, sizeof(res));
    assert_int_equal(m->decide(st, &q.r, &res), STOA_UNAUTHORIZED);
    assert_string_equal(res.reason, "invalid token");
    q = request(STOA_OP_READ, "x.com/y", NULL, NULL);
    assert_int_equal(m->decide(st, &q.r, &res), STOA_DECLINED);

    char *revoke[] = {"revoke", "ci"};
    assert_int_equal(m->command(st, 2, revoke, stderr, &err), STOA_OK);
    q = request(STOA_OP_PUBLISH, "corp.example.com/a", "authorization", bearer);
    for (int i = 0; i < 200 && s != STOA_UNAUTHORIZED; ++i) {
        memset(&res, 0, sizeof(res));
        s = m->decide(st, &q.r, &res);
        if (s != STOA_UNAUTHORIZED)
            usleep(10000);
    }
    assert_int_equal(s, STOA_UNAUTHORIZED);
    assert_non_null(strstr(res.reason, "token 'ci' was revoked at"));
    assert_null(strstr(res.reason, tok));
    m->close(st);

    /* A broken store refuses to open, naming file and line. */
    f = fopen(path, "w");
    fputs("# stoa tokens v1\nnonsense\n", f);
    fclose(f);
    assert_int_equal(m->open(&host, &opts, &st, &err), STOA_INVALID);
    assert_non_null(strstr(err.msg, "tokens:2:"));
    stoa_option unknown[] = {{"pth", path}};
    stoa_options uopts = {1, unknown};
    assert_int_equal(m->open(&host, &uopts, &st, &err), STOA_INVALID);
    assert_non_null(strstr(err.msg, "unknown option 'pth'"));
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(credentials), cmocka_unit_test(base64),    cmocka_unit_test(scopes),
        cmocka_unit_test(file_format), cmocka_unit_test(lookup),    cmocka_unit_test(durations),
        cmocka_unit_test(plugin_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
