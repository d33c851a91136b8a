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

#endif
