/*
 * stoa publish DIR --module PATH --version vX.Y.Z [--url URL] [--token T] [--json]
 *
 * Builds the module zip from DIR with the go command's file selection rules
 * (core/gomod/zipbuild.h), checks it locally with the same rules the server applies, and
 * PUTs it to <url>/<escaped module>/@v/<version>.zip. The server derives .mod and
 * .info from the zip. Prints what was zipped on stderr and the server's JSON answer (with
 * the h1 hashes) on stdout; with --json instead one result line and a summary
 * (cli_json.h). Exit 0 published (or already there), 1 failed, 2 bad usage.
 */
#include "cli.h"
#include "cli_json.h"
#include "client.h"
#include "modfile.h"
#include "modpath.h"
#include "semver.h"
#include "staging.h"
#include "zipbuild.h"
#include "zipcheck.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct publish_args {
    const char *dir, *module, *version, *url, *token;
    int json;
    char module_buf[MODPATH_MAX + 1]; /* the module go.mod names, without --module */
} publish_args;

/* What one run did, for the report. */
typedef struct publish_run {
    struct zipbuild_report rep;
    off_t size;
    long status;       /* the server's, 0 before an answer */
    client_body answer;
    char why[4400];    /* why it failed, "" */
} publish_run;

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
        else if (strcmp(argv[i], "--json") == 0)
            a->json = 1;
        else if (slot == NULL && a->dir == NULL && argv[i][0] != '-')
            a->dir = argv[i];
        else
            return fprintf(stderr, "stoa publish: unexpected argument '%s'\n", argv[i]), -1;
    }
    if (a->dir == NULL || a->version == NULL)
        return fprintf(stderr, "usage: stoa publish DIR [--module PATH] --version vX.Y.Z [--url URL] [--token T] [--json]\n"),
               -1;
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

/* The zip of DIR in a temp file *fd, checked. 0, or -1 with the reason in p->why. */
static int build_zip(const publish_args *a, publish_run *p, int *fd)
{
    char why[512];
    if ((*fd = staging_open(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp")) < 0)
        return snprintf(p->why, sizeof(p->why), "temp file: %s", strerror(errno)), -1;
    if (zipbuild_from_dir(a->dir, a->module, a->version, *fd, &p->rep, why, sizeof(why)) != 0)
        return snprintf(p->why, sizeof(p->why), "%s", why), -1;
    p->size = lseek(*fd, 0, SEEK_END);
    if (zipcheck_fd(*fd, (uint64_t)p->size, a->module, a->version, NULL, NULL, why, sizeof(why)) != 0)
        return snprintf(p->why, sizeof(p->why), "the zip breaks a module rule: %s", why), -1;
    if (!a->json)
        fprintf(stderr, "stoa publish: %s@%s: %zu files (%zu left out), %lld bytes zipped\n", a->module, a->version,
                p->rep.files, p->rep.omitted, (long long)p->size);
    return lseek(*fd, 0, SEEK_SET) == 0 ? 0 : (snprintf(p->why, sizeof(p->why), "%s", strerror(errno)), -1);
}

/* The PUT; 0 when the server took the zip (200 or 201), else -1 with p->why. */
static int upload(const publish_args *a, publish_run *p, int fd)
{
    char esc[MODPATH_MAX * 2 + 1], url[4096];
    modpath_escape(a->module, esc, sizeof(esc), NULL, 0);
    snprintf(url, sizeof(url), "%s/%s/@v/%s.zip", a->url, esc, a->version);
    FILE *body = fdopen(dup(fd), "rb");
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = client_auth_header(a->token);
    if (body == NULL || h == NULL)
        snprintf(p->why, sizeof(p->why), "out of memory");
    else
        p->status = client_put(h, url, a->token, body, (curl_off_t)p->size, hdr, &p->answer, p->why, sizeof(p->why));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (body != NULL)
        fclose(body);
    if (p->status > 0 && p->status != 200 && p->status != 201)
        snprintf(p->why, sizeof(p->why), "%.4096s answered %ld", url, p->status);
    return p->status == 200 || p->status == 201 ? 0 : -1;
}

/* --json: the result line ("published", "present" for the same bytes again, "failed")
 * with what was zipped and the server's hashes, then the summary. */
static void report_json(const publish_args *a, const publish_run *p, int ok)
{
    json_t *answer = ok ? json_loads(p->answer.text, 0, NULL) : NULL;
    int created = json_is_true(json_object_get(answer, "created"));
    const char *result = !ok ? "failed" : created ? "published" : "present";
    char why[sizeof(p->why) + 320];
    /* a refusal's reason is the server's answer, which plain output prints on stdout */
    int n = snprintf(why, sizeof(why), "%s%s%.300s", p->why, p->status > 0 && p->answer.len ? ": " : "",
                     p->status > 0 ? p->answer.text : "");
    while (n > 0 && (size_t)n < sizeof(why) && (why[n - 1] == '\n' || why[n - 1] == '\r'))
        why[--n] = '\0';
    json_t *o = cli_json_result(a->module, a->version, result, ok ? NULL : why);
    json_object_set_new(o, "status", json_integer(p->status));
    json_object_set_new(o, "files", json_integer((json_int_t)p->rep.files));
    json_object_set_new(o, "omitted", json_integer((json_int_t)p->rep.omitted));
    json_object_set_new(o, "bytes", json_integer((json_int_t)p->size));
    static const char *const from_answer[] = {"h1", "go_mod_h1", "sha256"};
    for (size_t i = 0; i < sizeof(from_answer) / sizeof(from_answer[0]); ++i)
        if (json_is_string(json_object_get(answer, from_answer[i])))
            json_object_set(o, from_answer[i], json_object_get(answer, from_answer[i]));
    json_decref(answer);
    cli_json_print(o);
    cli_json_summary(json_pack("{s:i,s:i,s:i}", "published", ok && created, "present", ok && !created, "failed", !ok));
}

int cli_publish(int argc, char **argv)
{
    publish_args a = {0};
    if (parse_args(argc, argv, &a) != 0)
        return 2;
    if (check_args(&a) != 0)
        return 2;
    int fd = -1;
    static publish_run p; /* the answer buffer is large */
    memset(&p, 0, sizeof(p));
    int ok = build_zip(&a, &p, &fd) == 0 && upload(&a, &p, fd) == 0;
    if (fd >= 0)
        close(fd);
    if (a.json)
        report_json(&a, &p, ok);
    else {
        if (p.status > 0)
            printf("%s\n", p.answer.text); /* the server's answer, as sent */
        if (!ok)
            fprintf(stderr, "stoa publish: %s\n", p.why);
    }
    return ok ? 0 : 1;
}
