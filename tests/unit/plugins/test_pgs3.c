/* The pgs3 plugin against the storage contract (include/stoa/storage.h S1-S5), the
 * fill lease and gc, loaded through the core's real plugin loader. It needs a real
 * PostgreSQL and S3: tests/integration/test_pgs3_contract.sh starts them and runs this
 * program with PGS3_TEST_DSN and PGS3_TEST_S3_HOST set (CTest does not run it alone;
 * without them it exits 77). */
#include "hex.h"
#include "storage_contract.h"
#include "validate.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

typedef struct fixture {
    contract_store s; /* first: the contract tests see only this */
} fixture;

static char tmp_root[] = "/tmp/test_pgs3.XXXXXX"; /* this run's tmp_dir: its own body cache */

static stoa_status open_memo(contract_store *f, const char *grace, const char *secret, const char *cache_size,
                             const char *memo, stoa_error *err)
{
    stoa_option items[] = {{"dsn", getenv("PGS3_TEST_DSN")},       {"s3_host", getenv("PGS3_TEST_S3_HOST")},
                           {"bucket", "stoa"},                      {"access_key", "S3RVER"},
                           {"secret_key", secret},                  {"protocol", "http"},
                           {"pool", "3"},                           {"gc_grace", grace},
                           {"cache_size", cache_size},              {"memo", memo}};
    stoa_options opts = {sizeof(items) / sizeof(items[0]), items};
    return f->m->open(&f->p->host, &opts, &f->state, err);
}

static stoa_status open_with(contract_store *f, const char *grace, const char *secret, const char *cache_size,
                             stoa_error *err)
{
    return open_memo(f, grace, secret, cache_size, "16384", err);
}

static stoa_status open_keyed(contract_store *f, const char *grace, const char *secret, stoa_error *err)
{
    return open_with(f, grace, secret, "1GiB", err);
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
    f->p->host.tmp_dir = tmp_root;
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

/* An S3 error answer reaches the caller in S3's own words (its <Code> and <Message>),
 * with what to check, the secret scrubbed. The test server verifies Signature V4. */
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
        strstr(err.msg, "check secret_key") == NULL || strstr(err.msg, "127.0.0.1") == NULL ||
        strstr(err.msg, "not-the-secret") != NULL)
        fail_msg("error: %s", err.msg);
}

/* The body cache: hits come from it with S3 unusable (a wrong secret), a copy of the
 * wrong size is dropped, and STOA_GET_NO_CACHE goes to S3. */
static stoa_status get_with(contract_store *f, const char *mod, unsigned flags, stoa_object *o, stoa_error *err)
{
    stoa_key key = {mod, "v1.0.0", STOA_KIND_ZIP};
    return f->m->get(f->state, &key, flags, o, err);
}

static void cached_path(const stoa_put_file *pf, char *out, size_t len)
{
    char hex[65];
    hex_encode(pf->meta.sha256, 32, hex);
    snprintf(out, len, "%s/pgs3-cache/%s", tmp_root, hex);
}

/* Puts a zip of module mod, v1.0.0, with body text, and reads it once. */
static void put_and_read(contract_store *f, const char *mod, const char *text, char *path, size_t len)
{
    stoa_error err;
    stoa_object o;
    stoa_put_file z = staged(STOA_KIND_ZIP, text);
    assert_int_equal(f->m->put(f->state, mod, "v1.0.0", &z, 1, &err), STOA_OK);
    cached_path(&z, path, len);
    assert_int_equal(get_with(f, mod, 0, &o, &err), STOA_OK);
    close(o.fd);
    close(z.fd);
}

static void cache_serves_hits(void **state)
{
    contract_store *f = *state, g = *f;
    stoa_error err;
    stoa_object o;
    char path[512];
    put_and_read(f, "k.c/a", "a body read once from S3", path, sizeof(path));
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(open_keyed(&g, "1h", "not-the-secret", &err), STOA_OK);
    assert_int_equal(get_with(&g, "k.c/a", 0, &o, &err), STOA_OK); /* S3 would refuse this key */
    assert_string_equal(read_all(o.fd), "a body read once from S3");
    close(o.fd);
    assert_int_equal(get_with(&g, "k.c/a", STOA_GET_NO_CACHE, &o, &err), STOA_UNAVAILABLE);
    assert_int_equal(truncate(path, 4), 0); /* damaged: dropped, and S3 asked */
    assert_int_equal(get_with(&g, "k.c/a", 0, &o, &err), STOA_UNAVAILABLE);
    assert_int_equal(access(path, F_OK), -1);
    g.m->close(g.state);
    stoa_put_file z = staged(STOA_KIND_ZIP, "put, never read"); /* a put alone does not fill it */
    assert_int_equal(f->m->put(f->state, "k.c/p", "v1.0.0", &z, 1, &err), STOA_OK);
    cached_path(&z, path, sizeof(path));
    assert_int_equal(access(path, F_OK), -1);
    close(z.fd);
}

