/* Options of the pgs3 plugin. Unknown keys are errors (a typo like "bukcet" should
 * not silently fall back to a default); messages never echo secret values. */
#include "pgs3.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const known[] = {"dsn",        "s3_host",    "bucket",   "access_key", "secret_key",
                                    "protocol",   "pool",       "lease_pool", "s3_timeout", "gc_grace",
                                    "memo",       "cache_size", "region",   "session_token", "ca_file",
                                    "insecure_skip_verify", "addressing", "s3_connect_timeout", "s3_total_timeout",
                                    NULL};

/* "dsn, s3_host, ...": the known option names, for the message about an unknown one. */
static void known_list(char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; known[i] != NULL && used < len; ++i)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "", known[i]);
}

static int is_known(const char *key)
{
    for (int i = 0; known[i] != NULL; ++i)
        if (strcmp(known[i], key) == 0)
            return 1;
    return 0;
}

/* "30s", "500ms", "2m", "1h", "0" or bare seconds → ms. 0 or -1. */
static int parse_duration(const char *s, uint64_t *ms)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mult = strcmp(end, "ms") == 0 ? 1
                    : strcmp(end, "s") == 0 || *end == '\0' ? 1000
                    : strcmp(end, "m") == 0 ? 60000
                    : strcmp(end, "h") == 0 ? 3600000
                    : strcmp(end, "d") == 0 ? 86400000
                                            : 0;
    if (mult == 0 || v > UINT32_MAX)
        return -1;
    *ms = v * mult;
    return 0;
}

