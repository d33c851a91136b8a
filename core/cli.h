/* Subcommands of the stoa binary other than serve; each returns the exit code. */
#ifndef STOA_CLI_H
#define STOA_CLI_H

struct conf;

int cli_publish(int argc, char **argv);                  /* cli_publish.c */
int cli_token(struct conf *c, int argc, char **argv);    /* cli_token.c   */
int cli_migrate(struct conf *c, int argc, char **argv);  /* cli_migrate.c */
int cli_gc(struct conf *c, int argc, char **argv);       /* cli_gc.c      */
int cli_prefetch(int argc, char **argv);                 /* cli_prefetch.c */
int cli_verify(struct conf *c, int argc, char **argv);   /* cli_verify.c  */

#endif
