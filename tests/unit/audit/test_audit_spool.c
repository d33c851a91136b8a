/* core/audit_spool: append, replay in batches, a failing sink keeps the spool whole, a
 * torn last line is skipped and does not swallow the next append. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_spool.h"

typedef struct sink_log {
    int calls, fail_at; /* fail_at: 1-based call that fails, 0 = never */
    char got[64][64];
    size_t n;
} sink_log;

static int deliver(void *arg, char *const *lines, size_t n)
{
    sink_log *s = arg;
    if (++s->calls == s->fail_at)
        return -1;
    for (size_t i = 0; i < n; ++i)
        snprintf(s->got[s->n++], sizeof(s->got[0]), "%s", lines[i]);
    return 0;
}

static char dir[] = "/tmp/stoa-audit-unit.XXXXXX";

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

static audit_spool *spool_at(const char *name)
{
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    audit_spool *sp = audit_spool_open(path, err, sizeof(err));
    if (sp == NULL)
        fail_msg("%s", err);
    return sp;
}

static void append(audit_spool *sp, const char *a, const char *b)
{
    char *lines[2] = {(char *)a, (char *)b}, err[256];
    assert_int_equal(audit_spool_append(sp, lines, b != NULL ? 2 : 1, err, sizeof(err)), 0);
}

static void replays_in_order_and_empties(void **state)
{
    audit_spool *sp = spool_at("order.jsonl");
    append(sp, "{\"id\":\"1\"}", "{\"id\":\"2\"}");
    append(sp, "{\"id\":\"3\"}", NULL);
    assert_int_equal(audit_spool_size(sp), 33);
    sink_log s = {0};
    size_t delivered, skipped;
    char err[256];
    assert_int_equal(audit_spool_replay(sp, 2, deliver, &s, &delivered, &skipped, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 2); /* batches of 2 and 1 */
    assert_int_equal(delivered, 3);
    assert_int_equal(skipped, 0);
    assert_string_equal(s.got[0], "{\"id\":\"1\"}");
    assert_string_equal(s.got[2], "{\"id\":\"3\"}");
    assert_int_equal(audit_spool_size(sp), 0);
    audit_spool_close(sp);
}

static void a_failed_batch_keeps_everything(void **state)
{
    audit_spool *sp = spool_at("keep.jsonl");
    append(sp, "{\"id\":\"1\"}", "{\"id\":\"2\"}");
    append(sp, "{\"id\":\"3\"}", NULL);
    sink_log s = {.fail_at = 2};
    size_t delivered, skipped;
    char err[256];
    assert_int_equal(audit_spool_replay(sp, 2, deliver, &s, &delivered, &skipped, err, sizeof(err)), 1);
    assert_int_equal(delivered, 2);
    assert_int_equal(audit_spool_size(sp), 33); /* the first batch is replayed again next time: the sink ignores it */
    sink_log again = {0};
    assert_int_equal(audit_spool_replay(sp, 10, deliver, &again, &delivered, &skipped, err, sizeof(err)), 0);
    assert_int_equal(again.n, 3);
    audit_spool_close(sp);
}

static void a_torn_line_is_skipped(void **state)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/torn.jsonl", dir);
    audit_spool *sp = spool_at("torn.jsonl");
    append(sp, "{\"id\":\"1\"}", NULL);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"id\":\"2\",\"pa", 13), 13); /* a crash in the middle of a write */
    close(fd);
    append(sp, "{\"id\":\"3\"}", NULL);
    append(sp, "not json", NULL);
    sink_log s = {0};
    size_t delivered, skipped;
    char err[256];
    assert_int_equal(audit_spool_replay(sp, 10, deliver, &s, &delivered, &skipped, err, sizeof(err)), 0);
    assert_int_equal(delivered, 2);
    assert_int_equal(skipped, 2);
    assert_string_equal(s.got[0], "{\"id\":\"1\"}");
    assert_string_equal(s.got[1], "{\"id\":\"3\"}");
    audit_spool_close(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replays_in_order_and_empties),
        cmocka_unit_test(a_failed_batch_keeps_everything),
        cmocka_unit_test(a_torn_line_is_skipped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
