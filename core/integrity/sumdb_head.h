/*
 * The latest verified tree head of each checksum database with a key, so that every
 * signed tree stoa accepts afterwards is consistent with the ones it accepted before:
 * a database that forks (shows different clients, or the same client at different
 * times, histories that do not extend each other) is detected and reported.
 *
 * A tree of the same size as the head must have its hash; a larger one must contain
 * the head (consistency proof from the larger tree's tiles), and becomes the head; a
 * smaller one must be contained in the head (proof from the head's tiles).
 *
 * The head lives in memory and in storage, as the database's SUMDB_LATEST object: the
 * signed note itself, re-verified with the key when read, so the head survives
 * restarts and is shared by replicas on the same storage. It is read on first use and
 * written whenever the head advances, unless storage already holds a larger verified
 * tree, which is then checked and adopted. Concurrent writers (threads or replicas)
 * may leave the stored head slightly behind the newest one, never at a tree that is
 * not verified and consistent with every head before it.
 *
 * Blocking (network for tiles, storage): worker threads only. Thread-safe.
 */
#ifndef STOA_SUMDB_HEAD_H
#define STOA_SUMDB_HEAD_H

#include "conf.h"
#include "sumdb_fetch.h"
#include "tlog.h"

#include <stoa/stoa.h>

#include <stddef.h>

/* Checks a signed tree note (len bytes, e.g. a lookup's note or "latest") from db,
 * which must have a key: its signature, then its consistency with db's head, which
 * it advances when it is newer. Tiles are read through tiles (db set; its memo may
 * hold tiles read already), or a fresh one when NULL.
 * STOA_OK; STOA_CONFLICT for a fork (err names both trees' sizes and hashes; logged
 * at error level and counted in stoa_sumdb_forks_total); STOA_BADGATEWAY when the
 * note does not verify or the proof cannot be made (a tile cannot be read). */
stoa_status sumdb_head_check(const conf_sumdb *db, sumdb_tiles *tiles, const char *note, size_t len, stoa_error *err);

/* Checks a note's signature by db's key (name and key id must match) and reads the tree
 * it states into *t. 0, or -1 with a one-line reason in why. Pure computation. */
int sumdb_note_verify(const conf_sumdb *db, const char *note, size_t len, tlog_tree *t, char *why, size_t whylen);

/* sumdb_head_check for a note the caller verified with sumdb_note_verify already (t is
 * its tree): the signature is not checked twice. */
stoa_status sumdb_head_check_verified(const conf_sumdb *db, sumdb_tiles *tiles, const tlog_tree *t, const char *note,
                                      size_t len, stoa_error *err);

#endif
