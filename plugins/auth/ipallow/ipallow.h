/*
 * Internals of the ipallow auth plugin (not part of the ABI; unit tests compile these
 * files directly): CIDR lists and the forwarding headers.
 *
 * Addresses are kept as 16 bytes plus a family; an IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1, as a dual-stack socket reports IPv4 peers) is treated as the IPv4
 * address it maps.
 */
#ifndef STOA_IPALLOW_H
#define STOA_IPALLOW_H

#include <stddef.h>

#define IPALLOW_MAX_HOPS 64

typedef struct ipallow_net {
    int family;              /* 4 or 6; 0 = not an address (an unusable hop) */
    unsigned char addr[16];  /* network byte order; IPv4 in the first 4 bytes */
    int bits;                /* prefix length; 32 or 128 for a single address */
} ipallow_net;

typedef struct ipallow_list {
    size_t n;
    ipallow_net *items;
} ipallow_list;

/* Parses an address ("192.0.2.1", "2001:db8::1", "[2001:db8::1]") of len bytes. 0 or -1. */
int ipallow_addr_parse(const char *s, size_t len, ipallow_net *out);
/* Parses "ADDR/BITS" or a bare address. Refuses host bits beyond the prefix
 * ("10.1.2.3/8": why suggests 10.0.0.0/8). 0 or -1 with why. */
int ipallow_cidr_parse(const char *s, ipallow_net *out, char *why, size_t whylen);
/* 1 if addr lies in net (families must agree). */
int ipallow_cidr_match(const ipallow_net *net, const ipallow_net *addr);
void ipallow_addr_text(const ipallow_net *a, char *out, size_t len);

/* Adds every CIDR in text (separated by commas or spaces). 0 or -1 with why. */
int ipallow_list_add(ipallow_list *l, const char *text, char *why, size_t whylen);
int ipallow_list_match(const ipallow_list *l, const ipallow_net *addr);
void ipallow_list_free(ipallow_list *l);

/* Hops named by an X-Forwarded-For value ("client, proxy1, proxy2"), in order. Entries
 * that are not addresses ("unknown") get family 0. At most IPALLOW_MAX_HOPS, keeping
 * the rightmost. Returns the count. */
int ipallow_xff_parse(const char *v, size_t len, ipallow_net *hops);
/* The same for a Forwarded value (RFC 7239: for=192.0.2.1;proto=https, for="[::1]:80"). */
int ipallow_forwarded_parse(const char *v, size_t len, ipallow_net *hops);

/* The client address: starting at the direct peer, while the current hop is a trusted
 * proxy, step to the hop it reported (right to left). 0 with *out set, or -1 when a
 * trusted proxy reported an unusable hop. With an untrusted peer, *out = *peer. */
int ipallow_client(const ipallow_net *peer, const ipallow_net *hops, int n, const ipallow_list *trusted,
                   ipallow_net *out);

#endif
