/*
 * stoa import DIR [--url URL] [--token T] [--public FILE] [--public-mode skip|cache] [--dry-run] [--json]
 *
 * Moves the module versions of another store into a running stoa, as publishes: an
 * Athens disk store (<root>/<module>/<version>/{source.zip,go.mod,<version>.info}), a
 * GOPROXY-shaped tree or the go command's module cache (<root>/<escaped module>/@v/
 * <version>.zip beside .mod and .info; a GOMODCACHE root is read from cache/download).
 *
 * Each zip is checked locally with the server's rules (core/gomod/zipcheck.h), and a
 * go.mod beside it must be the one in the zip (what the server derives), so a store
 * that served other bytes is reported, not half-imported; so is an .info beside it that
 * names another version or has a Time that is not RFC 3339. Then the zip is PUT to
 * <url>/<module>/@v/<version>.zip with that Time in X-Stoa-Info-Time: the server checks
 * the zip again, applies its namespace and version rules, audits the publish and derives
 * .mod and .info, whose Time is the one carried (the import time without one).
 * Versions outside the server's private namespaces are not published (the server
 * refuses them): they are counted and, with --public, written as `module version` lines
 * that `stoa prefetch FILE` fetches through the upstreams, checked against the checksum
 * database like any fill. With --public-mode cache (an admin token) every version is
 * first offered to the cache (PUT with X-Stoa-Import: cache, handler_import.c), which
 * holds the zip and its go.mod to the checksum database as a fill would; a private one
 * the server names as such is then published. What a store holds twice is imported once (the same bytes are
 * a no-op on the server), so an import can be run again after a failure.
 *
 * --json writes a JSON line per version found and a summary (cli_json.h) instead of the
 * plain report, and no progress.
 *
 * Exit 0 when every version was imported or cached (or was already there, or is
 * public), 1 listing those that failed or were refused, 2 on bad usage or an unreadable
 * DIR.
 */
#include "cli.h"
#include "cli_json.h"
#include "client.h"
#include "modpath.h"
#include "progress.h"
#include "semver.h"
#include "validate.h"
#include "zipcheck.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64   /* directory levels below DIR: a module path has fewer elements */
#define SNIPPET 300    /* bytes of a refusal shown in the report */

typedef struct found {
    char *module, *version, *zip, *mod, *info; /* mod and info may be NULL */
} found;

typedef struct import_args {
    const char *dir, *url, *token, *public_file, *public_mode;
    int dry_run, json;
    int cache_public; /* --public-mode cache: public versions go into the cache (admin scope) */
} import_args;

typedef struct import_run {
    found *v;
    size_t n, cap;
    size_t imported, cached, present, public, refused, failed, skipped;
    FILE *public_out;
    CURL *h;
    client_body answer;
    char sumdb[16];   /* a cache import's answer: verified, unverified, unchecked */
    int json; /* --json: results as JSON lines (cli_json.h) */
} import_run;

static const char usage_text[] = "usage: stoa import DIR [--url URL] [--token T] [--public FILE] "
                                 "[--public-mode skip|cache] [--dry-run] [--json]\n";

static int parse_args(int argc, char **argv, import_args *a)
{
    a->url = getenv("STOA_URL") ? getenv("STOA_URL") : "http://127.0.0.1:3000";
    a->token = getenv("STOA_TOKEN");
    for (int i = 0; i < argc; ++i) {
        const char **slot = strcmp(argv[i], "--url") == 0      ? &a->url
                            : strcmp(argv[i], "--token") == 0  ? &a->token
                            : strcmp(argv[i], "--public") == 0 ? &a->public_file
                            : strcmp(argv[i], "--public-mode") == 0 ? &a->public_mode
                                                                    : NULL;
        if (slot != NULL && i + 1 < argc)
            *slot = argv[++i];
        else if (strcmp(argv[i], "--dry-run") == 0)
            a->dry_run = 1;
        else if (strcmp(argv[i], "--json") == 0)
            a->json = 1;
        else if (slot == NULL && a->dir == NULL && argv[i][0] != '-')
            a->dir = argv[i];
        else
            return fprintf(stderr, "stoa import: unexpected argument '%s'\n%s", argv[i], usage_text), -1;
    }
    if (a->dir == NULL)
        return fprintf(stderr, "%s", usage_text), -1;
    if (a->public_mode != NULL && strcmp(a->public_mode, "cache") != 0 && strcmp(a->public_mode, "skip") != 0)
        return fprintf(stderr, "stoa import: --public-mode is skip or cache, not '%s'\n%s", a->public_mode, usage_text), -1;
    a->cache_public = a->public_mode != NULL && strcmp(a->public_mode, "cache") == 0;
    return 0;
}

