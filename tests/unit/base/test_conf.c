/* Configuration: defaults, a full file, environment overrides, and errors that name
 * the file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "conf.h"

static struct conf *parse(const char *yaml, char *const *env, char *err)
{
    return conf_parse("stoa.yaml", yaml, yaml != NULL ? strlen(yaml) : 0, env, err, 4096);
}

static void defaults(void **state)
{
    char err[4096];
    char *env[] = {NULL};
    struct conf *c = conf_parse(NULL, NULL, 0, env, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->nlisten, 1);
    assert_string_equal(c->listen[0], "127.0.0.1:3000");
    assert_string_equal(c->storage.plugin, "disk");
    assert_string_equal(conf_option(&c->storage, "root", NULL), "./stoa-data");
    assert_int_equal(c->nupstreams, 1);
    assert_string_equal(c->upstreams[0].url, "https://proxy.golang.org");
    assert_int_equal(c->upstreams[0].fallthrough, CONF_FALL_ON_NOT_FOUND);
    assert_int_equal(c->nsumdbs, 1);
    assert_string_equal(c->sumdbs[0].name, "sum.golang.org");
    assert_int_equal(c->list_ttl_ms, 60000);
    assert_int_equal(c->send_timeout_ms, 60000);
    assert_true(c->threads >= 1);
    assert_true(c->workers >= 4);
    assert_string_equal(c->tmp_dir, "./stoa-data/tmp");
    assert_int_equal(c->fail_status, 404);
    assert_false(c->require_read);
    assert_true(c->require_publish);
    conf_free(c);
}

static const char full[] = "listen: ['127.0.0.1:8080', '[::1]:8080']\n"
                           "threads: 3\n"
                           "mode: offline\n"
                           "storage:\n"
                           "  plugin: pgs3\n"
                           "  options:\n"
                           "    dsn: host=db\n"
                           "    s3: {endpoint: 'localhost:4568', bucket: stoa}\n"
                           "upstreams:\n"
                           "  - {name: golang, url: 'https://proxy.golang.org/', fallthrough: on_not_found}\n"
                           "  - url: https://goproxy.cn\n"
                           "    fallthrough: on_any_error\n"
                           "    backup: true\n"
                           "    timeout: {connect: 2s, total: 2m, stall: 500ms}\n"
                           "cache: {list_ttl: 5m}\n"
                           "repositories: [{name: go}]\n"
                           "namespaces:\n"
                           "  - {pattern: corp.example.com, mode: private}\n"
                           "  - {pattern: evil.com, mode: deny, reason: banned}\n"
                           "auth:\n"
                           "  require: {read: true}\n"
                           "  plugins:\n"
                           "    - {plugin: ipallow, options: {allow: ['10.0.0.0/8', '::1/128'], publish: {allow: [10.1.0.0/16]}}}\n"
                           "    - plugin: token\n"
                           "log: {format: json, level: debug}\n";

static void full_file(void **state)
{
    char err[4096];
    char *env[] = {NULL};
    struct conf *c = parse(full, env, err);
    if (c == NULL)
        fail_msg("%s", err);
    assert_int_equal(c->nlisten, 2);
    assert_string_equal(c->listen[1], "[::1]:8080");
    assert_int_equal(c->threads, 3);
    assert_int_equal(c->workers, 6);
    assert_true(c->offline);
    assert_string_equal(c->storage.plugin, "pgs3");
    assert_string_equal(conf_option(&c->storage, "s3.endpoint", NULL), "localhost:4568");
    assert_string_equal(c->tmp_dir, "./stoa-data/tmp");
    assert_int_equal(c->nupstreams, 2);
    assert_string_equal(c->upstreams[0].url, "https://proxy.golang.org"); /* trailing slash dropped */
    assert_string_equal(c->upstreams[1].name, "goproxy.cn");              /* default name: host */
    conf_free(c);
    c = parse("upstreams: [{url: 'https://TOKEN:x@up.example:8443/go'}, {url: 'http://[::1]:3000'}]\n", env, err);
    if (c == NULL)
        fail_msg("%s", err);
    assert_string_equal(c->upstreams[0].name, "up.example"); /* never the user info */
    assert_string_equal(c->upstreams[1].name, "[::1]");
    conf_free(c);
    c = parse(full, env, err);
    assert_int_equal(c->upstreams[1].fallthrough, CONF_FALL_ON_ANY_ERROR);
    assert_true(c->upstreams[1].backup);
    assert_int_equal(c->upstreams[1].connect_ms, 2000);
    assert_int_equal(c->upstreams[1].total_ms, 120000);
    assert_int_equal(c->upstreams[1].stall_ms, 500);
    assert_int_equal(c->upstreams[1].first_byte_ms, 30000); /* element default kept */
    assert_int_equal(c->list_ttl_ms, 300000);
    assert_int_equal(c->nrepos, 1);
    assert_int_equal(c->nnamespaces, 2);
    assert_int_equal(c->namespaces[1].mode, CONF_NS_DENY);
    assert_string_equal(c->namespaces[1].reason, "banned");
    assert_true(c->require_read);
    assert_true(c->require_publish); /* default kept */
    assert_int_equal(c->nauth, 2);
    assert_int_equal(c->auth[0].noptions, 3);
    assert_string_equal(c->auth[0].options[0].key, "allow");
    assert_string_equal(c->auth[0].options[1].value, "::1/128");
    assert_string_equal(c->auth[0].options[2].key, "publish.allow");
    assert_int_equal(c->log_format, CONF_LOG_JSON);
    assert_int_equal(c->log_level, 3);
    conf_free(c);
}

