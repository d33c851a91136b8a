/* The pgs3 plugin against the storage contract (include/stoa/storage.h S1-S5), the
 * fill lease and gc, loaded through the core's real plugin loader. It needs a real
 * PostgreSQL and S3: tests/integration/test_pgs3_contract.sh starts them and runs this
 * program with PGS3_TEST_DSN and PGS3_TEST_S3_HOST set; without them it exits 77, which
 * CTest reports as skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin.h"
#include "staging.h"
#include "validate.h"

typedef struct fixture {
    plugin *p;
    void *state;
    const stoa_storage_methods *m;
} fixture;

static stoa_status open_store(fixture *f, const char *grace, stoa_error *err)
{
    stoa_option items[] = {{"dsn", getenv("PGS3_TEST_DSN")},       {"s3_host", getenv("PGS3_TEST_S3_HOST")},
                           {"bucket", "stoa"},                      {"access_key", "S3RVER"},
                           {"secret_key", "S3RVER"},                {"protocol", "http"},
                           {"pool", "3"},                           {"gc_grace", grace}};
    stoa_options opts = {sizeof(items) / sizeof(items[0]), items};
    return f->m->open(&f->p->host, &opts, &f->state, err);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    stoa_error err = {0};
    f->p = plugin_load(getenv("STOA_PLUGIN_DIR"), "pgs3", STOA_PLUGIN_STORAGE, &err);
    if (f->p == NULL)
        fail_msg("load: %s", err.msg);
    f->m = &f->p->m.storage;
    f->p->host.tmp_dir = "/tmp";
    if (open_store(f, "1h", &err) != STOA_OK)
        fail_msg("open: %s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f == NULL)
        return 0;
    f->m->close(f->state);
    plugin_unload(f->p);
    free(f);
    return 0;
}

static stoa_put_file staged(stoa_kind kind, const char *text)
{
    stoa_put_file pf = {kind, staging_open("/tmp"), {0}};
    assert_true(pf.fd >= 0);
    assert_int_equal(staging_write(pf.fd, text, strlen(text)), 0);
    pf.meta.size = strlen(text);
    assert_int_equal(validate_sha256_fd(pf.fd, pf.meta.size, pf.meta.sha256), 0);
    snprintf(pf.meta.origin, sizeof(pf.meta.origin), "test");
    snprintf(pf.meta.h1, sizeof(pf.meta.h1), "h1:abc=");
    return pf;
}

static char *read_all(int fd)
{
    static char buf[4096];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static stoa_status get(fixture *f, const char *mod, const char *ver, stoa_kind k, stoa_object *o)
{
    stoa_key key = {mod, ver, k};
    stoa_error err;
    return f->m->get(f->state, &key, 0, o, &err);
}

static void round_trip(void **state)
{
    fixture *f = *state;
    stoa_put_file files[3] = {staged(STOA_KIND_INFO, "{\"Version\":\"v1.0.0\"}"), staged(STOA_KIND_MOD, "module x.y/Z\n"),
                              staged(STOA_KIND_ZIP, "PK-not-really")};
    stoa_error err;
    assert_int_equal(f->m->put(f->state, "x.y/Z", "v1.0.0", files, 3, &err), STOA_OK);
    stoa_object o;
    assert_int_equal(get(f, "x.y/Z", "v1.0.0", STOA_KIND_MOD, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "module x.y/Z\n");
    assert_int_equal(o.meta.size, 13);
    assert_memory_equal(o.meta.sha256, files[1].meta.sha256, 32);
    assert_string_equal(o.meta.origin, "test");
    assert_string_equal(o.meta.h1, "h1:abc=");
    assert_true(o.meta.stored_at > 0);
    close(o.fd);
    for (int i = 0; i < 3; ++i)
        close(files[i].fd);
}

static void not_found_untouched(void **state)
{
    fixture *f = *state;
    stoa_object o;
    memset(&o, 0x5a, sizeof(o));
    stoa_object copy = o;
    assert_int_equal(get(f, "x.y/none", "v1.0.0", STOA_KIND_ZIP, &o), STOA_NOTFOUND);
    assert_memory_equal(&o, &copy, sizeof(o)); /* S5 */
}

