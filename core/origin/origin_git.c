/* Bare git mirrors through libgit2; see origin_git.h. */
#include "origin_git.h"

#include "clock.h"
#include "origin_hostkey.h"
#include "urlshow.h"

#include <stoa/stoa.h>

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEAD_REF "refs/stoa/HEAD"
#define STRIPES 64

struct origin_git {
    git_repository *repo;
    char dir[4096];
    char url[2048];
    char shown[2048]; /* url without a password, for messages */
    unsigned stripe;
};

static pthread_mutex_t stripes[STRIPES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
    git_libgit2_init();
    for (size_t i = 0; i < STRIPES; ++i)
        pthread_mutex_init(&stripes[i], NULL);
    const char *file = getenv("SSL_CERT_FILE");
    const char *dir = getenv("SSL_CERT_DIR");
    if (file == NULL && dir == NULL)
        file = "/etc/ssl/certs/ca-certificates.crt";
    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir);
    git_libgit2_opts(GIT_OPT_SET_USER_AGENT, "stoa/" STOA_VERSION);
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0); /* our own mirrors, whoever runs us */
}

void origin_git_global_init(void)
{
    pthread_once(&once, init_once);
}

static int giterr(char *why, size_t whylen, int st, const char *what)
{
    const git_error *e = git_error_last();
    snprintf(why, whylen, "%s: %s", what, e != NULL && e->message != NULL ? e->message : "unknown libgit2 error");
    return st;
}

int origin_git_open(const char *mirror_root, const char *url, origin_git **out, char *why, size_t whylen)
{
    origin_git_global_init();
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)url, strlen(url), md);
    origin_git *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return snprintf(why, whylen, "out of memory"), STOA_INTERNAL;
    int n = snprintf(g->dir, sizeof(g->dir), "%s/", mirror_root);
    for (int i = 0; i < 20 && n < (int)sizeof(g->dir) - 3; ++i)
        n += snprintf(g->dir + n, sizeof(g->dir) - (size_t)n, "%02x", md[i]);
    snprintf(g->url, sizeof(g->url), "%s", url);
    url_show(url, g->shown, sizeof(g->shown));
    g->stripe = md[0] % STRIPES;
    if (mkdir(mirror_root, 0700) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "mirror directory %s: %s", mirror_root, strerror(errno));
        return free(g), STOA_INTERNAL;
    }
    /* Concurrent first requests for one repository must not both create its mirror. */
    pthread_mutex_lock(&stripes[g->stripe]);
    int rc = git_repository_open_bare(&g->repo, g->dir);
    if (rc != 0)
        rc = git_repository_init(&g->repo, g->dir, 1);
    pthread_mutex_unlock(&stripes[g->stripe]);
    if (rc != 0) {
        giterr(why, whylen, STOA_INTERNAL, "opening git mirror");
        return free(g), STOA_INTERNAL;
    }
    *out = g;
    return STOA_OK;
}

void origin_git_close(origin_git *g)
{
    if (g == NULL)
        return;
    git_repository_free(g->repo);
    free(g);
}

/* ---- fetching ---- */

typedef struct fetch_ctx {
    const origin_fetch_opts *o;
    int64_t deadline_ms;
    uint64_t bytes;
    int timed_out, too_large, cred_tries;
    char hostkey_why[512]; /* why an ssh host key was refused; "" when it was not */
} fetch_ctx;

static int on_transfer(const git_indexer_progress *p, void *arg)
{
    fetch_ctx *x = arg;
    x->bytes = p->received_bytes;
    if (clock_mono_ms() > x->deadline_ms)
        return x->timed_out = 1, -1;
    if (x->o->max_bytes > 0 && p->received_bytes > x->o->max_bytes)
        return x->too_large = 1, -1;
    return 0;
}

static int on_sideband(const char *str, int len, void *arg)
{
    fetch_ctx *x = arg;
    return clock_mono_ms() > x->deadline_ms ? (x->timed_out = 1, -1) : 0;
}

/* ssh host keys: checked against known_hosts (strict: unknown or mismatching is
 * refused); without known_hosts only an insecure repository accepts any key. */
