/* X-Forwarded-For and Forwarded (RFC 7239): the hops a proxy chain reports, and the
 * client address they establish when (and only while) the reporters are trusted. */
#include "ipallow.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s))
        ++*s, --*n;
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        --*n;
}

/* Appends a hop, dropping the leftmost when full (the rightmost hops are the ones a
 * trusted chain vouches for). */
static int push(ipallow_net *hops, int n, const ipallow_net *h)
{
    if (n == IPALLOW_MAX_HOPS) {
        memmove(hops, hops + 1, sizeof(*hops) * (IPALLOW_MAX_HOPS - 1));
        --n;
    }
    hops[n] = *h;
    return n + 1;
}

/* An address possibly with a port: "192.0.2.1:80", "[2001:db8::1]:80", or bare. */
static void node(const char *s, size_t n, ipallow_net *out)
{
    trim(&s, &n);
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        n = close != NULL ? (size_t)(close - s) + 1 : n;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) == NULL)
            n = (size_t)(colon - s); /* IPv4 with a port */
    }
    if (ipallow_addr_parse(s, n, out) != 0)
        memset(out, 0, sizeof(*out));
}

int ipallow_xff_parse(const char *v, size_t len, ipallow_net *hops)
{
    int n = 0;
    for (size_t i = 0; i <= len;) {
        const char *comma = memchr(v + i, ',', len - i);
        size_t e = comma != NULL ? (size_t)(comma - v) : len;
        ipallow_net h;
        node(v + i, e - i, &h);
        n = push(hops, n, &h);
        i = e + 1;
    }
    return n;
}

/* The for= value of one Forwarded element, unquoted. */
static void forwarded_for(const char *el, size_t n, ipallow_net *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n;) {
        const char *semi = memchr(el + i, ';', n - i);
        size_t e = semi != NULL ? (size_t)(semi - el) : n;
        const char *p = el + i;
        size_t pl = e - i;
        trim(&p, &pl);
        if (pl > 4 && strncasecmp(p, "for=", 4) == 0) {
            p += 4, pl -= 4;
            if (pl >= 2 && p[0] == '"' && p[pl - 1] == '"')
                ++p, pl -= 2;
            node(p, pl, out);
            return;
        }
        i = e + 1;
    }
}

int ipallow_forwarded_parse(const char *v, size_t len, ipallow_net *hops)
{
    int n = 0;
    for (size_t i = 0; i <= len;) {
        /* Commas inside quoted strings do not split elements. */
        size_t e = i;
        for (int q = 0; e < len && (q || v[e] != ','); ++e)
            q ^= v[e] == '"';
        ipallow_net h;
        forwarded_for(v + i, e - i, &h);
        n = push(hops, n, &h);
        i = e + 1;
    }
    return n;
}

int ipallow_client(const ipallow_net *peer, const ipallow_net *hops, int n, const ipallow_list *trusted,
                   ipallow_net *out)
{
    *out = *peer;
    for (int i = n - 1; i >= 0 && ipallow_list_match(trusted, out); --i) {
        if (hops[i].family == 0)
            return -1;
        *out = hops[i];
    }
    return 0;
}
