#include "validate.h"

#include "dirhash.h"
#include "modfile.h"
#include "modpath.h"
#include "semver.h"
#include "zipcheck.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFO (64 * 1024)
#define MAX_MOD (16u << 20)
#define MAX_LIST (1u << 20)

int validate_sha256_fd(int fd, uint64_t size, unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        errno = ENOMEM;
        return -1;
    }
    char buf[64 * 1024];
    uint64_t off = 0;
    int rc = 0;
    while (off < size) {
        size_t want = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            rc = -1;
            break;
        }
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        off += (uint64_t)n;
    }
    if (rc == 0)
        EVP_DigestFinal_ex(ctx, out, NULL);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* Reads a small staged file whole (NUL-terminated, caller frees). */
static char *slurp(int fd, uint64_t size, uint64_t max)
{
    if (size > max)
        return NULL;
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return NULL;
    if (pread(fd, buf, size, 0) != (ssize_t)size) {
        free(buf);
        return NULL;
    }
    buf[size] = '\0';
    return buf;
}

static stoa_status check_info(int fd, uint64_t size, const char *version, int canonical, stoa_error *err)
{
    char *text = slurp(fd, size, MAX_INFO);
    if (text == NULL)
        return stoa_fail(err, STOA_BADGATEWAY, "upstream .info is larger than %d bytes or unreadable", MAX_INFO);
    json_error_t je;
    json_t *j = json_loadb(text, size, 0, &je);
    free(text);
    const char *v = json_is_object(j) ? json_string_value(json_object_get(j, "Version")) : NULL;
    stoa_status st = STOA_OK;
    if (v == NULL)
        st = stoa_fail(err, STOA_BADGATEWAY, "upstream .info is not a JSON object with a Version");
    else if (!semver_is_valid(v))
        st = stoa_fail(err, STOA_BADGATEWAY, "upstream .info has Version %.64s, not a semantic version", v);
    else if (canonical && version != NULL && strcmp(v, version) != 0)
        st = stoa_fail(err, STOA_BADGATEWAY, "upstream .info says Version %s, expected %s", v, version);
    json_decref(j);
    return st;
}

static stoa_status check_zip(int fd, uint64_t size, const char *module, const char *version, stoa_meta *meta,
                             stoa_error *err)
{
    char why[400];
    int st = zipcheck_fd(fd, size, module, version, NULL, NULL, why, sizeof(why));
    if (st == STOA_INTERNAL)
        return stoa_fail(err, STOA_INTERNAL, "checking zip of %s@%s: %s", module, version, why);
    if (st != STOA_OK)
        return stoa_fail(err, STOA_BADGATEWAY, "upstream zip of %s@%s is not a valid module zip: %s", module, version, why);
    if (dirhash_zip_fd(fd, size, meta->h1, why, sizeof(why)) != STOA_OK)
        return stoa_fail(err, STOA_BADGATEWAY, "cannot hash zip of %s@%s: %s", module, version, why);
    return STOA_OK;
}

int validate_gomod_fd(int fd, uint64_t size, const char *module, char *why, size_t whylen)
{
    char *text = size <= MAX_MOD ? slurp(fd, size, MAX_MOD) : NULL, path[MODPATH_MAX + 1], r[256];
    if (text == NULL)
        return snprintf(why, whylen, size > MAX_MOD ? "is over 16 MiB" : "cannot be read"), -1;
    int bad = modfile_module_path(text, size, path, sizeof(path), r, sizeof(r));
    free(text);
    if (bad)
        return snprintf(why, whylen, "is not a go.mod: %s", r), -1;
    if (strcmp(path, module) != 0)
        return snprintf(why, whylen, "declares module %.200s", path), -1;
    return 0;
}