static int check_hostkey(fetch_ctx *x, const git_cert_hostkey *k)
{
    const origin_fetch_opts *o = x->o;
    if (o->known_hosts == NULL) {
        if (o->insecure)
            return 0;
        snprintf(x->hostkey_why, sizeof(x->hostkey_why), "ssh host key of %s not verified: no known_hosts configured",
                 o->host ? o->host : "the server");
        return GIT_ECERTIFICATE;
    }
    if (!(k->type & GIT_CERT_SSH_SHA256) && !(k->type & GIT_CERT_SSH_RAW)) {
        snprintf(x->hostkey_why, sizeof(x->hostkey_why), "ssh host key of %s: no SHA-256 or raw key to check",
                 o->host ? o->host : "the server");
        return GIT_ECERTIFICATE;
    }
    unsigned char md[32];
    const unsigned char *raw = (k->type & GIT_CERT_SSH_RAW) ? (const unsigned char *)k->hostkey : NULL;
    if (raw != NULL)
        SHA256(raw, k->hostkey_len, md);
    else
        memcpy(md, k->hash_sha256, 32);
    if (origin_hostkey_check(o->known_hosts, o->host ? o->host : "", o->port, raw, raw ? k->hostkey_len : 0, md,
                             x->hostkey_why, sizeof(x->hostkey_why)) == ORIGIN_HOSTKEY_OK)
        return 0;
    return GIT_ECERTIFICATE;
}

static int on_cert(git_cert *cert, int valid, const char *host, void *arg)
{
    fetch_ctx *x = arg;
    (void)host; /* libgit2 passes the host without its port; known_hosts needs both */
    if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
        return check_hostkey(x, (const git_cert_hostkey *)cert);
    if (x->o->insecure)
        return 0;
    return valid ? 0 : GIT_ECERTIFICATE;
}

static int on_cred(git_credential **out, const char *url, const char *user_from_url, unsigned int allowed, void *arg)
{
    fetch_ctx *x = arg;
    if (x->cred_tries++ > 0)
        return GIT_EAUTH; /* the one credential we have was refused: do not loop */
    if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && x->o->password != NULL)
        return git_credential_userpass_plaintext_new(out, x->o->username ? x->o->username : "git", x->o->password);
    if (allowed & GIT_CREDENTIAL_SSH_KEY) {
        const char *user = user_from_url ? user_from_url : x->o->username ? x->o->username : "git";
        if (x->o->ssh_key != NULL)
            return git_credential_ssh_key_new(out, user, NULL, x->o->ssh_key, NULL);
        return git_credential_ssh_key_from_agent(out, user);
    }
    return GIT_PASSTHROUGH;
}

static int64_t fetched_age_ms(const origin_git *g)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof(p), "%s/stoa-fetched", g->dir);
    if (stat(p, &st) != 0)
        return INT64_MAX;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return ((int64_t)now.tv_sec - st.st_mtim.tv_sec) * 1000 + (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
}

static void touch_fetched(const origin_git *g)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s/stoa-fetched", g->dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

static int listed(const git_remote_head **heads, size_t n, const char *name)
{
    for (size_t i = 0; i < n; ++i)
        if (strcmp(heads[i]->name, name) == 0)
            return 1;
    return 0;
}

/* Makes the mirror's refs exactly the remote's: drops heads and tags it no longer has,
 * and records its HEAD. */
static void sync_refs(origin_git *g, git_remote *remote)
{
    const git_remote_head **heads = NULL;
    size_t n = 0;
    if (git_remote_ls(&heads, &n, remote) != 0)
        return;
    git_reference_iterator *it = NULL;
    git_reference *ref = NULL;
    if (git_reference_iterator_glob_new(&it, g->repo, "refs/*") == 0) {
        while (git_reference_next(&ref, it) == 0) {
            const char *name = git_reference_name(ref);
            if ((strncmp(name, "refs/heads/", 11) == 0 || strncmp(name, "refs/tags/", 10) == 0) && !listed(heads, n, name))
                git_reference_delete(ref);
            git_reference_free(ref);
        }
        git_reference_iterator_free(it);
    }
    int have_head = 0;
    for (size_t i = 0; i < n; ++i) {
        if (strcmp(heads[i]->name, "HEAD") == 0) {
            git_object *obj = NULL;
            if (git_object_lookup(&obj, g->repo, &heads[i]->oid, GIT_OBJECT_COMMIT) == 0) {
                git_reference *r = NULL;
                if (git_reference_create(&r, g->repo, HEAD_REF, &heads[i]->oid, 1, NULL) == 0)
                    have_head = 1;
                git_reference_free(r);
                git_object_free(obj);
            }
        }
    }
    if (!have_head && git_reference_lookup(&ref, g->repo, HEAD_REF) == 0) {
        git_reference_delete(ref);
        git_reference_free(ref);
    }
}

