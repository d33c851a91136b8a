/*
 * A bare mirror of one git repository, kept with libgit2: the part of the go command's
 * codehost/git.go that talks to git (loadRefs, fetchRefsLocked, statLocal, ReadFile,
 * RecentTag, DescendsFrom, ReadZip).
 *
 * The mirror lives in <mirror_root>/<sha256(url)>/ and holds refs/heads/..., refs/tags/...
 * as the remote has them (pruned, forced: a moved tag moves) plus refs/stoa/HEAD, the
 * remote's HEAD. origin_git_refresh fetches them when the last fetch is older than
 * max_age_ms; concurrent refreshes of one mirror in this process wait for each other
 * (one fetch), and an flock serialises processes sharing the directory.
 *
 * Blocking (network and disk): worker threads only. An origin_git handle is used by one
 * thread at a time.
 */
#ifndef STOA_ORIGIN_GIT_H
#define STOA_ORIGIN_GIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct origin_git origin_git;

/* How to reach the remote: bounds and trust for one fetch. */
typedef struct origin_fetch_opts {
    uint32_t connect_ms;   /* TCP connect to the git host */
    uint32_t total_ms;     /* the whole refresh */
    uint64_t max_bytes;    /* pack bytes received in one refresh (0 = no limit) */
    int insecure;          /* accept an unverified TLS certificate */
    const char *username;  /* credentials for https (NULL = none) */
    const char *password;
    const char *ssh_key;   /* private key file for ssh (NULL = ssh-agent) */
    const char *known_hosts; /* OpenSSH known_hosts for ssh host keys (NULL: refused unless insecure) */
    const char *host, *port; /* the remote's, as known_hosts names it */
    const char *credential;  /* where the credential came from, for a refusal's text; NULL: none */
} origin_fetch_opts;

typedef struct origin_fetch_stats {
    int fetched;           /* 1 when the network was used */
    uint64_t bytes;        /* pack bytes received */
    double seconds;
} origin_fetch_stats;

/* A commit, as statLocal describes it. tags: names of the tags whose target peels
 * to this commit, sorted. */
typedef struct origin_rev {
    char hash[41];
    char shortname[13];    /* ShortenSHA1: the first 12 hex digits */
    int64_t time;          /* committer time, Unix seconds */
    char **tags;
    size_t ntags;
} origin_rev;

/* A tag: name without refs/tags/, and the commit it peels to ("" if not a commit). */
typedef struct origin_tag {
    char *name;
    char commit[41];
} origin_tag;

void origin_git_global_init(void);


/* Opens (creating if needed) the mirror of url. STOA_OK or STOA_INTERNAL. */
int origin_git_open(const char *mirror_root, const char *url, origin_git **out, char *why, size_t whylen);
void origin_git_close(origin_git *g);

/* Fetches heads and tags when the mirror is older than max_age_ms (0 = always).
 * STOA_OK; STOA_NOTFOUND (repository not found or access denied: why says which);
 * STOA_TIMEOUT; STOA_UNAVAILABLE (cannot connect); STOA_TOOLARGE; STOA_BADGATEWAY. */
int origin_git_refresh(origin_git *g, uint32_t max_age_ms, const origin_fetch_opts *o, origin_fetch_stats *st,
                       char *why, size_t whylen);

/* All tags whose name starts with prefix, sorted by name. The caller frees with
 * origin_git_free_tags. STOA_OK or STOA_INTERNAL. */
int origin_git_tags(origin_git *g, const char *prefix, origin_tag **out, size_t *n, char *why, size_t whylen);
void origin_git_free_tags(origin_tag *t, size_t n);

/* The remote HEAD's commit into hash; STOA_NOTFOUND when the remote had none. */
int origin_git_head(origin_git *g, char hash[41]);

/* Resolves rev as gitRepo.stat does against the mirror: a hash (prefix of 7+ hex
 * digits) of a local commit, else refs/tags/rev, refs/heads/rev, "HEAD", else a hash
 * prefix of a ref. STOA_OK (free with origin_git_free_rev); STOA_NOTFOUND ("unknown
 * revision"); STOA_CONFLICT for an ambiguous prefix. */
int origin_git_stat(origin_git *g, const char *rev, origin_rev *out, char *why, size_t whylen);
void origin_git_free_rev(origin_rev *r);

/* Reads file (slash path) at commit: STOA_OK with *data malloc'd (NUL-terminated,
 * *len bytes); STOA_NOTFOUND when absent or not a blob; STOA_TOOLARGE over max. */
int origin_git_read(origin_git *g, const char *commit, const char *file, size_t max, char **data, size_t *len,
                    char *why, size_t whylen);

/* 1 if ancestor (a commit hash) is commit or one of its ancestors, else 0. */
int origin_git_descends(origin_git *g, const char *commit, const char *ancestor);

/* Writes the regular files of the tree at commit:subdir under dest (which exists),
 * skipping symlinks and submodules (gitlinks). *have_license says whether
 * subdir/LICENSE was in the tree (as any kind of entry, as git archive lists it).
 * Returns STOA_OK, STOA_NOTFOUND (no such subdir), STOA_TOOLARGE (over max_bytes in
 * total), STOA_INTERNAL. */
int origin_git_extract(origin_git *g, const char *commit, const char *subdir, const char *dest, uint64_t max_bytes,
                       int *have_license, char *why, size_t whylen);

#endif