static void environment(void **state)
{
    char err[4096];
    char *env[] = {"PATH=/bin", "STOA_THREADS=5", "STOA_LISTEN=127.0.0.1:1,127.0.0.1:2",
                   "STOA_UPSTREAMS_1_URL=http://127.0.0.1:9", "STOA_UPSTREAMS_1_NAME=fixture",
                   "STOA_UPSTREAMS_0_TIMEOUT_CONNECT=1s", "STOA_STORAGE_OPTIONS_ROOT=/srv/stoa",
                   "STOA_STORAGE_OPTIONS_S3__ACCESS_KEY=k", "STOA_CACHE_LIST_TTL=1s", "STOA_AUTH_REQUIRE_READ=true",
                   "STOA_LIMITS_SEND_TIMEOUT=0",
                   "STOA_TEST_ANYTHING=ignored", NULL};
    struct conf *c = parse("upstreams: [{url: 'http://127.0.0.1:8'}]\n", env, err);
    if (c == NULL)
        fail_msg("%s", err);
    assert_int_equal(c->threads, 5);
    assert_int_equal(c->nlisten, 2);
    assert_string_equal(c->listen[1], "127.0.0.1:2");
    assert_int_equal(c->nupstreams, 2); /* index one past the end appends */
    assert_string_equal(c->upstreams[1].name, "fixture");
    assert_int_equal(c->upstreams[0].connect_ms, 1000);
    assert_string_equal(conf_option(&c->storage, "root", NULL), "/srv/stoa");
    assert_string_equal(conf_option(&c->storage, "s3.access_key", NULL), "k");
    assert_string_equal(c->tmp_dir, "/srv/stoa/tmp");
    assert_int_equal(c->list_ttl_ms, 1000);
    assert_int_equal(c->send_timeout_ms, 0); /* off */
    assert_true(c->require_read);
    conf_free(c);
}

static void expect_error(const char *yaml, char *const *env, const char *want)
{
    char err[4096];
    struct conf *c = parse(yaml, env, err);
    if (c != NULL) {
        conf_free(c);
        fail_msg("accepted: %s", yaml ? yaml : "(env)");
    }
    if (strstr(err, want) == NULL)
        fail_msg("error '%s' lacks '%s'", err, want);
}

