#include "tlog.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TILE_WIDTH (1 << TLOG_TILE_HEIGHT)
#define EM_DASH "\xe2\x80\x94 "

/* Strict base64 (with padding) into out; the decoded length, or -1. */
static int b64_decode(const char *in, size_t len, unsigned char *out, size_t outmax)
{
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > outmax + 2 || len > 4096)
        return -1;
    unsigned char tmp[3072];
    int n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    n -= (in[len - 1] == '=') + (in[len - 2] == '=');
    if ((size_t)n > outmax)
        return -1;
    memcpy(out, tmp, (size_t)n);
    return n;
}

static void sha256(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL)
        abort();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, a, alen);
    EVP_DigestUpdate(c, b, blen);
    EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int tlog_parse_key(const char *vkey, tlog_key *k, char *why, size_t whylen)
{
    const char *p1 = strchr(vkey, '+'), *p2 = p1 != NULL ? strchr(p1 + 1, '+') : NULL;
    if (p2 == NULL || p1 == vkey || (size_t)(p1 - vkey) >= sizeof(k->name) || p2 - p1 != 9)
        return snprintf(why, whylen, "verifier key is not name+hash+keydata"), -1;
    char hex[9];
    memcpy(hex, p1 + 1, 8);
    hex[8] = '\0';
    char *end;
    unsigned long id = strtoul(hex, &end, 16);
    unsigned char data[64];
    int n = b64_decode(p2 + 1, strlen(p2 + 1), data, sizeof(data));
    if (*end != '\0' || n != 33 || data[0] != 1)
        return snprintf(why, whylen, "verifier key: bad hash or key data (want an Ed25519 key)"), -1;
    memcpy(k->name, vkey, (size_t)(p1 - vkey));
    k->name[p1 - vkey] = '\0';
    char prefix[sizeof(k->name) + 1];
    int plen = snprintf(prefix, sizeof(prefix), "%s\n", k->name);
    unsigned char sum[32];
    sha256(prefix, (size_t)plen, data, 33, sum);
    if (be32(sum) != id)
        return snprintf(why, whylen, "verifier key: hash %s does not match the key", hex), -1;
    k->id = (uint32_t)id;
    memcpy(k->pub, data + 1, 32);
    return 0;
}

