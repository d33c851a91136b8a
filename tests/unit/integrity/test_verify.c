/* core/integrity/verify.c on the real disk plugin: each way stored bytes can disagree with
 * their metadata or pin is reported as its own problem, with both hashes. The
 * checksum database half is covered by tests/integration/test_verify.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirhash.h"
#include "staged_file.h"
#include "storage.h"
#include "verify.h"

#define MOD_TEXT "module example.com/m\n"

typedef struct fixture {
    storage s;
    char root[64];
    struct conf c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->root, sizeof(f->root), "/tmp/stoa-verify-test.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    conf_kv items[2] = {{"root", f->root}, {"fsync", "false"}};
    conf_plugin cp = {.plugin = "disk", .options = items, .noptions = 2};
    stoa_error err = {0};
    if (storage_open(&f->s, getenv("STOA_PLUGIN_DIR"), &cp, "/tmp", &err) != STOA_OK)
        fail_msg("storage_open: %s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    storage_close(&f->s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Stores MOD_TEXT as example.com/m@v1.0.0's go.mod, recording h1 (NULL: the right one). */
static void put_mod(fixture *f, const char *h1)
{
    stoa_put_file pf = staged_file(STOA_KIND_MOD, MOD_TEXT);
    snprintf(pf.meta.origin, sizeof(pf.meta.origin), "fixture");
    if (h1 != NULL)
        snprintf(pf.meta.h1, sizeof(pf.meta.h1), "%s", h1);
    else
        dirhash_mod(MOD_TEXT, strlen(MOD_TEXT), pf.meta.h1);
    stoa_error err = {0};
    assert_int_equal(storage_put(&f->s, "example.com/m", "v1.0.0", &pf, 1, &err), STOA_OK);
    close(pf.fd);
}

static void check(fixture *f, verify_file *out)
{
    assert_int_equal(verify_file_check(&f->s, &f->c, "example.com/m", "v1.0.0", STOA_KIND_MOD, 0, out), STOA_OK);
}

static void rewrite(fixture *f, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/example.com/m/@v/v1.0.0.mod", f->root);
    FILE *fp = fopen(path, "r+");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void clean(void **state)
{
    fixture *f = *state;
    put_mod(f, NULL);
    verify_file v;
    check(f, &v);
    assert_int_equal(v.nproblems, 0);
    assert_int_equal(v.bytes_bad, 0);
    assert_int_equal(v.size, strlen(MOD_TEXT));
    char h1[DIRHASH_H1_MAX];
    dirhash_mod(MOD_TEXT, strlen(MOD_TEXT), h1);
    assert_string_equal(v.h1, h1);
    assert_true(v.exempt); /* use_sumdb 0 */
}

static void not_stored(void **state)
{
    fixture *f = *state;
    verify_file v;
    assert_int_equal(verify_file_check(&f->s, &f->c, "example.com/m", "v1.0.0", STOA_KIND_ZIP, 0, &v), STOA_NOTFOUND);
}

/* Same size, other bytes: sha256 and h1 both differ from the metadata. */
static void rewritten(void **state)
{
    fixture *f = *state;
    put_mod(f, NULL);
    rewrite(f, "MODULE");
    verify_file v;
    check(f, &v);
    assert_int_equal(v.nproblems, 2);
    assert_int_equal(v.problems[0].what, VERIFY_SHA256);
    assert_string_equal(v.problems[0].have, v.sha256);
    assert_string_not_equal(v.problems[0].want, v.sha256);
    assert_int_equal(v.problems[1].what, VERIFY_H1);
    assert_string_equal(v.problems[1].want, v.meta.h1);
    assert_true(v.bytes_bad);
    assert_true(verify_is_mismatch(v.problems[0].what));
}

static void wrong_recorded_h1(void **state)
{
    fixture *f = *state;
    put_mod(f, "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    verify_file v;
    check(f, &v);
    assert_int_equal(v.nproblems, 1);
    assert_int_equal(v.problems[0].what, VERIFY_H1);
    assert_string_equal(v.problems[0].want, "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assert_string_equal(v.problems[0].have, v.h1);
}

/* Appending makes the disk sidecar record another size: no recorded checksum. */
static void grown(void **state)
{
    fixture *f = *state;
    put_mod(f, NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/example.com/m/@v/v1.0.0.mod", f->root);
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fputs("// more\n", fp);
    fclose(fp);
    verify_file v;
    check(f, &v);
    assert_int_equal(v.nproblems, 1);
    assert_int_equal(v.problems[0].what, VERIFY_NO_META);
    assert_true(v.bytes_bad);
}

/* A pin with another h1 is a mismatch, but not one that makes the bytes bad. */
static void pinned_elsewhere(void **state)
{
    fixture *f = *state;
    put_mod(f, NULL);
    stoa_pin pin = {"h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=", STOA_PIN_VERIFIED, 0};
    stoa_key key = {"example.com/m", "v1.0.0", STOA_KIND_MOD};
    stoa_error err = {0};
    if (!storage_pins(&f->s))
        skip();
    assert_int_equal(storage_pin_put(&f->s, &key, &pin, 0, &err), STOA_OK);
    verify_file v;
    check(f, &v);
    assert_int_equal(v.nproblems, 1);
    assert_int_equal(v.problems[0].what, VERIFY_PIN);
    assert_string_equal(v.problems[0].want, pin.h1);
    assert_true(verify_is_mismatch(VERIFY_PIN));
    assert_false(v.bytes_bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clean, setup, teardown),
        cmocka_unit_test_setup_teardown(not_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(rewritten, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_recorded_h1, setup, teardown),
        cmocka_unit_test_setup_teardown(grown, setup, teardown),
        cmocka_unit_test_setup_teardown(pinned_elsewhere, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
