/* core/zipbuild: the tree in data/zip/tree.txt must zip to what Go's CreateFromDir
 * makes of it (same files, same h1; data/zip/expected.txt), and pass zipcheck. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stoa/stoa.h>

#include "dirhash.h"
#include "zipbuild.h"
#include "zipcheck.h"
#include "zipread.h"

#define MOD "example.com/t"
#define VER "v1.2.3"

static void data_path(const char *name, char *out, size_t len)
{
    const char *src = getenv("STOA_SRC");
    snprintf(out, len, "%s/tests/unit/data/zip/%s", src ? src : ".", name);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void rm_tree(const char *dir)
{
    assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* mkdir -p of path's parent directories. */
static void make_parents(char *path)
{
    for (char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
}

/* The 360,000-byte file gen.sh writes for "@BIG@". */
static void write_big(const char *path)
{
    char *big = malloc(30000 * 12 + 1);
    for (int i = 0; i < 30000; i++)
        snprintf(big + 12 * i, 13, "line %06d\n", i);
    write_file(path, big, 30000 * 12);
    free(big);
}

/* Unescapes "\n" in place. */
static size_t unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++)
        s[o++] = s[i] == '\\' && s[i + 1] == 'n' ? (i++, '\n') : s[i];
    s[o] = '\0';
    return o;
}

static void make_tree(const char *root)
{
    char spec[4096], line[1024], path[4096];
    data_path("tree.txt", spec, sizeof(spec));
    FILE *f = fopen(spec, "r");
    if (f == NULL)
        fail_msg("cannot open %s (is STOA_SRC set?)", spec);
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        char *rest = line + 2, *bar = strchr(rest, '|');
        if (bar != NULL)
            *bar++ = '\0';
        snprintf(path, sizeof(path), "%s/%s", root, rest);
        make_parents(path);
        if (line[0] == 'F' && strcmp(bar, "@BIG@") == 0)
            write_big(path);
        else if (line[0] == 'F')
            write_file(path, bar, unescape(bar));
        else if (line[0] == 'L')
            assert_int_equal(symlink(bar, path), 0);
        else if (line[0] == 'D')
            assert_int_equal(mkdir(path, 0755), 0);
    }
    fclose(f);
}

/* Lines of expected.txt starting with key + ' ', the rest of each joined by '\n'. */
static void expected(const char *key, char *out, size_t len)
{
    char path[4096], line[1024];
    data_path("expected.txt", path, sizeof(path));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t klen = strlen(key), o = 0;
    out[0] = '\0';
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            o += (size_t)snprintf(out + o, len - o, "%s", line + klen + 1);
    fclose(f);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of the zip in fd, one per line. */
static void zip_names(int fd, uint64_t size, char *out, size_t len)
{
    struct zipread_archive za;
    char why[256];
    assert_int_equal(zipread_open(&za, fd, size, 0, why, sizeof(why)), STOA_OK);
    char **v = malloc(za.count * sizeof(*v));
    for (size_t i = 0; i < za.count; i++)
        v[i] = za.entries[i].name;
    qsort(v, za.count, sizeof(*v), by_str);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < za.count; i++)
        o += (size_t)snprintf(out + o, len - o, "%s\n", v[i]);
    free(v);
    zipread_close(&za);
}

static void tree_matches_go(void **state)
{
    char dir[] = "/tmp/stoa-zipbuild-XXXXXX", why[512] = "";
    assert_non_null(mkdtemp(dir));
    make_tree(dir);
    int fd = memfd_create("zip", MFD_CLOEXEC);
    struct zipbuild_report rep;
    assert_int_equal(zipbuild_from_dir(dir, MOD, VER, fd, &rep, why, sizeof(why)), STOA_OK);
    assert_int_equal(rep.files, 10);
    assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)rep.zipped);

    struct zipcheck_report crep;
    if (zipcheck_fd(fd, rep.zipped, MOD, VER, NULL, &crep, why, sizeof(why)) != STOA_OK)
        fail_msg("built zip fails zipcheck: %s", why);
    assert_int_equal(crep.files, 10);
    assert_int_equal(crep.unzipped, rep.unzipped);
    assert_true(crep.has_gomod);

    char names[4096], want[4096];
    zip_names(fd, rep.zipped, names, sizeof(names));
    expected("tree-file", want, sizeof(want));
    assert_string_equal(names, want);

    char h1[DIRHASH_H1_MAX], want_h1[256];
    assert_int_equal(dirhash_zip_fd(fd, rep.zipped, h1, why, sizeof(why)), STOA_OK);
    expected("tree", want_h1, sizeof(want_h1));
    assert_non_null(strstr(want_h1, MOD "@" VER " h1:"));
    assert_non_null(strstr(want_h1, h1));

    /* Same tree, same bytes. */
    int fd2 = memfd_create("zip2", MFD_CLOEXEC);
    assert_int_equal(zipbuild_from_dir(dir, MOD, VER, fd2, NULL, why, sizeof(why)), STOA_OK);
    assert_int_equal(lseek(fd2, 0, SEEK_END), (off_t)rep.zipped);
    char *a = malloc(rep.zipped), *b = malloc(rep.zipped);
    assert_int_equal(pread(fd, a, rep.zipped, 0), (ssize_t)rep.zipped);
    assert_int_equal(pread(fd2, b, rep.zipped, 0), (ssize_t)rep.zipped);
    assert_memory_equal(a, b, rep.zipped);
    free(a);
    free(b);
    close(fd2);
    close(fd);
    rm_tree(dir);
}