static stoa_status check_mod(int fd, uint64_t size, const char *module, const char *version, stoa_meta *meta,
                             stoa_error *err)
{
    char why[320];
    if (validate_gomod_fd(fd, size, module, why, sizeof(why)) != 0)
        return stoa_fail(err, STOA_BADGATEWAY, "upstream .mod of %s@%s %s", module, version, why);
    if (lseek(fd, 0, SEEK_SET) != 0 || dirhash_mod_fd(fd, meta->h1, why, sizeof(why)) != STOA_OK)
        return stoa_fail(err, STOA_INTERNAL, "cannot hash go.mod of %s@%s: %s", module, version, why);
    return STOA_OK;
}

stoa_status validate_staged(stoa_kind kind, const char *module, const char *version, int canonical, int fd, stoa_meta *meta,
                            stoa_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return stoa_fail(err, STOA_INTERNAL, "cannot stat staging file: %s", strerror(errno));
    meta->size = (uint64_t)st.st_size;
    stoa_status s = STOA_OK;
    switch (kind) {
    case STOA_KIND_INFO:
    case STOA_KIND_LATEST: s = check_info(fd, meta->size, version, canonical && kind == STOA_KIND_INFO, err); break;
    case STOA_KIND_MOD: s = check_mod(fd, meta->size, module, version, meta, err); break;
    case STOA_KIND_ZIP: s = check_zip(fd, meta->size, module, version, meta, err); break;
    case STOA_KIND_LIST:
        if (meta->size > MAX_LIST)
            s = stoa_fail(err, STOA_BADGATEWAY, "upstream list for %s is over 1 MiB", module);
        break;
    default: break;
    }
    if (s != STOA_OK)
        return s;
    if (validate_sha256_fd(fd, meta->size, meta->sha256) != 0)
        return stoa_fail(err, STOA_INTERNAL, "cannot hash staging file: %s", strerror(errno));
    return STOA_OK;
}

/* n decimal digits at s into *v; -1 at the first other byte (the NUL included). */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

static int days_in(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return days[month - 1] + (month == 2 && leap);
}

/* The zone after the time: "Z" or "+hh:mm"/"-hh:mm", as seconds east of UTC. */
static int zone_offset(const char *z, long *off)
{
    int h, m;
    if (z[0] == 'Z' && z[1] == '\0')
        return *off = 0, 0;
    if ((z[0] != '+' && z[0] != '-') || digits(z + 1, 2, &h) != 0 || z[3] != ':' || digits(z + 4, 2, &m) != 0 ||
        z[6] != '\0' || h > 23 || m > 59)
        return -1;
    *off = (z[0] == '-' ? -1L : 1L) * (h * 3600L + m * 60L);
    return 0;
}

int validate_info_time(const char *s, char *out, size_t len, int64_t *secs)
{
    int y, mo, d, h, mi, sec;
    if (digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &mo) != 0 || s[7] != '-' || digits(s + 8, 2, &d) != 0 ||
        s[10] != 'T' || digits(s + 11, 2, &h) != 0 || s[13] != ':' || digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
        digits(s + 17, 2, &sec) != 0)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h > 23 || mi > 59 || sec > 59)
        return -1;
    const char *frac = s + 19, *z = frac;
    int nfrac = 0;
    if (*z == '.') {
        for (frac = ++z; *z >= '0' && *z <= '9'; ++z)
            ;
        if ((nfrac = (int)(z - frac)) < 1 || nfrac > 9)
            return -1;
    }
    long off;
    if (zone_offset(z, &off) != 0)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm) - off;
    struct tm u;
    if (gmtime_r(&t, &u) == NULL || u.tm_year + 1900 < 0 || u.tm_year + 1900 > 9999)
        return -1; /* an offset took it out of RFC 3339's four-digit years */
    int n = snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d%s%.*sZ", u.tm_year + 1900, u.tm_mon + 1, u.tm_mday,
                     u.tm_hour, u.tm_min, u.tm_sec, nfrac ? "." : "", nfrac, frac);
    if (n < 0 || (size_t)n >= len)
        return -1;
    if (secs != NULL)
        *secs = (int64_t)t;
    return 0;
}
