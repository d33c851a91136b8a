/*
 * go.sum hashes: golang.org/x/mod/sumdb/dirhash Hash1 ("h1:").
 *
 * h1 = "h1:" + base64(sha256(L)), where L is, for every file sorted by name (bytewise),
 * the line hex(sha256(content)) + "  " + name + "\n". For a zip (dirhash.HashZip) the
 * files are all entries of the archive, directory entries included, names with their
 * "<module>@<version>/" prefix; for a go.mod (the "/go.mod" line of go.sum) the one
 * file is named "go.mod".
 *
 * Content is hashed while it is read or inflated, 64 KiB at a time: no entry is held
 * in memory. A name containing '\n' is refused, as Go refuses it. With duplicate names
 * (which zipcheck rejects) both lines hash the last entry's content, as Go does.
 */
#ifndef STOA_DIRHASH_H
#define STOA_DIRHASH_H

#include <stddef.h>
#include <stdint.h>

#define DIRHASH_H1_MAX 48 /* "h1:" + 44 base64 characters + NUL */

/* h1 of the module zip in fd (size bytes). The zip must be structurally valid (see
 * zipread.h), but module rules are zipcheck's job. Returns STOA_OK with out filled, or
 * STOA_INVALID / STOA_UNPROCESSABLE (unsupported method, '\n' in a name) /
 * STOA_TOOLARGE / STOA_INTERNAL with a message in why. */
int dirhash_zip_fd(int fd, uint64_t size, char out[DIRHASH_H1_MAX], char *why, size_t whylen);

/* h1 of a go.mod held in memory (data may be NULL when len is 0). Cannot fail. */
void dirhash_mod(const void *data, size_t len, char out[DIRHASH_H1_MAX]);

/* h1 of the go.mod read from fd's current position to its end. Returns STOA_OK or
 * STOA_INTERNAL (read error) with a message in why. */
int dirhash_mod_fd(int fd, char out[DIRHASH_H1_MAX], char *why, size_t whylen);

#endif