/* Like Go's Create, one bad file fails the build, and the message names it. */
static void expect_build_failure(const char *const *files, size_t n, int status, const char *rule, const char *name)
{
    char dir[] = "/tmp/stoa-zipbuild-XXXXXX", path[4096], why[512] = "";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        make_parents(path);
        write_file(path, "x\n", 2);
    }
    int fd = memfd_create("zip", MFD_CLOEXEC);
    int st = zipbuild_from_dir(dir, MOD, VER, fd, NULL, why, sizeof(why));
    if (st != status || strstr(why, rule) == NULL || strstr(why, name) == NULL)
        fail_msg("got %d \"%s\", want %d with \"%s\" and \"%s\"", st, why, status, rule, name);
    close(fd);
    rm_tree(dir);
}

static void invalid_trees_fail(void **state)
{
    const char *bad_char[] = {"go.mod", "ok.go", "what?.go"};
    expect_build_failure(bad_char, 3, STOA_UNPROCESSABLE, "invalid file path", "what?.go");
    const char *collide[] = {"pkg/A.go", "pkg/a.go"};
    expect_build_failure(collide, 2, STOA_UNPROCESSABLE, "case-insensitive file name collision", "a.go");
    const char *gomod_case[] = {"GO.MOD"};
    expect_build_failure(gomod_case, 1, STOA_UNPROCESSABLE, "go.mod case", "GO.MOD");
    const char *windows[] = {"x/nul.txt"};
    expect_build_failure(windows, 1, STOA_UNPROCESSABLE, "Windows", "x/nul.txt");
}

static void bad_arguments(void **state)
{
    char why[512];
    int fd = memfd_create("zip", MFD_CLOEXEC);
    assert_int_equal(zipbuild_from_dir("/nonexistent/stoa", MOD, VER, fd, NULL, why, sizeof(why)), STOA_NOTFOUND);
    assert_non_null(strstr(why, "/nonexistent/stoa"));
    assert_int_equal(zipbuild_from_dir("/tmp", "", VER, fd, NULL, why, sizeof(why)), STOA_INVALID);
    close(fd);
}

/* The files x/mod keeps from the same tree under the root go.mod's go directive
 * (vendor_test.go's cases, and parseGoVers: go version syntax, lax fixes, none). */
static void vendor_rule_by_go_version(void **state)
{
    static const char *const files[] = {"a.go", "pkg/vendor/vendor.go", "vendor/modules.txt", "vendor/a/b.go",
                                        "vendor/vendor.go", "src/vendor/github.com/pkg/errors/errors.go"};
    static const char old[] = MOD "@" VER "/a.go\n" MOD "@" VER "/go.mod\n" MOD "@" VER "/vendor/modules.txt\n" MOD
                              "@" VER "/vendor/vendor.go\n";
    static const char new[] = MOD "@" VER "/a.go\n" MOD "@" VER "/go.mod\n" MOD "@" VER "/pkg/vendor/vendor.go\n" MOD
                              "@" VER "/vendor/vendor.go\n";
    static const struct {
        const char *gomod;
        const char *want;
    } t[] = {
        {"module " MOD "\n", old},
        {"module " MOD "\ngo 1.23\n", old},
        {"module " MOD "\ngo 1.23.9\n", old},
        {"module " MOD "\ngo 1.24\n", new},
        {"module " MOD "\ngo 1.24.0 // comment\n", new},
        {"go 1.24rc1\nmodule " MOD "\n", new},
        {"module " MOD "\ngo 1.99.0\n", new},
        {"module " MOD "\ngo 2.0\n", new},
        {"module " MOD "\ngo 1.24-beta\n", new}, /* lax: 1.24 */
        {"module " MOD "\ngo v1.24.0\n", new},   /* lax: 1.24 */
        {"module " MOD "\ngo v1.24\n", old},     /* not even lax: no version */
        {"module " MOD "\ngo 1.024\n", old},
        {"module " MOD "\ngo 1.24\ngo 1.24\n", old}, /* repeated: ParseLax fails */
        {"module " MOD "\nrequire (\n\tgo 1.24\n)\n", old},
        {"module " MOD "\ngo 1\n", old},
    };
    for (size_t k = 0; k < sizeof(t) / sizeof(*t); k++) {
        char dir[] = "/tmp/stoa-zipbuild-XXXXXX", path[4096], why[512] = "", names[4096];
        assert_non_null(mkdtemp(dir));
        for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
            snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
            make_parents(path);
            write_file(path, "x\n", 2);
        }
        snprintf(path, sizeof(path), "%s/go.mod", dir);
        write_file(path, t[k].gomod, strlen(t[k].gomod));
        int fd = memfd_create("zip", MFD_CLOEXEC);
        struct zipbuild_report rep;
        if (zipbuild_from_dir(dir, MOD, VER, fd, &rep, why, sizeof(why)) != STOA_OK)
            fail_msg("%s: %s", t[k].gomod, why);
        zip_names(fd, rep.zipped, names, sizeof(names));
        if (strcmp(names, t[k].want) != 0)
            fail_msg("go.mod \"%s\": got\n%s", t[k].gomod, names);
        close(fd);
        rm_tree(dir);
    }
}

/* An empty module still makes a valid (empty) zip. */
static void empty_tree(void **state)
{
    char dir[] = "/tmp/stoa-zipbuild-XXXXXX", why[512];
    assert_non_null(mkdtemp(dir));
    int fd = memfd_create("zip", MFD_CLOEXEC);
    struct zipbuild_report rep;
    assert_int_equal(zipbuild_from_dir(dir, MOD, VER, fd, &rep, why, sizeof(why)), STOA_OK);
    assert_int_equal(rep.files, 0);
    assert_int_equal(zipcheck_fd(fd, rep.zipped, MOD, VER, NULL, NULL, why, sizeof(why)), STOA_OK);
    close(fd);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree_matches_go),
        cmocka_unit_test(invalid_trees_fail),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(empty_tree),
        cmocka_unit_test(vendor_rule_by_go_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
