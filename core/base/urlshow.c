/* URLs without their secrets; see urlshow.h. */
#include "urlshow.h"

#include <stdio.h>
#include <string.h>

/* Start of the authority (after "scheme://", or the whole url) and its length. */
static const char *authority(const char *url, size_t *n)
{
    const char *p = strstr(url, "://");
    const char *h = p != NULL ? p + 3 : url;
    *n = strcspn(h, "/?#");
    return h;
}

/* url_show without the query: the first n bytes of url. */
static void show_head(const char *url, size_t n, char *out, size_t len)
{
    size_t an;
    const char *h = authority(url, &an);
    const char *at = NULL;
    for (size_t i = 0; i < an; ++i) /* the last '@': a password may hold one */
        if (h[i] == '@')
            at = h + i;
    const char *colon = at != NULL ? memchr(h, ':', (size_t)(at - h)) : NULL;
    int keep_user = strncmp(url, "ssh://", 6) == 0 || strstr(url, "://") == NULL;
    if (at == NULL || (colon == NULL && keep_user))
        snprintf(out, len, "%.*s", (int)n, url);
    else if (colon != NULL && keep_user)
        snprintf(out, len, "%.*s:***%.*s", (int)(colon - url), url, (int)(url + n - at), at);
    else
        snprintf(out, len, "%.*s***%.*s", (int)(h - url), url, (int)(url + n - at), at);
}

void url_show(const char *url, char *out, size_t len)
{
    size_t an, n;
    const char *h = authority(url, &an);
    n = (size_t)(h - url) + an + strcspn(h + an, "?#");
    show_head(url, n, out, len);
    if (url[n] != '\0' && len > 0) {
        size_t o = strlen(out);
        snprintf(out + o, len - o, "%c***", url[n]);
    }
}

void url_host_port(const char *url, char *out, size_t len)
{
    size_t n;
    const char *h = authority(url, &n);
    const char *at = NULL;
    for (size_t i = 0; i < n; ++i)
        if (h[i] == '@')
            at = h + i;
    if (at != NULL) {
        n -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    snprintf(out, len, "%.*s", (int)n, h);
}
