/*
 * The checksum database's transparency log, as golang.org/x/mod/sumdb/{note,tlog}
 * define it: verifier keys, signed notes, tree notes and record inclusion proofs
 * from hash tiles. Pure computation; the caller fetches (tlog_tile_reader).
 *
 * - Verifier key "<name>+<8 hex id>+<base64(0x01 || Ed25519 public key)>"; the id is
 *   the first 4 bytes (big-endian) of SHA-256("<name>\n" || 0x01 || key).
 * - Signed note: text (ending in '\n', no blank line), a blank line, then lines
 *   "\u2014 <name> <base64(id || signature)>\n"; the signature covers the text.
 * - Tree note text: "go.sum database tree\n<N>\n<base64 root hash>\n".
 * - Merkle tree of RFC 6962: leaf SHA-256(0x00 || record), node SHA-256(0x01 || l || r).
 * - Hash tiles of height 8: tile (L, n) holds the hashes of the complete subtrees at
 *   tree level 8L with indices n*256 .. n*256+W-1, W = 256 (full, path
 *   "tile/8/L/NNN") or less (partial, "tile/8/L/NNN.p/W"); NNN is n in groups of three
 *   digits, all but the last prefixed with "x" ("x001/234").
 *
 * - Consistency proof: the hashes showing that a tree of N records contains an older
 *   tree of n records as a prefix, so a log that forked (rewrote its past) is caught.
 *
 * Functions return 0 or -1 with a one-line reason in why. Thread-safe (no state).
 */
#ifndef STOA_TLOG_H
#define STOA_TLOG_H

#include <stddef.h>
#include <stdint.h>

#define TLOG_TILE_HEIGHT 8

typedef struct tlog_key {
    char name[256];
    uint32_t id;
    unsigned char pub[32];
} tlog_key;

typedef struct tlog_tree {
    int64_t n;
    unsigned char hash[32];
} tlog_tree;

int tlog_parse_key(const char *vkey, tlog_key *k, char *why, size_t whylen);

/* Checks that note (len bytes) carries a valid signature by k; *textlen gets the
 * length of the signed text (which starts at note). */
int tlog_verify_note(const tlog_key *k, const char *note, size_t len, size_t *textlen, char *why, size_t whylen);

int tlog_parse_tree(const char *text, size_t len, tlog_tree *t, char *why, size_t whylen);

void tlog_record_hash(const void *data, size_t len, unsigned char out[32]);

/* "tile/8/<level>/<NNN>[.p/<width>]" into out. */
void tlog_tile_path(int level, int64_t n, int width, char *out, size_t len);

/* Parses a tile path as x/mod's tlog.ParseTilePath does, for height 8: exactly
 * what tile_path writes for a level 0..7 or "data" (level -1), an index in groups
 * of three digits ("x" before all but the last) and a width 1..255 after ".p/" (256
 * without). 0 with the parts set, or -1 for anything else. */
int tlog_parse_tile_path(const char *path, int *level, int64_t *n, int *width);

/* Reads tile (level, n) of exactly width hashes (width * 32 bytes) into out. 0 or -1
 * with a reason in why. */
typedef int (*tlog_tile_reader)(void *arg, int level, int64_t n, int width, unsigned char *out, char *why, size_t whylen);

/* Proves that the record with hash leaf is record id of tree t: recomputes t's root
 * from leaf and the tiles' hashes. */
int tlog_prove_record(const tlog_tree *t, int64_t id, const unsigned char leaf[32], tlog_tile_reader rd, void *arg, char *why,
                      size_t whylen);

/* Consistency proofs (RFC 6962 2.1.2; Go's tlog.ProveTree / CheckTree). */
#define TLOG_PROOF_MAX 66 /* hashes in a proof: one per level of a tree of < 2^63 records, and one */

/* The proof that tree t contains its first n records as they were (1 <= n <= t->n),
 * read from t's tiles: up to TLOG_PROOF_MAX hashes into proof, their count in *len.
 * Fails only on bad input or a tile read failure. */
int tlog_prove_tree(const tlog_tree *t, int64_t n, unsigned char (*proof)[32], int *len, tlog_tile_reader rd, void *arg,
                    char *why, size_t whylen);

/* Whether proof shows that tree newer contains tree older (older->n <= newer->n) as a
 * prefix: the proof must imply both roots. */
int tlog_check_tree(const unsigned char (*proof)[32], int len, const tlog_tree *newer, const tlog_tree *older, char *why,
                    size_t whylen);

/* Both: older is a prefix of newer, proven from newer's tiles. Of equal size, the
 * hashes must be equal. */
int tlog_check_consistent(const tlog_tree *older, const tlog_tree *newer, tlog_tile_reader rd, void *arg, char *why,
                          size_t whylen);

#endif
