/*
 * What stoa's own HTTP clients (publish, prefetch) take from the environment, the way
 * the go command does: a private CA from $SSL_CERT_FILE, and credentials from ~/.netrc
 * ($NETRC) unless a token is given, which goes as a bearer token.
 */
#ifndef STOA_CLIENT_H
#define STOA_CLIENT_H

#include <curl/curl.h>

/* Trust, user agent, and .netrc when token is NULL. */
void client_setup(CURL *h, const char *token);

/* "Authorization: Bearer <token>" as a list the caller frees; NULL when token is NULL. */
struct curl_slist *client_auth_header(const char *token);

#endif
