/*
 * stoa prefetch [--url URL] [--token T] [--jobs N] [--json] FILE...
 *
 * Warms the cache of a running stoa: reads go.mod, go.sum or `go list -m all` output
 * (core/gomod/modlist.h; "-" is stdin) and GETs .info, .mod and .zip of every module version
 * in them (only .mod for go.sum's "/go.mod" lines) through the server, N at a time with
 * one libcurl multi handle on this thread. The server fills its storage as for any
 * client, so a later build finds everything even when upstreams are gone.
 *
 * Credentials: --token (or $STOA_TOKEN) as a bearer token, else ~/.netrc ($NETRC) as the
 * go command uses it; a private CA is trusted through $SSL_CERT_FILE, as by the go
 * command.
 *
 * Progress goes to stderr: a bar when stderr is a terminal, a line per tenth otherwise.
 * --json writes instead a JSON line per file (fetched or failed) and a summary on
 * stdout (cli_json.h), and no progress.
 * Exit 0 when every file was fetched, 1 listing what could not be, 2 on bad usage or a
 * malformed input file (named with its line).
 */
#include "cli.h"
#include "cli_json.h"
#include "client.h"
#include "modlist.h"
#include "modpath.h"
#include "progress.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PREFETCH_MAX_INPUT (64u << 20) /* bytes of one input file */
#define MAX_JOBS 64
#define SNIPPET 200           /* bytes of an error body kept for the report */

typedef struct prefetch_args {
    const char *url, *token;
    long jobs;
    int json;
    char **files;
    int nfiles;
} prefetch_args;

typedef struct job {
    const modlist_entry *e;
    const char *ext;  /* "info", "mod", "zip" */
    int attempts;
    int failed;
    char why[SNIPPET + 64];
} job;

typedef struct xfer {
    job *j;
    CURL *h;
    curl_off_t bytes;
    size_t nsnip;
    char snip[SNIPPET + 1];
    char errbuf[CURL_ERROR_SIZE];
} xfer;

typedef struct run {
    const prefetch_args *a;
    job *jobs;
    size_t njobs, next, done, failed;
    size_t *retry; /* job indexes to try again */
    size_t nretry;
    curl_off_t bytes;
    struct curl_slist *hdr;
    progress bar;
    double start;
} run;

static const char usage_text[] = "usage: stoa prefetch [--url URL] [--token T] [--jobs N] [--json] FILE...\n"
                                 "  FILE: go.mod, go.sum, or `go list -m all` output (- for stdin)\n";

static int parse_args(int argc, char **argv, prefetch_args *a)
{
    a->url = getenv("STOA_URL") ? getenv("STOA_URL") : "http://127.0.0.1:3000";
    a->token = getenv("STOA_TOKEN");
    a->jobs = 8;
    a->files = calloc((size_t)argc + 1, sizeof(char *));
    if (a->files == NULL)
        return -1;
    for (int i = 0; i < argc; ++i) {
        const char *o = argv[i];
        if ((strcmp(o, "--url") == 0 || strcmp(o, "--token") == 0 || strcmp(o, "--jobs") == 0) && i + 1 < argc) {
            const char *v = argv[++i];
            if (o[2] == 'u')
                a->url = v;
            else if (o[2] == 't')
                a->token = v;
            else {
                char *end;
                a->jobs = strtol(v, &end, 10);
                if (*end != '\0' || a->jobs < 1 || a->jobs > MAX_JOBS)
                    return fprintf(stderr, "stoa prefetch: --jobs wants 1..%d, got '%s'\n", MAX_JOBS, v), -1;
            }
        } else if (strcmp(o, "--json") == 0) {
            a->json = 1;
        } else if (strcmp(o, "-") == 0 || o[0] != '-') {
            a->files[a->nfiles++] = argv[i];
        } else {
            return fprintf(stderr, "stoa prefetch: unexpected argument '%s'\n%s", o, usage_text), -1;
        }
    }
    if (a->nfiles == 0)
        return fputs(usage_text, stderr), -1;
    return 0;
}

