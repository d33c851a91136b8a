/*
 * The ipallow auth plugin: allow and deny lists of IPv4/IPv6 CIDRs, optionally per
 * operation, with the client address taken from X-Forwarded-For / Forwarded only when
 * the direct peer is a trusted proxy.
 *
 * Options (each list key may repeat, and a value may hold several CIDRs separated by
 * commas or spaces):
 *   allow, deny               for every operation
 *   read.allow, read.deny, publish.allow, ... admin.deny
 *                             an OP.allow replaces allow for OP; deny lists add up
 *   trusted_proxies           peers whose forwarding headers are believed
 *   forwarded_header          which one header they write: x-forwarded-for (default)
 *                             or forwarded (RFC 7239). Only that one is read: a proxy
 *                             that writes only X-Forwarded-For passes a client's own
 *                             Forwarded through, and believing it would let the client
 *                             choose its address.
 *   sufficient                true: an address on the allow list counts as an allow
 *                             (network trust, no token needed); default false, so
 *                             ipallow only filters and another plugin authenticates
 * A denied address gets 403. Otherwise the plugin abstains (or allows, if sufficient).
 * reload() (SIGHUP) replaces every list at once; a bad option keeps the old ones.
 */
#include "ipallow.h"

#include <stoa/auth.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ANY 0 /* list index: 0 = every op, else the stoa_op */
#define OPS 4

typedef struct ipallow_rules {
    ipallow_list allow[OPS], deny[OPS];
    ipallow_list trusted;
    int sufficient;
    int rfc7239; /* forwarded_header: forwarded */
} ipallow_rules;

/* reload() swaps rules under the write lock while decide() reads under the read lock. */
typedef struct ipallow_state {
    pthread_rwlock_t lock;
    ipallow_rules *rules;
} ipallow_state;

static const char *const op_names[OPS] = {"", "read", "publish", "admin"};

static void rules_free(ipallow_rules *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < OPS; ++i) {
        ipallow_list_free(&r->allow[i]);
        ipallow_list_free(&r->deny[i]);
    }
    ipallow_list_free(&r->trusted);
    free(r);
}

