/*
 * Lists of module versions read from the files a Go project already has: go.mod,
 * go.sum, and the output of `go list -m all`. Used by `stoa prefetch` to know which
 * files to fetch.
 *
 * Parsing is strict: a line that the go command would not have written (a bad module
 * path, a non-canonical version, a go.sum line without three fields, an unknown go.mod
 * directive...) is an error "NAME:LINE: what", and nothing of that file is kept.
 *
 * What each format contributes:
 *   go.mod    every `require` as info+mod+zip, after applying the file's `replace`
 *             directives (a replacement by a directory drops the module; one by another
 *             module version fetches that one). exclude/retract/go/toolchain/godebug
 *             are checked for shape and otherwise ignored.
 *   go.sum    "M V h1:..." as info+mod+zip, "M V/go.mod h1:..." as mod only.
 *   go list   "M V" as info+mod+zip, "M V => M2 V2" as M2 V2, "M V => ./dir" and the
 *             main module's bare "M" line contribute nothing.
 *
 * Single-threaded; a modlist owns its strings and is freed with modlist_free.
 */
#ifndef STOA_MODLIST_H
#define STOA_MODLIST_H

#include <stddef.h>

enum { MODLIST_INFO = 1, MODLIST_MOD = 2, MODLIST_ZIP = 4, MODLIST_ALL = 7 };

typedef enum modlist_format {
    MODLIST_GOMOD,
    MODLIST_GOSUM,
    MODLIST_GOLIST,
} modlist_format;

typedef struct modlist_entry {
    char *module;
    char *version;
    unsigned kinds; /* MODLIST_INFO | MODLIST_MOD | MODLIST_ZIP */
} modlist_entry;

typedef struct modlist {
    modlist_entry *v;
    size_t n, cap;
} modlist;

/* The format a file name implies: *go.sum / *.sum -> GOSUM, *go.mod / *.mod -> GOMOD,
 * anything else (including "-" for stdin) -> GOLIST. */
modlist_format modlist_format_of(const char *name);

/* Parses text (len bytes, need not be NUL-terminated) in format f and appends its
 * entries to l. name is used in error messages. Returns 0, or -1 with "name:line: why"
 * in err; on error l is unchanged. */
int modlist_parse(modlist *l, modlist_format f, const char *name, const char *text, size_t len, char *err,
                  size_t errlen);

/* Sorts by module then version and merges duplicates (their kinds are OR-ed). */
void modlist_finish(modlist *l);

void modlist_free(modlist *l);

#endif