static void errors(void **state)
{
    char *none[] = {NULL};
    expect_error("listen: x\nthreds: 2\n", none, "stoa.yaml:2: unknown key 'threds' (did you mean 'threads'?)");
    expect_error("threads: many\n", none, "stoa.yaml:1: threads: expected a non-negative integer, got 'many'");
    expect_error("mode: sideways\n", none, "stoa.yaml:1: mode: expected online or offline, got 'sideways'");
    expect_error("cache:\n  list_ttl: 5 minutes\n", none, "stoa.yaml:2: cache.list_ttl: expected a duration");
    expect_error("upstreams:\n  - url: ftp://x\n", none, "upstreams[0].url: expected http(s)://");
    expect_error("upstreams:\n  - {url: 'http://a', fallthrough: maybe}\n", none,
                 "stoa.yaml:2: upstreams[0].fallthrough: expected on_not_found or on_any_error, got 'maybe'");
    expect_error("upstreams: [{name: a, url: 'http://a'}, {name: a, url: 'http://b'}]\n", none, "used twice");
    expect_error("upstreams: [{url: 'http://a/x?sig=SECRET'}]\n", none,
                 "upstreams[0].url: 'http://a/x?***' has a query or fragment");
    expect_error("tls: {cert: a.pem}\n", none, "tls: set both cert and key");
    expect_error("listen: nonsense\n", none, "listen: 'nonsense' is not host:port");
    expect_error("fail_status: 500\n", none, "fail_status: expected 404 or 502");
    expect_error("namespaces: [{mode: private}]\n", none, "namespaces[0].pattern: required");
    expect_error("namespaces: [{pattern: ',/,', mode: private}]\n", none, "namespaces[0].pattern: ',/,' names no module path");
    expect_error("storage: [1, 2]\n", none, "stoa.yaml:1: unknown key 'storage'");
    expect_error("a: [unclosed\n", none, "YAML syntax error");
    expect_error("- just\n- a list\n", none, "must be a mapping");
    expect_error("upstreams: []\n", none, "upstreams: empty");
    expect_error("sumdbs: [{name: a.test, url: 'http://a', key: 'a.test+01020304+AAAA'}]\n", none, "sumdbs[0].key: verifier key");
    expect_error("sumdbs: [{name: a.test, url: 'http://a', key: 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8'}]\n",
                 none, "sumdbs[0].key: the key is for sum.golang.org, not a.test");
    expect_error("sumdbs: [{name: '../etc', url: 'http://a'}]\n", none, "sumdbs[0].name: '../etc' is not a checksum");
    expect_error("sumdbs: [{name: 'a b', url: 'http://a'}]\n", none, "sumdbs[0].name: 'a b' is not a checksum");
    expect_error("sumdbs: [{name: 'a//b', url: 'http://a'}]\n", none, "sumdbs[0].name: 'a//b' is not a checksum");
    expect_error("sumdb_check: sometimes\n", none, "sumdb_check: expected lenient or strict or off");
    char *bad_env[] = {"STOA_THREDS=2", NULL};
    expect_error(NULL, bad_env, "STOA_THREDS: not a configuration setting (did you mean STOA_THREADS?)");
    char *bad_val[] = {"STOA_LIMITS_MAX_BODY=lots", NULL};
    expect_error(NULL, bad_val, "STOA_LIMITS_MAX_BODY: expected a size");
    char *skip[] = {"STOA_UPSTREAMS_5_URL=http://x", NULL};
    expect_error(NULL, skip, "index 5 skips elements");
}