/* ---- input ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n == cap) {
            char *b = cap >= PREFETCH_MAX_INPUT ? NULL : realloc(buf, cap * 2);
            if (b == NULL) {
                free(buf), buf = NULL;
                errno = EFBIG;
                break;
            }
            buf = b, cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                free(buf), buf = NULL;
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

static int read_inputs(const prefetch_args *a, modlist *l)
{
    for (int i = 0; i < a->nfiles; ++i) {
        const char *name = strcmp(a->files[i], "-") == 0 ? "<stdin>" : a->files[i];
        size_t len;
        char *text = slurp(a->files[i], &len), err[1024];
        if (text == NULL)
            return fprintf(stderr, "stoa prefetch: %s: %s\n", name, strerror(errno)), -1;
        int rc = modlist_parse(l, modlist_format_of(a->files[i]), name, text, len, err, sizeof(err));
        free(text);
        if (rc != 0)
            return fprintf(stderr, "stoa prefetch: %s\n", err), -1;
    }
    modlist_finish(l);
    return 0;
}

static job *make_jobs(const modlist *l, size_t *n)
{
    static const char *const ext[] = {"info", "mod", "zip"};
    job *j = calloc(l->n * 3 + 1, sizeof(*j));
    *n = 0;
    for (size_t i = 0; j != NULL && i < l->n; ++i)
        for (int k = 0; k < 3; ++k)
            if (l->v[i].kinds & (1u << k))
                j[(*n)++] = (job){.e = &l->v[i], .ext = ext[k]};
    return j;
}

/* ---- progress ---- */

static void show(run *r, int final)
{
    char sz[32], status[96];
    progress_human((double)r->bytes, sz, sizeof(sz));
    snprintf(status, sizeof(status), "files, %s, %zu failed", sz, r->failed);
    progress_show(&r->bar, r->done, status, final);
}

/* ---- transfers ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    xfer *x = arg;
    size_t len = size * n;
    if (x->nsnip < SNIPPET) {
        size_t k = len < SNIPPET - x->nsnip ? len : SNIPPET - x->nsnip;
        memcpy(x->snip + x->nsnip, p, k);
        x->nsnip += k;
    }
    x->bytes += (curl_off_t)len;
    return len;
}

static int start(run *r, CURLM *m, job *j)
{
    char mod[MODPATH_MAX * 2 + 1], ver[512], url[4096], why[256];
    if (modpath_escape(j->e->module, mod, sizeof(mod), why, sizeof(why)) != 0 ||
        modpath_escape(j->e->version, ver, sizeof(ver), why, sizeof(why)) != 0) {
        snprintf(j->why, sizeof(j->why), "%s", why);
        return -1;
    }
    size_t ul = strlen(r->a->url);
    while (ul > 0 && r->a->url[ul - 1] == '/')
        --ul;
    snprintf(url, sizeof(url), "%.*s/%s/@v/%s.%s", (int)ul, r->a->url, mod, ver, j->ext);
    xfer *x = calloc(1, sizeof(*x));
    if (x == NULL || (x->h = curl_easy_init()) == NULL) {
        free(x);
        snprintf(j->why, sizeof(j->why), "out of memory");
        return -1;
    }
    x->j = j;
    ++j->attempts;
    CURL *h = x->h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(h, CURLOPT_PRIVATE, x);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    /* a fill from a slow upstream may take a while; give up only on a long silence */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
    client_setup(h, r->a->token); /* trust and credentials as the go command finds them */
    curl_multi_add_handle(m, h);
    return 0;
}

/* --json: a file's line, result fetched or failed. */
static void json_line(const job *j, const char *result, curl_off_t bytes)
{
    json_t *o = cli_json_result(j->e->module, j->e->version, result, j->failed ? j->why : NULL);
    json_object_set_new(o, "file", json_string(j->ext));
    if (!j->failed)
        json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
    cli_json_print(o);
}

static void fail_job(run *r, job *j)
{
    j->failed = 1;
    ++r->failed;
    ++r->done;
    progress_clear(&r->bar);
    if (r->a->json)
        json_line(j, "failed", 0);
    else
        fprintf(stderr, "stoa prefetch: %s@%s .%s: %s\n", j->e->module, j->e->version, j->ext, j->why);
}

