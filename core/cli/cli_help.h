/*
 * The subcommand table's text: `stoa --help`, `stoa CMD --help`, the man page and the
 * shell completions are all rendered from one table (core/main.c), so they cannot
 * disagree with each other or with what the commands accept.
 */
#ifndef STOA_CLI_HELP_H
#define STOA_CLI_HELP_H

#include <stddef.h>
#include <stdio.h>

typedef struct cli_option {
    const char *flag; /* "--jobs" */
    const char *arg;  /* "N", or NULL for a switch */
    const char *help;
} cli_option;

struct app;

/* A subcommand runs either on its own arguments (run), or on the app booted from the
 * loaded configuration with the parts it names (run_app, parts: boot_part bits). */
typedef struct cli_command {
    const char *name;
    const char *args;           /* synopsis after name and options: "DIR", "FILE...", "" */
    const char *summary;        /* one sentence */
    const cli_option *options;  /* ends with a NULL flag */
    int config;                 /* takes --config FILE (and STOA_CONFIG) */
    int (*run)(int argc, char **argv);
    int (*run_app)(struct app *a, int argc, char **argv);
    unsigned parts;
} cli_command;

/* `stoa --help`: every command, one line each, and the words about the defaults. */
void cli_usage(FILE *out, const cli_command *cmds, size_t n);

/* `stoa CMD --help`: synopsis, summary, every option. */
void cli_command_help(FILE *out, const cli_command *c);

/* True when argv (a command's arguments) asks for help: --help or -h. */
int cli_wants_help(int argc, char **argv);

/* `stoa help [CMD] | --man | --completion bash|zsh`. Exit code. */
int cli_help(int argc, char **argv, const cli_command *cmds, size_t n);

#endif