static int classify_fetch(const fetch_ctx *x, int rc, char *why, size_t whylen, const char *url)
{
    const git_error *e = git_error_last();
    const char *msg = e != NULL && e->message != NULL ? e->message : "unknown error";
    if (x->timed_out)
        return snprintf(why, whylen, "git fetch %s: timed out after %u ms", url, x->o->total_ms), STOA_TIMEOUT;
    if (x->hostkey_why[0])
        return snprintf(why, whylen, "git fetch %s: %s", url, x->hostkey_why), STOA_NOTFOUND;
    if (x->too_large)
        return snprintf(why, whylen, "git fetch %s: more than %llu bytes", url, (unsigned long long)x->o->max_bytes),
               STOA_TOOLARGE;
    if (rc == GIT_EAUTH || (e != NULL && e->klass == GIT_ERROR_HTTP && strstr(msg, "401")) ||
        strstr(msg, "authentication") != NULL || strstr(msg, "403") != NULL)
        return snprintf(why, whylen, "git fetch %s: access denied (%s); %s%s", url,
                        e != NULL && e->message != NULL ? msg : "the server refused the credential",
                        x->o->credential ? "the configured credential was refused: " : "no credential configured",
                        x->o->credential ? x->o->credential : ""), STOA_NOTFOUND;
    if (strstr(msg, "404") != NULL || strstr(msg, "not found") != NULL || strstr(msg, "does not appear to be a git") != NULL)
        return snprintf(why, whylen, "git fetch %s: repository not found (%s)", url, msg), STOA_NOTFOUND;
    if (rc == GIT_ECERTIFICATE || (e != NULL && e->klass == GIT_ERROR_SSL))
        return snprintf(why, whylen, "git fetch %s: TLS: %s", url, msg), STOA_BADGATEWAY;
    if (e != NULL && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_OS))
        return snprintf(why, whylen, "git fetch %s: %s", url, msg), STOA_UNAVAILABLE;
    return snprintf(why, whylen, "git fetch %s: %s", url, msg), STOA_BADGATEWAY;
}

static int fetch_locked(origin_git *g, const origin_fetch_opts *o, origin_fetch_stats *stats, char *why, size_t whylen)
{
    fetch_ctx x = {.o = o, .deadline_ms = clock_mono_ms() + o->total_ms};
    git_remote *remote = NULL;
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    fo.callbacks.transfer_progress = on_transfer;
    fo.callbacks.sideband_progress = on_sideband;
    fo.callbacks.certificate_check = on_cert;
    fo.callbacks.credentials = on_cred;
    fo.callbacks.payload = &x;
    fo.prune = GIT_FETCH_NO_PRUNE;
    fo.update_fetchhead = 0;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fo.follow_redirects = GIT_REMOTE_REDIRECT_INITIAL;
    char *specs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
    git_strarray refspecs = {specs, 2};
    int64_t t0 = clock_mono_ms();
    /* In-memory remote on our mirror; no url.insteadOf lookup: libgit2 1.5's
     * git_regexp_match leaks its pcre2 match data on every config entry that does not
     * match, and the repository URL is already final here. */
    git_remote_create_options ro;
    git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    ro.repository = g->repo;
    ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(&remote, g->url, &ro) != 0)
        return giterr(why, whylen, STOA_INVALID, "git remote");
    int rc = git_remote_fetch(remote, &refspecs, &fo, NULL);
    if (stats != NULL)
        *stats = (origin_fetch_stats){.fetched = 1, .bytes = x.bytes, .seconds = (double)(clock_mono_ms() - t0) / 1000.0};
    int st = rc == 0 ? STOA_OK : classify_fetch(&x, rc, why, whylen, g->shown);
    if (st == STOA_OK) {
        sync_refs(g, remote);
        touch_fetched(g);
    }
    git_remote_free(remote);
    return st;
}

