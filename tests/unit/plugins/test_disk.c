/* The disk plugin against the storage contract (include/stoa/storage.h S1-S5),
 * loaded through the core's real plugin loader. */
#include "storage_contract.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/wait.h>

typedef struct fixture {
    contract_store s; /* first: the contract tests see only this */
    char root[256];
} fixture;

static void open_store(fixture *f)
{
    stoa_option items[2] = {{"root", f->root}, {"fsync", "false"}};
    stoa_options opts = {2, items};
    stoa_error err = {0};
    if (f->s.m->open(&f->s.p->host, &opts, &f->s.state, &err) != STOA_OK)
        fail_msg("open: %s", err.msg);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    stoa_error err = {0};
    f->s.p = plugin_load(getenv("STOA_PLUGIN_DIR"), "disk", STOA_PLUGIN_STORAGE, &err);
    if (f->s.p == NULL)
        fail_msg("load: %s", err.msg);
    f->s.m = &f->s.p->m.storage;
    snprintf(f->root, sizeof(f->root), "/tmp/stoa-disk-test.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    f->s.p->host.tmp_dir = "/tmp";
    open_store(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->s.m->close(f->s.state);
    plugin_unload(f->s.p);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.outside'", f->root, f->root); /* objects_on_disk's too */
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* The contract's round trip, plus: the tree mirrors GOPROXY URLs, case-escaped. */
static void round_trip(void **state)
{
    fixture *f = *state;
    contract_round_trip(state);
    char path[512];
    snprintf(path, sizeof(path), "%s/x.y/!z/@v/v1.0.0.zip", f->root);
    assert_int_equal(access(path, R_OK), 0);
}

static void no_escape(void **state)
{
    fixture *f = *state;
    stoa_error err;
    stoa_put_file x = staged(STOA_KIND_MOD, "x");
    static const char *const mods[] = {"../x", "a/../../b", "/abs", "a\\b", "a//b", "a/.hidden", "", "sumdb/x"};
    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); ++i)
        if (f->s.m->put(f->s.state, mods[i], "v1.0.0", &x, 1, &err) != STOA_INVALID)
            fail_msg("put accepted module %s", mods[i]);
    assert_int_equal(f->s.m->put(f->s.state, "a.b/c", "../../v1", &x, 1, &err), STOA_INVALID);
    stoa_key tile = {"sum.golang.org", "tile/8/0/../../../x", STOA_KIND_SUMDB_TILE};
    stoa_object o;
    assert_int_equal(f->s.m->get(f->s.state, &tile, 0, &o, &err), STOA_INVALID);
    /* A name of the test's own beside root: "../x" would meet any /tmp/x already there. */
    char outside[300], escape[300];
    snprintf(outside, sizeof(outside), "%s.escape", f->root);
    snprintf(escape, sizeof(escape), "../%s.escape", strrchr(f->root, '/') + 1);
    assert_int_equal(f->s.m->put(f->s.state, escape, "v1.0.0", &x, 1, &err), STOA_INVALID);
    assert_int_not_equal(access(outside, F_OK), 0); /* created nothing beside root */
    close(x.fd);
}

/* The in-memory sidecar cache: a replaced object (same size, other bytes) is never
 * described by the entry of the one it replaced, and a hit needs no sidecar. */
static void metacache(void **state)
{
    fixture *f = *state;
    stoa_error err;
    for (int round = 0; round < 3; ++round) {
        stoa_put_file l = staged(STOA_KIND_LIST, round % 2 ? "v1.0.0\n" : "v2.0.0\n");
        assert_int_equal(f->s.m->put(f->s.state, "m.c/x", NULL, &l, 1, &err), STOA_OK);
        for (int again = 0; again < 2; ++again) { /* a miss, then a hit */
            stoa_object o;
            assert_int_equal(get(&f->s, "m.c/x", NULL, STOA_KIND_LIST, &o), STOA_OK);
            assert_memory_equal(o.meta.sha256, l.meta.sha256, 32);
            close(o.fd);
        }
        close(l.fd);
    }
    stoa_put_file z = staged(STOA_KIND_ZIP, "cached meta");
    assert_int_equal(f->s.m->put(f->s.state, "m.c/x", "v1.0.0", &z, 1, &err), STOA_OK);
    stoa_object o;
    assert_int_equal(get(&f->s, "m.c/x", "v1.0.0", STOA_KIND_ZIP, &o), STOA_OK);
    close(o.fd);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm '%s/m.c/x/@v/.meta/v1.0.0.zip'", f->root);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(get(&f->s, "m.c/x", "v1.0.0", STOA_KIND_ZIP, &o), STOA_OK);
    assert_memory_equal(o.meta.sha256, z.meta.sha256, 32); /* from the cache */
    assert_string_equal(o.meta.h1, "h1:abc=");
    close(o.fd);
    close(z.fd);
}

/* get_copy keeps small bodies in memory, keyed by the file's identity: a file replaced
 * behind the plugin's back (another inode renamed over it, or the same inode rewritten
 * to another size) is read again, never answered from the old bytes. */
static void copy_follows_the_file(void **state)
{
    fixture *f = *state;
    stoa_error err;
    stoa_put_file z = staged(STOA_KIND_INFO, "{\"Version\":\"v1.0.0\"}");
    assert_int_equal(f->s.m->put(f->s.state, "m.c/y", "v1.0.0", &z, 1, &err), STOA_OK);
    stoa_key key = {"m.c/y", "v1.0.0", STOA_KIND_INFO};
    char buf[64] = {0}, path[300], cmd[1200];
    stoa_meta m;
    for (int again = 0; again < 2; ++again)
        assert_int_equal(f->s.m->get_copy(f->s.state, &key, buf, sizeof(buf), &m, &err), STOA_OK);
    assert_memory_equal(buf, "{\"Version\":\"v1.0.0\"}", m.size);
    snprintf(path, sizeof(path), "%s/m.c/y/@v/v1.0.0.info", f->root);
    snprintf(cmd, sizeof(cmd), "printf '{\"Version\":\"v1.0.1\"}' >'%s.new' && mv '%s.new' '%s'", path, path, path);
    assert_int_equal(system(cmd), 0);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(f->s.m->get_copy(f->s.state, &key, buf, sizeof(buf), &m, &err), STOA_OK);
    assert_string_equal(buf, "{\"Version\":\"v1.0.1\"}");
    snprintf(cmd, sizeof(cmd), "printf '{\"Version\":\"v1.0.22\"}' >'%s'", path);
    assert_int_equal(system(cmd), 0); /* the same inode rewritten: another size */
    memset(buf, 0, sizeof(buf));
    assert_int_equal(f->s.m->get_copy(f->s.state, &key, buf, sizeof(buf), &m, &err), STOA_OK);
    assert_string_equal(buf, "{\"Version\":\"v1.0.22\"}");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(f->s.m->get_copy(f->s.state, &key, buf, sizeof(buf), &m, &err), STOA_NOTFOUND);
    close(z.fd);
}

static int object_count(void *arg, const stoa_key *k, const stoa_meta *m)
{
    ++*(int *)arg;
    return 0;
}

/* The contract's objects(), plus: the files sit where GOPROXY URLs and the checksum
 * database's paths put them; a key disk_path refuses is INVALID for remove_object; and
 * symlinks in the tree (to a file, or to a directory outside root) are not reported. */
static void objects_on_disk(void **state)
{
    fixture *f = *state;
    char path[512], cmd[1400];
    contract_objects(state);
    snprintf(path, sizeof(path), "%s/o.b/!j/@latest", f->root);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof(path), "%s/sumdb/sum.o.bj/db/tile/8/1/000.p/5", f->root);
    assert_int_equal(access(path, R_OK), 0);
    stoa_error err;
    stoa_key bad = {"sum.o.bj/db", "tile/8/0/../../../../x", STOA_KIND_SUMDB_TILE};
    assert_int_equal(f->s.m->remove_object(f->s.state, &bad, &err), STOA_INVALID);
    stoa_key bad_module = {"../x", NULL, STOA_KIND_LIST};
    assert_int_equal(f->s.m->remove_object(f->s.state, &bad_module, &err), STOA_INVALID);
    /* Outside root: a tree of its own, with a tile and a module's list. */
    snprintf(cmd, sizeof(cmd),
             "set -e; o='%s.outside'; mkdir -p \"$o/tile/8/0\" \"$o/@v\"; echo out >\"$o/tile/8/0/002\"; "
             "echo out >\"$o/@v/list\"; echo out >\"$o/@latest\"; cd '%s'; "
             "ln -s \"$o\" sumdb/sum.o.bj/db/tile/8/2; ln -s \"$o\" sumdb/linked; ln -s \"$o\" o.b/linked; "
             "mkdir -p x.y/@v; ln -s \"$o/@latest\" x.y/@latest; ln -s \"$o/@v/list\" x.y/@v/list; "
             "ln -s \"$o/tile/8/0/002\" sumdb/sum.o.bj/db/tile/8/0/003",
             f->root, f->root);
    assert_int_equal(system(cmd), 0);
    expect_obj e[] = {{"o.b/J", "v1.0.0", STOA_KIND_MOD, "module o.b/J\n", 0, 0},
                      {"o.b/J", NULL, STOA_KIND_LATEST, "{\"Version\":\"v1.0.0\"}\n", 0, 0},
                      {"sum.o.bj/db", "tile/8/1/000.p/5", STOA_KIND_SUMDB_TILE, "partial tile", 0, 0},
                      {"sum.o.bj/db", NULL, STOA_KIND_SUMDB_LATEST, "go.sum database tree\n5\nhash=\n", 0, 0}};
    objects_match(&f->s, e, sizeof(e) / sizeof(e[0]));
    int calls = 0; /* nothing of any other module either: x.y's links, sumdb/linked */
    assert_int_equal(f->s.m->objects(f->s.state, object_count, &calls, &err), STOA_OK);
    assert_int_equal(calls, 4);
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
        f->s.m->put(f->s.state, "c.d/e", "v1.0.0", &z, 1, &err);
        _exit(0); /* not reached when the fault fires */
    }
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 99);
    stoa_object o;
    assert_int_equal(get(&f->s, "c.d/e", "v1.0.0", STOA_KIND_ZIP, &o), STOA_NOTFOUND);
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "test -n \"$(ls -A '%s/.tmp')\"", f->root);
    assert_int_equal(system(tmp), 0); /* the orphan temp file exists... */
    f->s.m->close(f->s.state);
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
    f->s.m->close(f->s.state);
    open_store(f);
    assert_int_equal(access(path, F_OK), 0); /* live: kept */
    assert_int_equal(write(release[1], "x", 1), 1);
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 0);
    for (int i = 0; i < 2; ++i)
        close(locked[i]), close(release[i]);
    f->s.m->close(f->s.state);
    open_store(f);
    assert_int_not_equal(access(path, F_OK), 0); /* orphaned: removed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_not_found_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_immutable, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_mutable, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_list_walk_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(no_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_mid_put, setup, teardown),
        cmocka_unit_test_setup_teardown(live_temp_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(metacache, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_get_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_get_local, setup, teardown), /* skipped: disk is FAST_GET */
        cmocka_unit_test_setup_teardown(copy_follows_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_concurrent_same, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_pins, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_health, setup, teardown),
        cmocka_unit_test_setup_teardown(objects_on_disk, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
