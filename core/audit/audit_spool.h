/*
 * The audit spool: a local JSON lines file holding events the sink could not take
 * yet (PostgreSQL down). Lines are appended and fsync'd before the caller forgets
 * them; replay hands them back to a sink in batches and empties the file only when
 * every batch was accepted, so a crash or a failure during replay loses nothing (the
 * sink ignores lines it already stored, by event id).
 *
 * Several processes may share one spool (the server and `stoa token` from the CLI):
 * append and replay hold an exclusive flock on the file.
 * One thread at a time per audit_spool object.
 */
#ifndef STOA_AUDIT_SPOOL_H
#define STOA_AUDIT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct audit_spool audit_spool;

/* Opens (creating, 0600) the spool at path. NULL with err. */
audit_spool *audit_spool_open(const char *path, char *err, size_t errlen);
void audit_spool_close(audit_spool *sp);

/* Appends lines (without newlines) durably. 0, or -1 with err. */
int audit_spool_append(audit_spool *sp, char *const *lines, size_t n, char *err, size_t errlen);

/* Bytes waiting in the spool (0 when empty). */
uint64_t audit_spool_size(audit_spool *sp);

/* Called with up to `batch` lines at a time; returns 0 when they are stored. */
typedef int (*audit_spool_deliver)(void *arg, char *const *lines, size_t n);

/* Replays every complete line that is a JSON object, in file order; lines that are not
 * (the torn tail of a write cut by a crash) are skipped and counted in *skipped. When
 * every deliver() returned 0 the spool is emptied and 0 is returned; when one failed,
 * the spool is kept whole and 1 is returned; -1 on an I/O error (err says which).
 * *delivered counts lines handed to successful deliver() calls. */
int audit_spool_replay(audit_spool *sp, size_t batch, audit_spool_deliver deliver, void *arg, size_t *delivered,
                       size_t *skipped, char *err, size_t errlen);

#endif
