/* URLs as stoa shows them: in logs, metrics labels, error bodies and admin answers.
 * A URL's user info can hold a secret (https://TOKEN@host/, https://user:pass@host/). */
#ifndef STOA_URLSHOW_H
#define STOA_URLSHOW_H

#include <stddef.h>

/* url with the secrets of its user info replaced by "***": for ssh, "user:pass@" becomes
 * "user:***@" and "git@" stays (a name, not a secret); for every other scheme the whole
 * user info becomes "***@" (GitHub takes a token as the user name, GitLab as the
 * password). A query or fragment (a presigned URL's signature) becomes "?***" or
 * "#***". out always ends in NUL; a url that does not fit is cut. */
void url_show(const char *url, char *out, size_t len);

/* The host[:port] of url, without scheme, user info or path, into out (NUL-ended). */
void url_host_port(const char *url, char *out, size_t len);

/* path into out (size len, NUL-ended, cut when full) with the value of every query
 * parameter whose name says it is a secret (token, access_token, password, secret,
 * signature, X-Amz-Signature, key, ...) as "***". For request targets in the access log
 * and audit: stoa takes no credential in a query, but a client may send one. */
void url_redact_query(const char *path, char *out, size_t len);

#endif
