/* URLs without their secrets; see urlshow.h. */
#include "urlshow.h"

#include <ctype.h>
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

/* The last '@' among the authority's n bytes at h (a password may hold one), or NULL. */
static const char *last_at(const char *h, size_t n)
{
    const char *at = NULL;
    for (size_t i = 0; i < n; ++i)
        if (h[i] == '@')
            at = h + i;
    return at;
}

/* url_show without the query: the first n bytes of url. */
static void show_head(const char *url, size_t n, char *out, size_t len)
{
    size_t an;
    const char *h = authority(url, &an), *at = last_at(h, an);
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
    const char *h = authority(url, &n), *at = last_at(h, n);
    if (at != NULL) {
        n -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    snprintf(out, len, "%.*s", (int)n, h);
}

/* A parameter name that may carry a secret (case-insensitive, '-' and '_' alike). */
static int secret_name(const char *k, size_t n)
{
    static const char *const names[] = {"token", "access_token", "auth", "password", "passwd", "pass", "secret",
                                        "key", "api_key", "apikey", "sig", "signature", "x_amz_signature",
                                        "x_amz_credential", "x_amz_security_token", "x_goog_signature"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); ++i) {
        size_t j = 0;
        for (; j < n && names[i][j] != '\0'; ++j) {
            char c = (char)tolower((unsigned char)k[j]);
            if ((c == '-' ? '_' : c) != names[i][j])
                break;
        }
        if (j == n && names[i][j] == '\0')
            return 1;
    }
    return 0;
}

/* k bytes of s at out[*at], as many as fit before the NUL's place. */
static void append(char *out, size_t len, size_t *at, const char *s, size_t k)
{
    if (k > len - 1 - *at)
        k = len - 1 - *at;
    memcpy(out + *at, s, k);
    *at += k;
}

void url_redact_query(const char *path, char *out, size_t len)
{
    if (len == 0)
        return;
    const char *q = strchr(path, '?');
    size_t at = 0;
    append(out, len, &at, path, q != NULL ? (size_t)(q + 1 - path) : strlen(path));
    for (const char *r = q != NULL ? q + 1 : ""; *r != '\0';) {
        size_t pl = strcspn(r, "&"), kl = strcspn(r, "=&");
        int hide = kl < pl && secret_name(r, kl);
        append(out, len, &at, r, hide ? kl + 1 : pl);
        if (hide)
            append(out, len, &at, "***", 3);
        r += pl;
        if (*r == '&')
            append(out, len, &at, r++, 1);
    }
    out[at] = '\0';
}
