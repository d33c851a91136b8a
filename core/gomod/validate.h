/*
 * Checks a staged upstream answer before it is stored or served, and computes the
 * facts stored beside it (size, sha256, h1). Blocking (reads the staged file): worker
 * threads only.
 *
 * INFO: JSON object with a string "Version"; for a canonical request it must equal
 *       the requested version. MOD: at most 16 MiB. ZIP: module zip rules
 *       (core/gomod/zipcheck.h) for module@version. LIST: lines of versions, at most 1 MiB.
 *       LATEST: like INFO, any valid version.
 * Returns STOA_OK or STOA_BADGATEWAY (the upstream sent something unusable) with the
 * reason; STOA_INTERNAL on I/O errors.
 */
#ifndef STOA_VALIDATE_H
#define STOA_VALIDATE_H

#include <stoa/storage.h>

stoa_status validate_staged(stoa_kind kind, const char *module, const char *version, int canonical, int fd, stoa_meta *meta,
                            stoa_error *err);

/* SHA-256 of fd's first size bytes (pread from 0). 0 or -1 (errno set). */
int validate_sha256_fd(int fd, uint64_t size, unsigned char out[32]);


#endif
