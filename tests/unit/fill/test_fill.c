/* The single-flight fill against a real disk store, a real worker pool and an h2o loop,
 * with a source the test drives (fill_env.source): however many requests miss one
 * file, one fetch runs; work nobody waits for is never fetched; limits refuse at once;
 * what may be cached is stored and what may not is served from staging; a private path
 * never reaches the source; streamers see progress and a voided attempt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fill.h"
#include "staging.h"
#include "validate.h"

#define BODY "{\"Version\":\"v1.0.0\",\"Time\":\"2024-01-02T03:04:05Z\"}"

/* ---- the source the test drives ---- */

static struct {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int open;            /* fetches wait until the gate opens */
    int calls;
    stoa_status status;  /* what the next fetches answer */
    int void_first;      /* write some bytes, void them, then write the body */
    size_t zip_bytes;    /* > 0: the body is this many bytes (a zip's worth) */
    int pause;           /* after telling the body's progress, wait until this is 0 */
    int paused;          /* a fetch is waiting there */
} src = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 1, 0, STOA_OK, 0, 0, 0, 0};

static void set_pause(int on)
{
    pthread_mutex_lock(&src.m);
    src.pause = on;
    pthread_cond_broadcast(&src.cv);
    pthread_mutex_unlock(&src.m);
}

static stoa_status write_body(fill_fetch *q)
{
    char *buf = NULL;
    size_t n = src.zip_bytes ? src.zip_bytes : strlen(BODY);
    const char *text = BODY;
    if (src.zip_bytes) {
        buf = malloc(n);
        memset(buf, 'z', n);
        text = buf;
    }
    int rc = ftruncate(q->fd, 0) == 0 && staging_write(q->fd, text, n) == 0 &&
             validate_sha256_fd(q->fd, n, q->meta.sha256) == 0 ? 0 : -1;
    free(buf);
    if (rc != 0)
        return stoa_fail(&q->err, STOA_INTERNAL, "cannot stage");
    q->meta.size = n;
    if (q->progress != NULL)
        q->progress(q->progress_arg, n, (int64_t)n);
    pthread_mutex_lock(&src.m);
    src.paused = src.pause;
    pthread_cond_broadcast(&src.cv);
    while (src.pause)
        pthread_cond_wait(&src.cv, &src.m);
    src.paused = 0;
    pthread_mutex_unlock(&src.m);
    return STOA_OK;
}

static stoa_status test_source(fill_fetch *q)
{
    pthread_mutex_lock(&src.m);
    src.calls++;
    pthread_cond_broadcast(&src.cv);
    while (!src.open)
        pthread_cond_wait(&src.cv, &src.m);
    stoa_status status = src.status;
    pthread_mutex_unlock(&src.m);
    q->res.nattempts = 1;
    snprintf(q->res.attempts[0].name, sizeof(q->res.attempts[0].name), "test");
    if (status != STOA_OK) {
        q->res.attempts[0].status = status;
        snprintf(q->res.attempts[0].why, sizeof(q->res.attempts[0].why), "told to fail");
        return stoa_fail(&q->err, status, "told to fail");
    }
    if (src.void_first && q->progress != NULL) {
        q->progress(q->progress_arg, 10, 10);
        q->progress(q->progress_arg, 0, -1);
    }
    q->res.served_by = 0;
    snprintf(q->upstream, sizeof(q->upstream), "test");
    snprintf(q->meta.origin, sizeof(q->meta.origin), "test");
    return write_body(q);
}

static void gate(int open)
{
    pthread_mutex_lock(&src.m);
    src.open = open;
    pthread_cond_broadcast(&src.cv);
    pthread_mutex_unlock(&src.m);
}

/* Waits (at most 5 s) until a fetch holds at src.pause. */
static void wait_paused(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&src.m);
    while (!src.paused)
        if (pthread_cond_timedwait(&src.cv, &src.m, &until) != 0)
            break;
    int paused = src.paused;
    pthread_mutex_unlock(&src.m);
    assert_int_equal(paused, 1);
}

