#include "namespace.h"

#include "modpath.h"

#include <string.h>

const conf_namespace *namespace_match(const struct conf *c, const char *repo, const char *module)
{
    for (size_t i = 0; i < c->nnamespaces; ++i) {
        const conf_namespace *ns = &c->namespaces[i];
        if (ns->repo != NULL && strcmp(ns->repo, repo) != 0)
            continue;
        if (modpath_match_patterns(ns->pattern, module))
            return ns;
    }
    return NULL;
}

conf_ns_mode namespace_mode(const struct conf *c, const char *repo, const char *module)
{
    const conf_namespace *ns = namespace_match(c, repo, module);
    return ns != NULL ? ns->mode : CONF_NS_PROXY;
}
