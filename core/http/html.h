/*
 * HTML for the web UI (handler_ui.c): escaping, and the frame every page shares. Every
 * piece of text that did not come from a string literal goes through html_text or
 * html_query: module paths are checked, but a search query or a reason is anything.
 */
#ifndef STOA_HTML_H
#define STOA_HTML_H

#include "strbuf.h"

/* s with & < > " ' as entities: safe in element text and in quoted attributes. */
void html_text(strbuf *b, const char *s);
/* s percent-encoded for a query parameter's value (unreserved bytes kept). */
void html_query(strbuf *b, const char *s);
/* <!doctype html> up to the opening of <main>, with title (escaped) and the search form
 * holding q (NULL: empty). */
void html_begin(strbuf *b, const char *title, const char *q);
void html_end(strbuf *b);
/* The response headers of a UI page: a policy that allows no script, no frame, no
 * fetch, only inline styles and forms to this origin. */
#define HTML_CSP "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

#endif
