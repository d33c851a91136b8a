/* url_show and url_host_port: what logs, metrics, admin answers and errors show of a URL. */
#include "urlshow.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void shows(const char *url, const char *want)
{
    char out[256];
    url_show(url, out, sizeof(out));
    assert_string_equal(out, want);
}

static void secrets_hidden(void **state)
{
    (void)state;
    shows("https://proxy.golang.org", "https://proxy.golang.org");
    shows("https://user:pass@h.example/x", "https://***@h.example/x");
    shows("https://ghp_TOKEN@github.com/o/r", "https://***@github.com/o/r");
    shows("http://u:p@ss@h:8080/go", "http://***@h:8080/go"); /* '@' inside the password */
    shows("ssh://git@github.com/o/r", "ssh://git@github.com/o/r");   /* a user name, not a secret */
    shows("ssh://git:pw@h/r", "ssh://git:***@h/r");
    shows("git@github.com:o/r", "git@github.com:o/r");               /* scp-like ssh */
    shows("https://s3.example/b/o?X-Amz-Signature=abc", "https://s3.example/b/o?***");
    shows("https://t@h/p?q=1#f", "https://***@h/p?***");
    shows("https://h/p#frag", "https://h/p#***");
    shows("https://h/a@b", "https://h/a@b"); /* an '@' in the path is no user info */
}

static void cut_not_overrun(void **state)
{
    (void)state;
    char out[12];
    url_show("https://user:pass@host.example/path", out, sizeof(out));
    assert_string_equal(out, "https://***");
}

static void host_port(void **state)
{
    (void)state;
    char out[64];
    url_host_port("https://tok@h.example:8443/x", out, sizeof(out));
    assert_string_equal(out, "h.example:8443");
    url_host_port("http://[::1]:3000", out, sizeof(out));
    assert_string_equal(out, "[::1]:3000");
    url_host_port("https://h.example?x=@", out, sizeof(out));
    assert_string_equal(out, "h.example");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(secrets_hidden), cmocka_unit_test(cut_not_overrun),
                                       cmocka_unit_test(host_port)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
