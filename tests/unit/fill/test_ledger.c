/* The cache ledger: sizes are set per file, not added; a walk replaces the ledger but
 * keeps what fills noted while it ran; forgetting removes a row's bytes; notes before
 * any walk are not kept (the walk will see the files); lists, latests and tiles are
 * rows of their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

static int reset(void **state)
{
    (void)state;
    ledger_reset();
    return 0;
}

static const ledger_row *find(const ledger_row *r, long n, const char *module, const char *version)
{
    for (long i = 0; i < n; ++i)
        if (strcmp(r[i].module, module) == 0 && strcmp(r[i].version, version) == 0)
            return &r[i];
    return NULL;
}

static void invalid_until_a_walk(void **state)
{
    (void)state;
    ledger_note("example.com/a", "v1.0.0", STOA_KIND_ZIP, 100);
    assert_false(ledger_valid());
    assert_int_equal(ledger_total(), 0); /* not kept: nobody walks yet */
    ledger_row *r;
    assert_int_equal(ledger_snapshot(&r), -1);
    ledger_replace(ledger_walk_begin(), NULL, 0);
    assert_true(ledger_valid());
    assert_int_equal(ledger_total(), 0);
}

static void sizes_are_set_per_file(void **state)
{
    (void)state;
    ledger_replace(ledger_walk_begin(), NULL, 0);
    ledger_note("example.com/a", "v1.0.0", STOA_KIND_ZIP, 100);
    ledger_note("example.com/a", "v1.0.0", STOA_KIND_ZIP, 100); /* stored again: same file */
    ledger_note("example.com/a", "v1.0.0", STOA_KIND_INFO, 7);
    ledger_note("sum.example", NULL, STOA_KIND_SUMDB_LATEST, 1000); /* trust state: not counted */
    ledger_note("example.com/b", "v1.0.0", STOA_KIND_MOD, 20);
    assert_int_equal(ledger_total(), 127);
    ledger_row *r;
    long n = ledger_snapshot(&r);
    assert_int_equal(n, 2);
    const ledger_row *a = find(r, n, "example.com/a", "v1.0.0");
    assert_non_null(a);
    assert_int_equal(a->bytes[0], 7);
    assert_int_equal(a->bytes[2], 100);
    assert_int_equal(ledger_row_bytes(a), 107);
    free(r);
    ledger_forget("example.com/a", "v1.0.0");
    ledger_forget("example.com/none", "v1.0.0");
    assert_int_equal(ledger_total(), 20);
}

static void a_walk_keeps_notes_made_while_it_ran(void **state)
{
    (void)state;
    ledger_replace(ledger_walk_begin(), NULL, 0);
    ledger_note("example.com/old", "v1.0.0", STOA_KIND_ZIP, 50); /* before the walk: the walk decides */
    uint64_t g = ledger_walk_begin();
    ledger_note("example.com/new", "v1.0.0", STOA_KIND_ZIP, 30);    /* the walk missed it */
    ledger_note("example.com/seen", "v1.0.0", STOA_KIND_ZIP, 9);    /* the walk saw an older size */
    ledger_row rows[] = {{"example.com/seen", "v1.0.0", {1, 2, 3}, 1000},
                         {"example.com/other", "v2.0.0", {0, 0, 40}, 2000}};
    assert_int_equal(ledger_replace(g, rows, 2), 0);
    ledger_row *r;
    long n = ledger_snapshot(&r);
    assert_int_equal(n, 3);
    assert_null(find(r, n, "example.com/old", "v1.0.0")); /* gone from storage, per the walk */
    assert_int_equal(ledger_row_bytes(find(r, n, "example.com/new", "v1.0.0")), 30);
    const ledger_row *seen = find(r, n, "example.com/seen", "v1.0.0");
    assert_int_equal(seen->bytes[0], 1);
    assert_int_equal(seen->bytes[2], 9); /* the note wins for the file it set */
    assert_int_equal(seen->stored_at, 1000);
    assert_int_equal(ledger_total(), 30 + 1 + 2 + 9 + 40);
    free(r);
}

static void many_versions(void **state)
{
    (void)state;
    ledger_replace(ledger_walk_begin(), NULL, 0);
    char v[32];
    for (int i = 0; i < 20000; ++i) {
        snprintf(v, sizeof(v), "v1.0.%d", i);
        ledger_note("example.com/m", v, STOA_KIND_ZIP, 1);
    }
    assert_int_equal(ledger_total(), 20000);
    for (int i = 0; i < 20000; i += 2) {
        snprintf(v, sizeof(v), "v1.0.%d", i);
        ledger_forget("example.com/m", v);
    }
    assert_int_equal(ledger_total(), 10000);
    ledger_row *r;
    assert_int_equal(ledger_snapshot(&r), 10000);
    assert_non_null(find(r, 10000, "example.com/m", "v1.0.19999"));
    assert_null(find(r, 10000, "example.com/m", "v1.0.19998"));
    free(r);
}

static void reset_empties_and_invalidates(void **state)
{
    (void)state;
    ledger_replace(ledger_walk_begin(), NULL, 0);
    ledger_note("example.com/a", "v1.0.0", STOA_KIND_ZIP, 5);
    ledger_reset();
    assert_false(ledger_valid());
    assert_int_equal(ledger_total(), 0);
}

