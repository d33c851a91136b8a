/* known_hosts checks; see origin_hostkey.h. */
/* Messages are cut at their buffers on purpose (bounded error text). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "origin_hostkey.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 16384 /* decoded key blobs; an RSA-16384 key is about 2 KiB */

/* base64 -> bytes; -1 on bad input or overflow. */
static int b64(const char *s, size_t n, unsigned char *out, size_t cap)
{
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
        return -1;
    int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (len < 0)
        return -1;
    for (size_t i = n; i > 0 && s[i - 1] == '='; --i)
        --len;
    return len;
}

/* |1|salt|hash: HMAC-SHA1(salt, name) == hash */
static int hashed_match(const char *pat, size_t n, const char *name)
{
    unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
    const char *bar = memchr(pat + 3, '|', n - 3);
    if (bar == NULL)
        return 0;
    int sl = b64(pat + 3, (size_t)(bar - pat - 3), salt, sizeof(salt));
    int wl = b64(bar + 1, (size_t)(pat + n - bar - 1), want, sizeof(want));
    unsigned gl = 0;
    if (sl <= 0 || wl != 20 ||
        HMAC(EVP_sha1(), salt, sl, (const unsigned char *)name, strlen(name), got, &gl) == NULL || gl != 20)
        return 0;
    return memcmp(got, want, 20) == 0;
}

/* OpenSSH's match_pattern: only * and ? are special ('[' is literal: "[host]:port"). */
static int wild(const char *p, const char *s)
{
    for (; *p; ++p, ++s) {
        if (*p == '*') {
            for (; *s; ++s)
                if (wild(p + 1, s))
                    return 1;
            return wild(p + 1, s);
        }
        if (*s == '\0' || (*p != '?' && *p != *s))
            return 0;
    }
    return *s == '\0';
}

/* 1 if the host field names name, as match_hostname does (a negation wins). */
static int hosts_match(const char *field, const char *name)
{
    if (strncmp(field, "|1|", 3) == 0)
        return hashed_match(field, strlen(field), name);
    int hit = 0;
    char pat[1024];
    for (const char *p = field; *p;) {
        size_t n = strcspn(p, ",");
        int neg = *p == '!';
        snprintf(pat, sizeof(pat), "%.*s", (int)(n - (size_t)neg), p + neg);
        if (wild(pat, name)) {
            if (neg)
                return 0;
            hit = 1;
        }
        p += n + (p[n] == ',');
    }
    return hit;
}

static int same_key(const char *b64key, const unsigned char *raw, size_t rawlen, const unsigned char sha256[32])
{
    static __thread unsigned char blob[KEY_MAX];
    int n = b64(b64key, strlen(b64key), blob, sizeof(blob));
    if (n <= 0)
        return 0;
    if (raw != NULL)
        return (size_t)n == rawlen && memcmp(blob, raw, rawlen) == 0;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(blob, (size_t)n, md);
    return memcmp(md, sha256, 32) == 0;
}

origin_hostkey_result origin_hostkey_check(const char *known_hosts, const char *host, const char *port,
                                           const unsigned char *raw, size_t rawlen, const unsigned char sha256[32],
                                           char *why, size_t whylen)
{
    char name[300];
    if (port == NULL || strcmp(port, "22") == 0)
        snprintf(name, sizeof(name), "%s", host);
    else
        snprintf(name, sizeof(name), "[%s]:%s", host, port);
    FILE *f = fopen(known_hosts, "r");
    if (f == NULL)
        return snprintf(why, whylen, "ssh host key of %s: cannot read known_hosts %s", name, known_hosts),
               ORIGIN_HOSTKEY_UNREADABLE;
    char line[KEY_MAX * 2];
    int named = 0, ok = 0, revoked = 0;
    while (!revoked && fgets(line, sizeof(line), f) != NULL) {
        char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
        if (tok == NULL || tok[0] == '#')
            continue;
        int is_revoked = strcmp(tok, "@revoked") == 0;
        if (tok[0] == '@' && !is_revoked)
            continue; /* @cert-authority: no certificates here */
        if (tok[0] == '@')
            tok = strtok_r(NULL, " \t\r\n", &save);
        char *hosts = tok, *type = strtok_r(NULL, " \t\r\n", &save), *key = strtok_r(NULL, " \t\r\n", &save);
        if (hosts == NULL || type == NULL || key == NULL || !hosts_match(hosts, name))
            continue;
        int same = same_key(key, raw, rawlen, sha256);
        if (is_revoked)
            revoked = same;
        else
            named = 1, ok |= same;
    }
    fclose(f);
    char fp[64] = "SHA256:";
    EVP_EncodeBlock((unsigned char *)fp + 7, sha256, 32);
    fp[strcspn(fp, "=")] = '\0';
    if (revoked)
        return snprintf(why, whylen, "ssh host key of %s (%s) is revoked in %s", name, fp, known_hosts),
               ORIGIN_HOSTKEY_REVOKED;
    if (ok)
        return ORIGIN_HOSTKEY_OK;
    if (named)
        return snprintf(why, whylen, "ssh host key of %s (%s) does not match %s: refused", name, fp, known_hosts),
               ORIGIN_HOSTKEY_MISMATCH;
    return snprintf(why, whylen, "ssh host %s is not in %s (its key is %s): refused", name, known_hosts, fp),
           ORIGIN_HOSTKEY_UNKNOWN;
}
