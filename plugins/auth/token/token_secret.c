/* Token generation, hashing and constant-time lookup. */
#include "token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

int token_generate(char out[TOKEN_LEN + 1])
{
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    char *p = out + sprintf(out, "%s", TOKEN_PREFIX);
    for (size_t i = 0; i < sizeof(raw); ++i)
        p += sprintf(p, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof(raw));
    return 0;
}

void token_hash(const char *cred, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(cred, len, out, &n, EVP_sha256(), NULL);
}

long token_lookup(const token_set *s, const unsigned char h[32])
{
    long found = -1;
    for (size_t i = 0; i < s->n; ++i) {
        /* No early exit, no data-dependent branch on the comparison. */
        long eq = CRYPTO_memcmp(s->hashes[i], h, 32) == 0;
        found = eq * (long)i + (1 - eq) * found;
    }
    return found;
}
