/* go.sum "h1:" hashes (dirhash.Hash1); see dirhash.h. */
#include "dirhash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <stoa/stoa.h>

#include "hex.h"
#include "zipread.h"

#define DIRHASH_MAX_ENTRIES 1000000 /* same bound as zipcheck's default */

/* Adds "hex(digest)  name\n" to the summary hash. */
static void add_line(EVP_MD_CTX *sum, const unsigned char digest[32], const char *name, size_t len)
{
    char hex[65];
    hex_encode(digest, 32, hex);
    EVP_DigestUpdate(sum, hex, 64);
    EVP_DigestUpdate(sum, "  ", 2);
    EVP_DigestUpdate(sum, name, len);
    EVP_DigestUpdate(sum, "\n", 1);
}

static void finish(EVP_MD_CTX *sum, char out[DIRHASH_H1_MAX])
{
    unsigned char digest[32];
    EVP_DigestFinal_ex(sum, digest, NULL);
    memcpy(out, "h1:", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, digest, 32);
}

void dirhash_mod(const void *data, size_t len, char out[DIRHASH_H1_MAX])
{
    unsigned char digest[32];
    EVP_Digest(len ? data : "", len, digest, NULL, EVP_sha256(), NULL);
    EVP_MD_CTX *sum = EVP_MD_CTX_new();
    if (sum == NULL)
        abort(); /* only on allocation failure, which this API cannot report */
    EVP_DigestInit_ex(sum, EVP_sha256(), NULL);
    add_line(sum, digest, "go.mod", 6);
    finish(sum, out);
    EVP_MD_CTX_free(sum);
}

int dirhash_mod_fd(int fd, char out[DIRHASH_H1_MAX], char *why, size_t whylen)
{
    EVP_MD_CTX *file = EVP_MD_CTX_new(), *sum = EVP_MD_CTX_new();
    unsigned char buf[16384], digest[32];
    int st = STOA_OK;
    if (file == NULL || sum == NULL) {
        st = zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
        goto done;
    }
    EVP_DigestInit_ex(file, EVP_sha256(), NULL);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = zip_fail(why, whylen, STOA_INTERNAL, "reading go.mod: %s", strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(file, buf, (size_t)n);
    }
    EVP_DigestFinal_ex(file, digest, NULL);
    EVP_DigestInit_ex(sum, EVP_sha256(), NULL);
    add_line(sum, digest, "go.mod", 6);
    finish(sum, out);
done:
    EVP_MD_CTX_free(file);
    EVP_MD_CTX_free(sum);
    return st;
}

static int by_name(const void *a, const void *b)
{
    const struct zipread_entry *x = *(const struct zipread_entry *const *)a;
    const struct zipread_entry *y = *(const struct zipread_entry *const *)b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c != 0)
        return c;
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    return x < y ? -1 : x > y; /* equal names: archive order, so the last one is known */
}

static int to_sha(void *ctx, const void *buf, size_t len, char *why, size_t whylen)
{
    EVP_DigestUpdate(ctx, buf, len);
    return STOA_OK;
}

static int same_name(const struct zipread_entry *a, const struct zipread_entry *b)
{
    return a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0;
}

/* Hashes every entry of v (sorted) into sum. */
static int hash_entries(const struct zipread_archive *za, struct zipread_entry **v, EVP_MD_CTX *sum,
                        EVP_MD_CTX *file, char *why, size_t whylen)
{
    for (size_t i = 0; i < za->count; i++) {
        if (memchr(v[i]->name, '\n', v[i]->name_len) != NULL)
            return zip_fail(why, whylen, STOA_UNPROCESSABLE, "dirhash: filenames with newlines are not supported");
        size_t last = i; /* Go opens duplicates by name: the last one wins */
        while (last + 1 < za->count && same_name(v[last + 1], v[i]))
            last++;
        unsigned char digest[32];
        EVP_DigestInit_ex(file, EVP_sha256(), NULL);
        int st = zipread_stream(za, v[last], to_sha, file, why, whylen);
        if (st != STOA_OK)
            return st;
        EVP_DigestFinal_ex(file, digest, NULL);
        add_line(sum, digest, v[i]->name, v[i]->name_len);
    }
    return STOA_OK;
}

int dirhash_zip_fd(int fd, uint64_t size, char out[DIRHASH_H1_MAX], char *why, size_t whylen)
{
    struct zipread_archive za;
    int st = zipread_open(&za, fd, size, DIRHASH_MAX_ENTRIES, why, whylen);
    if (st != STOA_OK)
        return st;
    struct zipread_entry **v = malloc((za.count ? za.count : 1) * sizeof(*v));
    EVP_MD_CTX *sum = EVP_MD_CTX_new(), *file = EVP_MD_CTX_new();
    if (v == NULL || sum == NULL || file == NULL) {
        st = zip_fail(why, whylen, STOA_INTERNAL, "out of memory");
    } else {
        for (size_t i = 0; i < za.count; i++)
            v[i] = &za.entries[i];
        qsort(v, za.count, sizeof(*v), by_name);
        EVP_DigestInit_ex(sum, EVP_sha256(), NULL);
        st = hash_entries(&za, v, sum, file, why, whylen);
        if (st == STOA_OK)
            finish(sum, out);
    }
    EVP_MD_CTX_free(sum);
    EVP_MD_CTX_free(file);
    free(v);
    zipread_close(&za);
    return st;
}
