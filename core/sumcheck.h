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

#include "route.h"

#include <stoa/storage.h>

/* STOA_OK: verified or skipped (or, under sumdb_check lenient, the database could not
 * answer: logged). STOA_BADGATEWAY: refused, with a message naming the database in
 * err (a mismatch, a bad signature or proof; under strict also an unknown module or
 * an unreachable database). */
stoa_status sumcheck_fill(const route *r, stoa_kind kind, const stoa_meta *meta, stoa_error *err);

#endif
