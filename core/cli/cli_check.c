/* `stoa check-config` beyond parsing: what serve would find only when it starts (TLS
 * files, plugins) or never says (namespace rules that cannot match). */
#include "cli.h"

#include "conf.h"
#include "modpath.h"
#include "plugin.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

static int check_tls(const struct conf *c)
{
    if (c->tls_cert == NULL)
        return 0;
    const char *files[] = {c->tls_cert, c->tls_key};
    for (int i = 0; i < 2; ++i) {
        FILE *f = fopen(files[i], "r");
        if (f == NULL)
            return fprintf(stderr, "error: tls.%s: cannot read %s: %s\n", i ? "key" : "cert", files[i], strerror(errno)), 1;
        fclose(f);
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    const char *what = ctx == NULL                                                                  ? "cannot make a TLS context"
                       : SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1                  ? "tls.cert"
                       : SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1       ? "tls.key"
                       : SSL_CTX_check_private_key(ctx) != 1 ? "tls.key does not match tls.cert" : NULL;
    if (what != NULL)
        fprintf(stderr, "error: %s (%s, %s): %s\n", what, c->tls_cert, c->tls_key,
                ERR_reason_error_string(ERR_get_error()));
    SSL_CTX_free(ctx);
    return what != NULL;
}

static int check_plugin(const char *dir, const char *name, stoa_plugin_kind kind, const char *key)
{
    stoa_error e = {0};
    plugin *p = plugin_load(dir, name, kind, &e);
    if (p == NULL) {
        fprintf(stderr, "error: %s: %s\n", key, e.msg);
        return 1;
    }
    plugin_unload(p);
    return 0;
}

static int check_plugins(const struct conf *c)
{
    char dir[4096];
    if (c->plugin_dir != NULL)
        snprintf(dir, sizeof(dir), "%s", c->plugin_dir);
    else if (plugin_default_dir(dir, sizeof(dir)) != 0)
        return fprintf(stderr, "error: cannot find the plugin directory: set plugin_dir\n"), 1;
    int bad = check_plugin(dir, c->storage.plugin, STOA_PLUGIN_STORAGE, "storage.plugin");
    for (size_t i = 0; i < c->nauth; ++i) {
        char key[48];
        snprintf(key, sizeof(key), "auth.plugins[%zu]", i);
        bad += check_plugin(dir, c->auth[i].plugin, STOA_PLUGIN_AUTH, key);
    }
    return bad;
}

/* 1 when every path that pattern b (one glob, no ',') matches is matched by a first:
 * b is literal (no glob characters) and a matches it, a is "*", or a and b are the same. */
static int covers(const char *a, const char *b, size_t bl)
{
    char lit[1024];
    if (bl >= sizeof(lit))
        return 0;
    memcpy(lit, b, bl);
    lit[bl] = '\0';
    if (strpbrk(lit, "*?[\\") != NULL) /* a glob: only "*" (every path) or itself covers it */
        return strcmp(a, "*") == 0 || strcmp(a, lit) == 0;
    return modpath_match_patterns(a, lit);
}

/* Rules are tried in order, first match wins: a rule none of whose patterns can reach
 * it is dead, and its mode (private, deny) silently never applies. Version rules are
 * not in that order (namespace.h): they neither shadow nor are shadowed. */
static int check_shadowed(const struct conf *c)
{
    int warned = 0;
    for (size_t j = 1; j < c->nnamespaces; ++j) {
        const conf_namespace *b = &c->namespaces[j];
        if (b->pattern == NULL || b->versions != NULL)
            continue;
        for (size_t i = 0; i < j; ++i) {
            const conf_namespace *a = &c->namespaces[i];
            if (a->pattern == NULL || a->versions != NULL || (a->repo != NULL && (b->repo == NULL || strcmp(a->repo, b->repo) != 0)))
                continue;
            int all = 1;
            for (const char *p = b->pattern; *p != '\0' && all;) {
                size_t n = strcspn(p, ",");
                all = n == 0 || covers(a->pattern, p, n);
                p += n + (p[n] == ',');
            }
            if (all) {
                fprintf(stderr, "warning: namespaces[%zu] (pattern '%s') never matches: namespaces[%zu] (pattern '%s') "
                        "matches all of it first; put the narrower rule first\n", j, b->pattern, i, a->pattern);
                ++warned;
                break;
            }
        }
    }
    return warned;
}

int cli_check_config(const struct conf *c)
{
    int errors = check_tls(c) + check_plugins(c);
    int warnings = check_shadowed(c);
    if (errors == 0)
        printf("stoa: configuration OK (%s): storage %s, %zu upstream(s), %zu namespace rule(s), %zu auth plugin(s)%s\n",
               c->source ? c->source : "defaults and environment", c->storage.plugin, c->nupstreams, c->nnamespaces,
               c->nauth, warnings ? ", with warnings" : "");
    return errors ? 2 : 0;
}
