/*
 * stoa verify [--all | MODULE[@VERSION]...] [--strict] [--no-sumdb] [--evict] [--json]
 *
 * Re-checks the stored go.mod and zip of the selected versions (core/integrity/verify.h): the
 * bytes against their recorded sha256/h1, the pin, and the checksum database. Prints
 * one line per problem on stdout (or JSON lines with --json) and a summary; a bar on
 * stderr when it is a terminal.
 *
 * Exit: 0 every file agrees (unverified ones allowed unless --strict); 1 a mismatch,
 * a corrupt or unreadable file, or (--strict) an unverified one; 2 bad usage, a bad
 * configuration, storage that cannot be opened or listed, or a named target with
 * nothing stored.
 *
 * --evict removes each version whose stored bytes are bad from the cache, so the next
 * request refetches it through the fill's checks (and its pin, which stays), after
 * copying the bad files to quarantine_dir; each is a "quarantined" integrity event, as
 * when the server's re-check does it (core/integrity/recheck.h). Never a published version: no
 * upstream could give it back.
 *
 * Reads storage only (but for --evict and the database's tile cache), so it runs
 * beside `stoa serve` on the same storage. The run is audited as an admin action.
 */
#include "app.h"
#include "audit.h"
#include "cli.h"
#include "cli_json.h"
#include "clock.h"
#include "integrity.h"
#include "modpath.h"
#include "namespace.h"
#include "progress.h"
#include "semver.h"
#include "upstream.h"
#include "verify.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: stoa verify [--config FILE] (--all | MODULE[@VERSION]...) [--strict] [--no-sumdb] [--evict] [--json]\n"
    "  --all        every stored version (and every pinned one)\n"
    "  --strict     a file the checksum database cannot confirm fails the run\n"
    "  --no-sumdb   check stored bytes against their metadata and pins only\n"
    "  --evict      remove versions whose stored bytes are bad, so they are refetched\n"
    "  --json       one JSON object per problem and a summary, on stdout\n"
    "exit: 0 all agree, 1 a mismatch or unreadable file, 2 usage, config or storage error\n";

typedef struct opts {
    int all, strict, no_sumdb, evict, json;
    char **targets;
    int ntargets;
} opts;

typedef struct tally {
    uint64_t checked, ok, mismatched, unverified, skipped, confirmed, evicted, bytes;
} tally;

typedef struct run {
    const opts *o;
    storage *s;
    const struct conf *c;
    tally t;
    progress bar;
} run;

/* ---- arguments and selection ---- */

static int parse_args(int argc, char **argv, opts *o)
{
    static const struct {
        const char *name;
        size_t off;
    } flags[] = {{"--all", offsetof(opts, all)},       {"--strict", offsetof(opts, strict)},
                 {"--no-sumdb", offsetof(opts, no_sumdb)}, {"--evict", offsetof(opts, evict)},
                 {"--json", offsetof(opts, json)}};
    o->targets = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc && o->targets != NULL; ++i) {
        size_t f = 0;
        while (f < sizeof(flags) / sizeof(flags[0]) && strcmp(argv[i], flags[f].name) != 0)
            ++f;
        if (f < sizeof(flags) / sizeof(flags[0]))
            *(int *)((char *)o + flags[f].off) = 1;
        else if (argv[i][0] == '-')
            return fprintf(stderr, "stoa verify: unknown option '%s'\n%s", argv[i], usage_text), -1;
        else
            o->targets[o->ntargets++] = argv[i];
    }
    if (o->targets == NULL)
        return fprintf(stderr, "stoa verify: out of memory\n"), -1;
    if (o->all == (o->ntargets > 0))
        return fprintf(stderr, "stoa verify: name --all or MODULE[@VERSION] targets (not both)\n%s", usage_text), -1;
    return 0;
}

typedef struct collect {
    stored_versions *l;
    const char *module; /* only this module's versions; NULL for all */
} collect;

static int on_version(void *arg, const char *version, int64_t stored_at)
{
    collect *k = arg;
    return stored_versions_add(k->l, k->module, version, stored_at) != 0;
}

/* Pins name versions whose .mod was cached without an .info, which walk() misses. */
static int on_pin(void *arg, const char *module, const char *version, stoa_kind kind, const stoa_pin *pin)
{
    collect *k = arg;
    (void)kind, (void)pin;
    if (k->module != NULL && strcmp(k->module, module) != 0)
        return 0;
    return stored_versions_add(k->l, module, version, 0) != 0;
}

