/*
 * Semantic versions as the go command uses them (golang.org/x/mod/semver), plus
 * pseudo-versions (golang.org/x/mod/module).
 *
 * Valid: "v" MAJOR [ "." MINOR [ "." PATCH [ "-" PRERELEASE ] [ "+" BUILD ] ] ], numbers
 * without leading zeros, prerelease identifiers [0-9A-Za-z-]+ and numeric ones without
 * leading zeros. Canonical: all three numbers present and no build suffix, except the
 * go command's "+incompatible" which is kept.
 */
#ifndef STOA_SEMVER_H
#define STOA_SEMVER_H

#include <stddef.h>

#define SEMVER_MAX 128 /* bytes of a version string we accept, without NUL */

/* 1 if v is valid semver (as semver.IsValid), else 0. */
int semver_is_valid(const char *v);

/* Writes semver.Canonical(v) into out (with "+incompatible" kept if present in v).
 * Returns 0, or -1 if v is invalid or out is too small. */
int semver_canonical(const char *v, char *out, size_t outlen);

/* 1 if v is valid and already canonical (the only form stoa stores). */
int semver_is_canonical(const char *v);

/* semver.Compare: -1, 0 or +1; invalid versions sort before valid ones and equal to
 * each other. */
int semver_compare(const char *a, const char *b);

/* 1 if v has a prerelease part ("v1.2.3-rc.1"). */
int semver_is_prerelease(const char *v);

/* 1 if v is a pseudo-version (module.IsPseudoVersion), e.g.
 * v0.0.0-20191109021931-daa7c04131f5, v1.2.4-0.20191109021931-daa7c04131f5,
 * v1.2.3-pre.0.20191109021931-daa7c04131f5. */
int semver_is_pseudo(const char *v);

/* "v2" for "v2.3.4", "v0" for "v0.1.0": writes the major into out. 0 or -1. */
int semver_major(const char *v, char *out, size_t outlen);

/* 1 if v ends in "+incompatible". */
int semver_is_incompatible(const char *v);

#endif
