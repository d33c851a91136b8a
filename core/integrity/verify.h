/*
 * Re-checks one stored go.mod or zip: hashes the stored bytes again (sha256 and h1)
 * and compares them with what storage recorded beside them (size, sha256, h1), with
 * the pin of the version when the plugin keeps one (what stoa first served), and,
 * when asked and the file is subject to it (core/integrity/sumcheck.h: sumcheck_applies at the
 * root repository, and not published here), with the checksum database's record.
 *
 * Used by `stoa verify` (cli_verify.c). Reads storage, except that the database check
 * may cache tiles as the /sumdb/ proxy does, and a pin the database confirms is marked
 * verified. Needs the_app (storage, conf) as
 * sumcheck does. Blocking (storage, network): a worker or the CLI's main thread.
 */
#ifndef STOA_VERIFY_H
#define STOA_VERIFY_H

#include "conf.h"
#include "storage.h"

#include <stoa/storage.h>

typedef enum verify_what {
    VERIFY_UNREADABLE = 0, /* storage could not hand the bytes out (or they fail its own check) */
    VERIFY_CORRUPT,        /* not a zip whose h1 can be computed */
    VERIFY_NO_META,        /* no recorded size/sha256 (disk: sidecar missing, or its size is another) */
    VERIFY_SIZE,           /* recorded size differs from the bytes' */
    VERIFY_SHA256,         /* recorded sha256 differs */
    VERIFY_H1,             /* recorded h1 differs */
    VERIFY_PIN,            /* the pin (first served) has another h1 */
    VERIFY_SUMDB,          /* the checksum database's verified record has another h1 */
    VERIFY_UNVERIFIED,     /* subject to the database, which did not confirm it */
    VERIFY_PIN_UNKNOWN,    /* the pin could not be read */
} verify_what;

typedef struct verify_problem {
    verify_what what;
    char have[72];   /* the stored bytes' hash (or size), "" when none */
    char want[72];   /* what the other side records, "" when none */
    char against[80]; /* "metadata", "pin", or the database's name */
    char detail[512];
} verify_problem;

#define VERIFY_MAX_PROBLEMS 8

typedef struct verify_file {
    uint64_t size;           /* bytes read */
    char sha256[65];         /* hex, of the stored bytes ("" when unreadable) */
    char h1[64];             /* of the stored bytes ("" when unreadable or corrupt) */
    stoa_meta meta;          /* as storage recorded it */
    int confirmed;           /* the database's record has h1 */
    int exempt;              /* not subject to the database check */
    int bytes_bad;           /* the stored bytes disagree with their metadata or the database, are corrupt, or
                                storage refused them as such (not when its backend is down or full) */
    size_t nproblems;
    verify_problem problems[VERIFY_MAX_PROBLEMS];
} verify_file;

/* 1 for problems that make a file mismatched (everything but the two below). */
int verify_is_mismatch(verify_what w);

/* Checks kind (MOD or ZIP) of module@version in s. use_sumdb 0 skips the database.
 * STOA_OK with *out filled (problems listed there; none means the file is fine),
 * STOA_NOTFOUND when the file is not stored. */
stoa_status verify_file_check(storage *s, const struct conf *c, const char *module, const char *version, stoa_kind kind,
                              int use_sumdb, verify_file *out);

/* "sha256", "h1", "size", ...: the short name of a problem for reports and JSON. */
const char *verify_what_name(verify_what w);

#endif