static void sort_unique(stored_versions *l)
{
    if (l->n == 0)
        return;
    qsort(l->v, l->n, sizeof(stored_version), stored_version_cmp);
    size_t w = 1;
    for (size_t i = 1; i < l->n; ++i) {
        if (stored_version_cmp(&l->v[i], &l->v[w - 1]) == 0)
            free(l->v[i].module), free(l->v[i].version);
        else
            l->v[w++] = l->v[i];
    }
    l->n = w;
}

/* Whether module@version has a .mod or .zip stored (or storage cannot say: the check
 * will report why), or a pin. */
static int stored(storage *s, const char *module, const char *version)
{
    static const stoa_kind kinds[] = {STOA_KIND_MOD, STOA_KIND_ZIP};
    for (size_t i = 0; i < 2; ++i) {
        stoa_key key = {module, version, kinds[i]};
        stoa_object obj;
        stoa_pin pin;
        stoa_error e = {0};
        if (storage_get(s, &key, STOA_GET_META_ONLY, &obj, &e) != STOA_NOTFOUND || storage_pin_get(s, &key, &pin, &e) == STOA_OK)
            return 1;
    }
    return 0;
}

/* One MODULE or MODULE@VERSION argument into l. 0, or -1 with the reason printed. */
static int select_target(storage *s, const char *arg, stored_versions *l)
{
    char module[MODPATH_MAX + 1], why[256];
    const char *at = strrchr(arg, '@');
    size_t mlen = at != NULL ? (size_t)(at - arg) : strlen(arg);
    if (mlen > MODPATH_MAX)
        return fprintf(stderr, "stoa verify: %s: module path too long\n", arg), -1;
    memcpy(module, arg, mlen);
    module[mlen] = '\0';
    if (modpath_check(module, why, sizeof(why)) != 0)
        return fprintf(stderr, "stoa verify: %s: %s\n", arg, why), -1;
    if (at != NULL && !semver_is_canonical(at + 1))
        return fprintf(stderr, "stoa verify: %s: '%s' is not a canonical version (vX.Y.Z[-pre][+incompatible])\n", arg,
                       at + 1), -1;
    if (at != NULL && !stored(s, module, at + 1))
        return fprintf(stderr, "stoa verify: nothing stored for %s\n", arg), -1;
    if (at != NULL)
        return stored_versions_add(l, module, at + 1, 0) == 0 ? 0 : (fprintf(stderr, "stoa verify: out of memory\n"), -1);
    size_t before = l->n;
    collect k = {l, module};
    stoa_error e = {0};
    if (storage_list(s, module, on_version, &k, &e) != STOA_OK || storage_pin_walk(s, -1, on_pin, &k, &e) != STOA_OK)
        return cli_report(STOA_LOG_ERROR, "verify", "storage: %s", e.msg), -1;
    if (l->oom)
        return fprintf(stderr, "stoa verify: out of memory\n"), -1;
    if (l->n == before)
        return fprintf(stderr, "stoa verify: nothing stored for %s\n", module), -1;
    return 0;
}

static int select_all(storage *s, stored_versions *l)
{
    collect k = {l, NULL};
    stoa_error e = {0};
    if (storage_walk(s, stored_versions_collect, l, &e) != STOA_OK || storage_pin_walk(s, -1, on_pin, &k, &e) != STOA_OK)
        return cli_report(STOA_LOG_ERROR, "verify", "storage: %s", e.msg), -1;
    if (l->oom)
        return fprintf(stderr, "stoa verify: out of memory\n"), -1;
    return 0;
}

/* ---- report ---- */

static void print_problem(run *r, const stored_version *it, const char *ext, const verify_problem *p)
{
    progress_clear(&r->bar);
    if (!r->o->json) {
        const char *label = p->what == VERIFY_CORRUPT      ? "CORRUPT"
                            : p->what == VERIFY_UNREADABLE ? "UNREADABLE"
                            : verify_is_mismatch(p->what)  ? "MISMATCH"
                                                           : "UNVERIFIED";
        printf("%s/@v/%s.%s: %s %s\n", it->module, it->version, ext, label, p->detail);
        return;
    }
    cli_json_print(json_pack("{s:o,s:o,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "module", cli_json_text(it->module), "version",
                             cli_json_text(it->version), "file", ext, "result",
                             verify_is_mismatch(p->what) ? "mismatch" : "unverified", "problem", verify_what_name(p->what),
                             "against", cli_json_text(p->against), "have", cli_json_text(p->have), "want",
                             cli_json_text(p->want), "detail", cli_json_text(p->detail)));
}