/* Changes went unheard (another process's): invalid until a walk that begins after. */
static void invalidate_waits_for_a_later_walk(void **state)
{
    (void)state;
    ledger_replace(ledger_walk_begin(), NULL, 0);
    ledger_note("example.com/a", "v1.0.0", STOA_KIND_ZIP, 5);
    ledger_invalidate();
    assert_false(ledger_valid());
    ledger_row *r;
    assert_int_equal(ledger_snapshot(&r), -1);
    assert_int_equal(ledger_replace(ledger_walk_begin(), NULL, 0), 0);
    assert_true(ledger_valid());
}

/* A walk in progress may have read the store before the change that went unheard. */
static void invalidate_spoils_the_walk_in_progress(void **state)
{
    (void)state;
    uint64_t g = ledger_walk_begin();
    ledger_invalidate();
    assert_int_equal(ledger_replace(g, NULL, 0), 1);
    assert_false(ledger_valid());
    assert_int_equal(ledger_replace(ledger_walk_begin(), NULL, 0), 0);
    assert_true(ledger_valid());
}

/* A change heard twice (a process's own notification echoed back) counts once. */
/* A module's list and latest are one row (version ""), whatever version they were
 * stored under; each tile is a row; removing one object clears its slot, and the row
 * goes with its last byte. */
static void answers_and_tiles_are_rows(void **state)
{
    (void)state;
    ledger_replace(ledger_walk_begin(), NULL, 0);
    ledger_note("example.com/a", NULL, STOA_KIND_LIST, 300);
    ledger_note("example.com/a", "", STOA_KIND_LATEST, 40);
    ledger_note("example.com/a", "v1.0.0", STOA_KIND_ZIP, 1000);
    ledger_note("sum.example", "tile/8/0/000", STOA_KIND_SUMDB_TILE, 8192);
    ledger_note("sum.example", "tile/8/0/001", STOA_KIND_SUMDB_TILE, 8192);
    ledger_note("sum.example", NULL, STOA_KIND_SUMDB_TILE, 5); /* a tile has a path: ignored */
    assert_int_equal(ledger_total(), 300 + 40 + 1000 + 2 * 8192);
    ledger_row *r;
    long n = ledger_snapshot(&r);
    assert_int_equal(n, 4);
    const ledger_row *answers = find(r, n, "example.com/a", "");
    assert_non_null(answers);
    assert_true(ledger_row_is_answers(answers));
    assert_false(ledger_row_is_tile(answers));
    assert_int_equal(answers->bytes[0], 300);
    assert_int_equal(answers->bytes[1], 40);
    const ledger_row *tile = find(r, n, "sum.example", "tile/8/0/001");
    assert_non_null(tile);
    assert_true(ledger_row_is_tile(tile));
    assert_false(ledger_row_is_answers(tile));
    assert_false(ledger_row_is_tile(find(r, n, "example.com/a", "v1.0.0")));
    free(r);
    ledger_drop("example.com/a", NULL, STOA_KIND_LIST);
    assert_int_equal(ledger_total(), 40 + 1000 + 2 * 8192);
    ledger_drop("example.com/a", "", STOA_KIND_LATEST);
    ledger_drop("sum.example", "tile/8/0/000", STOA_KIND_SUMDB_TILE);
    ledger_drop("example.com/a", "v1.0.0", STOA_KIND_INFO); /* nothing there: nothing changes */
    assert_int_equal(ledger_total(), 1000 + 8192);
    n = ledger_snapshot(&r);
    assert_int_equal(n, 2); /* the answers' and tile 000's rows went with their last byte */
    assert_null(find(r, n, "example.com/a", ""));
    free(r);
    ledger_forget("example.com/a", NULL);
    ledger_forget("sum.example", "tile/8/0/001");
    assert_int_equal(ledger_total(), 1000);
}

static void an_echoed_note_counts_once(void **state)
{
    (void)state;
    ledger_replace(ledger_walk_begin(), NULL, 0);
    for (int echo = 0; echo < 2; ++echo) {
        ledger_note("example.com/e", "v1.0.0", STOA_KIND_ZIP, 1000);
        ledger_note("example.com/e", "v1.0.0", STOA_KIND_MOD, 10);
    }
    assert_int_equal(ledger_total(), 1010);
    ledger_forget("example.com/e", "v1.0.0");
    ledger_forget("example.com/e", "v1.0.0");
    assert_int_equal(ledger_total(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(invalid_until_a_walk, reset),
        cmocka_unit_test_setup(sizes_are_set_per_file, reset),
        cmocka_unit_test_setup(a_walk_keeps_notes_made_while_it_ran, reset),
        cmocka_unit_test_setup(many_versions, reset),
        cmocka_unit_test_setup(reset_empties_and_invalidates, reset),
        cmocka_unit_test_setup(invalidate_waits_for_a_later_walk, reset),
        cmocka_unit_test_setup(invalidate_spoils_the_walk_in_progress, reset),
        cmocka_unit_test_setup(an_echoed_note_counts_once, reset),
        cmocka_unit_test_setup(answers_and_tiles_are_rows, reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ledger_reset();
    return rc;
}
