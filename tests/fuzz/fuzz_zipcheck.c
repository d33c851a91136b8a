/* libFuzzer target: module zip validation (zipcheck_fd) on arbitrary bytes, through a
 * memfd as in production (pread only), then extraction of go.mod when the zip passed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zipcheck.h"

#include <stoa/stoa.h>

static const char *mod = "example.com/m", *ver = "v1.0.0";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    char why[512], buf[4096];
    if (fd < 0 && (fd = memfd_create("fuzz-zip", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();

    struct zipcheck_limits lim;
    zipcheck_default_limits(&lim);
    lim.max_unzipped = 1 << 20; /* keep inflation cheap: the fuzzer is looking for crashes */
    lim.max_gomod = 1 << 16;
    lim.max_license = 1 << 16;
    struct zipcheck_report rep;
    int rc = zipcheck_fd(fd, size, mod, ver, &lim, &rep, why, sizeof(why));
    if (rc != STOA_OK) {
        if (why[0] == '\0')
            abort(); /* every refusal carries a reason */
        return 0;
    }
    if (rep.unzipped > lim.max_unzipped)
        abort();
    size_t len = 0;
    rc = zipcheck_extract_buf(fd, size, mod, ver, "go.mod", buf, sizeof(buf), &len, why, sizeof(why));
    if (rc == STOA_OK && (!rep.has_gomod || len != rep.gomod_size))
        abort();
    if (rc == STOA_NOTFOUND && rep.has_gomod)
        abort();
    return 0;
}
