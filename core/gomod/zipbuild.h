/*
 * Building a module zip from a directory, as golang.org/x/mod/zip CreateFromDir does
 * (for `stoa publish DIR`).
 *
 * File selection (listFilesInDir + checkFiles): walk DIR in lexical order without
 * following symlinks; omit directories named .bzr .git .hg .svn, subdirectories
 * holding a go.mod (nested modules; also any directory with a file whose name folds to
 * "go.mod"), files in vendored packages (isVendoredPackage, by the root go.mod's go
 * version: before 1.24 the compatibility bug is kept and vendor/modules.txt stays;
 * from 1.24 only vendor/modules.txt and packages under a vendor/ go), ".hg_archival.txt" at the
 * root, symlinks and other non-regular files. The remaining files must pass the zip
 * rules (zipcheck.h): module.CheckFilePath, no case-insensitive collision, go.mod only
 * spelt "go.mod", go.mod and LICENSE <= 16 MiB, total <= 500 MiB. Like Go, a single
 * invalid file fails the whole build.
 *
 * Output: entries "<module>@<version>/<path>" in walk order, deflated (zlib), each
 * followed by a data descriptor (so out_fd may be a pipe: it is only written, in
 * order, never seeked), no directory entries, Unix mode 0644, fixed timestamps
 * (1980-01-01), so the same tree always gives the same bytes. The result passes
 * zipcheck_fd and its dirhash equals what the go command computes for the same tree.
 * No zip64 output: more than 65,534 files or a zip over 4 GiB is STOA_TOOLARGE (the
 * 500 MiB limits make the size case unreachable).
 *
 * module and version are used as given: the caller validates them (modpath_check,
 * semver_is_canonical, modpath_check_major) first.
 */
#ifndef STOA_ZIPBUILD_H
#define STOA_ZIPBUILD_H

#include <stddef.h>
#include <stdint.h>

struct zipbuild_report {
    size_t files;      /* entries written */
    size_t omitted;    /* files and directories left out by the selection rules */
    uint64_t unzipped; /* sum of file sizes */
    uint64_t zipped;   /* bytes written to out_fd */
};

/* Writes the zip of dir to out_fd. rep may be NULL. Returns STOA_OK;
 * STOA_UNPROCESSABLE for a file that breaks a zip rule (message names it, relative to
 * dir); STOA_TOOLARGE for size limits; STOA_INVALID for an empty module or version;
 * STOA_NOTFOUND when dir cannot be opened; STOA_INTERNAL for I/O errors (including a
 * file that grew while being read). On failure out_fd may hold a partial zip: the
 * caller discards it. */
int zipbuild_from_dir(const char *dir, const char *module, const char *version, int out_fd,
                      struct zipbuild_report *rep, char *why, size_t whylen);

/* zipbuild_from_dir for files already selected by a VCS export (x/mod zip.Create over
 * the files of a git tree, as the go command's coderepo.Zip calls it): the same rules,
 * except that directories named .bzr .git .hg .svn are kept like any other. */
int zipbuild_from_files(const char *dir, const char *module, const char *version, int out_fd,
                        struct zipbuild_report *rep, char *why, size_t whylen);

#endif