/* Waits (at most 5 s) until the source has been called n times in all. */
static void wait_calls(int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&src.m);
    while (src.calls < n)
        if (pthread_cond_timedwait(&src.cv, &src.m, &until) != 0)
            break;
    int calls = src.calls;
    pthread_mutex_unlock(&src.m);
    assert_int_equal(calls, n);
}

static int calls(void)
{
    pthread_mutex_lock(&src.m);
    int n = src.calls;
    pthread_mutex_unlock(&src.m);
    return n;
}

/* ---- the world: store, configuration, loop ---- */

static struct {
    storage s;
    char root[64];
    struct conf *conf;
    h2o_loop_t *loop;
    h2o_multithread_queue_t *queue;
    pool_loop pl;
} w;

static const struct conf *current_conf(void)
{
    return w.conf;
}

static void use_conf(const char *yaml)
{
    char err[4096];
    char *env[] = {NULL};
    struct conf *c = conf_parse("test.yaml", yaml, strlen(yaml), env, err, sizeof(err));
    if (c == NULL)
        fail_msg("conf: %s", err);
    if (w.conf != NULL)
        conf_free(w.conf); /* no fill runs between tests */
    w.conf = c;
}

typedef struct waiter {
    pool_job job;
    fill_waiter w;
    fill *f;
    int deliveries;
    int early;
} waiter;

static void on_done(pool_job *job)
{
    waiter *x = (waiter *)job;
    x->deliveries++;
    x->early |= x->w.early;
    atomic_store(&x->w.queued, 0);
}

static fill_join_result join(waiter *x, const char *path, const char *client)
{
    route r;
    char why[256];
    assert_int_equal(route_parse(path, strlen(path), NULL, 0, &r, why, sizeof(why)), STOA_OK);
    int progress = x->w.wants_progress, early = x->w.wants_early;
    memset(x, 0, sizeof(*x));
    x->w.wants_progress = progress;
    x->w.wants_early = early;
    x->job.loop = &w.pl;
    x->job.done = on_done;
    x->w.job = &x->job;
    x->w.peer_fd = -1;
    return fill_join(&r, client, &x->w, &x->f);
}

/* Runs the loop until every waiter has had a delivery and no fill is left (5 s at most). */
static void run_until_delivered(waiter *xs, size_t n)
{
    for (int i = 0; i < 500; ++i) {
        size_t done = 0;
        for (size_t k = 0; k < n; ++k)
            done += xs[k].deliveries > 0;
        if (done == n)
            return;
        h2o_evloop_run(w.loop, 10);
    }
    fail_msg("waiters were not all told");
}

static int stored(const char *module, const char *version, stoa_kind kind)
{
    stoa_key k = {module, version, kind};
    stoa_object o;
    stoa_error err = {0};
    return storage_get(&w.s, &k, STOA_GET_META_ONLY, &o, &err) == STOA_OK;
}