/* "1GiB", "512MiB", "64KiB", "1G", "100" (bytes), "0" → bytes. 0 or -1. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = *end == '\0' ? 0 : *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : *end == 'T' ? 40 : -1;
    if (shift < 0 || (*end != '\0' && strcmp(end + 1, "") != 0 && strcmp(end + 1, "iB") != 0) ||
        v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_count(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int copy(char *dst, size_t len, const char *src)
{
    return snprintf(dst, len, "%s", src != NULL ? src : "") < (int)len ? 0 : -1;
}

static stoa_status parse_numbers(const stoa_host *h, const stoa_options *opts, pgs3_opts *o, stoa_error *err)
{
    uint64_t ms;
    const char *v;
    if (parse_count(v = h->option(opts, "pool", "4"), 1, 256, &o->pool) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option pool: expected 1..256 connections, got '%s'", v);
    if (parse_count(v = h->option(opts, "lease_pool", "8"), 1, 256, &o->lease_pool) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option lease_pool: expected 1..256 connections, got '%s'", v);
    if (parse_count(v = h->option(opts, "memo", "16384"), 0, 1u << 24, &o->memo) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option memo: expected a number of entries, got '%s'", v);
    if (parse_duration(v = h->option(opts, "s3_timeout", "30s"), &ms) != 0 || ms < 100 || ms > 3600000)
        return stoa_fail(err, STOA_INVALID, "pgs3: option s3_timeout: expected a duration from 100ms to 1h, got '%s'", v);
    o->s3_timeout_ms = (uint32_t)ms;
    if (parse_duration(v = h->option(opts, "s3_connect_timeout", "5s"), &ms) != 0 || ms < 100 || ms > 600000)
        return stoa_fail(err, STOA_INVALID,
                         "pgs3: option s3_connect_timeout: expected a duration from 100ms to 10m, got '%s'", v);
    o->s3_connect_timeout_ms = (uint32_t)ms;
    if (parse_duration(v = h->option(opts, "s3_total_timeout", "0"), &ms) != 0 || ms > UINT32_MAX)
        return stoa_fail(err, STOA_INVALID, "pgs3: option s3_total_timeout: expected a duration or 0 (none), got '%s'",
                         v);
    o->s3_total_timeout_ms = (uint32_t)ms;
    if (parse_duration(v = h->option(opts, "gc_grace", "1h"), &ms) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option gc_grace: expected a duration such as 1h, got '%s'", v);
    o->gc_grace_s = (uint32_t)(ms / 1000);
    if (parse_size(v = h->option(opts, "cache_size", "1GiB"), &o->cache_size) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option cache_size: expected a size like 1GiB, 512MiB or 0, got '%s'", v);
    return STOA_OK;
}

static const char *env(const char *a, const char *b)
{
    const char *v = getenv(a);
    return v != NULL && *v != '\0' ? v : b != NULL ? getenv(b) : NULL;
}

/* Region, session token, TLS trust and addressing: the options a real cloud needs. */
static stoa_status parse_tls(const stoa_host *h, const stoa_options *opts, pgs3_opts *o, stoa_error *err)
{
    const char *region = h->option(opts, "region", env("AWS_REGION", "AWS_DEFAULT_REGION"));
    const char *token = h->option(opts, "session_token", getenv("AWS_SESSION_TOKEN"));
    const char *ca = h->option(opts, "ca_file", getenv("AWS_CA_BUNDLE"));
    const char *insecure = h->option(opts, "insecure_skip_verify", "false");
    const char *addr = h->option(opts, "addressing", "path");
    if (region == NULL || *region == '\0')
        region = "us-east-1";
    for (const char *p = region; *p; ++p)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return stoa_fail(err, STOA_INVALID, "pgs3: option region: '%s' is not a region name (e.g. eu-west-1, auto)",
                             region);
    if (copy(o->region, sizeof(o->region), region) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option region is too long");
    if (copy(o->session_token, sizeof(o->session_token), token) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: session_token is too long");
    for (const char *p = o->session_token; *p; ++p)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            return stoa_fail(err, STOA_INVALID, "pgs3: session_token holds a space or control character");
    if (copy(o->ca_file, sizeof(o->ca_file), ca) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option ca_file is too long");
    if (o->ca_file[0] != '\0' && access(o->ca_file, R_OK) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option ca_file: cannot read %s: %s", o->ca_file, strerror(errno));
    if (strcmp(insecure, "true") != 0 && strcmp(insecure, "false") != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option insecure_skip_verify: expected true or false, got '%s'",
                         insecure);
    o->insecure_skip_verify = strcmp(insecure, "true") == 0;
    if (strcmp(addr, "path") != 0 && strcmp(addr, "virtual") != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option addressing: expected path or virtual, got '%s'", addr);
    o->virtual_host = strcmp(addr, "virtual") == 0;
    return STOA_OK;
}

stoa_status pgs3_opts_parse(const stoa_host *h, const stoa_options *opts, pgs3_opts *o, stoa_error *err)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < opts->count; ++i)
        if (!is_known(opts->items[i].key)) {
            char names[256];
            known_list(names, sizeof(names));
            return stoa_fail(err, STOA_INVALID, "pgs3: unknown option '%s' (known: %s)", opts->items[i].key, names);
        }
    const char *dsn = h->option(opts, "dsn", NULL), *host = h->option(opts, "s3_host", NULL);
    const char *bucket = h->option(opts, "bucket", NULL), *proto = h->option(opts, "protocol", "https");
    const char *ak = h->option(opts, "access_key", getenv("AWS_ACCESS_KEY_ID"));
    const char *sk = h->option(opts, "secret_key", getenv("AWS_SECRET_ACCESS_KEY"));
    if (dsn == NULL || *dsn == '\0')
        return stoa_fail(err, STOA_INVALID, "pgs3: option dsn (PostgreSQL connection string) is required");
    if (host == NULL || *host == '\0' || strchr(host, '/') != NULL)
        return stoa_fail(err, STOA_INVALID, "pgs3: option s3_host is required, as host or host:port (no scheme, no path)");
    if (bucket == NULL || *bucket == '\0')
        return stoa_fail(err, STOA_INVALID, "pgs3: option bucket is required");
    if (ak == NULL || *ak == '\0' || sk == NULL || *sk == '\0')
        return stoa_fail(err, STOA_INVALID,
                         "pgs3: S3 credentials missing: set options access_key and secret_key (or AWS_ACCESS_KEY_ID and "
                         "AWS_SECRET_ACCESS_KEY)");
    if (strcmp(proto, "http") != 0 && strcmp(proto, "https") != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option protocol: expected http or https, got '%s'", proto);
    o->https = strcmp(proto, "https") == 0;
    if (copy(o->dsn, sizeof(o->dsn), dsn) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option dsn is too long");
    if (copy(o->s3_host, sizeof(o->s3_host), host) != 0 || copy(o->bucket, sizeof(o->bucket), bucket) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: option s3_host or bucket is too long");
    if (copy(o->access_key, sizeof(o->access_key), ak) != 0 || copy(o->secret_key, sizeof(o->secret_key), sk) != 0)
        return stoa_fail(err, STOA_INVALID, "pgs3: access_key or secret_key is too long");
    stoa_status st = parse_tls(h, opts, o, err);
    return st == STOA_OK ? parse_numbers(h, opts, o, err) : st;
}