/* Counts one file; 1 when its stored bytes are bad. */
static int count_file(run *r, const stored_version *it, const char *ext, const verify_file *f)
{
    int mismatch = 0, unverified = 0;
    for (size_t i = 0; i < f->nproblems; ++i) {
        print_problem(r, it, ext, &f->problems[i]);
        if (verify_is_mismatch(f->problems[i].what))
            mismatch = 1;
        else
            unverified = 1;
    }
    ++r->t.checked;
    r->t.bytes += f->size;
    r->t.confirmed += (uint64_t)f->confirmed;
    if (mismatch)
        ++r->t.mismatched;
    else if (unverified)
        ++r->t.unverified;
    else
        ++r->t.ok;
    return f->bytes_bad;
}

/* The integrity event of one evicted file, as the server's re-check raises it. kept:
 * the path of the evidence copy, or "". */
static void report_quarantine(const stored_version *it, stoa_kind kind, const verify_file *f, const char *removal,
                              const char *kept)
{
    char msg[2048];
    snprintf(msg, sizeof(msg), "%s@%s %s quarantined by stoa verify: %s; %s; %s", it->module, it->version,
             kind == STOA_KIND_MOD ? "go.mod" : "zip", f->nproblems ? f->problems[0].detail : "bad bytes", removal,
             kept[0] ? kept : "no copy kept");
    integrity_report(INTEGRITY_QUARANTINED, it->module, it->version, kind, "", msg);
}

/* Where the version came from: the first recorded origin of its files ("" unknown). */
static void version_origin(run *r, const stored_version *it, const verify_file *mod, const verify_file *zip, char *out,
                           size_t len)
{
    stoa_key key = {it->module, it->version, STOA_KIND_INFO};
    stoa_object info;
    stoa_error e = {0};
    const char *o = zip->meta.origin[0] != '\0' ? zip->meta.origin : mod->meta.origin;
    if (o[0] == '\0' && storage_get(r->s, &key, STOA_GET_META_ONLY, &info, &e) == STOA_OK)
        o = info.meta.origin;
    snprintf(out, len, "%s", o);
}

static void evict_line(run *r, const stored_version *it, int ok, const char *what)
{
    progress_clear(&r->bar);
    if (!r->o->json) {
        printf("%s@%s: %s\n", it->module, it->version, what);
        return;
    }
    cli_json_print(json_pack("{s:o,s:o,s:b,s:o}", "module", cli_json_text(it->module), "version",
                             cli_json_text(it->version), "evicted", ok, "detail", cli_json_text(what)));
}

/* --evict: the whole version goes, so the next request refetches every file of it.
 * Only what an upstream can give back: never published or private versions, nor one
 * whose origin is unknown. */
static void evict(run *r, const stored_version *it, const verify_file *mod, const verify_file *zip)
{
    char origin[64], what[600];
    version_origin(r, it, mod, zip, origin, sizeof(origin));
    if (origin[0] == '\0' || strcmp(origin, "published") == 0 || !namespace_upstream_ok(r->c, "", it->module)) {
        evict_line(r, it, 0, "not evicted: published here or of unknown origin, no upstream could give it back");
        return;
    }
    /* the evidence is copied first: removal takes the bytes away */
    char kept_mod[PATH_MAX] = "", kept_zip[PATH_MAX] = "";
    const char *dir = r->c->quarantine_dir;
    if (mod->bytes_bad && integrity_keep_copy(r->s, dir, it->module, it->version, STOA_KIND_MOD, kept_mod, sizeof(kept_mod)))
        kept_mod[0] = '\0';
    if (zip->bytes_bad && integrity_keep_copy(r->s, dir, it->module, it->version, STOA_KIND_ZIP, kept_zip, sizeof(kept_zip)))
        kept_zip[0] = '\0';
    stoa_error e = {0};
    int ok = storage_remove(r->s, it->module, it->version, &e) == STOA_OK;
    snprintf(what, sizeof(what), ok ? "evicted; the next request refetches and re-checks it" : "cannot evict: %s", e.msg);
    r->t.evicted += (uint64_t)ok;
    evict_line(r, it, ok, what);
    const char *removal = ok ? "removed from the cache" : what;
    if (mod->bytes_bad)
        report_quarantine(it, STOA_KIND_MOD, mod, removal, kept_mod);
    if (zip->bytes_bad)
        report_quarantine(it, STOA_KIND_ZIP, zip, removal, kept_zip);
}

