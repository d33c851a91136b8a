/* The plugin loader against real shared objects (tests/plugins): every refusal names
 * the file and says what is wrong; an old, smaller method table reads as NULL beyond
 * its size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

static plugin *load(const char *name, stoa_error *err)
{
    memset(err, 0, sizeof(*err));
    return plugin_load(getenv("STOA_TEST_PLUGINS"), name, STOA_PLUGIN_AUTH, err);
}

static void refused(const char *name, const char *why)
{
    stoa_error err;
    plugin *p = load(name, &err);
    if (p != NULL)
        fail_msg("%s was loaded", name);
    char file[64];
    snprintf(file, sizeof(file), "/%s.so", name);
    if (strstr(err.msg, file) == NULL || strstr(err.msg, why) == NULL)
        fail_msg("%s: message '%s' lacks the file or '%s'", name, err.msg, why);
}

static void refusals(void **state)
{
    refused("wrong_abi", "built for plugin ABI 2, this stoa speaks ABI 1; rebuild the plugin");
    refused("no_entry", "not a stoa plugin (no symbol stoa_plugin_entry)");
    refused("null_entry", "stoa_plugin_entry() returned NULL");
    refused("wrong_kind", "is a storage plugin, expected auth");
    refused("misnamed", "calls itself 'somebody-else', expected 'misnamed'");
    refused("no_decide", "auth plugin lacks open or decide");
    refused("absent", "cannot load plugin");
}

static void bad_names(void **state)
{
    stoa_error err;
    assert_null(load("../good", &err));
    assert_non_null(strstr(err.msg, "use lower-case letters"));
    assert_null(load("", &err));
}

static void good_and_old(void **state)
{
    stoa_error err;
    plugin *p = load("good", &err);
    if (p == NULL)
        fail_msg("good: %s", err.msg);
    assert_non_null(p->m.auth.decide);
    assert_non_null(p->m.auth.reload);
    plugin_unload(p);
    p = load("old_table", &err);
    if (p == NULL)
        fail_msg("old_table: %s", err.msg);
    assert_non_null(p->m.auth.decide);
    assert_null(p->m.auth.reload); /* beyond its struct_size */
    assert_null(p->m.auth.command);
    plugin_unload(p);
}

static void init_fails(void **state)
{
    stoa_error err;
    plugin *p = load("init_fails", &err);
    if (p == NULL)
        fail_msg("init_fails should load: %s", err.msg);
    void *st = NULL;
    stoa_options opts = {0, NULL};
    memset(&err, 0, sizeof(err));
    assert_int_equal(p->m.auth.open(&p->host, &opts, &st, &err), STOA_UNAVAILABLE);
    assert_string_equal(err.msg, "token store unreachable");
    plugin_unload(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refusals),
        cmocka_unit_test(bad_names),
        cmocka_unit_test(good_and_old),
        cmocka_unit_test(init_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
