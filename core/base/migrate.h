/*
 * Database migrations: numbered plain SQL files (NNNN_name.sql) in a directory,
 * applied in order, each in its own transaction together with its row in
 * schema_migrations. A session advisory lock serialises concurrent migrators (two
 * replicas starting at once). Applying twice changes nothing. A migration file must
 * not contain its own BEGIN/COMMIT (it would end the surrounding transaction).
 */
#ifndef STOA_MIGRATE_H
#define STOA_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

/* Applies every missing migration; reports each to out. 0, or -1 with err. */
int migrate_apply(const char *dsn, const char *dir, FILE *out, char *err, size_t errlen);

/* 0 when every migration in dir is applied; else -1 with err saying what to run. */
int migrate_check(const char *dsn, const char *dir, char *err, size_t errlen);

/* The migrations shipped with this binary: the first directory that exists of
 * <binary dir>/../migrations (a build tree), <binary dir>/../share/stoa/migrations (an
 * installed prefix), <binary dir>/../../share/stoa/migrations (the image's
 * /usr/lib/stoa/stoa), ./migrations. NULL when there is none. */
const char *migrate_find_dir(char *buf, size_t len);

#endif