static char *join(const char *a, const char *b)
{
    char *s = NULL;
    return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

static int is_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Decodes an escaped element sequence ("github.com/!azure/x"); a path without '!' is
 * taken as it is (Athens keeps decoded paths). NULL when it does not decode. */
static char *decoded(const char *s)
{
    if (strchr(s, '!') == NULL)
        return strdup(s);
    size_t n = strlen(s) + 1;
    char *out = malloc(n);
    if (out != NULL && modpath_unescape(s, out, n, NULL, 0) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static void free_found(found *f)
{
    free(f->module), free(f->version), free(f->zip), free(f->mod), free(f->info);
}

/* path when it names a regular file, else NULL (path freed). */
static char *if_file(char *path)
{
    if (path != NULL && !is_file(path)) {
        free(path);
        return NULL;
    }
    return path;
}

/* dir/<version><ext> when that is a regular file, else NULL. */
static char *beside(const char *dir, const char *version, const char *ext)
{
    char *s = NULL;
    return asprintf(&s, "%s/%s%s", dir, version, ext) < 0 ? NULL : if_file(s);
}

/* With --json, a result line (result: imported, cached, checked in a dry run, present,
 * public, refused, failed, skipped; a cached one says its checksum-database state in
 * "sumdb"); else only refusals, failures and skips, on stderr. */
static void report(const import_run *r, const char *module, const char *version, const char *result, const char *why)
{
    if (r->json) {
        json_t *o = cli_json_result(module, version, result, why);
        if (o != NULL && strcmp(result, "cached") == 0)
            json_object_set_new(o, "sumdb", json_string(r->sumdb));
        cli_json_print(o);
    } else if (strcmp(result, "failed") == 0) {
        fprintf(stderr, "stoa import: %s@%s: %s\n", module, version, why);
    } else if (strcmp(result, "refused") == 0) {
        fprintf(stderr, "stoa import: %s@%s: refused: %s\n", module, version, why);
    } else if (strcmp(result, "skipped") == 0) {
        fprintf(stderr, "stoa import: %s\n", why);
    }
}

/* Records module@version (escaped forms as found) with its files, taking them, unless
 * it does not decode; the checks of what it names come later, with a reason. */
static int add(import_run *r, const char *module, const char *version, found files)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        found *v = realloc(r->v, cap * sizeof(*v));
        if (v == NULL)
            return free_found(&files), -1;
        r->v = v;
        r->cap = cap;
    }
    found *f = &r->v[r->n];
    *f = files;
    f->module = decoded(module);
    f->version = decoded(version);
    if (f->module == NULL || f->version == NULL) {
        char why[4200];
        snprintf(why, sizeof(why), "%.4096s: not an escaped module path and version, skipped", f->zip);
        report(r, module, version, "skipped", why);
        free_found(f);
        ++r->skipped;
        return 0;
    }
    ++r->n;
    return 0;
}

/* An @v directory: every <version>.zip in it. */
static int scan_at_v(import_run *r, const char *dir, const char *module)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".zip") != 0)
            continue;
        char version[256];
        if (l - 4 >= sizeof(version))
            continue;
        memcpy(version, e->d_name, l - 4);
        version[l - 4] = '\0';
        found files = {.zip = join(dir, e->d_name), .mod = beside(dir, version, ".mod"),
                       .info = beside(dir, version, ".info")};
        rc = files.zip != NULL && is_file(files.zip) ? add(r, module, version, files) : (free_found(&files), 0);
    }
    closedir(d);
    return rc;
}

/* Walks dir (rel: its path below the root, "" for the root). Symbolic links are not
 * followed: a tree can then not lead the import out of itself or round in a loop. */
