/*
 * Module paths, as golang.org/x/mod/module defines them.
 *
 * Escaping (module.EscapePath): each upper-case letter becomes '!' + its lower-case
 * form, so paths survive case-insensitive file systems and URLs. Unescaping rejects
 * anything EscapePath could not have produced: an upper-case letter, '!' not followed
 * by a lower-case letter, a trailing '!'.
 *
 * Validation (module.CheckPath): a path is 1+ '/'-separated elements; the first
 * contains a '.', has no leading '-' and only [a-z0-9.-]; every element is non-empty,
 * has no leading or trailing '.', consists of [A-Za-z0-9.-_~], is not a Windows
 * reserved name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, case-insensitive, before any
 * '.'), does not end in '~' followed by digits only (short names); the last element
 * may be a major-version suffix /vN (N >= 2, no leading zero) and gopkg.in paths use
 * .vN. Total length is bounded by MODPATH_MAX.
 *
 * All functions write into caller buffers, return 0 on success and -1 on failure, and
 * then put a one-line human reason into why (when why != NULL).
 */
#ifndef STOA_MODPATH_H
#define STOA_MODPATH_H

#include <stddef.h>

#define MODPATH_MAX 512 /* bytes of a decoded module path, without NUL */

/* Writes the escaped form of path into out (outlen bytes incl. NUL). */
int modpath_escape(const char *path, char *out, size_t outlen, char *why, size_t whylen);

/* Reverses modpath_escape; rejects bad escapes. in is NUL-terminated. */
int modpath_unescape(const char *in, char *out, size_t outlen, char *why, size_t whylen);

/* 1 if the element e (n bytes) is a Windows reserved name before any '.' (CON, PRN,
 * AUX, NUL, COM1-9, LPT1-9, any case), as module's checkElem refuses for every kind. */
int modpath_windows_reserved(const char *e, size_t n);

/* module.CheckPath. */
int modpath_check(const char *path, char *why, size_t whylen);

/* module.CheckPathMajor: version (canonical semver) fits path's major suffix:
 * no suffix -> v0/v1 or +incompatible; /vN -> vN.x.y; gopkg.in .vN likewise. */
int modpath_check_major(const char *path, const char *version, char *why, size_t whylen);

/* Splits the major suffix: for "example.com/m/v2" sets *prefix_len to the length of
 * "example.com/m" and returns a pointer to "/v2" (or ".v2" for gopkg.in); for paths
 * without one returns a pointer to "" at the end. */
const char *modpath_split_major(const char *path, size_t *prefix_len);

/* GOPRIVATE/GONOPROXY/GONOSUMDB matching (golang.org/x/mod/module.MatchPrefixPatterns):
 * patterns is a comma-separated list of globs; each glob is matched with path.Match
 * rules against the leading path elements of target, as many as the glob has. Empty
 * patterns between commas are ignored. Returns 1 on a match, 0 otherwise. */
int modpath_match_patterns(const char *patterns, const char *target);

#endif