/* Records a finished transfer; transient failures (no answer, 5xx, 429) get one retry. */
static void finish(run *r, CURLM *m, CURLMsg *msg)
{
    xfer *x = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    job *j = x->j;
    long status = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    CURLcode rc = msg->data.result;
    if (rc == CURLE_OK && status == 200) {
        r->bytes += x->bytes;
        ++r->done;
        if (r->a->json)
            json_line(j, "fetched", x->bytes);
    } else {
        if (rc != CURLE_OK) {
            snprintf(j->why, sizeof(j->why), "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
        } else {
            x->snip[x->nsnip] = '\0';
            x->snip[strcspn(x->snip, "\r\n")] = '\0';
            snprintf(j->why, sizeof(j->why), "HTTP %ld%s%s", status, x->snip[0] ? ": " : "", x->snip);
        }
        if (j->attempts < 2 && (rc != CURLE_OK || status >= 500 || status == 429))
            r->retry[r->nretry++] = (size_t)(j - r->jobs);
        else
            fail_job(r, j);
    }
    curl_multi_remove_handle(m, x->h);
    curl_easy_cleanup(x->h);
    free(x);
}

static void transfer_all(run *r)
{
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, r->a->jobs);
    int running = 0;
    for (;;) {
        while (running < r->a->jobs && (r->nretry > 0 || r->next < r->njobs)) {
            job *j = r->nretry > 0 ? &r->jobs[r->retry[--r->nretry]] : &r->jobs[r->next++];
            if (start(r, m, j) == 0)
                ++running;
            else
                fail_job(r, j);
        }
        if (running == 0)
            break;
        int still;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg == CURLMSG_DONE) {
                finish(r, m, msg);
                --running;
            }
        }
        show(r, 0);
        if (still > 0)
            curl_multi_poll(m, NULL, 0, 200, NULL);
    }
    curl_multi_cleanup(m);
}

static int report(const run *r, const modlist *l)
{
    char sz[32];
    double secs = progress_now() - r->start;
    if (r->a->json) {
        cli_json_summary(json_pack("{s:I,s:I,s:I,s:I,s:I,s:f}", "versions", (json_int_t)l->n, "files",
                                   (json_int_t)r->njobs, "fetched", (json_int_t)(r->njobs - r->failed), "failed",
                                   (json_int_t)r->failed, "bytes", (json_int_t)r->bytes, "seconds", secs));
        return r->failed > 0;
    }
    progress_human((double)r->bytes, sz, sizeof(sz));
    fprintf(stderr, "stoa prefetch: %zu module versions, %zu of %zu files fetched (%s) in %.1f s\n", l->n,
            r->njobs - r->failed, r->njobs, sz, secs);
    if (r->failed == 0)
        return 0;
    fprintf(stderr, "stoa prefetch: could not fetch %zu file(s):\n", r->failed);
    for (size_t i = 0; i < r->njobs; ++i)
        if (r->jobs[i].failed)
            fprintf(stderr, "  %s@%s .%s: %s\n", r->jobs[i].e->module, r->jobs[i].e->version, r->jobs[i].ext,
                    r->jobs[i].why);
    return 1;
}

int cli_prefetch(int argc, char **argv)
{
    prefetch_args a = {0};
    modlist l = {0};
    run r = {.a = &a, .start = progress_now()};
    int rc = 2;
    if (parse_args(argc, argv, &a) != 0 || read_inputs(&a, &l) != 0)
        goto out;
    rc = 1;
    r.jobs = make_jobs(&l, &r.njobs);
    r.retry = calloc(r.njobs + 1, sizeof(size_t));
    if (r.jobs == NULL || r.retry == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "stoa prefetch: out of memory\n");
        goto out;
    }
    progress_init(&r.bar, "stoa prefetch", r.njobs, a.json ? PROGRESS_SILENT : 1);
    r.hdr = client_auth_header(a.token);
    transfer_all(&r);
    show(&r, 1);
    rc = report(&r, &l);
    curl_slist_free_all(r.hdr);
    curl_global_cleanup();
out:
    free(r.jobs);
    free(r.retry);
    free(a.files);
    modlist_free(&l);
    return rc;
}
