/* Where a request carries its token: Bearer, Basic (token as password, or as user name
 * with an empty password) and X-JFrog-Art-Api. */
#include "token.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

long token_base64_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
    while (len > 0 && in[len - 1] == '=')
        --len;
    if (len % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; ++i) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outlen)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

static void trim(const char **v, size_t *len)
{
    while (*len > 0 && (**v == ' ' || **v == '\t'))
        ++*v, --*len;
    while (*len > 0 && ((*v)[*len - 1] == ' ' || (*v)[*len - 1] == '\t'))
        --*len;
}

/* Copies a token candidate; printable ASCII without spaces only. */
static token_cred_result take(const char *v, size_t len, char *out, char *why, size_t whylen, const char *what)
{
    if (len == 0 || len >= TOKEN_CRED_MAX) {
        snprintf(why, whylen, "%s: empty or too long token", what);
        return TOKEN_CRED_MALFORMED;
    }
    for (size_t i = 0; i < len; ++i) {
        if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f) {
            snprintf(why, whylen, "%s: the token contains spaces or non-ASCII characters", what);
            return TOKEN_CRED_MALFORMED;
        }
    }
    memcpy(out, v, len);
    out[len] = '\0';
    return TOKEN_CRED_FOUND;
}

static token_cred_result basic(const char *v, size_t len, char *out, char *why, size_t whylen)
{
    unsigned char dec[TOKEN_CRED_MAX * 2];
    long n = token_base64_decode(v, len, dec, sizeof(dec) - 1);
    if (n < 0) {
        snprintf(why, whylen, "Authorization: Basic credentials are not valid base64");
        return TOKEN_CRED_MALFORMED;
    }
    const unsigned char *colon = memchr(dec, ':', (size_t)n);
    if (colon == NULL) {
        snprintf(why, whylen, "Authorization: Basic credentials lack the ':' between user and password");
        return TOKEN_CRED_MALFORMED;
    }
    size_t ulen = (size_t)(colon - dec), plen = (size_t)n - ulen - 1;
    /* https://TOKEN@host/ sends the token as user name with an empty password. */
    token_cred_result r = plen > 0 ? take((const char *)colon + 1, plen, out, why, whylen, "Authorization: Basic")
                                   : take((const char *)dec, ulen, out, why, whylen, "Authorization: Basic");
    memset(dec, 0, sizeof(dec));
    return r;
}

token_cred_result token_cred_parse(const char *name, const char *value, size_t len, char *out, char *why, size_t whylen)
{
    trim(&value, &len);
    if (strcasecmp(name, "x-jfrog-art-api") == 0)
        return take(value, len, out, why, whylen, "X-JFrog-Art-Api");
    size_t sp = 0;
    while (sp < len && value[sp] != ' ')
        ++sp;
    const char *rest = value + sp;
    size_t rlen = len - sp;
    trim(&rest, &rlen);
    if (sp == 6 && strncasecmp(value, "bearer", 6) == 0)
        return take(rest, rlen, out, why, whylen, "Authorization: Bearer");
    if (sp == 5 && strncasecmp(value, "basic", 5) == 0)
        return basic(rest, rlen, out, why, whylen);
    return TOKEN_CRED_NONE; /* another scheme: some other plugin's business */
}

token_cred_result token_cred_get(const stoa_auth_request *req, char *out, char *why, size_t whylen)
{
    static const char *const names[] = {"authorization", "x-jfrog-art-api"};
    for (size_t i = 0; i < 2; ++i) {
        size_t len;
        const char *v = req->header(req, names[i], &len);
        if (v == NULL)
            continue;
        token_cred_result r = token_cred_parse(names[i], v, len, out, why, whylen);
        if (r != TOKEN_CRED_NONE)
            return r;
    }
    return TOKEN_CRED_NONE;
}
