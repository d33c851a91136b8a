/* Subcommands of the stoa binary other than serve; each returns the exit code. */
#ifndef STOA_CLI_H
#define STOA_CLI_H

/* Commands taking an app get it from core/boot.c opened with what they need (core/main.c
 * names the parts): they use it and never close it. */
#include "app.h"

int cli_publish(int argc, char **argv);          /* cli_publish.c */
int cli_token(app *a, int argc, char **argv);    /* cli_token.c: auth, audit */
int cli_migrate(app *a, int argc, char **argv);  /* cli_migrate.c: the configuration only */
int cli_gc(app *a, int argc, char **argv);       /* cli_gc.c: storage */
int cli_prefetch(int argc, char **argv);         /* cli_prefetch.c */
int cli_import(int argc, char **argv);           /* cli_import.c */
int cli_verify(app *a, int argc, char **argv);   /* cli_verify.c: storage, audit, upstreams */
/* cli_check.c: after the configuration parsed, TLS files that load, plugins that load,
 * namespace rules an earlier rule shadows (a warning). 0, or 2 after an error. */
int cli_check_config(const struct conf *c);

/* A maintenance command's diagnostic (not its output, not a usage error): "stoa CMD:
 * MESSAGE" on stderr, or with log.format: json a JSON log line of level `level` whose
 * component is CMD, like serve's. */
void cli_report(stoa_log_level level, const char *cmd, const char *fmt, ...) STOA_PRINTF(3, 4);

#endif