static int scan(import_run *r, const char *dir, const char *rel, int depth)
{
    if (depth > MAX_DEPTH)
        return 0;
    char *zip = join(dir, "source.zip");
    if (zip != NULL && is_file(zip) && rel[0] != '\0') { /* Athens: <module>/<version>/source.zip */
        const char *slash = strrchr(rel, '/');
        if (slash != NULL) {
            char *module = strndup(rel, (size_t)(slash - rel));
            found files = {.zip = zip, .mod = if_file(join(dir, "go.mod")), .info = beside(dir, slash + 1, ".info")};
            int rc = module != NULL ? add(r, module, slash + 1, files) : (free_found(&files), -1);
            free(module);
            return rc;
        }
    }
    free(zip);
    DIR *d = opendir(dir);
    if (d == NULL)
        return depth == 0 ? -1 : 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..", and no module path element starts with a dot */
        char *sub = join(dir, e->d_name), *subrel = NULL;
        struct stat st;
        if (sub == NULL || lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode) ||
            asprintf(&subrel, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) < 0) {
            free(sub);
            continue;
        }
        rc = strcmp(e->d_name, "@v") == 0 ? (rel[0] ? scan_at_v(r, sub, rel) : 0) : scan(r, sub, subrel, depth + 1);
        free(sub);
        free(subrel);
    }
    closedir(d);
    return rc;
}

static int by_module_version(const void *a, const void *b)
{
    const found *x = a, *y = b;
    int c = strcmp(x->module, y->module);
    return c != 0 ? c : semver_compare(x->version, y->version);
}

/* Reads at most cap bytes of path into buf; the length, or -1. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap);
    close(fd);
    return n;
}

/* The store's go.mod must be the one the server derives from the zip (its go.mod, or
 * "module PATH\n" when it has none), or the store is not what the go command was served. */
static int check_mod(const found *f, int zfd, uint64_t zsize, char *why, size_t whylen)
{
    static char have[ZIPCHECK_MAX_GOMOD / 16], want[ZIPCHECK_MAX_GOMOD / 16];
    size_t wl = 0;
    int st = zipcheck_extract_buf(zfd, zsize, f->module, f->version, "go.mod", want, sizeof(want), &wl, why, whylen);
    if (st == STOA_NOTFOUND)
        wl = (size_t)snprintf(want, sizeof(want), "module %s\n", f->module);
    else if (st != STOA_OK)
        return -1;
    ssize_t hl = slurp(f->mod, have, sizeof(have));
    if (hl < 0)
        return snprintf(why, whylen, "%s: %s", f->mod, strerror(errno)), -1;
    if ((size_t)hl != wl || memcmp(have, want, wl) != 0)
        return snprintf(why, whylen, "its go.mod (%s) differs from the one in its zip", f->mod), -1;
    return 0;
}