int origin_git_refresh(origin_git *g, uint32_t max_age_ms, const origin_fetch_opts *o, origin_fetch_stats *stats,
                       char *why, size_t whylen)
{
    if (stats != NULL)
        memset(stats, 0, sizeof(*stats));
    if (max_age_ms > 0 && fetched_age_ms(g) < (int64_t)max_age_ms)
        return STOA_OK;
    pthread_mutex_lock(&stripes[g->stripe]);
    char lock[4200];
    snprintf(lock, sizeof(lock), "%s/stoa-lock", g->dir);
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd >= 0)
        flock(lfd, LOCK_EX);
    int st = STOA_OK;
    /* whoever held the lock before us may have fetched just now */
    if (max_age_ms == 0 || fetched_age_ms(g) >= (int64_t)max_age_ms)
        st = fetch_locked(g, o, stats, why, whylen);
    if (lfd >= 0)
        close(lfd);
    pthread_mutex_unlock(&stripes[g->stripe]);
    return st;
}

/* ---- reading ---- */

static int peel_commit(git_repository *repo, const git_oid *id, git_oid *out)
{
    git_object *obj = NULL, *peeled = NULL;
    if (git_object_lookup(&obj, repo, id, GIT_OBJECT_ANY) != 0)
        return -1;
    int rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
    if (rc == 0)
        git_oid_cpy(out, git_object_id(peeled));
    git_object_free(peeled);
    git_object_free(obj);
    return rc;
}

static int ref_commit(git_repository *repo, const char *refname, git_oid *out)
{
    git_oid id;
    if (git_reference_name_to_id(&id, repo, refname) != 0)
        return -1;
    return peel_commit(repo, &id, out);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const origin_tag *)a)->name, ((const origin_tag *)b)->name);
}

int origin_git_tags(origin_git *g, const char *prefix, origin_tag **out, size_t *n, char *why, size_t whylen)
{
    *out = NULL;
    *n = 0;
    git_reference_iterator *it = NULL;
    if (git_reference_iterator_glob_new(&it, g->repo, "refs/tags/*") != 0)
        return giterr(why, whylen, STOA_INTERNAL, "listing tags");
    size_t cap = 0;
    git_reference *ref = NULL;
    int st = STOA_OK;
    while (st == STOA_OK && git_reference_next(&ref, it) == 0) {
        const char *name = git_reference_name(ref) + 10;
        if (strncmp(name, prefix, strlen(prefix)) == 0) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                origin_tag *v = realloc(*out, cap * sizeof(*v));
                if (v == NULL) {
                    st = STOA_INTERNAL;
                    git_reference_free(ref);
                    break;
                }
                *out = v;
            }
            origin_tag *t = &(*out)[*n];
            t->name = strdup(name);
            t->commit[0] = '\0';
            git_oid c;
            if (ref_commit(g->repo, git_reference_name(ref), &c) == 0)
                git_oid_tostr(t->commit, sizeof(t->commit), &c);
            if (t->name != NULL)
                ++*n;
        }
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    if (st != STOA_OK)
        return snprintf(why, whylen, "out of memory"), st;
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), by_name);
    return STOA_OK;
}

void origin_git_free_tags(origin_tag *t, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        free(t[i].name);
    free(t);
}

int origin_git_head(origin_git *g, char hash[41])
{
    git_oid id;
    if (ref_commit(g->repo, HEAD_REF, &id) != 0)
        return STOA_NOTFOUND;
    git_oid_tostr(hash, 41, &id);
    return STOA_OK;
}

static int all_hex(const char *s)
{
    for (; *s; ++s)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* statLocal: the commit's hash, time and the tags on it. */
static int describe(origin_git *g, const git_oid *id, origin_rev *out, char *why, size_t whylen)
{
    git_commit *c = NULL;
    if (git_commit_lookup(&c, g->repo, id) != 0)
        return snprintf(why, whylen, "unknown revision"), STOA_NOTFOUND;
    memset(out, 0, sizeof(*out));
    git_oid_tostr(out->hash, sizeof(out->hash), id);
    memcpy(out->shortname, out->hash, 12);
    out->time = (int64_t)git_commit_time(c);
    git_commit_free(c);
    origin_tag *tags;
    size_t n;
    if (origin_git_tags(g, "", &tags, &n, why, whylen) != STOA_OK)
        return STOA_INTERNAL;
    out->tags = calloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; out->tags != NULL && i < n; ++i)
        if (strcmp(tags[i].commit, out->hash) == 0)
            out->tags[out->ntags++] = tags[i].name, tags[i].name = NULL;
    origin_git_free_tags(tags, n);
    if (out->tags == NULL)
        return snprintf(why, whylen, "out of memory"), STOA_INTERNAL;
    qsort(out->tags, out->ntags, sizeof(char *), by_str);
    return STOA_OK;
}

