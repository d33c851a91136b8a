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

/* Whether fd's first size bytes are a go.mod (x/mod's ParseLax, core/gomod/modfile.h)
 * declaring module. 0, or -1 with the reason in why ("is not a go.mod: ...",
 * "declares module X", "is over 16 MiB"), to follow "<module>@<version>.mod ". Reads from offset 0 with pread. */
int validate_gomod_fd(int fd, uint64_t size, const char *module, char *why, size_t whylen);

/* SHA-256 of fd's first size bytes (pread from 0). 0 or -1 (errno set). */
int validate_sha256_fd(int fd, uint64_t size, unsigned char out[32]);

/* An .info's Time as Go's time.Time writes it (RFC 3339: "2019-03-04T05:06:07Z", an
 * optional fraction of 1 to 9 digits, then Z or a +hh:mm/-hh:mm offset), rewritten in UTC
 * with its fraction kept ("2019-03-04T05:06:07.5+01:00" -> "2019-03-04T04:06:07.5Z") into
 * out (VALIDATE_TIME_MAX bytes suffice); its Unix time in *secs unless secs is NULL.
 * 0, or -1 when s is not such a time (a field out of range, "Feb 30", included). */
#define VALIDATE_TIME_MAX 40
int validate_info_time(const char *s, char *out, size_t len, int64_t *secs);

#endif
