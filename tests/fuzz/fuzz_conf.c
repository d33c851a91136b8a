/* libFuzzer target: the YAML config parser. The input is the file text; conf_parse must
 * either return a conf (freed without leaks) or an error message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *const env[] = {NULL};
    char err[4096];
    if (size > 64 * 1024)
        return 0;
    err[0] = '\0';
    struct conf *c = conf_parse("fuzz.yaml", (const char *)data, size, env, err, sizeof(err));
    if (c == NULL) {
        if (err[0] == '\0')
            abort(); /* a refusal must say why */
        return 0;
    }
    conf_free(c);
    return 0;
}