static void check_version(run *r, const stored_version *it)
{
    verify_file mod, zip;
    int use_sumdb = !r->o->no_sumdb, bad = 0;
    stoa_status smod = verify_file_check(r->s, r->c, it->module, it->version, STOA_KIND_MOD, use_sumdb, &mod);
    stoa_status szip = verify_file_check(r->s, r->c, it->module, it->version, STOA_KIND_ZIP, use_sumdb, &zip);
    if (smod == STOA_OK)
        bad |= count_file(r, it, "mod", &mod);
    if (szip == STOA_OK)
        bad |= count_file(r, it, "zip", &zip);
    if (smod != STOA_OK && szip != STOA_OK)
        ++r->t.skipped; /* only an .info, or evicted meanwhile */
    if (bad && r->o->evict)
        evict(r, it, &mod, &zip);
}

static void summary(const run *r, double secs)
{
    const tally *t = &r->t;
    char sz[32];
    progress_human((double)t->bytes, sz, sizeof(sz));
    if (r->o->json) {
        cli_json_summary(json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "checked", (json_int_t)t->checked, "ok",
                                   (json_int_t)t->ok, "mismatched", (json_int_t)t->mismatched, "unverified",
                                   (json_int_t)t->unverified, "skipped", (json_int_t)t->skipped, "confirmed",
                                   (json_int_t)t->confirmed, "evicted", (json_int_t)t->evicted, "bytes",
                                   (json_int_t)t->bytes, "seconds", (double)(int64_t)(secs * 1000) / 1000));
        return;
    }
    printf("stoa verify: %llu files checked: %llu ok, %llu mismatched, %llu unverified, %llu versions skipped; "
           "%llu confirmed by the checksum database; %s in %.1f s\n",
           (unsigned long long)t->checked, (unsigned long long)t->ok, (unsigned long long)t->mismatched,
           (unsigned long long)t->unverified, (unsigned long long)t->skipped, (unsigned long long)t->confirmed, sz, secs);
    if (t->evicted)
        printf("stoa verify: %llu versions evicted\n", (unsigned long long)t->evicted);
}

static void audit_run(const run *r, int argc, char **argv, int rc, double secs)
{
    audit_event ev;
    audit_event_cli(&ev, "verify", "admin");
    size_t n = 0;
    for (int i = 0; i < argc && n < sizeof(ev.target) - 1; ++i)
        n += (size_t)snprintf(ev.target + n, sizeof(ev.target) - n, "%s%s", i ? " " : "", argv[i]);
    ev.status = rc;
    ev.bytes = r->t.bytes;
    ev.duration_ms = secs * 1000;
    if (rc != 0) {
        char why[128];
        snprintf(why, sizeof(why), "%llu mismatched, %llu unverified of %llu files", (unsigned long long)r->t.mismatched,
                 (unsigned long long)r->t.unverified, (unsigned long long)r->t.checked);
        audit_copy(ev.error, sizeof(ev.error), why);
    }
    audit_emit(&ev);
}

/* ---- the command ---- */

static int verify_all(run *r, const stored_versions *l)
{
    char status[96];
    for (size_t i = 0; i < l->n; ++i) {
        snprintf(status, sizeof(status), "versions, %llu problem file(s)",
                 (unsigned long long)(r->t.mismatched + r->t.unverified));
        progress_show(&r->bar, i, status, 0);
        check_version(r, &l->v[i]);
    }
    progress_show(&r->bar, l->n, "versions", 1);
    return r->t.mismatched > 0 || (r->o->strict && r->t.unverified > 0) ? 1 : 0;
}

int cli_verify(app *a, int argc, char **argv)
{
    const struct conf *c = a->conf;
    opts o = {0};
    if (parse_args(argc, argv, &o) != 0)
        return free(o.targets), 2;
    if (a->audit_error[0] != '\0') {
        if (o.evict)
            return cli_report(STOA_LOG_ERROR, "verify", "evictions would not be audited, so none is made: %s",
                              a->audit_error),
                   free(o.targets), 2;
        cli_report(STOA_LOG_WARN, "verify", "this run is not audited: %s", a->audit_error);
    }
    int rc = 2;
    stored_versions l = {0};
    int64_t start = clock_mono_ms();
    int selected = 0;
    if (o.all)
        selected = select_all(&a->store, &l) == 0;
    else
        for (int i = 0; i < o.ntargets && (selected = select_target(&a->store, o.targets[i], &l) == 0); ++i)
            ;
    if (selected) {
        sort_unique(&l);
        run r = {.o = &o, .s = &a->store, .c = c};
        progress_init(&r.bar, "stoa verify", l.n, 0);
        rc = verify_all(&r, &l);
        double secs = (double)(clock_mono_ms() - start) / 1000;
        summary(&r, secs);
        audit_run(&r, argc, argv, rc, secs);
    }
    stored_versions_free(&l);
    free(o.targets);
    return rc;
}
