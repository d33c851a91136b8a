/* tlog: verifier keys, signed notes, tile paths, and inclusion proofs checked against
 * an independent RFC 6962 tree built here from the leaves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog.h"

static void keys(void **state)
{
    tlog_key k;
    char why[200];
    assert_int_equal(tlog_parse_key("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8", &k, why, sizeof(why)), 0);
    assert_string_equal(k.name, "sum.golang.org");
    assert_int_equal(k.id, 0x033de0ae);
    static const char *bad[] = {
        "sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8", /* wrong hash */
        "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn",  /* short key */
        "sum.golang.org+033de0ae",
        "+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        "sum.golang.org",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i)
        if (tlog_parse_key(bad[i], &k, why, sizeof(why)) == 0)
            fail_msg("accepted %s", bad[i]);
}

static void tile_paths(void **state)
{
    char p[64];
    tlog_tile_path(0, 0, 256, p, sizeof(p));
    assert_string_equal(p, "tile/8/0/000");
    tlog_tile_path(1, 1234, 17, p, sizeof(p));
    assert_string_equal(p, "tile/8/1/x001/234.p/17");
    tlog_tile_path(2, 1234067, 256, p, sizeof(p));
    assert_string_equal(p, "tile/8/2/x001/x234/067");
}

/* A signed note made with a fresh key; returns the verifier key in vkey. */
static size_t sign_note(const char *name, const char *text, char *vkey, char *note, size_t len)
{
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    assert_true(EVP_PKEY_keygen_init(pc) == 1 && EVP_PKEY_keygen(pc, &pk) == 1);
    unsigned char key[33] = {1}, sum[32], sig[68];
    size_t publen = 32, siglen = 64;
    EVP_PKEY_get_raw_public_key(pk, key + 1, &publen);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, name, strlen(name));
    EVP_DigestUpdate(c, "\n", 1);
    EVP_DigestUpdate(c, key, 33);
    EVP_DigestFinal_ex(c, sum, NULL);
    EVP_MD_CTX_reset(c);
    assert_true(EVP_DigestSignInit(c, NULL, NULL, NULL, pk) == 1);
    assert_true(EVP_DigestSign(c, sig + 4, &siglen, (const unsigned char *)text, strlen(text)) == 1);
    memcpy(sig, sum, 4);
    char kb[64], sb[128];
    EVP_EncodeBlock((unsigned char *)kb, key, 33);
    EVP_EncodeBlock((unsigned char *)sb, sig, 68);
    sprintf(vkey, "%s+%02x%02x%02x%02x+%s", name, sum[0], sum[1], sum[2], sum[3], kb);
    EVP_MD_CTX_free(c);
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_free(pk);
    return (size_t)snprintf(note, len, "%s\n\xe2\x80\x94 other.example Zm9v\n\xe2\x80\x94 %s %s\n", text, name, sb);
}

static void notes(void **state)
{
    static const char text[] = "go.sum database tree\n300\nPlnLhHAwXh+7ZSqqWNsvWzmsz9mrL9Jv8EuTExzJcZk=\n";
    char vkey[200], note[600], why[200];
    size_t n = sign_note("sum.test", text, vkey, note, sizeof(note)), textlen = 0;
    tlog_key k;
    tlog_tree t;
    assert_int_equal(tlog_parse_key(vkey, &k, why, sizeof(why)), 0);
    assert_int_equal(tlog_verify_note(&k, note, n, &textlen, why, sizeof(why)), 0);
    assert_int_equal(textlen, strlen(text));
    assert_int_equal(tlog_parse_tree(note, textlen, &t, why, sizeof(why)), 0);
    assert_int_equal(t.n, 300);
    note[21] = '4'; /* "300" -> "400": the signature no longer covers it */
    assert_int_equal(tlog_verify_note(&k, note, n, &textlen, why, sizeof(why)), -1);
    note[21] = '3';
    char other[200], note2[600];
    size_t n2 = sign_note("sum.test", text, other, note2, sizeof(note2));
    assert_int_equal(tlog_verify_note(&k, note2, n2, &textlen, why, sizeof(why)), -1); /* same name, other key */
    assert_int_equal(tlog_parse_tree("go.sum database tree\nx\n", 23, &t, why, sizeof(why)), -1);
}

/* Reference tree: leaf i's record is "record <i>\n"; MTH by RFC 6962's recursion. */
static void leaf(int64_t i, unsigned char out[32])
{
    char rec[64];
    int n = snprintf(rec, sizeof(rec), "record %lld\n", (long long)i);
    tlog_record_hash(rec, (size_t)n, out);
}

static void mth(int64_t lo, int64_t n, unsigned char out[32])
{
    if (n == 1) {
        leaf(lo, out);
        return;
    }
    int64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    unsigned char buf[65] = {1};
    mth(lo, k, buf + 1);
    mth(lo + k, n - k, buf + 33);
    EVP_Digest(buf, 65, out, NULL, EVP_sha256(), NULL);
}

static int reads;

static int reader(void *arg, int level, int64_t n, int width, unsigned char *out, char *why, size_t whylen)
{
    ++reads;
    int64_t span = INT64_C(1) << (8 * level);
    for (int i = 0; i < width; ++i)
        mth((n * 256 + i) * span, span, out + 32 * i);
    return 0;
}

static void proofs(void **state)
{
    static const int64_t sizes[] = {1, 2, 3, 255, 256, 257, 300, 513, 65536 + 3};
    char why[200];
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); ++s) {
        tlog_tree t = {.n = sizes[s]};
        mth(0, t.n, t.hash);
        int64_t ids[] = {0, t.n / 2, t.n - 1};
        for (size_t j = 0; j < 3; ++j) {
            unsigned char h[32];
            leaf(ids[j], h);
            reads = 0;
            if (tlog_prove_record(&t, ids[j], h, reader, NULL, why, sizeof(why)) != 0)
                fail_msg("tree %lld, record %lld: %s", (long long)t.n, (long long)ids[j], why);
            assert_true(reads <= 6);
            leaf(ids[j] + 1, h); /* another record's hash at this id */
            assert_int_equal(tlog_prove_record(&t, ids[j], h, reader, NULL, why, sizeof(why)), -1);
        }
        unsigned char h[32];
        leaf(t.n, h);
        assert_int_equal(tlog_prove_record(&t, t.n, h, reader, NULL, why, sizeof(why)), -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys), cmocka_unit_test(tile_paths), cmocka_unit_test(notes), cmocka_unit_test(proofs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
