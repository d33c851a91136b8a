/*
 * Address classes for the upstream fetcher's redirect rule (SSRF): a redirect may
 * lead to a loopback, private or link-local address only when the upstream itself is
 * in that class, and never to an unspecified, multicast or reserved one. IPv4-mapped
 * IPv6 addresses are classed as the IPv4 address they carry.
 */
#ifndef STOA_UPSTREAM_ADDR_H
#define STOA_UPSTREAM_ADDR_H

#include <sys/socket.h>

typedef enum upaddr_class {
    UPADDR_PUBLIC = 0,
    UPADDR_LOOPBACK,   /* 127/8, ::1 */
    UPADDR_PRIVATE,    /* 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 */
    UPADDR_LINKLOCAL,  /* 169.254/16 (cloud metadata), fe80::/10 */
    UPADDR_RESERVED,   /* 0/8, ::, multicast, 240/4, unparsable */
} upaddr_class;

upaddr_class upaddr_classify(const struct sockaddr *sa);

/* The same for a numeric address ("127.0.0.1", "::1"), as CURLINFO_PRIMARY_IP gives. */
upaddr_class upaddr_classify_text(const char *ip);

/* Whether a redirect hop to class `to` is allowed for an upstream whose own address
 * is of class `own`. */
int upaddr_redirect_ok(upaddr_class own, upaddr_class to);

const char *upaddr_name(upaddr_class c);

#endif