static int ed25519_ok(const unsigned char pub[32], const unsigned char sig[64], const char *msg, size_t len)
{
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = key != NULL && c != NULL && EVP_DigestVerifyInit(c, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestVerify(c, sig, 64, (const unsigned char *)msg, len) == 1;
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(key);
    return ok;
}

/* One signature line of a note (without '\n'): 1 when it is k's and valid, 0 when it
 * names k (name and key hash) but does not verify, -1 when it is another key's. */
static int signature_ok(const tlog_key *k, const char *line, size_t len, const char *text, size_t textlen)
{
    size_t nlen = strlen(k->name), dash = sizeof(EM_DASH) - 1;
    if (len < dash + nlen + 1 || memcmp(line, EM_DASH, dash) != 0 || memcmp(line + dash, k->name, nlen) != 0 ||
        line[dash + nlen] != ' ')
        return -1;
    unsigned char sig[4 + 64 + 3];
    const char *b64 = line + dash + nlen + 1;
    int n = b64_decode(b64, len - (size_t)(b64 - line), sig, sizeof(sig));
    if (n < 4 || be32(sig) != k->id)
        return -1;
    return n == 4 + 64 && ed25519_ok(k->pub, sig + 4, text, textlen);
}

int tlog_verify_note(const tlog_key *k, const char *note, size_t len, size_t *textlen, char *why, size_t whylen)
{
    const char *sep = memmem(note, len, "\n\n", 2);
    if (sep == NULL || len == 0 || note[len - 1] != '\n')
        return snprintf(why, whylen, "malformed signed note"), -1;
    size_t tl = (size_t)(sep - note) + 1;
    int invalid = 0;
    for (const char *line = sep + 2; line < note + len;) {
        const char *nl = memchr(line, '\n', (size_t)(note + len - line));
        int ok = signature_ok(k, line, (size_t)(nl - line), note, tl);
        if (ok == 1) {
            *textlen = tl;
            return 0;
        }
        invalid |= ok == 0;
        line = nl + 1;
    }
    if (invalid)
        return snprintf(why, whylen, "invalid signature by key %s+%08x on the tree note", k->name, k->id), -1;
    return snprintf(why, whylen, "note has no valid signature by %s+%08x", k->name, k->id), -1;
}

int tlog_parse_tree(const char *text, size_t len, tlog_tree *t, char *why, size_t whylen)
{
    static const char head[] = "go.sum database tree\n";
    char buf[256], b64[64];
    long long n;
    if (len >= sizeof(buf) || len < sizeof(head) || memcmp(text, head, sizeof(head) - 1) != 0)
        return snprintf(why, whylen, "not a go.sum database tree note"), -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (sscanf(buf + sizeof(head) - 1, "%lld\n%63[A-Za-z0-9+/=]\n", &n, b64) != 2 || n <= 0 ||
        b64_decode(b64, strlen(b64), t->hash, 32) != 32)
        return snprintf(why, whylen, "malformed tree note"), -1;
    t->n = n;
    return 0;
}

void tlog_record_hash(const void *data, size_t len, unsigned char out[32])
{
    sha256("\0", 1, data, len, out);
}

static void node_hash(const unsigned char l[32], const unsigned char r[32], unsigned char out[32])
{
    unsigned char buf[64];
    memcpy(buf, l, 32);
    memcpy(buf + 32, r, 32);
    sha256("\1", 1, buf, 64, out);
}

/* "tile/8/<lev>/<NNN>[.p/<width>]": lev is the level or "data". */
static void tile_path(const char *lev, int64_t n, int width, char *out, size_t len)
{
    char num[64] = "";
    char groups[8][5];
    int g = 0;
    do {
        snprintf(groups[g++], sizeof(groups[0]), "%03d", (int)(n % 1000));
        n /= 1000;
    } while (n > 0 && g < 8);
    size_t used = 0;
    while (g-- > 0)
        used += (size_t)snprintf(num + used, sizeof(num) - used, "%s%s%s", g > 0 ? "x" : "", groups[g], g > 0 ? "/" : "");
    if (width == TILE_WIDTH)
        snprintf(out, len, "tile/%d/%s/%s", TLOG_TILE_HEIGHT, lev, num);
    else
        snprintf(out, len, "tile/%d/%s/%s.p/%d", TLOG_TILE_HEIGHT, lev, num, width);
}

void tlog_tile_path(int level, int64_t n, int width, char *out, size_t len)
{
    char lev[12];
    snprintf(lev, sizeof(lev), "%d", level);
    tile_path(lev, n, width, out, len);
}

/* Digits at *p up to a non-digit, as a number of at most max; -1 when none or over. */
static int64_t read_number(const char **p, int64_t max)
{
    const char *s = *p;
    int64_t v = 0;
    for (; *s >= '0' && *s <= '9'; ++s) {
        if (v > (max - (*s - '0')) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (s == *p)
        return -1;
    *p = s;
    return v;
}

/* Like x/mod's ParseTilePath: read leniently, then require the exact path Tile.Path
 * writes, which refuses leading zeros, missing or misplaced x, signs and widths out
 * of range; only height 8 and levels 0..7 (a tree of < 2^63 records). */
int tlog_parse_tile_path(const char *path, int *level, int64_t *n, int *width)
{
    static const char head[] = "tile/8/";
    if (strncmp(path, head, sizeof(head) - 1) != 0 || strlen(path) > 64)
        return -1;
    const char *p = path + sizeof(head) - 1;
    int lev = -1;
    if (strncmp(p, "data/", 5) == 0)
        p += 5;
    else if (p[0] >= '0' && p[0] <= '7' && p[1] == '/')
        lev = p[0] - '0', p += 2;
    else
        return -1;
    int64_t idx = 0, g;
    for (;;) {
        p += *p == 'x';
        if ((g = read_number(&p, 999)) < 0 || idx > (INT64_MAX - g) / 1000)
            return -1;
        idx = idx * 1000 + g;
        if (*p != '/')
            break;
        ++p;
    }
    int64_t w = TILE_WIDTH;
    if (strncmp(p, ".p/", 3) == 0) {
        p += 3;
        if ((w = read_number(&p, TILE_WIDTH - 1)) < 1)
            return -1;
    }
    if (*p != '\0')
        return -1;
    char canon[96], lv[12] = "data";
    if (lev >= 0)
        snprintf(lv, sizeof(lv), "%d", lev);
    tile_path(lv, idx, (int)w, canon, sizeof(canon));
    if (strcmp(canon, path) != 0)
        return -1;
    *level = lev, *n = idx, *width = (int)w;
    return 0;
}

/* ---- inclusion proof ---- */

#define PROOF_TILES 24

typedef struct prover {
    const tlog_tree *t;
    tlog_tile_reader rd;
    void *arg;
    char *why;
    size_t whylen;
    int failed;
    int ntiles;
    struct {
        int level;
        int64_t n;
        unsigned char hashes[TILE_WIDTH * 32];
    } tiles[PROOF_TILES];
} prover;

/* The tile (level, n) as wide as tree t makes it, read once per proof. */
static const unsigned char *tile(prover *p, int level, int64_t n)
{
    for (int i = 0; i < p->ntiles; ++i)
        if (p->tiles[i].level == level && p->tiles[i].n == n)
            return p->tiles[i].hashes;
    int64_t avail = (p->t->n >> (level * TLOG_TILE_HEIGHT)) - n * TILE_WIDTH;
    int width = avail > TILE_WIDTH ? TILE_WIDTH : (int)avail;
    int slot = p->ntiles < PROOF_TILES ? p->ntiles++ : PROOF_TILES - 1;
    p->tiles[slot].level = level;
    p->tiles[slot].n = n;
    if (width <= 0 || p->rd(p->arg, level, n, width, p->tiles[slot].hashes, p->why, p->whylen) != 0) {
        if (width <= 0)
            snprintf(p->why, p->whylen, "tile %d/%lld is outside the tree", level, (long long)n);
        p->tiles[slot].level = -1;
        p->failed = 1;
        return NULL;
    }
    return p->tiles[slot].hashes;
}

/* Hash of the complete subtree at tree level l, index j, from its tile. */
static void complete_hash(prover *p, int l, int64_t j, unsigned char out[32])
{
    int level = l / TLOG_TILE_HEIGHT, d = l % TLOG_TILE_HEIGHT;
    int64_t first = j << d;
    const unsigned char *h = tile(p, level, first / TILE_WIDTH);
    if (h == NULL) {
        memset(out, 0, 32);
        return;
    }
    int count = 1 << d, off = (int)(first % TILE_WIDTH);
    unsigned char buf[TILE_WIDTH / 2 * 32];
    memcpy(buf, h + off * 32, (size_t)count * 32);
    for (; count > 1; count /= 2)
        for (int i = 0; i < count / 2; ++i)
            node_hash(buf + 64 * i, buf + 64 * i + 32, buf + 32 * i);
    memcpy(out, buf, 32);
}

static int64_t split_point(int64_t n) /* largest power of two below n (n >= 2) */
{
    int64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

/* Merkle hash of leaves [lo, lo+n). lo is always a multiple of n's split. */
static void subtree(prover *p, int64_t lo, int64_t n, unsigned char out[32])
{
    if ((n & (n - 1)) == 0) {
        int l = 0;
        while ((INT64_C(1) << l) < n)
            ++l;
        complete_hash(p, l, lo >> l, out);
        return;
    }
    int64_t k = split_point(n);
    unsigned char left[32], right[32];
    subtree(p, lo, k, left);
    subtree(p, lo + k, n - k, right);
    node_hash(left, right, out);
}

/* Root of leaves [lo, lo+n) with leaf m's hash taken from the record itself. */
static void root_with(prover *p, int64_t lo, int64_t n, int64_t m, const unsigned char leaf[32], unsigned char out[32])
{
    if (n == 1) {
        memcpy(out, leaf, 32);
        return;
    }
    int64_t k = split_point(n);
    unsigned char left[32], right[32];
    if (m < lo + k) {
        root_with(p, lo, k, m, leaf, left);
        subtree(p, lo + k, n - k, right);
    } else {
        subtree(p, lo, k, left);
        root_with(p, lo + k, n - k, m, leaf, right);
    }
    node_hash(left, right, out);
}

static prover *prover_new(const tlog_tree *t, tlog_tile_reader rd, void *arg, char *why, size_t whylen)
{
    prover *p = calloc(1, sizeof(*p));
    if (p == NULL)
        snprintf(why, whylen, "out of memory");
    else
        *p = (prover){.t = t, .rd = rd, .arg = arg, .why = why, .whylen = whylen};
    return p;
}

int tlog_prove_record(const tlog_tree *t, int64_t id, const unsigned char leaf[32], tlog_tile_reader rd, void *arg, char *why,
                      size_t whylen)
{
    if (id < 0 || id >= t->n)
        return snprintf(why, whylen, "record %lld is outside the tree of %lld records", (long long)id, (long long)t->n), -1;
    prover *p = prover_new(t, rd, arg, why, whylen);
    if (p == NULL)
        return -1;
    unsigned char root[32];
    root_with(p, 0, t->n, id, leaf, root);
    int rc = p->failed ? -1 : memcmp(root, t->hash, 32) == 0 ? 0 : -1;
    if (!p->failed && rc != 0)
        snprintf(why, whylen, "record %lld is not in the signed tree (inclusion proof failed)", (long long)id);
    free(p);
    return rc;
}

/* ---- consistency proof (RFC 6962 2.1.2; Go's tlog.ProveTree and CheckTree) ---- */

/* Appends to out the proof that leaves [lo, hi) of p's tree contain their first
 * n - lo; each level's hash comes after the proof below it, as in Go. */
static void tree_proof(prover *p, int64_t lo, int64_t hi, int64_t n, unsigned char (*out)[32], int *len)
{
    if (n == hi) {
        if (lo != 0)
            subtree(p, lo, hi - lo, out[(*len)++]);
        return;
    }
    int64_t k = split_point(hi - lo);
    if (n <= lo + k) {
        tree_proof(p, lo, lo + k, n, out, len);
        subtree(p, lo + k, hi - lo - k, out[(*len)++]);
    } else {
        tree_proof(p, lo + k, hi, n, out, len);
        subtree(p, lo, k, out[(*len)++]);
    }
}

int tlog_prove_tree(const tlog_tree *t, int64_t n, unsigned char (*proof)[32], int *len, tlog_tile_reader rd, void *arg,
                    char *why, size_t whylen)
{
    *len = 0;
    if (n < 1 || n > t->n)
        return snprintf(why, whylen, "no consistency proof of %lld records in a tree of %lld", (long long)n, (long long)t->n),
               -1;
    prover *p = prover_new(t, rd, arg, why, whylen);
    if (p == NULL)
        return -1;
    tree_proof(p, 0, t->n, n, proof, len);
    int rc = p->failed ? -1 : 0;
    free(p);
    return rc;
}

/* Go's runTreeProof: the hashes of leaves [lo, hi) in the old tree (n records, root
 * old) and in the new one that proof p implies. */
static int run_tree_proof(const unsigned char (*p)[32], int len, int64_t lo, int64_t hi, int64_t n, const unsigned char old[32],
                          unsigned char oh[32], unsigned char th[32])
{
    if (n == hi) {
        if (len != (lo != 0))
            return -1;
        memcpy(oh, lo == 0 ? old : p[0], 32);
        memcpy(th, oh, 32);
        return 0;
    }
    if (len == 0)
        return -1;
    int64_t k = split_point(hi - lo);
    unsigned char o[32], t[32];
    if (n <= lo + k) {
        if (run_tree_proof(p, len - 1, lo, lo + k, n, old, o, t) != 0)
            return -1;
        memcpy(oh, o, 32);
        node_hash(t, p[len - 1], th);
    } else {
        if (run_tree_proof(p, len - 1, lo + k, hi, n, old, o, t) != 0)
            return -1;
        node_hash(p[len - 1], o, oh);
        node_hash(p[len - 1], t, th);
    }
    return 0;
}

int tlog_check_tree(const unsigned char (*proof)[32], int len, const tlog_tree *newer, const tlog_tree *older, char *why,
                    size_t whylen)
{
    unsigned char oh[32], th[32];
    if (older->n < 1 || older->n > newer->n)
        return snprintf(why, whylen, "tree %lld cannot be a prefix of tree %lld", (long long)older->n, (long long)newer->n), -1;
    if (run_tree_proof(proof, len, 0, newer->n, older->n, older->hash, oh, th) != 0 || memcmp(oh, older->hash, 32) != 0 ||
        memcmp(th, newer->hash, 32) != 0)
        return snprintf(why, whylen, "tree %lld is not a prefix of tree %lld (consistency proof failed)", (long long)older->n,
                        (long long)newer->n), -1;
    return 0;
}

int tlog_check_consistent(const tlog_tree *older, const tlog_tree *newer, tlog_tile_reader rd, void *arg, char *why,
                          size_t whylen)
{
    unsigned char proof[TLOG_PROOF_MAX][32];
    int len;
    if (tlog_prove_tree(newer, older->n, proof, &len, rd, arg, why, whylen) != 0)
        return -1;
    return tlog_check_tree(proof, len, newer, older, why, whylen);
}
