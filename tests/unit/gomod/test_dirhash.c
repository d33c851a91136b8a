/* core/dirhash: h1 hashes against values the go command wrote (data/zip/expected.txt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stoa/stoa.h>

#include "dirhash.h"

static void data_path(const char *name, char *out, size_t len)
{
    const char *src = getenv("STOA_SRC");
    snprintf(out, len, "%s/tests/unit/data/zip/%s", src ? src : ".", name);
}

/* The h1 recorded for key in expected.txt ("key h1:..."). */
static void expected(const char *key, char out[DIRHASH_H1_MAX])
{
    char path[4096], line[512];
    data_path("expected.txt", path, sizeof(path));
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s (is STOA_SRC set?)", path);
    size_t klen = strlen(key);
    out[0] = '\0';
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            char *h = strstr(line, "h1:");
            assert_non_null(h);
            h[strcspn(h, "\n")] = '\0';
            assert_true(strlen(h) < DIRHASH_H1_MAX);
            strcpy(out, h);
        }
    }
    fclose(f);
    if (out[0] == '\0')
        fail_msg("%s not in expected.txt", key);
}

static int hash_fixture(const char *name, char out[DIRHASH_H1_MAX], char *why, size_t whylen)
{
    char path[4096];
    data_path(name, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("cannot open %s", path);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    int r = dirhash_zip_fd(fd, (uint64_t)st.st_size, out, why, whylen);
    close(fd);
    return r;
}

static void zip_hashes_match_go(void **state)
{
    static const char *const zips[] = {"valid-basic.zip", "valid-stored.zip", "valid-nogomod.zip"};
    for (size_t i = 0; i < sizeof(zips) / sizeof(*zips); i++) {
        char want[DIRHASH_H1_MAX], got[DIRHASH_H1_MAX], why[512] = "";
        expected(zips[i], want);
        assert_int_equal(hash_fixture(zips[i], got, why, sizeof(why)), STOA_OK);
        assert_string_equal(got, want);
    }
}

/* Go's HashZip hashes what the zip holds, whatever the module rules say. */
static void hash_ignores_module_rules(void **state)
{
    char a[DIRHASH_H1_MAX], b[DIRHASH_H1_MAX], why[512];
    assert_int_equal(hash_fixture("bad-case.zip", a, why, sizeof(why)), STOA_OK);
    assert_int_equal(hash_fixture("bad-prefix.zip", b, why, sizeof(why)), STOA_OK);
    assert_string_not_equal(a, b);
}

static void broken_zips_fail(void **state)
{
    char out[DIRHASH_H1_MAX], why[512];
    assert_int_equal(hash_fixture("bad-crc.zip", out, why, sizeof(why)), STOA_INVALID);
    assert_non_null(strstr(why, "crc"));
    assert_int_equal(hash_fixture("bad-size.zip", out, why, sizeof(why)), STOA_INVALID);
    assert_int_equal(hash_fixture("bad-truncated.zip", out, why, sizeof(why)), STOA_INVALID);
    assert_int_equal(hash_fixture("bad-notzip.zip", out, why, sizeof(why)), STOA_INVALID);
    assert_int_equal(hash_fixture("bad-method.zip", out, why, sizeof(why)), STOA_UNPROCESSABLE);
    assert_int_equal(hash_fixture("bad-newline.zip", out, why, sizeof(why)), STOA_UNPROCESSABLE);
    assert_non_null(strstr(why, "newline"));
}

static void mod_hashes_match_go(void **state)
{
    const char *gomod = "module example.com/m\n\ngo 1.19\n";
    char want[DIRHASH_H1_MAX], got[DIRHASH_H1_MAX], why[256];
    expected("go.mod", want);
    dirhash_mod(gomod, strlen(gomod), got);
    assert_string_equal(got, want);

    int fd = memfd_create("gomod", MFD_CLOEXEC);
    assert_int_equal(write(fd, gomod, strlen(gomod)), (ssize_t)strlen(gomod));
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    memset(got, 0, sizeof(got));
    assert_int_equal(dirhash_mod_fd(fd, got, why, sizeof(why)), STOA_OK);
    assert_string_equal(got, want);
    close(fd);

    expected("empty.mod", want);
    dirhash_mod(NULL, 0, got);
    assert_string_equal(got, want);
    assert_int_equal(dirhash_mod_fd(-1, got, why, sizeof(why)), STOA_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zip_hashes_match_go),
        cmocka_unit_test(hash_ignores_module_rules),
        cmocka_unit_test(broken_zips_fail),
        cmocka_unit_test(mod_hashes_match_go),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
