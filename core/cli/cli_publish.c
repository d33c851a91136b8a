/*
 * stoa publish DIR --module PATH --version vX.Y.Z [--url URL] [--token T]
 *
 * Builds the module zip from DIR with the go command's file selection rules
 * (core/gomod/zipbuild.h), checks it locally with the same rules the server applies, and
 * PUTs it to <url>/<escaped module>/@v/<version>.zip. The server derives .mod and
 * .info from the zip. Prints the server's JSON answer (with the h1 hashes).
 */
#include "cli.h"
#include "client.h"
#include "modfile.h"
#include "modpath.h"
#include "semver.h"
#include "staging.h"
#include "zipbuild.h"
#include "zipcheck.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct publish_args {
    const char *dir, *module, *version, *url, *token;
    char module_buf[MODPATH_MAX + 1]; /* the module go.mod names, without --module */
} publish_args;

/* The module path DIR/go.mod declares, into a->module_buf. 0 or -1 (said why). */
static int module_from_gomod(publish_args *a)
{
    char path[4096], why[256];
    snprintf(path, sizeof(path), "%s/go.mod", a->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fprintf(stderr, "stoa publish: no --module, and %s cannot be read to name it\n", path), -1;
    static char text[1 << 20]; /* a go.mod's module line is near its top; 1 MiB is plenty */
    size_t n = fread(text, 1, sizeof(text), f);
    fclose(f);
    if (modfile_module_path(text, n, a->module_buf, sizeof(a->module_buf), why, sizeof(why)) != 0)
        return fprintf(stderr, "stoa publish: %s: %s\n", path, why), -1;
    a->module = a->module_buf;
    return 0;
}

static int parse_args(int argc, char **argv, publish_args *a)
{
    a->url = getenv("STOA_URL") ? getenv("STOA_URL") : "http://127.0.0.1:3000";
    a->token = getenv("STOA_TOKEN");
    for (int i = 0; i < argc; ++i) {
        const char **slot = strcmp(argv[i], "--module") == 0    ? &a->module
                            : strcmp(argv[i], "--version") == 0 ? &a->version
                            : strcmp(argv[i], "--url") == 0     ? &a->url
                            : strcmp(argv[i], "--token") == 0   ? &a->token
                                                                : NULL;
        if (slot != NULL && i + 1 < argc)
            *slot = argv[++i];
        else if (slot == NULL && a->dir == NULL && argv[i][0] != '-')
            a->dir = argv[i];
        else
            return fprintf(stderr, "stoa publish: unexpected argument '%s'\n", argv[i]), -1;
    }
    if (a->dir == NULL || a->version == NULL)
        return fprintf(stderr, "usage: stoa publish DIR [--module PATH] --version vX.Y.Z [--url URL] [--token T]\n"), -1;
    return a->module != NULL ? 0 : module_from_gomod(a);
}

static int check_args(const publish_args *a)
{
    char why[256];
    if (modpath_check(a->module, why, sizeof(why)) != 0)
        return fprintf(stderr, "stoa publish: module path %s: %s\n", a->module, why), -1;
    if (!semver_is_canonical(a->version))
        return fprintf(stderr, "stoa publish: version %s is not canonical semver (like v1.2.3)\n", a->version), -1;
    if (modpath_check_major(a->module, a->version, why, sizeof(why)) != 0)
        return fprintf(stderr, "stoa publish: %s\n", why), -1;
    return 0;
}

static int build_zip(const publish_args *a, int *fd, off_t *size)
{
    char why[512];
    struct zipbuild_report rep;
    if ((*fd = staging_open(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp")) < 0)
        return perror("stoa publish: temp file"), -1;
    if (zipbuild_from_dir(a->dir, a->module, a->version, *fd, &rep, why, sizeof(why)) != 0)
        return fprintf(stderr, "stoa publish: %s\n", why), -1;
    *size = lseek(*fd, 0, SEEK_END);
    if (zipcheck_fd(*fd, (uint64_t)*size, a->module, a->version, NULL, NULL, why, sizeof(why)) != 0)
        return fprintf(stderr, "stoa publish: the zip breaks a module rule: %s\n", why), -1;
    fprintf(stderr, "stoa publish: %s@%s: %zu files (%zu left out), %lld bytes zipped\n", a->module, a->version,
            rep.files, rep.omitted, (long long)*size);
    return lseek(*fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

static int upload(const publish_args *a, int fd, off_t size)
{
    char esc[MODPATH_MAX * 2 + 1], url[4096];
    modpath_escape(a->module, esc, sizeof(esc), NULL, 0);
    snprintf(url, sizeof(url), "%s/%s/@v/%s.zip", a->url, esc, a->version);
    FILE *body = fdopen(dup(fd), "rb");
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = client_auth_header(a->token);
    client_setup(h, a->token);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READDATA, body);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    fclose(body);
    printf("\n");
    if (rc != CURLE_OK)
        return fprintf(stderr, "stoa publish: %s: %s\n", url, curl_easy_strerror(rc)), -1;
    if (status != 200 && status != 201)
        return fprintf(stderr, "stoa publish: %s answered %ld\n", url, status), -1;
    return 0;
}

int cli_publish(int argc, char **argv)
{
    publish_args a = {0};
    if (parse_args(argc, argv, &a) != 0)
        return 2;
    if (check_args(&a) != 0)
        return 2;
    int fd = -1;
    off_t size = 0;
    int rc = build_zip(&a, &fd, &size) == 0 && upload(&a, fd, size) == 0 ? 0 : 1;
    if (fd >= 0)
        close(fd);
    return rc;
}
