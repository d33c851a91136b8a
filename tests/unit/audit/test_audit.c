/* core/audit/audit.c in CLI (synchronous) mode: the file sink, spooling while PostgreSQL is
 * unreachable; and the audit settings of core/base/conf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "audit_sink.h"
#include "conf.h"

#include <jansson.h>
#include <signal.h>
#include <sys/resource.h>

static char dir[] = "/tmp/stoa-audit-cli.XXXXXX";

static int setup(void **state)
{
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static struct conf *conf_with(const char *yaml)
{
    char err[1024], *env[] = {NULL};
    struct conf *c = conf_parse("test.yaml", yaml, strlen(yaml), env, err, sizeof(err));
    if (c == NULL)
        fail_msg("%s", err);
    return c;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    for (int ch; f != NULL && (ch = fgetc(f)) != EOF;)
        n += ch == '\n';
    if (f != NULL)
        fclose(f);
    return n;
}

static void cli_mode_writes_the_file(void **state)
{
    char yaml[512], path[256], err[256];
    snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
    snprintf(yaml, sizeof(yaml), "audit: {sink: file, path: %s, spool: %s/s1.jsonl}\n", path, dir);
    struct conf *c = conf_with(yaml);
    assert_int_equal(audit_open(c, 0, err, sizeof(err)), 0);
    audit_event ev = {0};
    strcpy(ev.action, "token.create");
    audit_emit(&ev);
    audit_emit(&ev);
    audit_stats st;
    audit_stats_get(&st);
    audit_close();
    conf_free(c);
    assert_int_equal(st.written, 2);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(count_lines(path), 2);
}

static void unreachable_postgres_spools(void **state)
{
    char yaml[512], spool[256], err[256];
    snprintf(spool, sizeof(spool), "%s/s2.jsonl", dir);
    snprintf(yaml, sizeof(yaml), "audit: {sink: postgres, dsn: 'postgresql://x@127.0.0.1:1/x', spool: %s}\n", spool);
    struct conf *c = conf_with(yaml);
    assert_int_equal(audit_open(c, 0, err, sizeof(err)), 0);
    audit_event ev = {0};
    strcpy(ev.action, "token.revoke");
    audit_emit(&ev);
    audit_stats st;
    audit_stats_get(&st);
    audit_close();
    conf_free(c);
    assert_int_equal(st.spooled, 1);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(count_lines(spool), 1); /* kept for the next process that reaches the database */
}

/* The disk fills in the middle of a batch (RLIMIT_FSIZE makes the write short): the
 * batch comes back (from the spool) and only the lines that did not make it are
 * written; the torn line is ended; every complete line is a distinct event. */
static void a_short_write_writes_no_line_twice(void **state)
{
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/short.jsonl", dir);
    audit_sink *s = audit_sink_file(path, err, sizeof(err));
    assert_non_null(s);
    char l[5][64], *lines[5];
    for (int i = 0; i < 5; ++i) {
        snprintf(l[i], sizeof(l[i]), "{\"id\":\"%d\",\"pad\":\"0123456789abcdef\"}", i); /* 31 bytes + '\n' */
        lines[i] = l[i];
    }
    struct rlimit old, small;
    getrlimit(RLIMIT_FSIZE, &old);
    small = old;
    small.rlim_cur = 100; /* three lines and a torn one */
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    assert_int_equal(s->write(s, lines, 5, err, sizeof(err)), AUDIT_SINK_RETRY);
    assert_int_equal(s->write(s, lines, 5, err, sizeof(err)), AUDIT_SINK_RETRY); /* still full */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(s->write(s, lines, 2, err, sizeof(err)), AUDIT_SINK_OK); /* the spool may split it */
    assert_int_equal(s->write(s, lines + 2, 3, err, sizeof(err)), AUDIT_SINK_OK);
    s->close(s);
    FILE *f = fopen(path, "r");
    char line[256];
    int seen[5] = {0}, torn = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        json_t *j = json_loads(line, 0, NULL);
        if (j == NULL) {
            ++torn;
            continue;
        }
        ++seen[atoi(json_string_value(json_object_get(j, "id")))];
        json_decref(j);
    }
    fclose(f);
    assert_int_equal(torn, 1);
    for (int i = 0; i < 5; ++i)
        assert_int_equal(seen[i], 1);
}

static void settings_default_and_check(void **state)
{
    struct conf *c = conf_with("storage: {plugin: pgs3, options: {dsn: 'postgresql://db/stoa'}}\n"
                               "audit: {sink: postgres}\n");
    assert_string_equal(c->audit_dsn, "postgresql://db/stoa");
    assert_string_equal(c->audit_spool, "./stoa-data/audit-spool.jsonl");
    assert_int_equal(c->audit_batch, 500);
    assert_int_equal(c->audit_interval_ms, 500);
    conf_free(c);
    char err[1024], *env[] = {NULL};
    const char *bad[] = {"audit: {sink: postgres}\n", "audit: {batch: 0}\n", "audit: {batch: 100, queue: 10}\n"};
    const char *why[] = {"audit.sink: postgres needs a database", "audit.batch: expected 1 to 5000",
                         "audit.queue: must hold at least one batch"};
    for (size_t i = 0; i < 3; ++i) {
        assert_null(conf_parse("t.yaml", bad[i], strlen(bad[i]), env, err, sizeof(err)));
        if (strstr(err, why[i]) == NULL)
            fail_msg("'%s' not in: %s", why[i], err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cli_mode_writes_the_file),
        cmocka_unit_test(unreachable_postgres_spools),
        cmocka_unit_test(a_short_write_writes_no_line_twice),
        cmocka_unit_test(settings_default_and_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