static void ipallow_close(void *state)
{
    ipallow_state *s = state;
    if (s == NULL)
        return;
    rules_free(s->rules);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

/* The list an option key names, or NULL. */
static ipallow_list *list_for(ipallow_rules *s, const char *key)
{
    if (strcmp(key, "trusted_proxies") == 0)
        return &s->trusted;
    for (int op = 0; op < OPS; ++op) {
        char a[32], d[32];
        snprintf(a, sizeof(a), "%s%sallow", op_names[op], op ? "." : "");
        snprintf(d, sizeof(d), "%s%sdeny", op_names[op], op ? "." : "");
        if (strcmp(key, a) == 0)
            return &s->allow[op];
        if (strcmp(key, d) == 0)
            return &s->deny[op];
    }
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
        return *out = 1, 0;
    if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
        return *out = 0, 0;
    return -1;
}

/* Builds rules from the options; NULL with err set on a bad option. */
static ipallow_rules *rules_new(const stoa_options *opts, stoa_error *err)
{
    ipallow_rules *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory"), NULL;
    for (size_t i = 0; i < opts->count; ++i) {
        const stoa_option *o = &opts->items[i];
        ipallow_list *l = list_for(r, o->key);
        char why[256];
        if (strcmp(o->key, "sufficient") == 0) {
            if (parse_bool(o->value, &r->sufficient) == 0)
                continue;
            stoa_fail(err, STOA_INVALID, "sufficient: expected true or false, got '%s'", o->value);
        } else if (strcmp(o->key, "forwarded_header") == 0) {
            if (strcasecmp(o->value, "x-forwarded-for") == 0 || strcasecmp(o->value, "forwarded") == 0) {
                r->rfc7239 = strcasecmp(o->value, "forwarded") == 0;
                continue;
            }
            stoa_fail(err, STOA_INVALID, "forwarded_header: expected x-forwarded-for or forwarded, got '%s'", o->value);
        } else if (l == NULL) {
            stoa_fail(err, STOA_INVALID, "unknown option '%s' (known: allow, deny, read.allow, read.deny, "
                      "publish.allow, publish.deny, admin.allow, admin.deny, trusted_proxies, forwarded_header, "
                      "sufficient)", o->key);
        } else if (ipallow_list_add(l, o->value, why, sizeof(why)) == 0) {
            continue;
        } else {
            stoa_fail(err, STOA_INVALID, "%s: %s", o->key, why);
        }
        rules_free(r);
        return NULL;
    }
    return r;
}

static stoa_status ipallow_open(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err)
{
    ipallow_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return stoa_fail(err, STOA_INTERNAL, "out of memory");
    /* Writers (a reload swapping a pointer) must not starve behind a stream of readers. */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    if ((s->rules = rules_new(opts, err)) == NULL) {
        ipallow_close(s);
        return err->status;
    }
    *state = s;
    return STOA_OK;
}

static stoa_status ipallow_reload(void *state, const stoa_options *opts, stoa_error *err)
{
    ipallow_state *s = state;
    ipallow_rules *r = rules_new(opts, err), *old;
    if (r == NULL)
        return err->status;
    pthread_rwlock_wrlock(&s->lock);
    old = s->rules;
    s->rules = r;
    pthread_rwlock_unlock(&s->lock);
    rules_free(old);
    return STOA_OK;
}

/* The client address; -1 (reason set) when a trusted proxy's header is unusable. */
static int client_of(const ipallow_rules *s, const stoa_auth_request *req, const ipallow_net *peer, ipallow_net *out,
                     stoa_auth_result *res)
{
    *out = *peer;
    if (s->trusted.n == 0 || !ipallow_list_match(&s->trusted, peer))
        return 0; /* forwarding headers from anyone else are ignored */
    ipallow_net hops[IPALLOW_MAX_HOPS];
    size_t len;
    const char *v = req->header(req, s->rfc7239 ? "forwarded" : "x-forwarded-for", &len);
    int n = v == NULL ? 0 : s->rfc7239 ? ipallow_forwarded_parse(v, len, hops) : ipallow_xff_parse(v, len, hops);
    if (ipallow_client(peer, hops, n, &s->trusted, out) != 0) {
        snprintf(res->reason, sizeof(res->reason), "%s from trusted proxy %s names a hop that is not an IP address",
                 s->rfc7239 ? "Forwarded" : "X-Forwarded-For", req->peer_addr);
        return -1;
    }
    return 0;
}

static stoa_status judge(const ipallow_rules *s, const stoa_auth_request *req, stoa_auth_result *res)
{
    ipallow_net peer, client;
    if (req->peer_addr == NULL || ipallow_addr_parse(req->peer_addr, strlen(req->peer_addr), &peer) != 0) {
        snprintf(res->reason, sizeof(res->reason), "the client address is unknown");
        return STOA_DENIED;
    }
    if (client_of(s, req, &peer, &client, res) != 0)
        return STOA_DENIED;
    char addr[64];
    ipallow_addr_text(&client, addr, sizeof(addr));
    if (memcmp(&client, &peer, sizeof(client)) != 0)
        snprintf(res->client_addr, sizeof(res->client_addr), "%s", addr);
    int op = (int)req->op > 0 && (int)req->op < OPS ? (int)req->op : ANY;
    const char *name = op_names[op];
    if (ipallow_list_match(&s->deny[ANY], &client) || ipallow_list_match(&s->deny[op], &client)) {
        snprintf(res->reason, sizeof(res->reason), "address %s is on the deny list for %s", addr, name);
        return STOA_DENIED;
    }
    const ipallow_list *allow = s->allow[op].n > 0 ? &s->allow[op] : &s->allow[ANY];
    if (allow->n > 0 && !ipallow_list_match(allow, &client)) {
        snprintf(res->reason, sizeof(res->reason), "address %s may not %s here (not in %s%sallow)", addr, name,
                 allow == &s->allow[ANY] ? "" : name, allow == &s->allow[ANY] ? "" : ".");
        return STOA_DENIED;
    }
    if (s->sufficient && allow->n > 0) {
        snprintf(res->identity, sizeof(res->identity), "ip:%s", addr);
        snprintf(res->reason, sizeof(res->reason), "address %s is trusted for %s", addr, name);
        return STOA_OK;
    }
    return STOA_DECLINED;
}

static stoa_status ipallow_decide(void *state, const stoa_auth_request *req, stoa_auth_result *res)
{
    ipallow_state *s = state;
    pthread_rwlock_rdlock(&s->lock);
    stoa_status st = judge(s->rules, req, res);
    pthread_rwlock_unlock(&s->lock);
    return st;
}

static const stoa_auth_methods methods = {
    .struct_size = sizeof(stoa_auth_methods),
    .open = ipallow_open,
    .close = ipallow_close,
    .decide = ipallow_decide,
    .reload = ipallow_reload,
};

static const stoa_plugin descriptor = {STOA_ABI_MAJOR, sizeof(stoa_plugin), STOA_PLUGIN_AUTH, "ipallow", "1.0",
                                       &methods};

STOA_EXPORT const stoa_plugin *stoa_plugin_entry(void)
{
    return &descriptor;
}
