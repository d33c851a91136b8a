/*
 * Module zip rules, as golang.org/x/mod/zip CheckZip and Unzip define them, applied to
 * a zip read through a file descriptor (pread only; see zipread.h for the structure
 * rules and the memory bound).
 *
 * zipcheck_fd enforces, in this order (the first violation is reported):
 *  1. zip size <= max_zip (STOA_TOOLARGE);
 *  2. a well-formed archive (STOA_INVALID; zipread.h);
 *  3. per entry, in central-directory order, as CheckZip does: the name starts with
 *     "<module>@<version>/" (the entry named exactly that prefix is ignored); a name
 *     ending in '/' is a directory entry, tolerated like Go does (content still
 *     verified, counted in no size); the rest is path.Clean-clean and passes
 *     module.CheckFilePath; no two names are equal under case folding, no name is both
 *     a file and a directory, no file appears twice; "go.mod" (any case) only in the
 *     root and only spelt "go.mod". Sizes: the sum of declared sizes <= max_unzipped,
 *     go.mod <= max_gomod, LICENSE <= max_license (STOA_TOOLARGE); everything else is
 *     STOA_UNPROCESSABLE. Like CheckZip, files under vendor/ and in directories that
 *     look like nested modules are valid in a zip (they are only omitted when
 *     *creating* one); only a nested go.mod itself is invalid.
 *  4. stricter than Go (which ignores them, while its own Create never writes them):
 *     entries made on Unix whose mode is a symlink or another non-regular type
 *     (STOA_UNPROCESSABLE); methods other than store and deflate (UNPROCESSABLE,
 *     Go fails later at extraction).
 *  5. every entry's data inflates to exactly its declared size with the declared
 *     CRC-32 (STOA_INVALID), as Unzip requires.
 *
 * Messages start with the rule, then the quoted entry name:
 *   `invalid file path: "example.com/m@v1.0.0/a?.go": invalid char "?"`.
 *
 * Unicode: names must be valid UTF-8. module.CheckFilePath allows a non-ASCII rune
 * only if unicode.IsLetter (no digits, marks, numerals or symbols: "१.go", "Ⅰ.go",
 * "aः.go", "Ⓐ.go" are refused), and collisions compare strToFold forms (simple case
 * folding orbits: "İ.go" and "i.go" do not collide, "K.go" and the Kelvin sign do), both
 * from Go's own Unicode tables (core/zipname.h), not the C library's.
 *
 * module and version are taken as given (the caller has checked them with
 * modpath_check / modpath_check_major / semver_is_canonical, as CheckZip does first);
 * here they only need to be non-empty and not contain '@' in the version.
 */
#ifndef STOA_ZIPCHECK_H
#define STOA_ZIPCHECK_H

#include <stddef.h>
#include <stdint.h>

#define ZIPCHECK_MAX_ZIP (500u << 20) /* zip.MaxZipFile */
#define ZIPCHECK_MAX_GOMOD (16u << 20) /* zip.MaxGoMod */
#define ZIPCHECK_MAX_LICENSE (16u << 20) /* zip.MaxLICENSE */

struct zipcheck_limits {
    uint64_t max_zip;        /* bytes of the zip file itself */
    uint64_t max_unzipped;   /* sum of uncompressed sizes of files */
    uint64_t max_gomod;      /* uncompressed go.mod at the root */
    uint64_t max_license;    /* uncompressed LICENSE at the root */
    size_t max_entries;      /* central directory entries; 0 = no bound */
};

/* Go's limits plus stoa's bound of 1,000,000 entries. There is no compression-ratio
 * rule: x/mod has none (a 16 MiB go.mod of zeros is valid), and what a zip inflates to
 * is bounded absolutely — by the declared sizes (max_unzipped in all) and by step 5,
 * which stops any entry at its declared size while streaming it. */
void zipcheck_default_limits(struct zipcheck_limits *lim);

struct zipcheck_report {
    size_t files;             /* regular file entries (directories excluded) */
    uint64_t unzipped;        /* sum of their uncompressed sizes */
    int has_gomod;            /* 1 if "<module>@<version>/go.mod" exists */
    uint64_t gomod_size;      /* its uncompressed size */
    uint64_t gomod_offset;    /* its local header offset in the zip */
};

/* Checks the zip in fd (size bytes). lim NULL means zipcheck_default_limits. rep may be
 * NULL; it is filled only on STOA_OK. Returns STOA_OK, STOA_TOOLARGE,
 * STOA_UNPROCESSABLE, STOA_INVALID (also for an empty module or version) or
 * STOA_INTERNAL (I/O, memory), with a message in why. */
int zipcheck_fd(int fd, uint64_t size, const char *module, const char *version,
                const struct zipcheck_limits *lim, struct zipcheck_report *rep, char *why, size_t whylen);

/* Extracts "<module>@<version>/<name>" from the zip into out_fd (written with write(),
 * from the fd's current position). Verifies that entry's size and CRC, nothing more:
 * run zipcheck_fd first. max bounds the uncompressed size (0 = none). Returns STOA_OK,
 * STOA_NOTFOUND (no such entry), STOA_TOOLARGE (> max), STOA_INVALID, STOA_INTERNAL. */
int zipcheck_extract_fd(int fd, uint64_t size, const char *module, const char *version, const char *name,
                        uint64_t max, int out_fd, char *why, size_t whylen);

/* The go.mod the go command takes for the zip's version into out_fd: the zip's own
 * (at most ZIPCHECK_MAX_GOMOD), or "module <module>\n" when it has none. Returns as
 * zipcheck_extract_fd, never STOA_NOTFOUND. */
int zipcheck_gomod_fd(int fd, uint64_t size, const char *module, const char *version, int out_fd, char *why,
                      size_t whylen);

/* Same into buf (cap bytes); *len gets the size. STOA_TOOLARGE when it does not fit. */
int zipcheck_extract_buf(int fd, uint64_t size, const char *module, const char *version, const char *name,
                         void *buf, size_t cap, size_t *len, char *why, size_t whylen);

/* ---- Building blocks, shared with zipbuild.c ---- */

/* 1 if path.Clean(p) == p (p is len bytes). */
int zipcheck_path_is_clean(const char *p, size_t len);

/* module.CheckFilePath. 0 if valid, else -1 and the reason in why (without the path). */
int zipcheck_file_path(const char *p, size_t len, char *why, size_t whylen);

/* x/mod/zip isVendoredPackage: 1 for files inside a package under vendor/. go124 says
 * the root go.mod's go version is 1.24 or later (modfile_go_at_least). Before 1.24 the
 * compatibility bug stays (golang.org/issue/37397: pkg/vendor/vendor.go is "vendored")
 * and vendor/modules.txt is kept; from 1.24 the offset is right and vendor/modules.txt
 * is left out (golang.org/issue/63395). */
int zipcheck_is_vendored(const char *p, int go124);

/* x/mod/zip's collisionChecker: case-folded names of files and their parent
 * directories. Owned by the caller: zipcheck_names_init, then _free. */
struct zipcheck_names {
    struct zipcheck_name *slots;
    size_t cap, used;
};
void zipcheck_names_init(struct zipcheck_names *ns);
void zipcheck_names_free(struct zipcheck_names *ns);

/* Records p (len bytes, valid UTF-8, clean, relative) and its parents. Returns STOA_OK,
 * STOA_UNPROCESSABLE with the reason in why on a collision, a duplicate file or a
 * file/directory clash, STOA_INTERNAL when out of memory. */
int zipcheck_names_add(struct zipcheck_names *ns, const char *p, size_t len, int is_dir, char *why, size_t whylen);

#endif
