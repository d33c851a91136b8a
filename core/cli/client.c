#include "client.h"

#include <stdio.h>
#include <stdlib.h>

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

struct curl_slist *client_auth_header(const char *token)
{
    if (token == NULL)
        return NULL;
    char auth[1024];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    return curl_slist_append(NULL, auth);
}
