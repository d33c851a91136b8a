/*
 * Namespace rules: which modules are private, proxied or denied. The first rule whose
 * pattern matches (GOPRIVATE semantics) and whose repo is unset or equal to the
 * request's repository wins; a module no rule matches is proxied.
 *
 * Rules with `versions` (deny rules for some versions only) are not module rules: they
 * never decide a module's mode. Whatever the order, a version they name is refused
 * (namespace_blocked) and hidden from lists, before the module's rule is asked.
 *
 * Every repository base shares one storage, so privacy is not a per-base matter: a
 * module that is private on any base (the first matching rule there is private) is
 * private on all of them. It is never filled from, or looked up at, an upstream or a
 * checksum database, and its rule's read requirement holds on every base. Private
 * patterns match every ASCII case variant of their paths (github.com/corp covers
 * github.com/Corp), so a case trick cannot make a private path look public.
 */
#ifndef STOA_NAMESPACE_H
#define STOA_NAMESPACE_H

#include "conf.h"

#include <stdint.h>

/* The matching rule, or NULL (= proxy). repo is "" at the root base. */
const conf_namespace *namespace_match(const struct conf *c, const char *repo, const char *module);

conf_ns_mode namespace_mode(const struct conf *c, const char *repo, const char *module);

/* The private rule that decides module on some base (root first, then each
 * repository), or NULL when no base treats it as private. */
const conf_namespace *namespace_private(const struct conf *c, const char *module);

/* The first version rule that blocks module@version from base repo, or NULL. */
const conf_namespace *namespace_blocked(const struct conf *c, const char *repo, const char *module, const char *version);

/* What a client is told for a deny rule: its reason or a default. */
const char *namespace_reason(const conf_namespace *ns);

/* The upstreams (bit i = upstream i) that may fill module from base repo: the whole
 * chain for a proxied module; for a private one only its private rule's upstreams
 * (none unless the rule names them, e.g. a git origin); none for a denied one. A
 * private module is still never looked up at a checksum database
 * (namespace_upstream_ok). */
uint64_t namespace_fill_sources(const struct conf *c, const char *repo, const char *module);
#define NAMESPACE_ALL_UPSTREAMS (~(uint64_t)0)

/* 1 when module may be asked of upstreams and checksum databases from base repo: its
 * rule there proxies it and no base treats it as private. */
int namespace_upstream_ok(const struct conf *c, const char *repo, const char *module);

/* 1 when a read of module needs an allow whatever the base says: a private rule's
 * require.read (default true) or any rule's explicit require.read: true. */
int namespace_read_required(const struct conf *c, const char *repo, const char *module);

#endif
