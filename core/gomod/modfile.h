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

#endif