/* A hash prefix of a tip of refs/heads/, refs/tags/ or HEAD (the refs the remote listed). */
static int ref_prefix(origin_git *g, const char *rev, git_oid *out, char *why, size_t whylen)
{
    git_reference_iterator *it = NULL;
    git_reference *ref = NULL;
    int found = 0;
    if (git_reference_iterator_new(&it, g->repo) != 0)
        return giterr(why, whylen, STOA_INTERNAL, "listing refs");
    while (git_reference_next(&ref, it) == 0) {
        git_oid c;
        char hex[41];
        if (ref_commit(g->repo, git_reference_name(ref), &c) == 0) {
            git_oid_tostr(hex, sizeof(hex), &c);
            if (strncmp(hex, rev, strlen(rev)) == 0) {
                if (found && git_oid_cmp(out, &c) != 0)
                    found = -1;
                else if (found == 0)
                    git_oid_cpy(out, &c), found = 1;
            }
        }
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    if (found < 0)
        return snprintf(why, whylen, "ambiguous revision %s", rev), STOA_CONFLICT;
    return found ? STOA_OK : STOA_NOTFOUND;
}

int origin_git_stat(origin_git *g, const char *rev, origin_rev *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    size_t len = strlen(rev);
    git_oid id;
    char refname[1024];
    int hex = len >= 7 && len <= 40 && all_hex(rev);
    if (hex && git_oid_fromstrn(&id, rev, len) == 0) {
        git_object *obj = NULL;
        if (git_object_lookup_prefix(&obj, g->repo, &id, len, GIT_OBJECT_COMMIT) == 0) {
            git_oid_cpy(&id, git_object_id(obj));
            git_object_free(obj);
            return describe(g, &id, out, why, whylen);
        }
    }
    if (len < 900) {
        snprintf(refname, sizeof(refname), "refs/tags/%s", rev);
        if (ref_commit(g->repo, refname, &id) == 0)
            return describe(g, &id, out, why, whylen);
        snprintf(refname, sizeof(refname), "refs/heads/%s", rev);
        if (ref_commit(g->repo, refname, &id) == 0)
            return describe(g, &id, out, why, whylen);
    }
    if (strcmp(rev, "HEAD") == 0 && ref_commit(g->repo, HEAD_REF, &id) == 0)
        return describe(g, &id, out, why, whylen);
    if (hex) {
        int st = ref_prefix(g, rev, &id, why, whylen);
        if (st == STOA_OK)
            return describe(g, &id, out, why, whylen);
        if (st != STOA_NOTFOUND)
            return st;
    }
    return snprintf(why, whylen, "unknown revision %s", rev), STOA_NOTFOUND;
}

void origin_git_free_rev(origin_rev *r)
{
    for (size_t i = 0; i < r->ntags; ++i)
        free(r->tags[i]);
    free(r->tags);
    r->tags = NULL;
    r->ntags = 0;
}

static int commit_tree(origin_git *g, const char *commit, git_tree **tree, char *why, size_t whylen)
{
    git_oid id;
    git_commit *c = NULL;
    if (git_oid_fromstr(&id, commit) != 0 || git_commit_lookup(&c, g->repo, &id) != 0)
        return snprintf(why, whylen, "unknown revision %s", commit), STOA_NOTFOUND;
    int rc = git_commit_tree(tree, c);
    git_commit_free(c);
    return rc == 0 ? STOA_OK : giterr(why, whylen, STOA_INTERNAL, "reading tree");
}

int origin_git_read(origin_git *g, const char *commit, const char *file, size_t max, char **data, size_t *len,
                    char *why, size_t whylen)
{
    git_tree *tree = NULL;
    int st = commit_tree(g, commit, &tree, why, whylen);
    if (st != STOA_OK)
        return st;
    git_tree_entry *e = NULL;
    git_blob *blob = NULL;
    if (git_tree_entry_bypath(&e, tree, file) != 0 || git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
        st = STOA_NOTFOUND;
        snprintf(why, whylen, "%s: file does not exist", file);
    } else if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(e)) != 0) {
        st = giterr(why, whylen, STOA_INTERNAL, "reading blob");
    } else if ((size_t)git_blob_rawsize(blob) > max) {
        st = STOA_TOOLARGE;
        snprintf(why, whylen, "%s: file too large (max size is %zu bytes)", file, max);
    } else {
        *len = (size_t)git_blob_rawsize(blob);
        *data = malloc(*len + 1);
        if (*data == NULL)
            st = STOA_INTERNAL, snprintf(why, whylen, "out of memory");
        else
            memcpy(*data, git_blob_rawcontent(blob), *len), (*data)[*len] = '\0';
    }
    git_blob_free(blob);
    git_tree_entry_free(e);
    git_tree_free(tree);
    return st;
}

