/*
 * An HTTP/1 request head before h2o reads the body behind it (the body gate,
 * core/http/bodygate.h): parsed with h2o's own parser, a body announced or not, and
 * the rename of its body headers that makes h2o read none. Pure: no h2o state, no
 * configuration.
 */
#ifndef STOA_BODYHEAD_H
#define STOA_BODYHEAD_H

#include <stddef.h>

/* The names the gate writes over a refused head's body headers: as long as the names
 * they replace (content-length, transfer-encoding, expect). */
#define BODYHEAD_HELD_LENGTH "x-stoa-held-cl"
#define BODYHEAD_HELD_CHUNKED "x-stoa-held-chunk"
#define BODYHEAD_HELD_EXPECT "x-held"

/* One parsed head (names and values point into the buffer). */
typedef struct bodyhead_field {
    const char *name, *value;
    size_t name_len, value_len;
} bodyhead_field;

typedef struct bodyhead {
    const char *method, *path;
    size_t method_len, path_len;
    bodyhead_field fields[100]; /* H2O_MAX_HEADERS: h2o refuses a head with more */
    size_t nfields;
} bodyhead;

/* Parses the HTTP/1 request head at the start of buf as h2o does (the same parser, the
 * same bounds). Returns its length, -2 while incomplete, -1 when it is not one.
 * last_len: the length at the last call that returned -2 for this head, else 0 (then
 * only the new bytes are searched for the head's end, as h2o does: a head dripped a
 * byte at a time costs linear time). */
int bodyhead_parse(const char *buf, size_t len, size_t last_len, bodyhead *h);

/* 1 when f is named name, in any case. */
int bodyhead_named(const bodyhead_field *f, const char *name);

/* h's first field named name (any case), or NULL. */
const bodyhead_field *bodyhead_find(const bodyhead *h, const char *name);

/* 1 when h announces a body: any Transfer-Encoding, or a Content-Length but "0". */
int bodyhead_has_body(const bodyhead *h);

/* Renames h's body headers to the BODYHEAD_HELD_* names, in the buffer h points into. */
void bodyhead_withhold(bodyhead *h);

#endif