/* The local checks: what the server would refuse anyway, said before anything is sent. */
static int check_local(const found *f, char *why, size_t whylen)
{
    if (modpath_check(f->module, why, whylen) != 0)
        return -1;
    if (!semver_is_canonical(f->version))
        return snprintf(why, whylen, "'%s' is not a canonical version", f->version), -1;
    if (modpath_check_major(f->module, f->version, why, whylen) != 0)
        return -1;
    int fd = open(f->zip, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, whylen, "%s: %s", f->zip, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int zc = zipcheck_fd(fd, (uint64_t)st.st_size, f->module, f->version, NULL, NULL, why, whylen);
    int rc = zc == STOA_OK && (f->mod == NULL || check_mod(f, fd, (uint64_t)st.st_size, why, whylen) == 0) ? 0 : -1;
    close(fd);
    return rc;
}

/* The Time of the store's .info, in UTC (validate.h), into when; "" when there is no
 * .info or it has no Time (the server then takes the import time). An .info that names
 * another version or an unreadable Time fails the version: the store is not what the go
 * command was served. */
static int info_time(const found *f, char when[VALIDATE_TIME_MAX], char *why, size_t whylen)
{
    when[0] = '\0';
    if (f->info == NULL)
        return 0;
    json_error_t je;
    json_t *j = json_load_file(f->info, 0, &je);
    const char *v = json_string_value(json_object_get(j, "Version"));
    json_t *t = json_object_get(j, "Time");
    int rc = -1;
    if (!json_is_object(j))
        snprintf(why, whylen, "%s: not a JSON object: %s", f->info, je.text);
    else if (v == NULL || strcmp(v, f->version) != 0)
        snprintf(why, whylen, "its .info (%s) names version %.100s", f->info, v != NULL ? v : "(none)");
    else if (t != NULL && (!json_is_string(t) || validate_info_time(json_string_value(t), when, VALIDATE_TIME_MAX, NULL) != 0))
        snprintf(why, whylen, "its .info (%s) has a Time that is not an RFC 3339 time", f->info);
    else
        rc = 0;
    json_decref(j);
    return rc;
}

/* PUTs path to url, with the .info's Time when when is not "" and X-Stoa-Import: cache
 * when cache; the status, or -1 with why when it could not be sent. The answer's first
 * bytes stay in r->answer. */
static long put_file(import_run *r, const import_args *a, const char *url, const char *path, const char *when, int cache,
                     char *why, size_t whylen)
{
    FILE *body = fopen(path, "rb");
    struct stat st;
    if (body == NULL || fstat(fileno(body), &st) != 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        if (body != NULL)
            fclose(body);
        return -1;
    }
    struct curl_slist *hdr = client_auth_header(a->token), *with_time = hdr;
    char time_hdr[64 + VALIDATE_TIME_MAX];
    snprintf(time_hdr, sizeof(time_hdr), "X-Stoa-Info-Time: %s", when); /* handler_publish.c */
    if ((when[0] != '\0' && (with_time = curl_slist_append(hdr, time_hdr)) == NULL) ||
        (cache && (with_time = curl_slist_append(with_time, "X-Stoa-Import: cache")) == NULL)) { /* handler_import.c */
        curl_slist_free_all(hdr);
        fclose(body);
        return snprintf(why, whylen, "out of memory"), -1;
    }
    long status = client_put(r->h, url, a->token, body, (curl_off_t)st.st_size, with_time, &r->answer, why, whylen);
    curl_slist_free_all(with_time);
    fclose(body);
    return status;
}

/* The answer to a cache import: 'c'ached (r->sumdb says how checked), 'p'resent, 'r'efused
 * (the server's checks: its 422), or 'f'ailed; 'u' for a private path, to publish; 'a'
 * when the token may not import into the cache (it may still publish private ones). */
static int cache_one(import_run *r, const import_args *a, const char *url, const char *path, const char *when, char *why,
                     size_t whylen)
{
    long st = put_file(r, a, url, path, when, 1, why, whylen);
    if (st == 403 && strstr(r->answer.text, "is in a private namespace") != NULL)
        return 'u';
    if (st == 401 || st == 403)
        return snprintf(why, whylen, "%ld %.*s", st, SNIPPET, r->answer.text), 'a';
    if (st == 200 || st == 201) {
        json_t *j = json_loads(r->answer.text, 0, NULL);
        const char *state = json_string_value(json_object_get(j, "sumdb"));
        snprintf(r->sumdb, sizeof(r->sumdb), "%s", state != NULL ? state : "");
        json_decref(j);
        return st == 201 ? 'c' : 'p';
    }
    if (st < 0)
        return 'f';
    snprintf(why, whylen, "%ld %.*s", st, SNIPPET, r->answer.text);
    return st == 422 ? 'r' : 'f';
}

/* One version: 'i'mported, 'c'ached, 'p'resent already, 'P'ublic, 'r'efused or 'f'ailed
 * (why says). With --public-mode cache it is offered to the cache first (public versions
 * are most of a proxy's store), and published when the server says it is private or
 * the token may not import into the cache (a publish token still publishes the private
 * versions; a public one then fails with the cache's refusal). */
static int import_one(import_run *r, const import_args *a, const found *f, char *why, size_t whylen)
{
    char when[VALIDATE_TIME_MAX];
    if (check_local(f, why, whylen) != 0 || info_time(f, when, why, whylen) != 0)
        return 'f';
    if (a->dry_run)
        return 'i';
    char esc[MODPATH_MAX * 2 + 1], url[8192];
    if (modpath_escape(f->module, esc, sizeof(esc), why, whylen) != 0)
        return 'f';
    snprintf(url, sizeof(url), "%s/%s/@v/%s.zip", a->url, esc, f->version);
    int what = a->cache_public ? cache_one(r, a, url, f->zip, when, why, whylen) : 'u';
    if (what != 'u' && what != 'a')
        return what;
    char denied[SNIPPET + 32];
    snprintf(denied, sizeof(denied), "%s", what == 'a' ? why : "");
    long st = put_file(r, a, url, f->zip, when, 0, why, whylen);
    /* The server's own words for a module outside its private namespaces (handler_publish.c). */
    if (st == 403 && strstr(r->answer.text, "is not in a private namespace") != NULL)
        return what == 'a' ? (snprintf(why, whylen, "%s", denied), 'f') : 'P'; /* public: the cache's refusal tells */
    if (st != 200 && st != 201)
        return st < 0 ? 'f' : (snprintf(why, whylen, "%ld %.*s", st, SNIPPET, r->answer.text), 'f');
    return st == 201 ? 'i' : 'p';
}

static void tally(import_run *r, const import_args *a, const found *f, int what, const char *why)
{
    const char *result = "failed";
    switch (what) {
    case 'i': ++r->imported, result = a->dry_run ? "checked" : "imported"; break;
    case 'c': ++r->cached, result = "cached"; break;
    case 'p': ++r->present, result = "present"; break;
    case 'r': ++r->refused, result = "refused"; break;
    case 'P':
        ++r->public, result = "public";
        if (r->public_out != NULL)
            fprintf(r->public_out, "%s %s\n", f->module, f->version);
        break;
    default: ++r->failed;
    }
    report(r, f->module, f->version, result, what == 'f' || what == 'r' ? why : NULL);
}

static void summary(const import_run *r, const import_args *a)
{
    size_t seen = r->n + r->skipped;
    if (r->json)
        cli_json_summary(json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "found", (json_int_t)seen,
                                   a->dry_run ? "checked" : "imported", (json_int_t)r->imported, "cached",
                                   (json_int_t)r->cached, "present", (json_int_t)r->present, "public",
                                   (json_int_t)r->public, "refused", (json_int_t)r->refused, "failed",
                                   (json_int_t)r->failed, "skipped", (json_int_t)r->skipped, "dry_run", a->dry_run));
    else if (a->dry_run)
        printf("dry run: %zu module version(s) found in %s: %zu pass the local checks, %zu fail them, %zu skipped; "
               "nothing was sent\n", seen, a->dir, r->imported, r->failed, r->skipped);
    else if (a->cache_public)
        printf("%zu module version(s) found in %s: %zu imported, %zu cached, %zu already there, %zu refused, %zu failed, "
               "%zu skipped\n", seen, a->dir, r->imported, r->cached, r->present, r->refused, r->failed, r->skipped);
    else
        printf("%zu module version(s) found in %s: %zu imported, %zu already there, %zu public (not published%s), "
               "%zu failed, %zu skipped\n", seen, a->dir, r->imported, r->present, r->public,
               a->public_file != NULL ? "; listed in the --public file for stoa prefetch" : "", r->failed, r->skipped);
}

