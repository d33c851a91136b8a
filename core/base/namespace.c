#include "namespace.h"

#include "modpath.h"
#include "semrange.h"

#include <string.h>

/* Private patterns are lower-cased at load (conf.c), so a lower-cased module path
 * meets them case-insensitively. */
static void fold(const char *in, char out[MODPATH_MAX + 1])
{
    size_t i = 0;
    for (; in[i] != '\0' && i < MODPATH_MAX; ++i)
        out[i] = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] - 'A' + 'a') : in[i];
    out[i] = '\0';
}

static const conf_namespace *match_folded(const struct conf *c, const char *repo, const char *module, const char *lower)
{
    for (size_t i = 0; i < c->nnamespaces; ++i) {
        const conf_namespace *ns = &c->namespaces[i];
        if (ns->versions != NULL || (ns->repo != NULL && strcmp(ns->repo, repo) != 0))
            continue;
        if (modpath_match_patterns(ns->pattern, ns->mode == CONF_NS_PRIVATE ? lower : module))
            return ns;
    }
    return NULL;
}

const conf_namespace *namespace_match(const struct conf *c, const char *repo, const char *module)
{
    char lower[MODPATH_MAX + 1];
    fold(module, lower);
    return match_folded(c, repo, module, lower);
}

conf_ns_mode namespace_mode(const struct conf *c, const char *repo, const char *module)
{
    const conf_namespace *ns = namespace_match(c, repo, module);
    return ns != NULL ? ns->mode : CONF_NS_PROXY;
}

const conf_namespace *namespace_private(const struct conf *c, const char *module)
{
    char lower[MODPATH_MAX + 1];
    fold(module, lower);
    for (size_t b = 0; b <= c->nrepos; ++b) {
        const conf_namespace *ns = match_folded(c, b == 0 ? "" : c->repos[b - 1].name, module, lower);
        if (ns != NULL && ns->mode == CONF_NS_PRIVATE)
            return ns;
    }
    return NULL;
}

uint64_t namespace_fill_sources(const struct conf *c, const char *repo, const char *module)
{
    const conf_namespace *ns = namespace_match(c, repo, module), *p = namespace_private(c, module);
    if (ns != NULL && ns->mode == CONF_NS_DENY)
        return 0;
    if (p != NULL)
        return p->upstream_mask;
    return ns == NULL || ns->mode == CONF_NS_PROXY ? NAMESPACE_ALL_UPSTREAMS : 0;
}

int namespace_upstream_ok(const struct conf *c, const char *repo, const char *module)
{
    return namespace_mode(c, repo, module) == CONF_NS_PROXY && namespace_private(c, module) == NULL;
}

int namespace_read_required(const struct conf *c, const char *repo, const char *module)
{
    const conf_namespace *p = namespace_private(c, module), *ns = namespace_match(c, repo, module);
    return (p != NULL && p->require_read == 1) || (ns != NULL && ns->require_read == 1);
}

const conf_namespace *namespace_blocked(const struct conf *c, const char *repo, const char *module, const char *version)
{
    for (size_t i = 0; i < c->nnamespaces; ++i) {
        const conf_namespace *ns = &c->namespaces[i];
        if (ns->versions == NULL || (ns->repo != NULL && strcmp(ns->repo, repo) != 0))
            continue;
        if (modpath_match_patterns(ns->pattern, module) && semrange_contains(ns->versions, version))
            return ns;
    }
    return NULL;
}

const char *namespace_reason(const conf_namespace *ns)
{
    return ns->reason != NULL ? ns->reason : "blocked by this registry's policy";
}
