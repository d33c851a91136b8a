#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No bytes either way for this long ends a transfer: longer than a server's own bound on
 * a cold fill (timeout.total, 10 min), which a prefetch waits out before its first
 * byte. STOA_CLIENT_STALL (seconds) overrides it. */
#define STALL_S 660L

void client_setup(CURL *h, const char *token)
{
    curl_easy_setopt(h, CURLOPT_USERAGENT, "stoa/" STOA_VERSION);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    const char *stall = getenv("STOA_CLIENT_STALL");
    long s = stall != NULL ? strtol(stall, NULL, 10) : 0;
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, s > 0 ? s : STALL_S);
    const char *ca = getenv("SSL_CERT_FILE");
    if (ca != NULL && ca[0] != '\0')
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    if (token == NULL) {
        curl_easy_setopt(h, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
        if (getenv("NETRC") != NULL)
            curl_easy_setopt(h, CURLOPT_NETRC_FILE, getenv("NETRC"));
    }
}

static size_t keep(char *data, size_t size, size_t n, void *arg)
{
    client_body *b = arg;
    size_t len = size * n, room = CLIENT_KEEP - b->len;
    size_t take = len < room ? len : room;
    memcpy(b->text + b->len, data, take);
    b->len += take;
    b->text[b->len] = '\0';
    return len;
}

long client_put(CURL *h, const char *url, const char *token, FILE *body, curl_off_t size, struct curl_slist *hdr,
                client_body *b, char *why, size_t whylen)
{
    b->len = 0;
    b->text[0] = '\0';
    curl_easy_reset(h);
    client_setup(h, token);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READDATA, body);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK)
        return snprintf(why, whylen, "%.400s: %s", url, curl_easy_strerror(rc)), -1;
    return status;
}

struct curl_slist *client_auth_header(const char *token)
{
    if (token == NULL)
        return NULL;
    char auth[1024];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    return curl_slist_append(NULL, auth);
}
