/* tlog: verifier keys, signed notes, tile paths, and inclusion and consistency proofs
 * checked against an independent RFC 6962 tree built here from the leaves. */
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

/* The validator refuses what x/mod's tlog.ParseTilePath refuses: every path but
 * the one Tile.Path writes for the tile it reads. */
static void tile_path_parsing(void **state)
{
    static const struct { const char *p; int level; int64_t n; int width; } good[] = {
        {"tile/8/0/000", 0, 0, 256},
        {"tile/8/0/001.p/5", 0, 1, 5},
        {"tile/8/1/x001/234.p/17", 1, 1234, 17},
        {"tile/8/2/x001/x234/067", 2, 1234067, 256},
        {"tile/8/7/999.p/255", 7, 999, 255},
        {"tile/8/data/x123/456", -1, 123456, 256},
        {"tile/8/data/000.p/1", -1, 0, 1},
        {"tile/8/0/x009/x223/x372/x036/x854/x775/807", 0, INT64_MAX, 256},
    };
    static const char *bad[] = {
        "tile/8/0/000?junk=1", /* the finding: %3F decoded into the name */
        "tile/8/0/000%3Fjunk=1", "tile/8/0/000#x", "tile/8/0/000/", "tile/8/0/", "tile/8/0", "tile/8/",
        "tile/8/0/00", "tile/8/0/0000", "tile/8/0/0", /* not three digits */
        "tile/8/0/x000",                              /* x on the last group */
        "tile/8/0/001/234",                           /* x missing on a non-last group */
        "tile/8/0/x000/234",                          /* leading zero group */
        "tile/8/0/+01", "tile/8/0/-01", "tile/8/0/ 01",
        "tile/8/0/000.p/0", "tile/8/0/000.p/256", "tile/8/0/000.p/05", "tile/8/0/000.p/+5", "tile/8/0/000.p/",
        "tile/8/0/000.p/5/6", "tile/8/0/000.p", "tile/8/0/000.p/1000000000000000000000",
        "tile/8/8/000", "tile/8/00/000", "tile/8/-1/000", "tile/8/01/000", "tile/8/Data/000", "tile/8/data/x000",
        "tile/4/0/000", "tile/08/0/000", "tile/30/0/000", "tile//0/000", "tile/8/0/../000", "tile/8/0/./000",
        "tile/8/0/x009/x223/x372/x036/x854/x775/808", /* past int64 */
        "tile/8/0/x999/x999/x999/x999/x999/x999/x999/999",
        "lookup/x@v1", "tile", "", "TILE/8/0/000",
    };
    int level, width;
    int64_t n;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        if (tlog_parse_tile_path(good[i].p, &level, &n, &width) != 0)
            fail_msg("refused %s", good[i].p);
        assert_int_equal(level, good[i].level);
        assert_true(n == good[i].n);
        assert_int_equal(width, good[i].width);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i)
        if (tlog_parse_tile_path(bad[i], &level, &n, &width) == 0)
            fail_msg("accepted %s", bad[i]);
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

/* Each way a note fails, with the reason it gives. */
static void note_failures(void **state)
{
    static const char text[] = "go.sum database tree\n300\nPlnLhHAwXh+7ZSqqWNsvWzmsz9mrL9Jv8EuTExzJcZk=\n";
    char vkey[200], note[600], why[200];
    size_t n = sign_note("sum.test", text, vkey, note, sizeof(note)), textlen = 0;
    tlog_key k;
    assert_int_equal(tlog_parse_key(vkey, &k, why, sizeof(why)), 0);
    /* A bad signature by the right key name and hash: the last signature byte flipped. */
    char *sig = strrchr(note, ' ') + 1, saved = sig[80];
    sig[80] = sig[80] == 'A' ? 'B' : 'A';
    assert_int_equal(tlog_verify_note(&k, note, n, &textlen, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "invalid signature by key sum.test+"));
    sig[80] = saved;
    assert_int_equal(tlog_verify_note(&k, note, n, &textlen, why, sizeof(why)), 0);
    /* Only signatures by other keys (the key hash changed). */
    saved = sig[0];
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    assert_int_equal(tlog_verify_note(&k, note, n, &textlen, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "no valid signature by sum.test+"));
    sig[0] = saved;
    /* Truncated: no final newline, no blank line, nothing at all. */
    assert_int_equal(tlog_verify_note(&k, note, n - 1, &textlen, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "malformed"));
    assert_int_equal(tlog_verify_note(&k, text, strlen(text), &textlen, why, sizeof(why)), -1);
    assert_int_equal(tlog_verify_note(&k, "", 0, &textlen, why, sizeof(why)), -1);
    /* Signed text followed by a signature line for the text before a change. */
    char changed[600];
    memcpy(changed, note, n);
    changed[sizeof(text) - 3] ^= 1; /* a byte of the root hash */
    assert_int_equal(tlog_verify_note(&k, changed, n, &textlen, why, sizeof(why)), -1);
}

/* Reference tree: leaf i's record is "record <i>\n" ("forked <i>\n" from fork_at on,
 * a log that rewrote its past); MTH by RFC 6962's recursion. */
static int64_t fork_at = INT64_MAX;

