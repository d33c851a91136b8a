/*
 * Namespace rules: which modules are private, proxied or denied. The first rule whose
 * pattern matches (GOPRIVATE semantics) and whose repo is unset or equal to the
 * request's repository wins; a module no rule matches is proxied.
 */
#ifndef STOA_NAMESPACE_H
#define STOA_NAMESPACE_H

#include "conf.h"

/* The matching rule, or NULL (= proxy). repo is "" at the root base. */
const conf_namespace *namespace_match(const struct conf *c, const char *repo, const char *module);

conf_ns_mode namespace_mode(const struct conf *c, const char *repo, const char *module);

#endif