/* Bytes of bodies in the cache, and how many. */
static uint64_t cache_bytes(int *bodies)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/pgs3-cache", tmp_root);
    uint64_t total = 0;
    *bodies = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        struct stat st;
        if (strlen(de->d_name) == 64 && fstatat(dirfd(d), de->d_name, &st, 0) == 0)
            total += (uint64_t)st.st_size, ++*bodies;
    }
    closedir(d);
    return total;
}

/* After a reboot the cache starts empty; past cache_size the oldest bodies go. */
static void cache_reboot_and_trim(void **state)
{
    contract_store *f = *state, g = *f;
    stoa_error err;
    char path[512], boot[512];
    put_and_read(f, "k.c/b", "kept until the machine reboots", path, sizeof(path));
    assert_int_equal(access(path, F_OK), 0);
    snprintf(boot, sizeof(boot), "%s/pgs3-cache/.boot", tmp_root);
    FILE *b = fopen(boot, "w");
    assert_non_null(b);
    fputs("another-boot\n", b);
    fclose(b);
    assert_int_equal(open_with(&g, "1h", "S3RVER", "1KiB", &err), STOA_OK);
    assert_int_equal(access(path, F_OK), -1);
    for (int i = 0; i < 12; ++i) { /* 12 bodies of 100 bytes into 1 KiB */
        char mod[16], body[101];
        snprintf(mod, sizeof(mod), "k.t/m%d", i);
        memset(body, 'a' + i, 100);
        body[100] = '\0';
        put_and_read(&g, mod, body, path, sizeof(path));
    }
    g.m->close(g.state);
    int bodies;
    uint64_t total = cache_bytes(&bodies);
    if (total > 1024 || bodies < 1)
        fail_msg("cache holds %d bodies, %llu bytes, limit 1024", bodies, (unsigned long long)total);
}

/* What watch()'s callback heard (ABI 1.6), counted under a lock: it runs on the
 * plugin's thread. Changes of w.a/tch and of the database w.a/tchdb are also logged,
 * as "stored <kind> <size> <module>@<version>;" and "removed <module>@<version>;". */
typedef struct heard {
    pthread_mutex_t mu;
    int lost, stored, published, removed;
    uint64_t bytes;
    char log[2048];
} heard;

static void hear(void *arg, const stoa_change *c)
{
    heard *h = arg;
    pthread_mutex_lock(&h->mu);
    size_t n = strlen(h->log);
    if (c->type == STOA_CHANGE_LOST) {
        ++h->lost;
    } else if (strcmp(c->module, "w.a/tch") == 0 || strcmp(c->module, "w.a/tchdb") == 0) { /* else another test's */
        const char *v = c->version != NULL ? c->version : "(null)";
        int ours = strcmp(c->module, "w.a/tch") == 0;
        if (c->type == STOA_CHANGE_STORED) {
            snprintf(h->log + n, sizeof(h->log) - n, "stored %d %llu %s@%s;", (int)c->kind,
                     (unsigned long long)c->size, c->module, v);
            h->stored += ours, h->published += ours && c->published, h->bytes += ours ? c->size : 0;
        } else {
            snprintf(h->log + n, sizeof(h->log) - n, "removed %s@%s;", c->module, v);
            h->removed += ours;
        }
    }
    pthread_mutex_unlock(&h->mu);
}

