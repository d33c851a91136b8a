/*
 * Internals of the token auth plugin (not part of the ABI; unit tests compile these
 * files directly).
 *
 * A token is "stoa_" + 64 hex digits (256 random bits). It is shown once, at creation;
 * stores keep only its SHA-256. A presented credential is hashed and compared with
 * every stored hash in constant time. Each token has a name, scopes, an optional
 * expiry and a revocation time.
 *
 * Scopes are "OP:PATTERNS" with OP read, publish or admin and PATTERNS a GOPRIVATE-style
 * comma-separated list of globs (publish:corp.example.com); "OP" alone means OP for
 * every module. admin implies publish implies read, for the same patterns.
 */
#ifndef STOA_TOKEN_H
#define STOA_TOKEN_H

#include <stoa/auth.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define TOKEN_PREFIX "stoa_"
#define TOKEN_LEN (sizeof(TOKEN_PREFIX) - 1 + 64)
#define TOKEN_NAME_MAX 64
#define TOKEN_SCOPES_MAX 1024
#define TOKEN_CRED_MAX 512

typedef struct token_entry {
    char name[TOKEN_NAME_MAX + 1];
    unsigned char hash[32];     /* SHA-256 of the token text */
    int64_t created;            /* unix seconds */
    int64_t expires;            /* unix seconds, 0 = never */
    int64_t revoked;            /* unix seconds, 0 = active */
    char scopes[TOKEN_SCOPES_MAX]; /* space-separated scopes */
} token_entry;

/* An immutable snapshot of a store; freed with token_set_free. hashes[i] copies
 * items[i].hash contiguously, so the constant-time scan touches 32 bytes per token
 * instead of a cache line per (1 KiB) entry. */
typedef struct token_set {
    size_t n;
    token_entry *items;
    unsigned char (*hashes)[32];
} token_set;

void token_set_free(token_set *s);
/* Appends a copy of e; 0 or -1 (out of memory). */
int token_set_add(token_set *s, const token_entry *e);
/* The entry named name, or NULL. */
token_entry *token_set_find(token_set *s, const char *name);
/* 1..64 of [A-Za-z0-9._-]. */
int token_name_valid(const char *name);
/* 64 lower-case hex digits → 32 bytes. 0 or -1. */
int token_hash_from_hex(const char *hex, unsigned char out[32]);
/* Unix seconds as 2006-01-02T15:04:05Z, or "-" for 0. */
void token_time_text(int64_t t, char *out, size_t len);

/* ---- secrets (token_secret.c) ---- */

/* Writes a new random token (TOKEN_LEN chars + NUL) into out. 0 or -1. */
int token_generate(char out[TOKEN_LEN + 1]);
void token_hash(const char *cred, size_t len, unsigned char out[32]);
/* Index of the entry whose hash equals h, or -1. Compares against every entry in
 * constant time, so timing does not depend on where (or whether) it matches. */
long token_lookup(const token_set *s, const unsigned char h[32]);

/* ---- credentials (token_cred.c) ---- */

typedef enum token_cred_result {
    TOKEN_CRED_NONE = 0,      /* nothing for us: abstain */
    TOKEN_CRED_FOUND = 1,
    TOKEN_CRED_MALFORMED = -1 /* a header meant for us that cannot be read */
} token_cred_result;

/* Finds the credential in a request: "Authorization: Bearer <t>", "Authorization: Basic
 * base64(user:<t>)" (or base64(<t>:) when the password is empty), "X-JFrog-Art-Api: <t>".
 * Writes it NUL-terminated to out (TOKEN_CRED_MAX bytes); on MALFORMED writes a reason
 * (no secret) to why. */
token_cred_result token_cred_get(const stoa_auth_request *req, char *out, char *why, size_t whylen);
/* The same for one header value; name is "authorization" or "x-jfrog-art-api". */
token_cred_result token_cred_parse(const char *name, const char *value, size_t len, char *out, char *why, size_t whylen);
/* Standard base64 (padding optional). Returns the decoded length or -1. */
long token_base64_decode(const char *in, size_t len, unsigned char *out, size_t outlen);

/* ---- scopes (token_scope.c) ---- */

typedef int (*token_match_fn)(const char *patterns, const char *path);

/* Checks a space-separated scope list; 0 or -1 with a reason in why. */
int token_scopes_valid(const char *scopes, char *why, size_t whylen);
/* 1 if scopes grant op on module (NULL: a route naming no module; admin then needs an
 * unrestricted scope). */
int token_scopes_allow(const char *scopes, stoa_op op, const char *module, token_match_fn match);
const char *token_op_name(stoa_op op);

/* ---- file store format (token_file.c) ---- */

/* Parses the text of a token file. name is for messages ("tokens:3: ..."). 0 or -1. */
int token_file_parse(const char *name, const char *text, size_t len, token_set *out, stoa_error *err);
/* Formats s; returns malloc'd text the caller frees, or NULL. */
char *token_file_format(const token_set *s);
/* Reads path into out (a missing file is an empty set). 0 or -1. */
int token_file_load(const char *path, token_set *out, stoa_error *err);
/* Replaces path atomically (temp file, fsync, rename), mode 0600. The new file keeps
 * the owner of the one it replaces (of its directory for the first one), so `stoa
 * token create` run as root leaves a store the service user can still read; run as
 * any other user than that owner, it refuses, naming the owner. 0 or -1. */
int token_file_save(const char *path, const token_set *s, stoa_error *err);
/* Gives fd (a file just created beside path) the owner token_file_save would give the
 * store. 0, or -1 with err naming the user to run as. */
int token_file_own(const char *path, int fd, stoa_error *err);

/* ---- stores (token_store_file.c, token_store_pg.c) ---- */

typedef struct token_store token_store;
typedef struct token_store_ops {
    /* Loads the whole store into out. */
    stoa_status (*load)(token_store *st, token_set *out, stoa_error *err);
    /* 1 when the store changed since the last load (cheap), 0 when not. */
    int (*changed)(token_store *st);
    /* Adds e; CONFLICT when the name exists. */
    stoa_status (*add)(token_store *st, const token_entry *e, stoa_error *err);
    /* Sets revoked = now; NOTFOUND when no such name. */
    stoa_status (*revoke)(token_store *st, const char *name, int64_t now, stoa_error *err);
    void (*close)(token_store *st);
} token_store_ops;

struct token_store {
    const token_store_ops *ops;
};

token_store *token_store_file_open(const char *path, stoa_error *err);
token_store *token_store_pg_open(const char *dsn, stoa_error *err);

/* ---- CLI (token_cli.c) ---- */

stoa_status token_cli(token_store *st, int argc, char **argv, FILE *out, stoa_error *err);
/* "90d", "12h", "30m", "45s", "2w" → seconds. 0 or -1. */
int token_parse_duration(const char *s, int64_t *secs);

#endif
