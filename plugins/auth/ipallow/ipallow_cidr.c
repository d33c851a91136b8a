/* CIDR parsing and matching, IPv4 and IPv6. */
#include "ipallow.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int ipallow_addr_parse(const char *s, size_t len, ipallow_net *out)
{
    char buf[64];
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
        ++s, len -= 2;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = 4, out->bits = 32;
        return 0;
    }
    if (strchr(buf, '%') != NULL || inet_pton(AF_INET6, buf, out->addr) != 1)
        return -1;
    if (memcmp(out->addr, v4mapped, 12) == 0) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->family = 4, out->bits = 32;
        return 0;
    }
    out->family = 6, out->bits = 128;
    return 0;
}

/* Clears the bits after the prefix; 1 if any was set. */
static int mask(ipallow_net *n)
{
    int dirty = 0, total = n->family == 4 ? 32 : 128;
    for (int b = n->bits; b < total; ++b) {
        unsigned char bit = (unsigned char)(0x80 >> (b % 8));
        dirty |= (n->addr[b / 8] & bit) != 0;
        n->addr[b / 8] &= (unsigned char)~bit;
    }
    return dirty;
}

int ipallow_cidr_parse(const char *s, ipallow_net *out, char *why, size_t whylen)
{
    const char *slash = strchr(s, '/');
    size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
    if (ipallow_addr_parse(s, alen, out) != 0)
        return snprintf(why, whylen, "'%s': not an IPv4 or IPv6 address or CIDR", s), -1;
    if (slash == NULL)
        return 0;
    int mapped = out->family == 4 && memchr(s, ':', alen) != NULL; /* ::ffff:a.b.c.d/N counts from 96 */
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    int min = mapped ? 96 : 0, max = out->family == 4 && !mapped ? 32 : 128;
    if (end == slash + 1 || *end != '\0' || bits < min || bits > max)
        return snprintf(why, whylen, "'%s': prefix length must be %d to %d", s, min, max), -1;
    out->bits = (int)bits - min;
    if (mask(out)) {
        char net[64];
        ipallow_addr_text(out, net, sizeof(net));
        return snprintf(why, whylen, "'%s': host bits are set beyond /%s (did you mean %s/%s?)", s, slash + 1, net,
                        slash + 1), -1;
    }
    return 0;
}

int ipallow_cidr_match(const ipallow_net *net, const ipallow_net *a)
{
    if (net->family != a->family || a->family == 0)
        return 0;
    int full = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->addr, a->addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char m = (unsigned char)(0xff << (8 - rest));
    return (net->addr[full] & m) == (a->addr[full] & m);
}

void ipallow_addr_text(const ipallow_net *a, char *out, size_t len)
{
    if (a->family == 0 || inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, out, (socklen_t)len) == NULL)
        snprintf(out, len, "?");
}

int ipallow_list_add(ipallow_list *l, const char *text, char *why, size_t whylen)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, ", \t");
        if (n > 0) {
            char one[128];
            ipallow_net net;
            snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), p);
            if (ipallow_cidr_parse(one, &net, why, whylen) != 0)
                return -1;
            ipallow_net *items = realloc(l->items, (l->n + 1) * sizeof(*items));
            if (items == NULL)
                return snprintf(why, whylen, "out of memory"), -1;
            l->items = items;
            l->items[l->n++] = net;
        }
        p += n + (p[n] != '\0');
    }
    return 0;
}

int ipallow_list_match(const ipallow_list *l, const ipallow_net *addr)
{
    for (size_t i = 0; i < l->n; ++i)
        if (ipallow_cidr_match(&l->items[i], addr))
            return 1;
    return 0;
}

void ipallow_list_free(ipallow_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}