/* Waits up to 5 s until *n (read under h's lock) reaches at least want. */
static int heard_at_least(heard *h, const int *n, int want)
{
    for (int i = 0; i < 500; ++i) {
        pthread_mutex_lock(&h->mu);
        int v = *n;
        pthread_mutex_unlock(&h->mu);
        if (v >= want)
            return 1;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    return 0;
}

static int heard_has(heard *h, const char *text)
{
    pthread_mutex_lock(&h->mu);
    int found = strstr(h->log, text) != NULL;
    pthread_mutex_unlock(&h->mu);
    return found;
}

/* Waits up to 5 s until h's log holds text. */
static void heard_text(heard *h, const char *text)
{
    for (int i = 0; i < 500 && !heard_has(h, text); ++i)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    if (heard_has(h, text))
        return;
    char log[sizeof(h->log)];
    pthread_mutex_lock(&h->mu);
    memcpy(log, h->log, sizeof(log));
    pthread_mutex_unlock(&h->mu);
    fail_msg("did not hear \"%s\"; heard: %s", text, log);
}

static void cut_watchers(void)
{
    PGconn *c = PQconnectdb(getenv("PGS3_TEST_DSN"));
    PGresult *r = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'stoa-pgs3-watch'");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    PQfinish(c);
}

/* Puts one file of kind with text as module@version (NULL: a mutable kind). */
static void put_one(contract_store *f, const char *module, const char *version, stoa_kind kind, const char *text)
{
    stoa_error err;
    stoa_put_file pf = staged(kind, text);
    if (f->m->put(f->state, module, version, &pf, 1, &err) != STOA_OK)
        fail_msg("put of kind %d: %s", (int)kind, err.msg);
    close(pf.fd);
}

/* Lists (also when replaced), latests and tiles are heard as stored, with version ""
 * for the first two; a database's latest is not; removing a list or a tile is heard. */
static void watch_answers_and_tiles(contract_store *f, heard *h)
{
    stoa_error err;
    put_one(f, "w.a/tch", NULL, STOA_KIND_LIST, "v1.0.0\n");
    heard_text(h, "stored 4 7 w.a/tch@;");
    put_one(f, "w.a/tch", NULL, STOA_KIND_LIST, "v1.0.0\nv1.0.1\n"); /* an upsert: an UPDATE */
    heard_text(h, "stored 4 14 w.a/tch@;");
    put_one(f, "w.a/tch", NULL, STOA_KIND_LATEST, "{}");
    heard_text(h, "stored 5 2 w.a/tch@;");
    put_one(f, "w.a/tchdb", NULL, STOA_KIND_SUMDB_LATEST, "a tree head");
    put_one(f, "w.a/tchdb", "tile/8/0/001", STOA_KIND_SUMDB_TILE, "tile bytes");
    heard_text(h, "stored 6 10 w.a/tchdb@tile/8/0/001;");
    assert_false(heard_has(h, "stored 7 ")); /* heard in commit order: it would be here by now */
    stoa_key list = {"w.a/tch", NULL, STOA_KIND_LIST}, tile = {"w.a/tchdb", "tile/8/0/001", STOA_KIND_SUMDB_TILE};
    assert_int_equal(f->m->remove_object(f->state, &list, &err), STOA_OK);
    heard_text(h, "removed w.a/tch@;");
    assert_int_equal(f->m->remove_object(f->state, &tile, &err), STOA_OK);
    heard_text(h, "removed w.a/tchdb@tile/8/0/001;");
}

/* Another instance's stores (with sizes and origin) and removals reach the callback;
 * it hears LOST once listening, and again when its session is cut. The callback may
 * run until the watching instance's close() returns: h is static (a failed assertion
 * leaves w open), and w is closed here, not by teardown. */
static void watch_reports_changes(void **state)
{
    contract_store *f = *state, w = *f;
    stoa_error err;
    static heard h = {.mu = PTHREAD_MUTEX_INITIALIZER};
    assert_int_equal(open_store(&w, "1h", &err), STOA_OK);
    assert_int_equal(w.m->watch(w.state, hear, &h, &err), STOA_OK);
    assert_true(heard_at_least(&h, &h.lost, 1));
    stoa_put_file files[] = {staged(STOA_KIND_INFO, "{}"), staged(STOA_KIND_MOD, "module w.a/tch\n"),
                             staged(STOA_KIND_ZIP, "twelve bytes")};
    assert_int_equal(f->m->put(f->state, "w.a/tch", "v1.0.0", files, 3, &err), STOA_OK);
    assert_true(heard_at_least(&h, &h.stored, 3));
    assert_int_equal(h.bytes, 2 + 15 + 12);
    assert_int_equal(h.published, 0);
    assert_int_equal(f->m->remove(f->state, "w.a/tch", "v1.0.0", &err), STOA_OK);
    assert_true(heard_at_least(&h, &h.removed, 1));
    snprintf(files[2].meta.origin, sizeof(files[2].meta.origin), "published");
    assert_int_equal(f->m->put(f->state, "w.a/tch", "v1.0.1", &files[2], 1, &err), STOA_OK);
    assert_true(heard_at_least(&h, &h.published, 1));
    for (size_t i = 0; i < 3; ++i)
        close(files[i].fd);
    watch_answers_and_tiles(f, &h);
    int lost = h.lost;
    cut_watchers();
    assert_true(heard_at_least(&h, &h.lost, lost + 2)); /* stopped hearing, then hears anew */
    w.m->close(w.state);
}

/* With the memo off nothing listened before; watch() starts the watcher itself. */
static void watch_without_memo(void **state)
{
    contract_store *f = *state, g = *f;
    stoa_error err;
    static heard h = {.mu = PTHREAD_MUTEX_INITIALIZER}; /* static: as in watch_reports_changes */
    assert_int_equal(open_memo(&g, "1h", "S3RVER", "1GiB", "0", &err), STOA_OK);
    assert_int_equal(g.m->watch(g.state, hear, &h, &err), STOA_OK);
    assert_true(heard_at_least(&h, &h.lost, 1));
    stoa_put_file z = staged(STOA_KIND_ZIP, "heard without a memo");
    assert_int_equal(f->m->put(f->state, "w.a/tch", "v2.0.0", &z, 1, &err), STOA_OK);
    close(z.fd);
    assert_true(heard_at_least(&h, &h.stored, 1));
    g.m->close(g.state);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
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
        cmocka_unit_test_setup_teardown(cache_serves_hits, setup, teardown),
        cmocka_unit_test_setup_teardown(cache_reboot_and_trim, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_get_copy, setup, teardown), /* skipped: pgs3 has none */
        cmocka_unit_test_setup_teardown(contract_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_get_local, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(watch_reports_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(watch_without_memo, setup, teardown),
    };
    if (mkdtemp(tmp_root) == NULL)
        return perror("mkdtemp"), 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    nftw(tmp_root, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    return failed;
}
