#include "numfmt.h"

#include <arpa/inet.h>
#include <netinet/in.h>

char *numfmt_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return end;
}

char *numfmt_fixed(char *end, double v, int decimals)
{
    uint64_t scale = decimals == 1 ? 10 : decimals == 2 ? 100 : 1000;
    v = v >= 0 ? v : 0; /* NaN too */
    v = v < 1e12 ? v : 1e12;
    uint64_t n = (uint64_t)(v * (double)scale + 0.5);
    for (int i = 0; i < decimals; ++i, n /= 10)
        *--end = (char)('0' + n % 10);
    *--end = '.';
    return numfmt_u64(end, n);
}

const char *numfmt_utc_second(time_t s, size_t *len)
{
    static _Thread_local time_t cached = -1;
    static _Thread_local char text[32];
    static _Thread_local size_t n;
    if (s != cached) {
        struct tm tm;
        gmtime_r(&s, &tm);
        n = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
        cached = s;
    }
    *len = n;
    return text;
}

int numfmt_addr(const struct sockaddr *sa, char *out, size_t len)
{
    out[0] = '\0';
    if (sa->sa_family == AF_INET && len >= INET_ADDRSTRLEN) {
        const unsigned char *b = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
        for (int i = 0; i < 4; ++i) {
            if (b[i] >= 100)
                *out++ = (char)('0' + b[i] / 100);
            if (b[i] >= 10)
                *out++ = (char)('0' + b[i] / 10 % 10);
            *out++ = (char)('0' + b[i] % 10);
            *out++ = i < 3 ? '.' : '\0';
        }
        return 0;
    }
    if (sa->sa_family == AF_INET6 && inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len))
        return 0;
    return -1; /* out is still "": inet_ntop writes only on success */
}
