/* stoa's command line: serve, and the administrative subcommands. */
#include "boot.h"
#include "cli.h"
#include "cli_help.h"
#include "log.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

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
            fprintf(stderr, "stoa serve: unknown argument '%s' (stoa serve --help)\n", argv[i]);
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
            fprintf(stderr, "stoa check-config: unknown argument '%s' (stoa check-config --help)\n", argv[i]);
            return 2;
        }
    }
    struct conf *c = load_conf(argc, argv);
    if (c == NULL)
        return 2;
    int rc = cli_check_config(c);
    conf_free(c);
    return rc;
}

static int cmd_config_reference(int argc, char **argv)
{
    if (argc != 0)
        return fprintf(stderr, "usage: stoa config-reference (prints the Markdown reference table)\n"), 2;
    conf_dump_reference(stdout);
    return 0;
}

static int cmd_help(int argc, char **argv);

#define OPTS(...) ((const cli_option[]){__VA_ARGS__, {NULL, NULL, NULL}})
#define NO_OPTS NULL
#define URL_OPT {"--url", "URL", "the stoa server ($STOA_URL, else http://127.0.0.1:3000)"}
#define TOKEN_OPT {"--token", "T", "a token with the right scope ($STOA_TOKEN, else .netrc)"}
/* The client commands' results as JSON lines, as verify --json (core/cli/cli_json.h). */
#define JSON_OPT(each) {"--json", NULL, "one JSON object per " each " and a summary, on stdout; no progress"}

static const cli_command commands[] = {
    {"serve", "", "serve GOPROXY on the configured addresses", NO_OPTS, 1, cmd_serve, NULL, 0},
    {"publish", "DIR", "build a module zip from DIR with the go command's rules and publish it",
     OPTS({"--module", "PATH", "the module path (default: the one DIR/go.mod names; go.mod must name it)"}, {"--version", "vX.Y.Z", "the version to publish"},
          URL_OPT, TOKEN_OPT, JSON_OPT("version")),
     0, cli_publish, NULL, 0},
    {"prefetch", "FILE...", "warm a running stoa's cache from go.sum, go.mod or `go list -m all` output (- for stdin)",
     OPTS(URL_OPT, TOKEN_OPT, {"--jobs", "N", "concurrent downloads (8)"}, JSON_OPT("file")), 0, cli_prefetch, NULL, 0},
    {"import", "DIR", "import an Athens disk store, a GOPROXY tree or a module cache (private versions published)",
     OPTS(URL_OPT, TOKEN_OPT, {"--public", "FILE", "write the versions the server did not take (public) for stoa prefetch"},
          {"--public-mode", "skip|cache", "public versions: skip them (default) or, with an admin token, import them into "
                                          "the cache after the checksum-database checks of a fill"},
          {"--dry-run", NULL, "find and check locally, send nothing"}, JSON_OPT("version found")),
     0, cli_import, NULL, 0},
    {"token", "create|list|revoke [NAME]", "manage tokens of the token auth plugin",
     OPTS({"--name", "NAME", "create: the token's name"}, {"--scope", "SCOPE", "create: read|publish|admin[:PATTERN], repeatable"},
          {"--expires", "DURATION", "create: lifetime, e.g. 90d (default: none)"}),
     1, NULL, cli_token, BOOT_AUTH | BOOT_AUDIT},
    {"migrate", "", "apply the missing database migrations (pgs3 storage, postgres audit sink)",
     OPTS({"--dsn", "DSN", "the database (default: storage.options.dsn, else audit.dsn)"},
          {"--dir", "DIR", "the migrations (default: found next to the installed binary)"}),
     1, NULL, cli_migrate, 0},
    {"gc", "", "enforce cache.max_size now, then remove storage garbage a crash left (pgs3)",
     OPTS({"--dry-run", NULL, "show what would be removed, remove nothing"}), 1, NULL, cli_gc, BOOT_STORAGE},
    {"verify", "[MODULE[@VERSION]...]",
     "re-hash stored files and check them against their metadata, pins and the checksum database",
     OPTS({"--all", NULL, "every stored version (and every pinned one), instead of MODULEs"},
          {"--strict", NULL, "a file the checksum database cannot confirm fails the run"},
          {"--no-sumdb", NULL, "check against metadata and pins only"},
          {"--evict", NULL, "remove versions whose stored bytes are bad, so they are refetched"},
          {"--json", NULL, "one JSON object per problem and a summary, on stdout"}),
     1, NULL, cli_verify, BOOT_STORAGE | BOOT_AUDIT | BOOT_UPSTREAMS},
    {"check-config", "", "load the configuration (file and STOA_* environment) as serve would, and report errors",
     NO_OPTS, 1, cmd_check_config, NULL, 0},
    {"config-reference", "", "print every configuration key, its environment variable and default (Markdown)",
     NO_OPTS, 0, cmd_config_reference, NULL, 0},
    {"help", "[COMMAND | --man | --completion bash|zsh]", "this text, a command's, the man page or a shell completion",
     NO_OPTS, 0, cmd_help, NULL, 0},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(int argc, char **argv)
{
    return cli_help(argc, argv, commands, NCOMMANDS);
}

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

static int run_with_app(const cli_command *cmd, int argc, char **argv)
{
    struct conf *c = load_conf(argc, argv);
    if (c == NULL)
        return 2;
    log_configure(c->log_format == CONF_LOG_JSON, (stoa_log_level)c->log_level);
    app a;
    char err[1024];
    int rc = 2; /* as for a bad configuration: the command could not start */
    if (boot_open(&a, c, cmd->parts, err, sizeof(err)) != 0)
        cli_report(STOA_LOG_ERROR, cmd->name, "%s", err);
    else
        rc = cmd->run_app(&a, drop_config_args(argc, argv), argv);
    boot_close(&a);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_usage(argc < 2 ? stderr : stdout, commands, NCOMMANDS);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("stoa %s (plugin ABI %d.%d)\n", STOA_VERSION, STOA_ABI_MAJOR, STOA_ABI_MINOR);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; ++i) {
        const cli_command *cmd = &commands[i];
        if (strcmp(argv[1], cmd->name) != 0)
            continue;
        if (cli_wants_help(argc - 2, argv + 2))
            return cli_command_help(stdout, cmd), 0;
        return cmd->run != NULL ? cmd->run(argc - 2, argv + 2) : run_with_app(cmd, argc - 2, argv + 2);
    }
    fprintf(stderr, "stoa: unknown command '%s' (stoa --help lists them)\n", argv[1]);
    return 2;
}
