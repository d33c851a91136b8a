/*
 * What stoa's own HTTP clients (publish, prefetch, import) take from the environment,
 * the way the go command does: a private CA from $SSL_CERT_FILE, and credentials from
 * ~/.netrc ($NETRC) unless a token is given, which goes as a bearer token. A server that
 * takes no connection within 30 s, or stalls for 11 min (STOA_CLIENT_STALL seconds), ends
 * the transfer with an error instead of hanging the command.
 */
#ifndef STOA_CLIENT_H
#define STOA_CLIENT_H

#include <curl/curl.h>

/* Trust, user agent, and .netrc when token is NULL. */
void client_setup(CURL *h, const char *token);

/* "Authorization: Bearer <token>" as a list the caller frees; NULL when token is NULL. */
struct curl_slist *client_auth_header(const char *token);

/* The first CLIENT_KEEP bytes of an answer, NUL-terminated: the reason of a refusal, or
 * a publish's JSON answer. */
#define CLIENT_KEEP 8192
typedef struct client_body {
    char text[CLIENT_KEEP + 1];
    size_t len;
} client_body;

/* PUTs the size bytes of body to url on h (reset, then client_setup for token) with the
 * headers hdr (NULL for none), keeping the answer in b. The HTTP status, or -1 when no
 * answer came, with the reason in why. */
long client_put(CURL *h, const char *url, const char *token, FILE *body, curl_off_t size, struct curl_slist *hdr,
                client_body *b, char *why, size_t whylen);

#endif
