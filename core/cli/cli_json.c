#include "cli_json.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *cli_json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j != NULL)
        return j;
    size_t n = strlen(s);
    char *clean = malloc(n * 3 + 1), *o = clean;
    for (const unsigned char *p = (const unsigned char *)s; clean != NULL && *p != '\0';) {
        size_t l = utf8_seq_len(p, n - (size_t)(p - (const unsigned char *)s));
        if (l == 0)
            memcpy(o, "\xEF\xBF\xBD", 3), o += 3, ++p;
        else
            memcpy(o, p, l), o += l, p += l;
    }
    if (clean != NULL)
        *o = '\0', j = json_string(clean);
    free(clean);
    return j;
}

json_t *cli_json_result(const char *module, const char *version, const char *result, const char *error)
{
    json_t *o = json_pack("{s:o,s:o,s:s}", "module", cli_json_text(module), "version", cli_json_text(version), "result",
                          result);
    if (o != NULL && error != NULL && error[0] != '\0')
        json_object_set_new(o, "error", cli_json_text(error));
    return o;
}

void cli_json_print(json_t *o)
{
    char *line = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (line != NULL)
        printf("%s\n", line);
    free(line);
    json_decref(o);
}

void cli_json_summary(json_t *fields)
{
    cli_json_print(json_pack("{s:o}", "summary", fields));
}
