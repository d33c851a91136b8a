/*
 * hello_auth: the smallest useful stoa auth plugin (see docs/plugins.md).
 *
 * A request carrying the configured header with the configured value is allowed, with
 * the identity "hello:<value>". Without the header it is refused with 401, with another
 * value with 403. Options:
 *   header  the request header to look at (default X-Hello)
 *   value   the value that allows (required)
 *
 * Build:  cc -std=c17 -Wall -Wextra -shared -fPIC -I include -o hello_auth.so docs/examples/hello_auth.c
 * Config: auth: {plugins: [{plugin: hello_auth, options: {header: X-Team, value: platform}}]}
 */
#include <stoa/auth.h>
#include <stoa/stoa.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hello_state {
    char header[64];
    char value[96]; /* fits "hello:<value>" in stoa_auth_result.identity */
} hello_state;

/* Main thread, once: read and check the options, keep them in our own memory. */
static stoa_status hello_open(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err)
{
    const char *header = host->option(opts, "header", "X-Hello");
    const char *value = host->option(opts, "value", NULL);
    if (value == NULL || value[0] == '\0')
        return stoa_fail(err, STOA_INVALID, "option 'value' is required");
    if (strlen(header) >= sizeof(((hello_state *)0)->header) || strlen(value) >= sizeof(((hello_state *)0)->value))
        return stoa_fail(err, STOA_INVALID, "option 'header' or 'value' is too long");
    hello_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return stoa_fail(err, STOA_UNAVAILABLE, "out of memory");
    strcpy(s->header, header);
    strcpy(s->value, value);
    host->log(host, STOA_LOG_INFO, "allowing requests with header %s", s->header); /* never log the value */
    *state = s;
    return STOA_OK;
}

static void hello_close(void *state)
{
    free(state);
}

/* Event-loop threads, concurrently: only reads the state, never blocks. */
static stoa_status hello_decide(void *state, const stoa_auth_request *req, stoa_auth_result *res)
{
    const hello_state *s = state;
    size_t len = 0;
    const char *v = req->header(req, s->header, &len);
    if (v == NULL) {
        snprintf(res->reason, sizeof(res->reason), "send the %s header", s->header);
        return STOA_UNAUTHORIZED;
    }
    if (len != strlen(s->value) || memcmp(v, s->value, len) != 0) {
        snprintf(res->reason, sizeof(res->reason), "%s does not allow %s", s->header, req->path);
        return STOA_DENIED;
    }
    snprintf(res->identity, sizeof(res->identity), "hello:%s", s->value);
    return STOA_OK;
}

static const stoa_auth_methods hello_methods = {
    .struct_size = sizeof(stoa_auth_methods),
    .open = hello_open,
    .close = hello_close,
    .decide = hello_decide,
};

static const stoa_plugin hello_plugin = {
    .abi_major = STOA_ABI_MAJOR,
    .struct_size = sizeof(stoa_plugin),
    .kind = STOA_PLUGIN_AUTH,
    .name = "hello_auth",
    .version = "1.0",
    .methods = &hello_methods,
};

/* The one symbol stoa looks up. */
__attribute__((visibility("default"))) const stoa_plugin *stoa_plugin_entry(void)
{
    return &hello_plugin;
}
