/* The pgs3 plugin against the storage contract (include/stoa/storage.h S1-S5), the
 * fill lease and gc, loaded through the core's real plugin loader. It needs a real
 * PostgreSQL and S3: tests/integration/test_pgs3_contract.sh starts them and runs this
 * program with PGS3_TEST_DSN and PGS3_TEST_S3_HOST set (CTest does not run it alone;
 * without them it exits 77). */
#include "storage_contract.h"

#include <stdlib.h>
#include <sys/wait.h>

typedef struct fixture {
    contract_store s; /* first: the contract tests see only this */
} fixture;

static stoa_status open_keyed(contract_store *f, const char *grace, const char *secret, stoa_error *err)
{
    stoa_option items[] = {{"dsn", getenv("PGS3_TEST_DSN")},       {"s3_host", getenv("PGS3_TEST_S3_HOST")},
                           {"bucket", "stoa"},                      {"access_key", "S3RVER"},
                           {"secret_key", secret},                  {"protocol", "http"},
                           {"pool", "3"},                           {"gc_grace", grace}};
    stoa_options opts = {sizeof(items) / sizeof(items[0]), items};
    return f->m->open(&f->p->host, &opts, &f->state, err);
}

static stoa_status open_store(contract_store *f, const char *grace, stoa_error *err)
{
    return open_keyed(f, grace, "S3RVER", err);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    contract_store *f = &fx->s;
    stoa_error err = {0};
    f->p = plugin_load(getenv("STOA_PLUGIN_DIR"), "pgs3", STOA_PLUGIN_STORAGE, &err);
    if (f->p == NULL)
        fail_msg("load: %s", err.msg);
    f->m = &f->p->m.storage;
    f->p->host.tmp_dir = "/tmp";
    if (open_store(f, "1h", &err) != STOA_OK)
        fail_msg("open: %s", err.msg);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    contract_store *f = *state;
    f->m->close(f->state);
    plugin_unload(f->p);
    free(*state);
    return 0;
}

/* One holder at a time per key, across plugin instances (as across processes). */
static void lease(void **state)
{
    contract_store *f = *state, g = *f;
    stoa_error err;
    assert_int_equal(open_store(&g, "1h", &err), STOA_OK);
    stoa_key k = {"l.m/n", "v1.0.0", STOA_KIND_ZIP}, other = {"l.m/n", "v1.0.1", STOA_KIND_ZIP};
    void *h1, *h2, *h3;
    assert_int_equal(f->m->lease(f->state, &k, 1000, &h1, &err), STOA_OK);
    assert_int_equal(g.m->lease(g.state, &k, 200, &h2, &err), STOA_TIMEOUT);
    assert_int_equal(g.m->lease(g.state, &other, 200, &h3, &err), STOA_OK); /* another key is free */
    f->m->release(f->state, h1);
    assert_int_equal(g.m->lease(g.state, &k, 1000, &h2, &err), STOA_OK);
    g.m->release(g.state, h2);
    g.m->release(g.state, h3);
    g.m->close(g.state);
}

/* S1 across a crash between upload and commit; gc then removes only the orphan. */
static void crash_then_gc(void **state)
{
    contract_store *f = *state, g = *f;
    stoa_error err;
    pid_t pid = fork();
    if (pid == 0) {
        setenv("STOA_PGS3_CRASH_AT", "before_commit", 1);
        stoa_put_file z = staged(STOA_KIND_ZIP, "a zip that never lands");
        f->m->put(f->state, "c.d/e", "v1.0.0", &z, 1, &err);
        _exit(0); /* not reached when the fault fires */
    }
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 99);
    stoa_object o;
    assert_int_equal(get(f, "c.d/e", "v1.0.0", STOA_KIND_ZIP, &o), STOA_NOTFOUND);
    stoa_gc_stats stats = {0};
    assert_int_equal(f->m->gc(f->state, &stats, &err), STOA_OK); /* within the grace period */
    assert_int_equal(stats.removed, 0);
    assert_int_equal(open_store(&g, "0s", &err), STOA_OK);
    assert_int_equal(g.m->gc(g.state, &stats, &err), STOA_OK);
    assert_true(stats.removed >= 1);
    g.m->close(g.state);
    assert_int_equal(get(f, "r.s/t", "v1.0.0", STOA_KIND_ZIP, &o), STOA_OK); /* referenced bodies stay */
    assert_string_equal(read_all(o.fd), "same bytes from everyone");
    close(o.fd);
}

/* An S3 error answer reaches the caller in S3's own words, the secret scrubbed. Reading
 * those words is libs3's first use of libxml2, whose process-wide state must not
 * outlive the plugin: the sanitizer build reports it as a leak if it does. */
static void s3_error_in_its_words(void **state)
{
    contract_store *f = *state, g = *f;
    stoa_error err;
    stoa_put_file z = staged(STOA_KIND_ZIP, "read with the wrong key");
    assert_int_equal(f->m->put(f->state, "w.x/y", "v1.0.0", &z, 1, &err), STOA_OK);
    close(z.fd);
    assert_int_equal(open_keyed(&g, "1h", "not-the-secret", &err), STOA_OK);
    stoa_key key = {"w.x/y", "v1.0.0", STOA_KIND_ZIP};
    stoa_object o;
    stoa_status st = g.m->get(g.state, &key, 0, &o, &err);
    g.m->close(g.state);
    assert_int_equal(st, STOA_UNAVAILABLE);
    if (strstr(err.msg, "SignatureDoesNotMatch") == NULL ||
        strstr(err.msg, "signature we calculated does not match") == NULL || /* from the XML body */
        strstr(err.msg, "not-the-secret") != NULL)
        fail_msg("error: %s", err.msg);
}

int main(void)
{
    if (getenv("PGS3_TEST_DSN") == NULL || getenv("PGS3_TEST_S3_HOST") == NULL) {
        fprintf(stderr, "skipped: needs PostgreSQL and S3; tests/integration/test_pgs3_contract.sh runs it\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(contract_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_not_found_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_immutable, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_mutable, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_list_walk_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_concurrent_same, setup, teardown),
        cmocka_unit_test_setup_teardown(lease, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_then_gc, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_pins, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_health, setup, teardown),
        cmocka_unit_test_setup_teardown(s3_error_in_its_words, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_get_copy, setup, teardown), /* skipped: pgs3 has none */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