/* A fill that answered early goes on committing: waits until it is stored. */
static void wait_stored(const char *module, const char *version, stoa_kind kind)
{
    for (int i = 0; i < 500 && !stored(module, version, kind); ++i)
        usleep(10000);
    assert_true(stored(module, version, kind));
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(w.root, sizeof(w.root), "/tmp/stoa-fill-test.XXXXXX");
    assert_non_null(mkdtemp(w.root));
    conf_kv items[2] = {{"root", w.root}, {"fsync", "false"}};
    conf_plugin cp = {.plugin = "disk", .options = items, .noptions = 2};
    stoa_error err = {0};
    if (storage_open(&w.s, getenv("STOA_PLUGIN_DIR"), &cp, "/tmp", &err) != STOA_OK)
        fail_msg("storage_open: %s", err.msg);
    use_conf("listen: 127.0.0.1:0\n");
    fill_setup(&(fill_env){.store = &w.s, .tmp_dir = "/tmp", .conf = current_conf, .source = test_source});
    w.loop = h2o_evloop_create();
    w.queue = h2o_multithread_create_queue(w.loop);
    pool_loop_init(&w.pl, w.queue);
    assert_int_equal(pool_start(1), 0); /* one fill worker: a gated fetch holds it */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    gate(1);
    set_pause(0);
    pool_stop();
    pool_loop_dispose(&w.pl, w.queue);
    h2o_multithread_destroy_queue(w.queue);
    storage_close(&w.s);
    conf_free(w.conf);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w.root);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    gate(1);
    src.status = STOA_OK;
    src.void_first = 0;
    src.zip_bytes = 0;
    set_pause(0);
    use_conf("listen: 127.0.0.1:0\n");
    return 0;
}

static void release_all(waiter *xs, size_t n)
{
    for (size_t k = 0; k < n; ++k)
        fill_release(xs[k].f);
}

/* ---- tests ---- */

