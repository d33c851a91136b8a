/* stoa's command line: serve, and the administrative subcommands. */
#include "boot.h"
#include "cli.h"
#include "log.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char usage[] =
    "stoa " STOA_VERSION " - a self-hosted Go module registry\n"
    "\n"
    "usage:\n"
    "  stoa serve [--config FILE]     serve GOPROXY on the configured addresses\n"
    "  stoa publish DIR --module PATH --version vX.Y.Z [--url URL] [--token T]\n"
    "                                 build a module zip from DIR and publish it\n"
    "  stoa token create|list|revoke  manage tokens of the token auth plugin\n"
    "  stoa migrate [--dsn DSN]       apply database migrations (pgs3, audit)\n"
    "  stoa gc [--dry-run]            enforce cache.max_size now (or show what would go),\n"
    "                                 then remove storage garbage a crash left (pgs3)\n"
    "  stoa verify (--all | MODULE[@VERSION]...) [--strict] [--no-sumdb] [--evict] [--json]\n"
    "                                 re-hash stored files, check them against their\n"
    "                                 metadata, pins and the checksum database\n"
    "  stoa prefetch [--url URL] [--token T] [--jobs N] FILE...\n"
    "                                 warm a running stoa's cache from go.sum, go.mod\n"
    "                                 or `go list -m all` output\n"
    "  stoa check-config [--config FILE]\n"
    "                                 load the config (file + STOA_* env) and report errors\n"
    "  stoa config-reference          print every config key and env variable (Markdown)\n"
    "  stoa --version                 print the version\n"
    "  stoa --help                    this text\n"
    "\n"
    "With no config, stoa serves http://127.0.0.1:3000 with disk storage in ./stoa-data\n"
    "and https://proxy.golang.org upstream. Every config key can be set by an\n"
    "environment variable: STOA_LISTEN, STOA_STORAGE_OPTIONS_ROOT, STOA_UPSTREAMS_0_URL,\n"
    "... (see docs/configuration.md). STOA_CONFIG names the config file.\n";

/* Parses `--config FILE` / `--config=FILE` from argv; falls back to $STOA_CONFIG. */
static const char *config_path(int argc, char **argv)
{
    for (int i = 0; i < argc; ++i) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return getenv("STOA_CONFIG");
}

static struct conf *load_conf(int argc, char **argv)
{
    char err[4096];
    struct conf *c = conf_load(config_path(argc, argv), environ, err, sizeof(err));
    if (c == NULL)
        fprintf(stderr, "stoa: configuration error:\n%s\n", err);
    return c;
}

static int cmd_serve(int argc, char **argv)
{
    for (int i = 0; i < argc; ++i) {
        if (strcmp(argv[i], "--config") == 0) {
            ++i;
        } else if (strncmp(argv[i], "--config=", 9) != 0) {
            fprintf(stderr, "stoa serve: unknown argument '%s'\n\n%s", argv[i], usage);
            return 2;
        }
    }
    struct conf *c = load_conf(argc, argv);
    if (c == NULL)
        return 2;
    log_configure(c->log_format == CONF_LOG_JSON, (stoa_log_level)c->log_level);
    app a;
    char err[1024];
    if (boot_open(&a, c, BOOT_STORAGE | BOOT_AUTH | BOOT_AUDIT_ASYNC | BOOT_UPSTREAMS, err, sizeof(err)) != 0) {
        log_msg(STOA_LOG_ERROR, "stoa", "%s", err);
        boot_close(&a);
        return 1;
    }
    a.config_path = config_path(argc, argv);
    log_msg(STOA_LOG_INFO, "stoa", "stoa %s: storage %s, %zu upstream(s), %s, %u threads, %u workers", STOA_VERSION,
            a.store.p->name, c->nupstreams, c->offline ? "offline" : "online", c->threads, c->workers);
    int rc = server_run(&a);
    boot_close(&a);
    return rc;
}

/* Loads the config exactly as serve would; exit 0 when it is valid, 2 with the error. */
static int cmd_check_config(int argc, char **argv)
{
    for (int i = 0; i < argc; ++i) {
        if (strcmp(argv[i], "--config") == 0) {
            ++i;
        } else if (strncmp(argv[i], "--config=", 9) != 0) {
            fprintf(stderr, "stoa check-config: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    struct conf *c = load_conf(argc, argv);
    if (c == NULL)
        return 2;
    printf("stoa: configuration OK (%s): storage %s, %zu upstream(s), %zu namespace rule(s), %zu auth plugin(s)\n",
           c->source ? c->source : "defaults and environment", c->storage.plugin, c->nupstreams, c->nnamespaces,
           c->nauth);
    conf_free(c);
    return 0;
}

static int cmd_config_reference(int argc, char **argv)
{
    if (argc != 0)
        return fprintf(stderr, "usage: stoa config-reference (prints the Markdown reference table)\n"), 2;
    conf_dump_reference(stdout);
    return 0;
}

/* A subcommand runs either on its own arguments, or on the app booted from the loaded
 * configuration with the parts it names, and its arguments without --config FILE (which
 * is ours, not its), wherever it stood. */
typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    int (*run_app)(app *a, int argc, char **argv);
    unsigned parts; /* boot_part bits run_app needs */
} command;

static const command commands[] = {
    {"serve", cmd_serve, NULL, 0},
    {"publish", cli_publish, NULL, 0},
    {"prefetch", cli_prefetch, NULL, 0},
    {"check-config", cmd_check_config, NULL, 0},
    {"config-reference", cmd_config_reference, NULL, 0},
    {"token", NULL, cli_token, BOOT_AUTH | BOOT_AUDIT},
    {"migrate", NULL, cli_migrate, 0},
    {"gc", NULL, cli_gc, BOOT_STORAGE},
    {"verify", NULL, cli_verify, BOOT_STORAGE | BOOT_AUDIT | BOOT_UPSTREAMS},
};

/* Takes `--config FILE` and `--config=FILE` out of argv, in place; returns the new argc. */
static int drop_config_args(int argc, char **argv)
{
    int n = 0;
    for (int i = 0; i < argc; ++i) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            ++i;
        else if (strncmp(argv[i], "--config=", 9) != 0)
            argv[n++] = argv[i];
    }
    return n;
}

static int run_with_app(const command *cmd, int argc, char **argv)
{
    struct conf *c = load_conf(argc, argv);
    if (c == NULL)
        return 2;
    app a;
    char err[1024];
    int rc = 2; /* as for a bad configuration: the command could not start */
    if (boot_open(&a, c, cmd->parts, err, sizeof(err)) != 0)
        fprintf(stderr, "stoa %s: %s\n", cmd->name, err);
    else
        rc = cmd->run_app(&a, drop_config_args(argc, argv), argv);
    boot_close(&a);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("stoa %s (plugin ABI %d.%d)\n", STOA_VERSION, STOA_ABI_MAJOR, STOA_ABI_MINOR);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); ++i) {
        const command *cmd = &commands[i];
        if (strcmp(argv[1], cmd->name) == 0)
            return cmd->run != NULL ? cmd->run(argc - 2, argv + 2) : run_with_app(cmd, argc - 2, argv + 2);
    }
    fprintf(stderr, "stoa: unknown command '%s'\n\n%s", argv[1], usage);
    return 2;
}