static int run_import(import_run *r, const import_args *a)
{
    progress pg;
    progress_init(&pg, "stoa import", r->n, a->json ? PROGRESS_SILENT : 1);
    for (size_t i = 0; i < r->n; ++i) {
        char why[SNIPPET + 512] = "";
        int what = import_one(r, a, &r->v[i], why, sizeof(why));
        if (what == 'f' || what == 'r')
            progress_clear(&pg);
        tally(r, a, &r->v[i], what, why);
        char status[160];
        snprintf(status, sizeof(status), "%zu imported, %zu cached, %zu already there, %zu public, %zu refused, %zu failed",
                 r->imported, r->cached, r->present, r->public, r->refused, r->failed);
        progress_show(&pg, i + 1, status, i + 1 == r->n);
    }
    summary(r, a);
    return r->failed > 0 || r->refused > 0 || r->skipped > 0 ? 1 : 0;
}

static void free_run(import_run *r)
{
    for (size_t i = 0; i < r->n; ++i)
        free_found(&r->v[i]);
    free(r->v);
    if (r->h != NULL)
        curl_easy_cleanup(r->h);
    if (r->public_out != NULL)
        fclose(r->public_out);
}

int cli_import(int argc, char **argv)
{
    import_args a = {0};
    if (parse_args(argc, argv, &a) != 0)
        return 2;
    import_run r = {.json = a.json};
    char *cache = join(a.dir, "cache/download"); /* a GOMODCACHE root */
    struct stat st;
    const char *root = cache != NULL && stat(cache, &st) == 0 && S_ISDIR(st.st_mode) ? cache : a.dir;
    int rc = scan(&r, root, "", 0);
    free(cache);
    if (rc != 0) {
        fprintf(stderr, "stoa import: cannot read %s: %s\n", a.dir, rc < 0 && errno ? strerror(errno) : "out of memory");
        free_run(&r);
        return 2;
    }
    if (r.n > 1)
        qsort(r.v, r.n, sizeof(*r.v), by_module_version);
    if (a.public_file != NULL && (r.public_out = fopen(a.public_file, "w")) == NULL) {
        fprintf(stderr, "stoa import: %s: %s\n", a.public_file, strerror(errno));
        free_run(&r);
        return 2;
    }
    if (!a.dry_run && (r.h = curl_easy_init()) == NULL) {
        fprintf(stderr, "stoa import: out of memory\n");
        free_run(&r);
        return 2;
    }
    rc = run_import(&r, &a);
    free_run(&r);
    return rc;
}
