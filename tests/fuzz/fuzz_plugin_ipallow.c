/* libFuzzer target: ipallow's parsers of what clients and proxies send (X-Forwarded-For,
 * Forwarded, CIDR options) and the walk that picks the client address. Properties: at
 * most IPALLOW_MAX_HOPS hops, each an address that prints and parses back to itself or
 * marked unusable; the client is the peer or one of the hops. The first input byte
 * picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ipallow.h"

static void round_trip(const ipallow_net *a)
{
    char text[64];
    ipallow_net b;
    if (a->family == 0)
        return;
    if (a->family != 4 && a->family != 6)
        abort();
    ipallow_addr_text(a, text, sizeof(text));
    if (ipallow_addr_parse(text, strlen(text), &b) != 0 || b.family != a->family ||
        memcmp(a->addr, b.addr, a->family == 4 ? 4 : 16) != 0)
        abort();
}

static void hops(const char *v, size_t len, int rfc7239)
{
    static ipallow_net h[IPALLOW_MAX_HOPS];
    int n = rfc7239 ? ipallow_forwarded_parse(v, len, h) : ipallow_xff_parse(v, len, h);
    if (n < 0 || n > IPALLOW_MAX_HOPS)
        abort();
    for (int i = 0; i < n; ++i)
        round_trip(&h[i]);
    static ipallow_list trusted;
    if (trusted.n == 0) {
        char why[128];
        if (ipallow_list_add(&trusted, "127.0.0.0/8, 10.0.0.0/8, 2001:db8::/32", why, sizeof(why)) != 0)
            abort();
    }
    ipallow_net peer, out;
    ipallow_addr_parse("127.0.0.3", 9, &peer);
    if (ipallow_client(&peer, h, n, &trusted, &out) != 0)
        return;
    int found = memcmp(&out, &peer, sizeof(out)) == 0;
    for (int i = 0; i < n && !found; ++i)
        found = out.family == h[i].family && memcmp(out.addr, h[i].addr, 16) == 0;
    if (!found)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[4096], why[256];
    if (size < 1 || size > sizeof(s) - 1)
        return 0;
    const char *v = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0: hops(v, len, 0); break;
    case 1: hops(v, len, 1); break;
    default: {
        ipallow_net net;
        if (fuzz_cstr(data + 1, len, s, sizeof(s)) == 0 && ipallow_cidr_parse(s, &net, why, sizeof(why)) == 0) {
            if (net.bits < 0 || net.bits > (net.family == 4 ? 32 : 128))
                abort();
            round_trip(&net);
        }
    }
    }
    return 0;
}
