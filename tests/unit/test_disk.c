/* The disk plugin against the storage contract (include/stoa/storage.h S1-S5),
 * loaded through the core's real plugin loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin.h"
#include "staging.h"
#include "validate.h"

typedef struct fixture {
    plugin *p;
    void *state;
    char root[256];
    const stoa_storage_methods *m;
} fixture;

static void open_store(fixture *f)
{
    stoa_option items[2] = {{"root", f->root}, {"fsync", "false"}};
    stoa_options opts = {2, items};
    stoa_error err = {0};
    if (f->m->open(&f->p->host, &opts, &f->state, &err) != STOA_OK)
        fail_msg("open: %s", err.msg);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    stoa_error err = {0};
    f->p = plugin_load(getenv("STOA_PLUGIN_DIR"), "disk", STOA_PLUGIN_STORAGE, &err);
    if (f->p == NULL)
        fail_msg("load: %s", err.msg);
    f->m = &f->p->m.storage;
    snprintf(f->root, sizeof(f->root), "/tmp/stoa-disk-test.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    f->p->host.tmp_dir = "/tmp";
    open_store(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->m->close(f->state);
    plugin_unload(f->p);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* A put_file over a staged copy of text. */
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
    /* the tree mirrors GOPROXY URLs, case-escaped */
    char path[512];
    snprintf(path, sizeof(path), "%s/x.y/!z/@v/v1.0.0.zip", f->root);
    assert_int_equal(access(path, R_OK), 0);
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
    /* a set with one conflicting file commits nothing (S2) */
    stoa_put_file set[2] = {staged(STOA_KIND_ZIP, "zip bytes"), b};
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
    strcat(out, m);
    strcat(out, "@");
    strcat(out, v);
    strcat(out, ";");
    return 0;
}

static void list_walk_remove(void **state)
{
    fixture *f = *state;
    stoa_error err;
    stoa_put_file i1 = staged(STOA_KIND_INFO, "{}"), m1 = staged(STOA_KIND_MOD, "module q.r/S\n");
    assert_int_equal(f->m->put(f->state, "q.r/S", "v1.0.0", &i1, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "q.r/S", "v1.1.0", &i1, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "q.r/S", "v2.0.0+incompatible", &m1, 1, &err), STOA_OK); /* no .info: unlisted */
    int n = 0;
    assert_int_equal(f->m->list(f->state, "q.r/S", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(f->m->list(f->state, "q.r/none", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 0);
    char seen[1024] = "";
    assert_int_equal(f->m->walk(f->state, walk_cb, seen, &err), STOA_OK);
    assert_non_null(strstr(seen, "q.r/S@v1.0.0;"));
    assert_non_null(strstr(seen, "q.r/S@v1.1.0;"));
    assert_int_equal(f->m->remove(f->state, "q.r/S", "v1.0.0", &err), STOA_OK);
    assert_int_equal(f->m->remove(f->state, "q.r/S", "v1.0.0", &err), STOA_NOTFOUND);
    n = 0;
    f->m->list(f->state, "q.r/S", count_cb, &n, &err);
    assert_int_equal(n, 1);
    close(i1.fd);
    close(m1.fd);
}

static void no_escape(void **state)
{
    fixture *f = *state;
    stoa_error err;
    stoa_put_file x = staged(STOA_KIND_MOD, "x");
    static const char *const mods[] = {"../x", "a/../../b", "/abs", "a\\b", "a//b", "a/.hidden", "", "sumdb/x"};
    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); ++i)
        if (f->m->put(f->state, mods[i], "v1.0.0", &x, 1, &err) != STOA_INVALID)
            fail_msg("put accepted module %s", mods[i]);
    assert_int_equal(f->m->put(f->state, "a.b/c", "../../v1", &x, 1, &err), STOA_INVALID);
    stoa_key tile = {"sum.golang.org", "tile/8/0/../../../x", STOA_KIND_SUMDB_TILE};
    stoa_object o;
    assert_int_equal(f->m->get(f->state, &tile, 0, &o, &err), STOA_INVALID);
    char outside[300];
    snprintf(outside, sizeof(outside), "%s/../x", f->root);
    assert_int_not_equal(access(outside, F_OK), 0); /* "../x" created nothing beside root */
    close(x.fd);
}

/* A child dies between writing the temp file and renaming it (the fault point
 * STOA_DISK_CRASH_AT=before_rename): nothing is visible, and the next open cleans up. */
static void crash_mid_put(void **state)
{
    fixture *f = *state;
    pid_t pid = fork();
    if (pid == 0) {
        setenv("STOA_DISK_CRASH_AT", "before_rename", 1);
        stoa_put_file z = staged(STOA_KIND_ZIP, "a zip that never lands");
        stoa_error err;
        f->m->put(f->state, "c.d/e", "v1.0.0", &z, 1, &err);
        _exit(0); /* not reached when the fault fires */
    }
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 99);
    stoa_object o;
    assert_int_equal(get(f, "c.d/e", "v1.0.0", STOA_KIND_ZIP, &o), STOA_NOTFOUND);
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "test -n \"$(ls -A '%s/.tmp')\"", f->root);
    assert_int_equal(system(tmp), 0); /* the orphan temp file exists... */
    f->m->close(f->state);
    open_store(f);
    snprintf(tmp, sizeof(tmp), "test -z \"$(ls -A '%s/.tmp')\"", f->root);
    assert_int_equal(system(tmp), 0); /* ...and reopening removed it */
}

/* A temp file whose writer is alive (it holds the flock) survives another process
 * opening the same root; once the writer is gone, the next open removes it. */
static void live_temp_kept(void **state)
{
    fixture *f = *state;
    char path[400];
    snprintf(path, sizeof(path), "%s/.tmp/obj.live01", f->root);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    int locked[2], release[2];
    assert_int_equal(pipe(locked), 0);
    assert_int_equal(pipe(release), 0);
    pid_t pid = fork();
    if (pid == 0) { /* the writer: holds the lock until told to go */
        char c;
        if (flock(fd, LOCK_EX) != 0 || write(locked[1], "x", 1) != 1 || read(release[0], &c, 1) != 1)
            _exit(1);
        _exit(0);
    }
    char c;
    assert_int_equal(read(locked[0], &c, 1), 1);
    close(fd);
    f->m->close(f->state);
    open_store(f);
    assert_int_equal(access(path, F_OK), 0); /* live: kept */
    assert_int_equal(write(release[1], "x", 1), 1);
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 0);
    for (int i = 0; i < 2; ++i)
        close(locked[i]), close(release[i]);
    f->m->close(f->state);
    open_store(f);
    assert_int_not_equal(access(path, F_OK), 0); /* orphaned: removed */
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

static void health(void **state)
{
    fixture *f = *state;
    stoa_error err;
    assert_int_equal(f->m->health(f->state, &err), STOA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(not_found_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(immutable, setup, teardown),
        cmocka_unit_test_setup_teardown(mutable, setup, teardown),
        cmocka_unit_test_setup_teardown(list_walk_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(no_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_mid_put, setup, teardown),
        cmocka_unit_test_setup_teardown(live_temp_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_same, setup, teardown),
        cmocka_unit_test_setup_teardown(health, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
