/*
 * Version ranges for namespace version rules (namespaces[N].versions), as Athens'
 * filter file and Artifactory's exclude patterns let an operator block versions.
 *
 * Syntax: alternatives joined by "||"; each a space-separated list of comparators that
 * must all hold; a comparator is =, <, <=, > or >= directly followed by a semantic
 * version (v1.2.3, v1.2.3-rc.1, a pseudo-version, v2.0.0+incompatible); a bare version
 * means =. Versions are ordered as x/mod's semver.Compare orders them (build metadata
 * ignored, pseudo-versions are pre-releases). Examples:
 *     v1.2.3                       one version
 *     >=v1.2.0 <v1.2.4             a range
 *     <v0.9.0 || =v1.5.0           either
 */
#ifndef STOA_SEMRANGE_H
#define STOA_SEMRANGE_H

#include <stddef.h>

#define SEMRANGE_MAX 1024 /* longest expression accepted */

/* 0 if expr is a valid range, else -1 with the reason in why. */
int semrange_check(const char *expr, char *why, size_t whylen);

/* 1 if version (valid semver) lies in expr, 0 if not or expr is invalid. */
int semrange_contains(const char *expr, const char *version);

#endif
