/*
 * One tiny auth plugin, compiled once per variant (tests/plugins/CMakeLists.txt), to
 * drive the real loader through every way a plugin can be wrong:
 *   TP_GOOD        a correct plugin                 TP_WRONG_ABI   abi_major + 1
 *   TP_NO_ENTRY    no stoa_plugin_entry symbol      TP_NULL_ENTRY  the entry returns NULL
 *   TP_WRONG_KIND  says it is a storage plugin      TP_MISNAMED    calls itself by another name
 *   TP_OLD_TABLE   a method table from before reload/command existed (smaller struct_size)
 *   TP_NO_DECIDE   decide is NULL                   TP_INIT_FAILS  open() fails
 */
#include <stoa/auth.h>

#include <stddef.h>

static stoa_status tp_open(const stoa_host *host, const stoa_options *opts, void **state, stoa_error *err)
{
#ifdef TP_INIT_FAILS
    return stoa_fail(err, STOA_UNAVAILABLE, "token store unreachable");
#else
    *state = NULL;
    return STOA_OK;
#endif
}

#ifndef TP_NO_DECIDE
static stoa_status tp_decide(void *state, const stoa_auth_request *req, stoa_auth_result *res)
{
    return STOA_DECLINED;
}
#endif

static stoa_status tp_reload(void *state, const stoa_options *opts, stoa_error *err)
{
    return STOA_OK;
}

static const stoa_auth_methods methods = {
#ifdef TP_OLD_TABLE
    .struct_size = offsetof(stoa_auth_methods, reload),
#else
    .struct_size = sizeof(stoa_auth_methods),
#endif
    .open = tp_open,
#ifndef TP_NO_DECIDE
    .decide = tp_decide,
#endif
    .reload = tp_reload, /* beyond struct_size in TP_OLD_TABLE: the loader must not see it */
};

static const stoa_plugin descriptor = {
#ifdef TP_WRONG_ABI
    .abi_major = STOA_ABI_MAJOR + 1,
#else
    .abi_major = STOA_ABI_MAJOR,
#endif
    .struct_size = sizeof(stoa_plugin),
#ifdef TP_WRONG_KIND
    .kind = STOA_PLUGIN_STORAGE,
#else
    .kind = STOA_PLUGIN_AUTH,
#endif
#ifdef TP_MISNAMED
    .name = "somebody-else",
#else
    .name = TP_NAME,
#endif
    .version = "test",
    .methods = &methods,
};

#ifndef TP_NO_ENTRY
STOA_EXPORT const stoa_plugin *stoa_plugin_entry(void)
{
#ifdef TP_NULL_ENTRY
    return descriptor.name == NULL ? &descriptor : NULL; /* always NULL */
#else
    return &descriptor;
#endif
}
#else
STOA_EXPORT const stoa_plugin *not_the_entry(void)
{
    return &descriptor;
}
#endif
