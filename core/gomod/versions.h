/* A set of versions of one module: collected from list text and storage, sorted by
 * semver precedence, without duplicates. */
#ifndef STOA_VERSIONS_H
#define STOA_VERSIONS_H

#include <stddef.h>

typedef struct versions {
    char **v;
    size_t n, cap;
} versions;

/* Adds v if valid semver and not present. 0 or -1 (OOM). */
int versions_add(versions *vs, const char *v);

/* Adds each line of text (list format); invalid lines are skipped. */
int versions_add_lines(versions *vs, const char *text, size_t len);

void versions_sort(versions *vs);

/* Removes, keeping the order, every version for which drop(arg, v) is 1. */
void versions_remove_if(versions *vs, int (*drop)(void *arg, const char *v), void *arg);

/* The go command's choice for @latest from a list: the highest release version, else
 * the highest pre-release, else the highest pseudo-version. NULL when empty. */
const char *versions_latest(const versions *vs);

/* Writes "v1\nv2\n..." into a malloc'd buffer (the caller frees); NULL on OOM. */
char *versions_text(const versions *vs, size_t *len);

void versions_free(versions *vs);

#endif