static void immutable(void **state)
{
    fixture *f = *state;
    stoa_error err;
    stoa_put_file a = staged(STOA_KIND_MOD, "module a.b/c\n"), b = staged(STOA_KIND_MOD, "module a.b/c // changed\n");
    assert_int_equal(f->m->put(f->state, "a.b/c", "v1.0.0", &a, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "a.b/c", "v1.0.0", &a, 1, &err), STOA_OK); /* same bytes: no-op */
    assert_int_equal(f->m->put(f->state, "a.b/c", "v1.0.0", &b, 1, &err), STOA_CONFLICT);
    assert_non_null(strstr(err.msg, "immutable"));
    stoa_object o;
    assert_int_equal(get(f, "a.b/c", "v1.0.0", STOA_KIND_MOD, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "module a.b/c\n");
    close(o.fd);
    stoa_put_file set[2] = {staged(STOA_KIND_ZIP, "zip bytes"), b}; /* S2: all or nothing */
    assert_int_equal(f->m->put(f->state, "a.b/c", "v1.0.0", set, 2, &err), STOA_CONFLICT);
    assert_int_equal(get(f, "a.b/c", "v1.0.0", STOA_KIND_ZIP, &o), STOA_NOTFOUND);
    close(a.fd);
    close(b.fd);
    close(set[0].fd);
}

static void mutable(void **state)
{
    fixture *f = *state;
    stoa_error err;
    stoa_put_file l1 = staged(STOA_KIND_LIST, "v1.0.0\n"), l2 = staged(STOA_KIND_LIST, "v1.0.0\nv1.1.0\n");
    assert_int_equal(f->m->put(f->state, "m.n/o", NULL, &l1, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "m.n/o", NULL, &l2, 1, &err), STOA_OK); /* S4: replaced */
    stoa_object o;
    assert_int_equal(get(f, "m.n/o", NULL, STOA_KIND_LIST, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "v1.0.0\nv1.1.0\n");
    close(o.fd);
    close(l1.fd);
    close(l2.fd);
}

static int count_cb(void *arg, const char *v, int64_t at)
{
    ++*(int *)arg;
    return 0;
}

static int walk_cb(void *arg, const char *m, const char *v, int64_t at)
{
    char *out = arg;
    if (strlen(out) + strlen(m) + strlen(v) + 3 < 1024)
        strcat(strcat(strcat(strcat(out, m), "@"), v), ";");
    return 0;
}

static void list_walk_remove(void **state)
{
    fixture *f = *state;
    stoa_error err;
    stoa_put_file i1 = staged(STOA_KIND_INFO, "{}"), m1 = staged(STOA_KIND_MOD, "module q.r/S\n");
    assert_int_equal(f->m->put(f->state, "q.r/S", "v1.0.0", &i1, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "q.r/S", "v1.1.0", &i1, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "q.r/S", "v2.0.0+incompatible", &m1, 1, &err), STOA_OK); /* no .info */
    int n = 0;
    assert_int_equal(f->m->list(f->state, "q.r/S", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 2);
    char seen[1024] = "";
    assert_int_equal(f->m->walk(f->state, walk_cb, seen, &err), STOA_OK);
    assert_non_null(strstr(seen, "q.r/S@v1.0.0;"));
    assert_non_null(strstr(seen, "q.r/S@v1.1.0;"));
    assert_int_equal(f->m->remove(f->state, "q.r/S", "v1.0.0", &err), STOA_OK);
    assert_int_equal(f->m->remove(f->state, "q.r/S", "v1.0.0", &err), STOA_NOTFOUND);
    n = 0;
    assert_int_equal(f->m->list(f->state, "q.r/S", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 1);
    stoa_object o;
    assert_int_equal(get(f, "q.r/S", "v1.0.0", STOA_KIND_INFO, &o), STOA_NOTFOUND);
    close(i1.fd);
    close(m1.fd);
}

typedef struct racer {
    fixture *f;
    stoa_status st;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    stoa_put_file z = staged(STOA_KIND_ZIP, "same bytes from everyone");
    stoa_error err;
    r->st = r->f->m->put(r->f->state, "r.s/t", "v1.0.0", &z, 1, &err);
    close(z.fd);
    return NULL;
}

static void concurrent_same(void **state)
{
    fixture *f = *state;
    pthread_t t[8];
    racer r[8];
    for (int i = 0; i < 8; ++i) {
        r[i] = (racer){f, STOA_INTERNAL};
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < 8; ++i) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].st, STOA_OK);
    }
    stoa_object o;
    assert_int_equal(get(f, "r.s/t", "v1.0.0", STOA_KIND_ZIP, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "same bytes from everyone");
    close(o.fd);
}

/* One holder at a time per key, across plugin instances (as across processes). */
static void lease(void **state)
{
    fixture *f = *state, g = *f;
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
    fixture *f = *state, g = *f;
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

static void health(void **state)
{
    fixture *f = *state;
    stoa_error err;
    assert_int_equal(f->m->health(f->state, &err), STOA_OK);
}

int main(void)
{
    if (getenv("PGS3_TEST_DSN") == NULL || getenv("PGS3_TEST_S3_HOST") == NULL) {
        fprintf(stderr, "skipped: needs PostgreSQL and S3; tests/integration/test_pgs3_contract.sh runs it\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(not_found_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(immutable, setup, teardown),
        cmocka_unit_test_setup_teardown(mutable, setup, teardown),
        cmocka_unit_test_setup_teardown(list_walk_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_same, setup, teardown),
        cmocka_unit_test_setup_teardown(lease, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_then_gc, setup, teardown),
        cmocka_unit_test_setup_teardown(health, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
