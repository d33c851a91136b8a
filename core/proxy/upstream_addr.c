#include "upstream_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static upaddr_class classify4(const unsigned char b[4])
{
    if (b[0] == 127)
        return UPADDR_LOOPBACK;
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
        (b[0] == 100 && (b[1] & 0xc0) == 64))
        return UPADDR_PRIVATE;
    if (b[0] == 169 && b[1] == 254)
        return UPADDR_LINKLOCAL;
    if (b[0] == 0 || b[0] >= 224)
        return UPADDR_RESERVED;
    return UPADDR_PUBLIC;
}

static upaddr_class classify6(const unsigned char b[16])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char zero[15] = {0};
    if (memcmp(b, mapped, 12) == 0)
        return classify4(b + 12);
    if (memcmp(b, zero, 15) == 0)
        return b[15] == 1 ? UPADDR_LOOPBACK : UPADDR_RESERVED;
    if ((b[0] & 0xfe) == 0xfc)
        return UPADDR_PRIVATE;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return UPADDR_LINKLOCAL;
    if (b[0] == 0xff)
        return UPADDR_RESERVED;
    return UPADDR_PUBLIC;
}

upaddr_class upaddr_classify(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return classify4((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family == AF_INET6)
        return classify6((const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return UPADDR_RESERVED;
}

upaddr_class upaddr_classify_text(const char *ip)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, ip, b) == 1)
        return classify4(b);
    if (inet_pton(AF_INET6, ip, b) == 1)
        return classify6(b);
    return UPADDR_RESERVED;
}

int upaddr_redirect_ok(upaddr_class own, upaddr_class to)
{
    return to == UPADDR_PUBLIC || (to == own && to != UPADDR_RESERVED);
}

const char *upaddr_name(upaddr_class c)
{
    static const char *const names[] = {"public", "loopback", "private", "link-local", "reserved"};
    return names[c];
}