static void units(void **state)
{
    uint64_t v;
    assert_int_equal(conf_parse_duration("500ms", &v), 0);
    assert_int_equal(v, 500);
    assert_int_equal(conf_parse_duration("90s", &v), 0);
    assert_int_equal(v, 90000);
    assert_int_equal(conf_parse_duration("2m", &v), 0);
    assert_int_equal(v, 120000);
    assert_int_equal(conf_parse_duration("3d", &v), 0);
    assert_int_equal(v, 3 * 86400000ull);
    assert_int_equal(conf_parse_duration("7", &v), 0);
    assert_int_equal(v, 7000);
    assert_int_equal(conf_parse_duration("1x", &v), -1);
    assert_int_equal(conf_parse_duration("-1s", &v), -1);
    assert_int_equal(conf_parse_duration("99999999999999999999s", &v), -1);
    assert_int_equal(conf_parse_size("512MiB", &v), 0);
    assert_int_equal(v, 512ull << 20);
    assert_int_equal(conf_parse_size("10MB", &v), 0);
    assert_int_equal(v, 10000000);
    assert_int_equal(conf_parse_size("1G", &v), 0);
    assert_int_equal(v, 1ull << 30);
    assert_int_equal(conf_parse_size("100", &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(conf_parse_size("18446744073709551615KiB", &v), -1);
    assert_int_equal(conf_parse_size("", &v), -1);
}

static void garbage(void **state)
{
    /* Arbitrary bytes never crash the parser. */
    char err[4096], buf[256];
    char *none[] = {NULL};
    static const char alphabet[] = "ab: -[]{},\n'\"#&*!|>%@`\\\x01\xff" "0123";
    unsigned seed = 12345;
    for (int i = 0; i < 2000; ++i) {
        size_t n = (size_t)(seed % sizeof(buf));
        for (size_t j = 0; j < n; ++j)
            buf[j] = alphabet[(seed = seed * 1103515245 + 12345) % (sizeof(alphabet) - 1)];
        struct conf *c = conf_parse("fuzz", buf, n, none, err, sizeof(err));
        conf_free(c);
    }
}

/* What a SIGHUP may change comes from the directive rows: each pair differs in one
 * setting; want is the restart list conf_restart_changes gives ("" = reloadable). */
static void reload_rules(void **state)
{
    (void)state;
    static const struct {
        const char *before, *after, *want;
    } cases[] = {
        {"cache: {max_size: 0}\n", "cache: {max_size: 1GiB, evict_interval: 1s}\n", ""},
        {"workers: 4\n", "workers: 8\n", "workers"},
        {"limits: {max_header: 16KiB}\n", "limits: {max_header: 32KiB}\n", "limits.max_header"},
        {"upstreams: [{url: 'http://a.example'}]\n", "upstreams: [{url: 'http://b.example'}, {url: 'http://c.example'}]\n", ""},
        {"auth: {plugins: [{plugin: token, options: {a: '1'}}]}\n", "auth: {plugins: [{plugin: token, options: {a: '2'}}]}\n",
         ""},
        {"auth: {plugins: [{plugin: token}]}\n", "auth: {plugins: [{plugin: ipallow}]}\n", "auth.plugins"},
        {"auth: {plugins: [{plugin: token}]}\n", "auth: {plugins: [{plugin: token}, {plugin: ipallow}]}\n", "auth.plugins"},
        {"storage: {options: {root: /a}}\n", "storage: {options: {root: /b}}\nlog: {level: debug}\n",
         "tmp_dir, storage.options, audit.path, audit.spool, log.level"}, /* the paths derived from the root too */
        {"listen: ['127.0.0.1:1']\n", "listen: ['127.0.0.1:2']\nmode: offline\n", "listen"},
    };
    char err[4096], out[512];
    char *env[] = {NULL};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        struct conf *o = parse(cases[i].before, env, err), *n = parse(cases[i].after, env, err);
        assert_non_null(o);
        assert_non_null(n);
        conf_restart_changes(o, n, out, sizeof(out));
        assert_string_equal(out, cases[i].want);
        conf_restart_changes(o, o, out, sizeof(out));
        assert_string_equal(out, "");
        conf_free(o);
        conf_free(n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(defaults), cmocka_unit_test(full_file),
                                       cmocka_unit_test(environment), cmocka_unit_test(errors),
                                       cmocka_unit_test(units), cmocka_unit_test(garbage),
                                       cmocka_unit_test(reload_rules)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