int origin_git_descends(origin_git *g, const char *commit, const char *ancestor)
{
    git_oid a, b;
    if (git_oid_fromstr(&a, commit) != 0 || git_oid_fromstr(&b, ancestor) != 0)
        return 0;
    return git_oid_equal(&a, &b) || git_graph_descendant_of(g->repo, &a, &b) == 1;
}

/* ---- extracting ---- */

typedef struct extract {
    origin_git *g;
    const char *dest;
    uint64_t max, total;
    int st;
    char *why;
    size_t whylen;
} extract;

static int write_blob(extract *x, const char *path, const git_oid *id)
{
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, x->g->repo, id) != 0)
        return giterr(x->why, x->whylen, STOA_INTERNAL, "reading blob");
    size_t len = (size_t)git_blob_rawsize(blob);
    if ((x->total += len) > x->max) {
        git_blob_free(blob);
        return snprintf(x->why, x->whylen, "module source tree too large (max size is %llu bytes)",
                        (unsigned long long)x->max), STOA_TOOLARGE;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    const char *p = git_blob_rawcontent(blob);
    size_t off = 0;
    while (fd >= 0 && off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int ok = fd >= 0 && off == len;
    int err = errno;
    if (fd >= 0)
        close(fd);
    git_blob_free(blob);
    if (!ok)
        return snprintf(x->why, x->whylen, "writing %s: %s", path, strerror(err)), STOA_INTERNAL;
    return STOA_OK;
}

static int on_entry(const char *root, const git_tree_entry *e, void *arg)
{
    extract *x = arg;
    char path[8192];
    if (snprintf(path, sizeof(path), "%s/%s%s", x->dest, root, git_tree_entry_name(e)) >= (int)sizeof(path)) {
        x->st = STOA_UNPROCESSABLE;
        snprintf(x->why, x->whylen, "path too long: %s%s", root, git_tree_entry_name(e));
        return -1;
    }
    git_filemode_t mode = git_tree_entry_filemode(e);
    if (mode == GIT_FILEMODE_TREE) {
        if (mkdir(path, 0750) != 0) {
            x->st = STOA_INTERNAL;
            snprintf(x->why, x->whylen, "mkdir %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
        return 0; /* symlinks and submodules are not regular files: the zip rules skip them */
    x->st = write_blob(x, path, git_tree_entry_id(e));
    return x->st == STOA_OK ? 0 : -1;
}

int origin_git_extract(origin_git *g, const char *commit, const char *subdir, const char *dest, uint64_t max_bytes,
                       int *have_license, char *why, size_t whylen)
{
    git_tree *root = NULL, *tree = NULL;
    int st = commit_tree(g, commit, &root, why, whylen);
    if (st != STOA_OK)
        return st;
    if (subdir[0] != '\0') {
        git_tree_entry *e = NULL;
        if (git_tree_entry_bypath(&e, root, subdir) != 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE ||
            git_tree_lookup(&tree, g->repo, git_tree_entry_id(e)) != 0)
            st = STOA_NOTFOUND, snprintf(why, whylen, "%s: directory does not exist", subdir);
        git_tree_entry_free(e);
    } else {
        tree = root, root = NULL;
    }
    if (st == STOA_OK) {
        *have_license = git_tree_entry_byname(tree, "LICENSE") != NULL;
        extract x = {.g = g, .dest = dest, .max = max_bytes, .why = why, .whylen = whylen};
        if (git_tree_walk(tree, GIT_TREEWALK_PRE, on_entry, &x) != 0)
            st = x.st != STOA_OK ? x.st : giterr(why, whylen, STOA_INTERNAL, "walking tree");
    }
    git_tree_free(tree);
    git_tree_free(root);
    return st;
}
