/*
 * The module directive of a go.mod file, read the way x/mod's modfile.ParseLax reads
 * it: `//` comments, `module path`, `module "path"` or `module ( path )`; other
 * directives are not interpreted. For checking that an upstream's .mod is a go.mod
 * of the module asked for, not some other document (SSRF, mix-ups).
 */
#ifndef STOA_MODFILE_H
#define STOA_MODFILE_H

#include <stddef.h>

/* Writes the module path declared in text[0..len) to out. 0, or -1 with a reason in
 * why: not UTF-8, a NUL byte, no module directive, a repeated one, a bad quote. */
int modfile_module_path(const char *text, size_t len, char *out, size_t outlen, char *why, size_t whylen);

/* The go directive's version, as x/mod's parseGoVers takes it for its zip rules: one
 * `go V` line outside blocks, V matching modfile.GoVersionRE (1.24, 1.24.1, 1.24rc1)
 * or fixed as ParseLax fixes it (v1.24-x gives 1.24). 0 with V in out, or -1: none, a
 * repeated one, or a version that does not parse (x/mod then applies its pre-1.24
 * rules). Other errors in the file do not void the version here: a go.mod stoa
 * accepts has none. */
int modfile_go_version(const char *text, size_t len, char *out, size_t outlen);

/* 1 if the go version v (as modfile_go_version gives it) is at least major.minor in
 * go/version.Compare's order of language versions (1.24rc1 counts as 1.24). */
int modfile_go_at_least(const char *v, unsigned major, unsigned minor);

#endif