static void one_fetch_for_many_misses(void **state)
{
    (void)state;
    uint64_t started0, joined0, started, joined;
    fill_counts(&started0, &joined0);
    int before = calls();
    gate(0);
    waiter xs[3] = {0};
    assert_int_equal(join(&xs[0], "/example.com/one/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    wait_calls(before + 1);
    assert_int_equal(join(&xs[1], "/example.com/one/@v/v1.0.0.info", "10.0.0.2"), FILL_JOINED);
    assert_int_equal(join(&xs[2], "/example.com/one/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    gate(1);
    run_until_delivered(xs, 3);
    assert_int_equal(calls(), before + 1);
    for (int k = 0; k < 3; ++k) {
        assert_int_equal(fill_result(xs[k].f), FILL_STORED);
        assert_string_equal(fill_upstream(xs[k].f), "test");
    }
    fill_counts(&started, &joined);
    assert_int_equal(started - started0, 1);
    assert_int_equal(joined - joined0, 2);
    assert_true(stored("example.com/one", "v1.0.0", STOA_KIND_INFO));
    release_all(xs, 3);

    /* Once stored, a later miss (a request that looked before the commit) is not fetched. */
    assert_int_equal(join(&xs[0], "/example.com/one/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    run_until_delivered(xs, 1);
    assert_int_equal(fill_result(xs[0].f), FILL_STORED);
    assert_int_equal(calls(), before + 1);
    release_all(xs, 1);
}

static void not_found_stores_nothing(void **state)
{
    (void)state;
    src.status = STOA_NOTFOUND;
    waiter x = {0};
    assert_int_equal(join(&x, "/example.com/gone/@v/v1.0.0.mod", "10.0.0.1"), FILL_JOINED);
    run_until_delivered(&x, 1);
    assert_int_equal(fill_result(x.f), FILL_FAILED);
    assert_int_equal(fill_error(x.f)->status, STOA_NOTFOUND);
    assert_non_null(strstr(fill_error(x.f)->msg, "not found: test: told to fail"));
    assert_string_equal(fill_failed_upstreams(x.f), ""); /* a 404 is no failure */
    assert_false(stored("example.com/gone", "v1.0.0", STOA_KIND_MOD));
    fill_release(x.f);

    src.status = STOA_UNAVAILABLE;
    assert_int_equal(join(&x, "/example.com/down/@v/v1.0.0.mod", "10.0.0.1"), FILL_JOINED);
    run_until_delivered(&x, 1);
    assert_int_equal(fill_error(x.f)->status, STOA_UNAVAILABLE);
    assert_string_equal(fill_failed_upstreams(x.f), "test");
    fill_release(x.f);
}

static void private_path_never_reaches_the_source(void **state)
{
    (void)state;
    use_conf("listen: 127.0.0.1:0\nnamespaces:\n  - {pattern: \"corp.example.com\", mode: private}\n"
             "  - {pattern: \"*\", mode: proxy}\n");
    int before = calls();
    waiter x = {0};
    assert_int_equal(join(&x, "/corp.example.com/secret/@v/v1.0.0.zip", "10.0.0.1"), FILL_JOINED);
    run_until_delivered(&x, 1);
    assert_int_equal(fill_result(x.f), FILL_FAILED);
    assert_int_equal(fill_error(x.f)->status, STOA_NOTFOUND);
    assert_non_null(strstr(fill_error(x.f)->msg, "private namespace"));
    assert_int_equal(calls(), before);
    fill_release(x.f);
}

static void nobody_waiting_is_never_fetched(void **state)
{
    (void)state;
    int before = calls();
    gate(0);
    waiter xs[2] = {0};
    assert_int_equal(join(&xs[0], "/example.com/busy/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    wait_calls(before + 1); /* the one worker is held */
    assert_int_equal(join(&xs[1], "/example.com/left/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    atomic_store(&xs[1].w.gone, 1);
    gate(1);
    run_until_delivered(xs, 2);
    assert_int_equal(calls(), before + 1);
    assert_int_equal(fill_result(xs[1].f), FILL_FAILED);
    assert_int_equal(fill_error(xs[1].f)->status, STOA_UNAVAILABLE);
    assert_false(stored("example.com/left", "v1.0.0", STOA_KIND_INFO));
    release_all(xs, 2);
}

static void full_queue_refuses_at_once(void **state)
{
    (void)state;
    use_conf("listen: 127.0.0.1:0\nlimits:\n  queue: 1\n");
    int before = calls();
    gate(0);
    waiter xs[3] = {0};
    assert_int_equal(join(&xs[0], "/example.com/q1/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    wait_calls(before + 1);
    assert_int_equal(join(&xs[1], "/example.com/q2/@v/v1.0.0.info", "10.0.0.2"), FILL_JOINED);
    assert_int_equal(join(&xs[2], "/example.com/q3/@v/v1.0.0.info", "10.0.0.3"), FILL_BUSY_QUEUE);
    /* a join of a queued fill queues nothing, so it is not refused */
    assert_int_equal(join(&xs[2], "/example.com/q2/@v/v1.0.0.info", "10.0.0.3"), FILL_JOINED);
    gate(1);
    run_until_delivered(xs, 3);
    assert_int_equal(calls(), before + 2);
    release_all(xs, 3);
}

static void one_client_is_bounded(void **state)
{
    (void)state;
    use_conf("listen: 127.0.0.1:0\nlimits:\n  fills_per_client: 1\n");
    gate(0);
    waiter xs[3] = {0};
    assert_int_equal(join(&xs[0], "/example.com/c1/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    assert_int_equal(join(&xs[1], "/example.com/c2/@v/v1.0.0.info", "10.0.0.1"), FILL_BUSY_CLIENT);
    assert_int_equal(join(&xs[1], "/example.com/c2/@v/v1.0.0.info", "10.0.0.2"), FILL_JOINED);
    assert_int_equal(join(&xs[2], "/example.com/c1/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED); /* joins are free */
    gate(1);
    run_until_delivered(xs, 3);
    release_all(xs, 3);
    /* the count is given back when the fill ends */
    assert_int_equal(join(&xs[0], "/example.com/c3/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    run_until_delivered(xs, 1);
    release_all(xs, 1);
}

static void query_is_served_not_stored(void **state)
{
    (void)state;
    waiter x = {0};
    assert_int_equal(join(&x, "/example.com/query/@v/master.info", "10.0.0.1"), FILL_JOINED);
    run_until_delivered(&x, 1);
    assert_int_equal(fill_result(x.f), FILL_STAGED);
    stoa_meta meta;
    int fd = fill_staged(x.f, &meta);
    assert_true(fd >= 0);
    char buf[256] = {0};
    assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0), (ssize_t)strlen(BODY));
    assert_string_equal(buf, BODY);
    assert_string_equal(meta.origin, "test");
    close(fd);
    assert_false(stored("example.com/query", "master", STOA_KIND_INFO));
    fill_release(x.f);
}

static void early_waiter_is_answered_from_staging(void **state)
{
    (void)state;
    waiter x = {.w.wants_early = 1};
    assert_int_equal(join(&x, "/example.com/early/@v/v1.0.0.info", "10.0.0.1"), FILL_JOINED);
    run_until_delivered(&x, 1);
    assert_int_equal(x.early, 1);
    stoa_meta meta;
    int fd = fill_staged(x.f, &meta);
    assert_true(fd >= 0);
    assert_int_equal(meta.size, strlen(BODY));
    close(fd);
    fill_release(x.f);
    wait_stored("example.com/early", "v1.0.0", STOA_KIND_INFO);
}

static void streamer_sees_progress_and_a_voided_attempt(void **state)
{
    (void)state;
    src.zip_bytes = 200 * 1024;
    src.void_first = 1;
    set_pause(1);
    gate(0);
    waiter x = {.w.wants_progress = 1};
    assert_int_equal(join(&x, "/example.com/big/@v/v1.0.0.zip", "10.0.0.1"), FILL_JOINED);
    fill_progress p;
    fill_progress_of(x.f, &p);
    assert_int_equal(p.ended, 0);
    assert_int_equal(p.avail, 0);
    gate(1);
    /* the source holds after staging the body: the streamer is told while it runs */
    wait_paused();
    run_until_delivered(&x, 1);
    for (int i = 0; i < 500 && atomic_load(&x.w.queued); ++i)
        h2o_evloop_run(w.loop, 10);
    fill_progress_of(x.f, &p);
    assert_int_equal(p.ended, 0);
    assert_int_equal(p.validated, 0);
    assert_int_equal(p.avail, src.zip_bytes);
    set_pause(0);
    for (int i = 0; i < 500 && (fill_progress_of(x.f, &p), !p.ended); ++i)
        h2o_evloop_run(w.loop, 10);
    assert_int_equal(p.ended, 1);
    fill_leave(x.f, &x.w); /* a no-op now; afterwards queued says whether the end is on its way */
    for (int i = 0; i < 500 && atomic_load(&x.w.queued); ++i)
        h2o_evloop_run(w.loop, 10);
    assert_int_equal(atomic_load(&x.w.queued), 0);
    assert_int_equal(p.validated, 1);
    assert_int_equal(p.gen, 1); /* the voided attempt */
    assert_int_equal(p.avail, src.zip_bytes);
    assert_int_equal(p.expect, (int64_t)src.zip_bytes);
    assert_true(x.deliveries >= 2); /* progress, then the end */
    assert_int_equal(x.early, 0);   /* a streamer is never answered early */
    assert_int_equal(fill_result(x.f), FILL_STORED);
    assert_int_equal(fill_meta(x.f)->size, src.zip_bytes);
    fill_release(x.f);
    assert_true(stored("example.com/big", "v1.0.0", STOA_KIND_ZIP));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(one_fetch_for_many_misses, reset),
        cmocka_unit_test_setup(not_found_stores_nothing, reset),
        cmocka_unit_test_setup(private_path_never_reaches_the_source, reset),
        cmocka_unit_test_setup(nobody_waiting_is_never_fetched, reset),
        cmocka_unit_test_setup(full_queue_refuses_at_once, reset),
        cmocka_unit_test_setup(one_client_is_bounded, reset),
        cmocka_unit_test_setup(query_is_served_not_stored, reset),
        cmocka_unit_test_setup(early_waiter_is_answered_from_staging, reset),
        cmocka_unit_test_setup(streamer_sees_progress_and_a_voided_attempt, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
