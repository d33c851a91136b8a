#include "bodyhead.h"

#include <h2o.h>
#include <string.h>
#include <strings.h>

/* picohttpparser, which h2o parses HTTP/1 with: libh2o exports it, Debian ships no
 * header for it. Using h2o's own parser means the gate and h2o never disagree on
 * where a head ends or which headers it holds. */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

_Static_assert(sizeof(((bodyhead *)0)->fields) / sizeof(bodyhead_field) == H2O_MAX_HEADERS,
               "the gate parses as many headers as h2o");

int bodyhead_parse(const char *buf, size_t len, size_t last_len, bodyhead *h)
{
    struct phr_header f[H2O_MAX_HEADERS];
    size_t n = H2O_MAX_HEADERS;
    int minor;
    int r = phr_parse_request(buf, len < H2O_MAX_REQLEN ? len : H2O_MAX_REQLEN, &h->method, &h->method_len, &h->path,
                              &h->path_len, &minor, f, &n, last_len);
    h->nfields = r > 0 ? n : 0;
    for (size_t i = 0; i < h->nfields; ++i)
        h->fields[i] = (bodyhead_field){f[i].name, f[i].value, f[i].name_len, f[i].value_len};
    return r;
}

int bodyhead_named(const bodyhead_field *f, const char *name)
{
    size_t n = strlen(name);
    return f->name != NULL && f->name_len == n && strncasecmp(f->name, name, n) == 0;
}

const bodyhead_field *bodyhead_find(const bodyhead *h, const char *name)
{
    for (size_t i = 0; i < h->nfields; ++i)
        if (bodyhead_named(&h->fields[i], name))
            return &h->fields[i];
    return NULL;
}

int bodyhead_has_body(const bodyhead *h)
{
    if (bodyhead_find(h, "transfer-encoding") != NULL)
        return 1;
    const bodyhead_field *cl = bodyhead_find(h, "content-length"); /* h2o reads the first */
    return cl != NULL && !(cl->value_len == 1 && cl->value[0] == '0');
}

void bodyhead_withhold(bodyhead *h)
{
    static const char *const from[] = {"content-length", "transfer-encoding", "expect"};
    static const char *const to[] = {BODYHEAD_HELD_LENGTH, BODYHEAD_HELD_CHUNKED, BODYHEAD_HELD_EXPECT};
    _Static_assert(sizeof(BODYHEAD_HELD_LENGTH) == sizeof("content-length") &&
                       sizeof(BODYHEAD_HELD_CHUNKED) == sizeof("transfer-encoding") &&
                       sizeof(BODYHEAD_HELD_EXPECT) == sizeof("expect"),
                   "a held name is as long as the one it replaces");
    for (size_t i = 0; i < h->nfields; ++i)
        for (size_t k = 0; k < 3; ++k)
            if (bodyhead_named(&h->fields[i], from[k]))
                memcpy((char *)h->fields[i].name, to[k], strlen(to[k]));
}