static void leaf(int64_t i, unsigned char out[32])
{
    char rec[64];
    int n = snprintf(rec, sizeof(rec), "%s %lld\n", i >= fork_at ? "forked" : "record", (long long)i);
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

/* Trees of 65536 records and more (level-2 tiles) are in forks: slow to build here. */
static const int64_t tree_sizes[] = {1, 2, 3, 7, 8, 255, 256, 257, 300, 511, 513, 1024 + 5};
#define NSIZES (sizeof(tree_sizes) / sizeof(tree_sizes[0]))

static tlog_tree tree_of(int64_t n)
{
    tlog_tree t = {.n = n};
    mth(0, n, t.hash);
    return t;
}

static void consistency(void **state)
{
    char why[200];
    unsigned char proof[TLOG_PROOF_MAX][32];
    int len;
    for (size_t i = 0; i < NSIZES; ++i)
        for (size_t j = i; j < NSIZES; ++j) {
            tlog_tree older = tree_of(tree_sizes[i]), newer = tree_of(tree_sizes[j]);
            if (tlog_check_consistent(&older, &newer, reader, NULL, why, sizeof(why)) != 0)
                fail_msg("%lld in %lld: %s", (long long)older.n, (long long)newer.n, why);
            assert_int_equal(tlog_prove_tree(&newer, older.n, proof, &len, reader, NULL, why, sizeof(why)), 0);
            assert_int_equal(tlog_check_tree(proof, len, &newer, &older, why, sizeof(why)), 0);
            /* Any wrong hash fails: either root, or any hash of the proof. */
            tlog_tree bad = older;
            bad.hash[7] ^= 1;
            assert_int_equal(tlog_check_tree(proof, len, &newer, &bad, why, sizeof(why)), -1);
            assert_non_null(strstr(why, "consistency proof failed"));
            bad = newer;
            bad.hash[31] ^= 0x80;
            assert_int_equal(tlog_check_tree(proof, len, &bad, &older, why, sizeof(why)), -1);
            for (int h = 0; h < len; ++h) {
                proof[h][h % 32] ^= 4;
                assert_int_equal(tlog_check_tree(proof, len, &newer, &older, why, sizeof(why)), -1);
                proof[h][h % 32] ^= 4;
            }
            /* A proof one hash short or long fails too. */
            if (len > 0)
                assert_int_equal(tlog_check_tree(proof, len - 1, &newer, &older, why, sizeof(why)), -1);
            memset(proof[len], 0, 32);
            assert_int_equal(tlog_check_tree(proof, len + 1, &newer, &older, why, sizeof(why)), -1);
        }
    tlog_tree small = tree_of(5), large = tree_of(9);
    assert_int_equal(tlog_prove_tree(&small, 9, proof, &len, reader, NULL, why, sizeof(why)), -1);
    assert_int_equal(tlog_prove_tree(&small, 0, proof, &len, reader, NULL, why, sizeof(why)), -1);
    assert_int_equal(tlog_check_tree(proof, 0, &small, &large, why, sizeof(why)), -1);
}

/* A log that rewrote record f after serving a tree of n records: every later tree of
 * it is signed and internally sound, but none contains the tree it served. */
static void forks(void **state)
{
    char why[200];
    static const int64_t cases[][3] = {/* f, n, later size */
                                       {0, 1, 1},     {0, 300, 300}, {299, 300, 300}, {299, 300, 301},
                                       {100, 300, 513}, {256, 257, 65536 + 3}, {2, 3, 4}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        fork_at = INT64_MAX;
        tlog_tree seen = tree_of(cases[i][1]);
        fork_at = cases[i][0];
        tlog_tree forked = tree_of(cases[i][2]);
        if (tlog_check_consistent(&seen, &forked, reader, NULL, why, sizeof(why)) == 0)
            fail_msg("fork at %lld of tree %lld not caught in tree %lld", (long long)cases[i][0], (long long)cases[i][1],
                     (long long)cases[i][2]);
        /* The forked log is consistent with itself. */
        tlog_tree own = tree_of(cases[i][1]);
        assert_int_equal(tlog_check_consistent(&own, &forked, reader, NULL, why, sizeof(why)), 0);
    }
    fork_at = INT64_MAX;
}

static int failing_reader(void *arg, int level, int64_t n, int width, unsigned char *out, char *why, size_t whylen)
{
    return snprintf(why, whylen, "tile %d/%lld: unavailable", level, (long long)n), -1;
}

static void unreadable_tiles(void **state)
{
    char why[200];
    tlog_tree older = tree_of(300), newer = tree_of(513);
    assert_int_equal(tlog_check_consistent(&older, &newer, failing_reader, NULL, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "unavailable"));
    /* Equal sizes need no tile: the hashes are compared. */
    assert_int_equal(tlog_check_consistent(&older, &older, failing_reader, NULL, why, sizeof(why)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys),        cmocka_unit_test(tile_paths), cmocka_unit_test(tile_path_parsing),cmocka_unit_test(notes),
        cmocka_unit_test(note_failures), cmocka_unit_test(proofs),   cmocka_unit_test(consistency),
        cmocka_unit_test(forks),       cmocka_unit_test(unreadable_tiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
