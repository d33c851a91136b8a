#include "client.h"

#include <stdio.h>
#include <stdlib.h>

void client_setup(CURL *h, const char *token)
{
    curl_easy_setopt(h, CURLOPT_USERAGENT, "stoa/" STOA_VERSION);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
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
