/*
 * Integrity on fill: a go.mod or zip an upstream served is checked against the
 * checksum database before it is cached or sent to anyone, so stoa never hands out
 * bytes that differ from what the database recorded, whatever the client's GOSUMDB.
 *
 * The database is the first entry of conf->sumdbs with a key. The check looks up
 * "<module>@<version>" there (through sumdb_fetch: the proxy's path and tile cache),
 * verifies the signed tree note with the configured verifier key (Ed25519), proves
 * the record is in that tree from the database's hash tiles (height 8), and compares
 * the record's h1 line for the file with meta->h1.
 *
 * Skipped (STOA_OK without a lookup): kinds other than MOD and ZIP, non-canonical
 * versions, modules outside proxy namespaces or matching conf->nosumdb, sumdb_check
 * off, offline mode, no database with a key.
 *
 * Blocking (network): worker threads only.
 */
#ifndef STOA_SUMCHECK_H
#define STOA_SUMCHECK_H

#include "conf.h"
#include "route.h"

#include <stoa/storage.h>

typedef enum sumcheck_result {
    SUMCHECK_VERIFIED = 0,    /* the database's verified record has this hash */
    SUMCHECK_REFUSED = 1,     /* another hash, an answer that does not verify, or strict policy */
    SUMCHECK_UNCONFIRMED = 2, /* the database cannot answer now (down, resting after a failure) */
    SUMCHECK_SKIPPED = 3,     /* not subject to the check */
    SUMCHECK_UNKNOWN = 4,     /* the database answered that it has no record of the version */
} sumcheck_result;

/* Whether kind of module@version is checked: MOD or ZIP of a canonical version in a
 * proxy namespace, not matching nosumdb, with a checking database, sumdb_check not off,
 * not offline. */
int sumcheck_applies(const struct conf *c, const char *repo, const char *module, const char *version, stoa_kind kind);

/* Compares h1 with the database's record for module@version (no policy applied).
 * want gets the database's hash whenever a verified record has one (VERIFIED and a
 * REFUSED mismatch), else "". REFUSED and UNCONFIRMED explain themselves in err. */
sumcheck_result sumcheck_hash(const struct conf *c, const char *module, const char *version, stoa_kind kind,
                              const char *h1, char want[64], stoa_error *err);

/* The fill's check with c's sumdb_check policy applied (c: the fill's configuration, so
 * one fill is decided by one configuration whatever a SIGHUP swaps meanwhile): UNCONFIRMED and UNKNOWN only
 * under lenient (logged); under strict they are REFUSED. Counted in metrics. err is
 * set for REFUSED; a refusal for other bytes than the database's (not a strict
 * policy refusal) is also reported as an integrity event (core/integrity/integrity.h). */
sumcheck_result sumcheck_fill(const struct conf *c, const route *r, stoa_kind kind, const stoa_meta *meta, stoa_error *err);

#define SUMCHECK_MAX_LOOKUP (64u << 10) /* a longer lookup answer is refused */

/* Checks a lookup answer of db (which has a key) as the fills' check does: the tree
 * note's signature, the record's inclusion in that tree, and the tree's consistency
 * with db's head (sumdb_head.h; a fork is logged and counted). STOA_OK, or
 * STOA_BADGATEWAY with the reason. Worker threads (it may read tiles). */
stoa_status sumcheck_lookup_answer(const conf_sumdb *db, const char *body, size_t len, stoa_error *err);

#endif
