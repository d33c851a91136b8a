/*
 * ssh host keys checked against an OpenSSH known_hosts file, as `ssh -o
 * StrictHostKeyChecking=yes` checks them: the host is looked up as "host" on port 22 and
 * as "[host]:port" otherwise; patterns may be comma lists with * and ? wildcards and
 * !negations, or hashed (|1|salt|hmac-sha1); @revoked lines refuse their key,
 * @cert-authority lines are skipped (no certificates here). The key is the ssh wire blob
 * (the base64 field decoded), compared by its SHA-256 when the raw key is not given.
 */
#ifndef STOA_ORIGIN_HOSTKEY_H
#define STOA_ORIGIN_HOSTKEY_H

#include <stddef.h>

typedef enum origin_hostkey_result {
    ORIGIN_HOSTKEY_OK = 0,      /* a line for this host holds this key */
    ORIGIN_HOSTKEY_UNKNOWN,     /* no line names this host */
    ORIGIN_HOSTKEY_MISMATCH,    /* lines name the host, none with this key */
    ORIGIN_HOSTKEY_REVOKED,     /* an @revoked line holds this key */
    ORIGIN_HOSTKEY_UNREADABLE,  /* the file cannot be read */
} origin_hostkey_result;

/* raw (may be NULL) and sha256 describe the key the server presented. why says what
 * failed, naming host, port and file (no key material beyond its SHA-256). */
origin_hostkey_result origin_hostkey_check(const char *known_hosts, const char *host, const char *port,
                                           const unsigned char *raw, size_t rawlen, const unsigned char sha256[32],
                                           char *why, size_t whylen);

#endif
