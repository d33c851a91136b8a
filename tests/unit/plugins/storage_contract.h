/*
 * The storage contract (include/stoa/storage.h S1-S7) as cmocka tests shared by every
 * storage plugin's unit test (test_disk.c, test_pgs3.c). Each test's *state points at
 * a struct whose first member is a contract_store holding an opened plugin. Modules
 * used: x.y/Z, x.y/none, a.b/c, m.n/o, q.r/S, r.s/t, p.q/R, l.o/cal, o.b/J and the
 * checksum database sum.o.bj/db.
 */
#ifndef STOA_TEST_STORAGE_CONTRACT_H
#define STOA_TEST_STORAGE_CONTRACT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "plugin.h"
#include "staged_file.h"

typedef struct contract_store {
    plugin *p;
    void *state;
    const stoa_storage_methods *m;
} contract_store;

static stoa_put_file staged(stoa_kind kind, const char *text)
{
    stoa_put_file pf = staged_file(kind, text);
    snprintf(pf.meta.origin, sizeof(pf.meta.origin), "test");
    snprintf(pf.meta.h1, sizeof(pf.meta.h1), "h1:abc=");
    return pf;
}

static char *read_all(int fd)
{
    static char buf[4096];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static stoa_status get(contract_store *f, const char *mod, const char *ver, stoa_kind k, stoa_object *o)
{
    stoa_key key = {mod, ver, k};
    stoa_error err;
    return f->m->get(f->state, &key, 0, o, &err);
}

static void contract_round_trip(void **state)
{
    contract_store *f = *state;
    stoa_put_file files[3] = {staged(STOA_KIND_INFO, "{\"Version\":\"v1.0.0\"}"), staged(STOA_KIND_MOD, "module x.y/Z\n"),
                              staged(STOA_KIND_ZIP, "PK-not-really")};
    stoa_error err;
    assert_int_equal(f->m->put(f->state, "x.y/Z", "v1.0.0", files, 3, &err), STOA_OK);
    stoa_object o;
    assert_int_equal(get(f, "x.y/Z", "v1.0.0", STOA_KIND_MOD, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "module x.y/Z\n");
    assert_int_equal(o.meta.size, 13);
    assert_memory_equal(o.meta.sha256, files[1].meta.sha256, 32);
    assert_string_equal(o.meta.origin, "test");
    assert_string_equal(o.meta.h1, "h1:abc=");
    assert_true(o.meta.stored_at > 0);
    close(o.fd);
    for (int i = 0; i < 3; ++i)
        close(files[i].fd);
}

/* get_copy (ABI 1.3), where the plugin has it: the same bytes and facts as get(), from
 * memory or not; too big for cap: facts only, buf untouched; absent: NOTFOUND. */
static void contract_get_copy(void **state)
{
    contract_store *f = *state;
    if (f->m->get_copy == NULL)
        skip();
    stoa_put_file files[2] = {staged(STOA_KIND_INFO, "{\"Version\":\"v1.2.0\"}"), staged(STOA_KIND_MOD, "module c.p/y\n")};
    stoa_error err;
    assert_int_equal(f->m->put(f->state, "c.p/y", "v1.2.0", files, 2, &err), STOA_OK);
    stoa_key key = {"c.p/y", "v1.2.0", STOA_KIND_MOD};
    for (int again = 0; again < 3; ++again) { /* read, then from memory where kept */
        char buf[64] = {0};
        stoa_meta m;
        assert_int_equal(f->m->get_copy(f->state, &key, buf, sizeof(buf), &m, &err), STOA_OK);
        assert_int_equal(m.size, 13);
        assert_memory_equal(buf, "module c.p/y\n", 13);
        assert_memory_equal(m.sha256, files[1].meta.sha256, 32);
        assert_string_equal(m.h1, "h1:abc=");
        assert_true(m.stored_at > 0);
    }
    char small[8];
    memset(small, 'x', sizeof(small));
    stoa_meta m;
    key.kind = STOA_KIND_INFO;
    assert_int_equal(f->m->get_copy(f->state, &key, small, sizeof(small), &m, &err), STOA_OK);
    assert_int_equal(m.size, strlen("{\"Version\":\"v1.2.0\"}"));
    assert_memory_equal(small, "xxxxxxxx", 8);
    stoa_key none = {"c.p/y", "v9.9.9", STOA_KIND_MOD};
    memset(&m, 7, sizeof(m));
    stoa_meta before = m;
    assert_int_equal(f->m->get_copy(f->state, &none, small, sizeof(small), &m, &err), STOA_NOTFOUND);
    assert_memory_equal(&m, &before, sizeof(m));
    for (int i = 0; i < 2; ++i)
        close(files[i].fd);
}

/* get_local (ABI 1.5), where the plugin has it: only OK or DECLINED; OK with get()'s
 * bytes and facts; once a file has been looked up, OK within 5 s (a plugin may need a
 * moment before it trusts what it remembers: pgs3's watcher must be listening); never OK
 * after remove(). */
/* get_local of key after get()s, until OK or 5 s passed: its last status. */
static stoa_status local_hit(contract_store *f, const stoa_key *key, stoa_object *o)
{
    stoa_status st = STOA_DECLINED;
    for (int i = 0; i < 500 && st != STOA_OK; ++i) {
        assert_int_equal(get(f, key->module, key->version, key->kind, o), STOA_OK);
        close(o->fd);
        st = f->m->get_local(f->state, key, 0, o);
        assert_true(st == STOA_OK || st == STOA_DECLINED);
        if (st != STOA_OK)
            usleep(10000);
    }
    return st;
}

static void contract_get_local(void **state)
{
    contract_store *f = *state;
    if (f->m->get_local == NULL)
        skip();
    stoa_put_file files[2] = {staged(STOA_KIND_INFO, "{\"Version\":\"v1.3.0\"}"), staged(STOA_KIND_ZIP, "PK-local")};
    stoa_error err;
    assert_int_equal(f->m->put(f->state, "l.o/cal", "v1.3.0", files, 2, &err), STOA_OK);
    stoa_key key = {"l.o/cal", "v1.3.0", STOA_KIND_ZIP};
    stoa_object o;
    assert_int_equal(local_hit(f, &key, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "PK-local");
    assert_int_equal(o.meta.size, 8);
    assert_memory_equal(o.meta.sha256, files[1].meta.sha256, 32);
    assert_string_equal(o.meta.origin, "test");
    close(o.fd);
    assert_int_equal(f->m->get_local(f->state, &key, STOA_GET_META_ONLY, &o), STOA_OK);
    assert_int_equal(o.fd, -1);
    assert_int_equal(f->m->remove(f->state, "l.o/cal", "v1.3.0", &err), STOA_OK);
    assert_int_equal(f->m->get_local(f->state, &key, 0, &o), STOA_DECLINED);
    key.kind = STOA_KIND_INFO;
    assert_int_equal(f->m->get_local(f->state, &key, 0, &o), STOA_DECLINED);
    for (int i = 0; i < 2; ++i)
        close(files[i].fd);
}

static void contract_not_found_untouched(void **state)
{
    contract_store *f = *state;
    stoa_object o;
    memset(&o, 0x5a, sizeof(o));
    stoa_object copy = o;
    assert_int_equal(get(f, "x.y/none", "v1.0.0", STOA_KIND_ZIP, &o), STOA_NOTFOUND);
    assert_memory_equal(&o, &copy, sizeof(o)); /* S5 */
}

static void contract_immutable(void **state)
{
    contract_store *f = *state;
    stoa_error err;
    stoa_put_file a = staged(STOA_KIND_MOD, "module a.b/c\n"), b = staged(STOA_KIND_MOD, "module a.b/c // changed\n");
    assert_int_equal(f->m->put(f->state, "a.b/c", "v1.0.0", &a, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "a.b/c", "v1.0.0", &a, 1, &err), STOA_OK); /* same bytes: no-op */
    assert_int_equal(f->m->put(f->state, "a.b/c", "v1.0.0", &b, 1, &err), STOA_CONFLICT);
    assert_non_null(strstr(err.msg, "immutable"));
    stoa_object o;
    assert_int_equal(get(f, "a.b/c", "v1.0.0", STOA_KIND_MOD, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "module a.b/c\n");
    close(o.fd);
    stoa_put_file set[2] = {staged(STOA_KIND_ZIP, "zip bytes"), b}; /* S2: all or nothing */
    assert_int_equal(f->m->put(f->state, "a.b/c", "v1.0.0", set, 2, &err), STOA_CONFLICT);
    assert_int_equal(get(f, "a.b/c", "v1.0.0", STOA_KIND_ZIP, &o), STOA_NOTFOUND);
    close(a.fd);
    close(b.fd);
    close(set[0].fd);
}

static void contract_mutable(void **state)
{
    contract_store *f = *state;
    stoa_error err;
    stoa_put_file l1 = staged(STOA_KIND_LIST, "v1.0.0\n"), l2 = staged(STOA_KIND_LIST, "v1.0.0\nv1.1.0\n");
    assert_int_equal(f->m->put(f->state, "m.n/o", NULL, &l1, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "m.n/o", NULL, &l2, 1, &err), STOA_OK); /* S4: replaced */
    stoa_object o;
    assert_int_equal(get(f, "m.n/o", NULL, STOA_KIND_LIST, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "v1.0.0\nv1.1.0\n");
    close(o.fd);
    close(l1.fd);
    close(l2.fd);
}

static int count_cb(void *arg, const char *v, int64_t at)
{
    ++*(int *)arg;
    return 0;
}

static int walk_cb(void *arg, const char *m, const char *v, int64_t at)
{
    char *out = arg;
    if (strlen(out) + strlen(m) + strlen(v) + 3 < 1024)
        strcat(strcat(strcat(strcat(out, m), "@"), v), ";");
    return 0;
}

static void contract_list_walk_remove(void **state)
{
    contract_store *f = *state;
    stoa_error err;
    stoa_put_file i1 = staged(STOA_KIND_INFO, "{}"), m1 = staged(STOA_KIND_MOD, "module q.r/S\n");
    assert_int_equal(f->m->put(f->state, "q.r/S", "v1.0.0", &i1, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "q.r/S", "v1.1.0", &i1, 1, &err), STOA_OK);
    assert_int_equal(f->m->put(f->state, "q.r/S", "v2.0.0+incompatible", &m1, 1, &err), STOA_OK); /* no .info */
    int n = 0;
    assert_int_equal(f->m->list(f->state, "q.r/S", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(f->m->list(f->state, "q.r/none", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 0);
    char seen[1024] = "";
    assert_int_equal(f->m->walk(f->state, walk_cb, seen, &err), STOA_OK);
    assert_non_null(strstr(seen, "q.r/S@v1.0.0;"));
    assert_non_null(strstr(seen, "q.r/S@v1.1.0;"));
    assert_int_equal(f->m->remove(f->state, "q.r/S", "v1.0.0", &err), STOA_OK);
    assert_int_equal(f->m->remove(f->state, "q.r/S", "v1.0.0", &err), STOA_NOTFOUND);
    n = 0;
    assert_int_equal(f->m->list(f->state, "q.r/S", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 1);
    stoa_object o;
    assert_int_equal(get(f, "q.r/S", "v1.0.0", STOA_KIND_INFO, &o), STOA_NOTFOUND);
    close(i1.fd);
    close(m1.fd);
}

typedef struct racer {
    contract_store *f;
    stoa_status st;
    stoa_error err;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    stoa_put_file z = staged(STOA_KIND_ZIP, "same bytes from everyone");
    r->st = r->f->m->put(r->f->state, "r.s/t", "v1.0.0", &z, 1, &r->err);
    close(z.fd);
    return NULL;
}

static void contract_concurrent_same(void **state)
{
    contract_store *f = *state;
    pthread_t t[8];
    racer r[8];
    for (int i = 0; i < 8; ++i) {
        r[i] = (racer){.f = f, .st = STOA_INTERNAL};
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < 8; ++i) /* all of them, before any assertion can end the test */
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; ++i)
        if (r[i].st != STOA_OK)
            fail_msg("racer %d: status %d: %s", i, (int)r[i].st, r[i].err.msg);
    stoa_object o;
    assert_int_equal(get(f, "r.s/t", "v1.0.0", STOA_KIND_ZIP, &o), STOA_OK);
    assert_string_equal(read_all(o.fd), "same bytes from everyone");
    close(o.fd);
}


static int pin_cb(void *arg, const char *module, const char *version, stoa_kind kind, const stoa_pin *pin)
{
    char *seen = arg;
    size_t n = strlen(seen);
    snprintf(seen + n, 1024 - n, "%s@%s.%s=%s/%d;", module, version, kind == STOA_KIND_MOD ? "mod" : "zip", pin->h1,
             (int)pin->state);
    return 0;
}

/* S6: pins are created once, replaced keeping their first time, filtered by state,
 * and outlive remove(). */
static void contract_pins(void **state)
{
    contract_store *f = *state;
    stoa_error err;
    stoa_key zip = {"p.q/R", "v1.0.0", STOA_KIND_ZIP}, mod = {"p.q/R", "v1.0.0", STOA_KIND_MOD};
    stoa_pin a = {"h1:aaaa=", STOA_PIN_UNVERIFIED, 0}, b = {"h1:bbbb=", STOA_PIN_VERIFIED, 0}, got;
    assert_int_equal(f->m->pin_get(f->state, &zip, &got, &err), STOA_NOTFOUND);
    assert_int_equal(f->m->pin_put(f->state, &zip, &a, STOA_PIN_CREATE, &err), STOA_OK);
    assert_int_equal(f->m->pin_put(f->state, &zip, &b, STOA_PIN_CREATE, &err), STOA_CONFLICT);
    assert_int_equal(f->m->pin_get(f->state, &zip, &got, &err), STOA_OK);
    assert_string_equal(got.h1, "h1:aaaa=");
    assert_int_equal(got.state, STOA_PIN_UNVERIFIED);
    assert_true(got.pinned_at > 1600000000);
    int64_t first = got.pinned_at;
    assert_int_equal(f->m->pin_put(f->state, &mod, &b, STOA_PIN_CREATE, &err), STOA_OK);
    char seen[1024] = "";
    assert_int_equal(f->m->pin_walk(f->state, STOA_PIN_UNVERIFIED, pin_cb, seen, &err), STOA_OK);
    assert_string_equal(seen, "p.q/R@v1.0.0.zip=h1:aaaa=/0;");
    assert_int_equal(f->m->pin_put(f->state, &zip, &b, 0, &err), STOA_OK);
    assert_int_equal(f->m->pin_get(f->state, &zip, &got, &err), STOA_OK);
    assert_string_equal(got.h1, "h1:bbbb=");
    assert_int_equal(got.state, STOA_PIN_VERIFIED);
    assert_int_equal(got.pinned_at, first);
    seen[0] = '\0';
    assert_int_equal(f->m->pin_walk(f->state, -1, pin_cb, seen, &err), STOA_OK);
    assert_non_null(strstr(seen, "p.q/R@v1.0.0.zip=h1:bbbb=/1;"));
    assert_non_null(strstr(seen, "p.q/R@v1.0.0.mod=h1:bbbb=/1;"));
    stoa_put_file z = staged(STOA_KIND_ZIP, "zip bytes");
    assert_int_equal(f->m->put(f->state, "p.q/R", "v1.0.0", &z, 1, &err), STOA_OK);
    close(z.fd);
    assert_int_equal(f->m->remove(f->state, "p.q/R", "v1.0.0", &err), STOA_OK);
    assert_int_equal(f->m->pin_get(f->state, &zip, &got, &err), STOA_OK);
}

static void contract_health(void **state)
{
    contract_store *f = *state;
    stoa_error err;
    assert_int_equal(f->m->health(f->state, &err), STOA_OK);
}

/* S7 (ABI 1.4), where the plugin pages itself: five versions put within one second
 * come back from index_page() exactly once each when paged two at a time by cursor,
 * and from catalog_page() in bytewise order exactly once each. Module p.g/page. */
typedef struct page_seen {
    int seen[5], calls;
    char last[STOA_CURSOR_MAX], lastmod[64], lastver[64];
} page_seen;

static int page_note(void *arg, const stoa_entry *e)
{
    page_seen *p = arg;
    ++p->calls;
    snprintf(p->last, sizeof(p->last), "%s", e->cursor);
    snprintf(p->lastmod, sizeof(p->lastmod), "%s", e->module);
    snprintf(p->lastver, sizeof(p->lastver), "%s", e->version);
    if (strcmp(e->module, "p.g/page") == 0 && strncmp(e->version, "v1.0.", 5) == 0)
        p->seen[e->version[5] - '0']++;
    return 0;
}

static void contract_pages(void **state)
{
    contract_store *f = *state;
    if (f->m->index_page == NULL || f->m->catalog_page == NULL)
        skip();
    stoa_error err;
    for (int i = 0; i < 5; ++i) {
        char ver[16];
        snprintf(ver, sizeof(ver), "v1.0.%d", i);
        stoa_put_file info = staged(STOA_KIND_INFO, ver);
        assert_int_equal(f->m->put(f->state, "p.g/page", ver, &info, 1, &err), STOA_OK);
        close(info.fd);
    }
    page_seen p = {0};
    for (int before = -1; before != p.calls;) {
        before = p.calls;
        char after[STOA_CURSOR_MAX];
        snprintf(after, sizeof(after), "%s", p.last);
        assert_int_equal(f->m->index_page(f->state, after, 0, 2, page_note, &p, &err), STOA_OK);
    }
    for (int i = 0; i < 5; ++i)
        assert_int_equal(p.seen[i], 1);
    assert_int_equal(f->m->index_page(f->state, "not-a-cursor", 0, 2, page_note, &p, &err), STOA_INVALID);
    page_seen c = {0};
    snprintf(c.lastmod, sizeof(c.lastmod), "p.g/page");
    for (int before = -1; before != c.calls && strcmp(c.lastmod, "p.g/page") == 0;) {
        before = c.calls;
        char m[64], v[64];
        snprintf(m, sizeof(m), "%s", c.lastmod);
        snprintf(v, sizeof(v), "%s", c.lastver);
        assert_int_equal(f->m->catalog_page(f->state, m, v, 2, page_note, &c, &err), STOA_OK);
    }
    for (int i = 0; i < 5; ++i)
        assert_int_equal(c.seen[i], 1);
}

/* objects() and remove_object() (ABI 1.4), where the plugin has them: one version's
 * info, mod and zip, a module's list and latest, two tiles and a database's latest are
 * reported exactly once each, with kind, version (NULL, or the tile path as put) and
 * size; then single objects go, each leaving the others. Module o.b/J, database
 * sum.o.bj/db (its name holds a '/', as GOSUMDB allows). */
typedef struct expect_obj {
    const char *module, *version;
    stoa_kind kind;
    const char *text;
    int gone, seen;
} expect_obj;

typedef struct objects_seen {
    expect_obj *e;
    size_t n;
    int calls;
    char wrong[256];
} objects_seen;

static int same_version(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int object_note(void *arg, const stoa_key *k, const stoa_meta *m)
{
    objects_seen *s = arg;
    ++s->calls;
    if (strcmp(k->module, "o.b/J") != 0 && strcmp(k->module, "sum.o.bj/db") != 0)
        return 0; /* another test's */
    for (size_t i = 0; i < s->n; ++i) {
        expect_obj *e = &s->e[i];
        if (e->kind != k->kind || strcmp(e->module, k->module) != 0 || !same_version(e->version, k->version))
            continue;
        ++e->seen;
        if (m->size != strlen(e->text) || strcmp(m->origin, "test") != 0 || m->stored_at <= 0)
            snprintf(s->wrong, sizeof(s->wrong), "kind %d of %s: size %llu, origin \"%s\", stored_at %lld", (int)k->kind,
                     k->module, (unsigned long long)m->size, m->origin, (long long)m->stored_at);
        return 0;
    }
    snprintf(s->wrong, sizeof(s->wrong), "unexpected object: kind %d of %s, version %s", (int)k->kind, k->module,
             k->version != NULL ? k->version : "NULL");
    return 0;
}

/* objects() reports every object of e not gone exactly once, and nothing else of ours. */
static void objects_match(contract_store *f, expect_obj *e, size_t n)
{
    objects_seen s = {e, n, 0, ""};
    stoa_error err;
    for (size_t i = 0; i < n; ++i)
        e[i].seen = 0;
    assert_int_equal(f->m->objects(f->state, object_note, &s, &err), STOA_OK);
    if (s.wrong[0] != '\0')
        fail_msg("%s", s.wrong);
    for (size_t i = 0; i < n; ++i)
        if (e[i].seen != !e[i].gone)
            fail_msg("objects() reported kind %d of %s, version %s, %d times", (int)e[i].kind, e[i].module,
                     e[i].version != NULL ? e[i].version : "NULL", e[i].seen);
}

static int object_stop(void *arg, const stoa_key *k, const stoa_meta *m)
{
    ++*(int *)arg;
    return 1;
}

/* get()'s status for e's key (any descriptor closed). */
static stoa_status get_status(contract_store *f, const expect_obj *e)
{
    stoa_object o;
    stoa_status st = get(f, e->module, e->version, e->kind, &o);
    if (st == STOA_OK)
        close(o.fd);
    return st;
}

static stoa_status remove_one(contract_store *f, expect_obj *e)
{
    stoa_key key = {e->module, e->version, e->kind};
    stoa_error err;
    stoa_status st = f->m->remove_object(f->state, &key, &err);
    e->gone |= st == STOA_OK;
    return st;
}

static void contract_objects(void **state)
{
    contract_store *f = *state;
    if (f->m->objects == NULL || f->m->remove_object == NULL)
        skip();
    enum { INFO, MOD, ZIP, LIST, LATEST, TILE1, TILE2, DBLATEST, N };
    expect_obj e[N] = {
        [INFO] = {"o.b/J", "v1.0.0", STOA_KIND_INFO, "{\"Version\":\"v1.0.0\"}", 0, 0},
        [MOD] = {"o.b/J", "v1.0.0", STOA_KIND_MOD, "module o.b/J\n", 0, 0},
        [ZIP] = {"o.b/J", "v1.0.0", STOA_KIND_ZIP, "PK-objects", 0, 0},
        [LIST] = {"o.b/J", NULL, STOA_KIND_LIST, "v0.9.0\nv1.0.0\n", 0, 0},
        [LATEST] = {"o.b/J", NULL, STOA_KIND_LATEST, "{\"Version\":\"v1.0.0\"}\n", 0, 0},
        [TILE1] = {"sum.o.bj/db", "tile/8/0/001", STOA_KIND_SUMDB_TILE, "tile one", 0, 0},
        [TILE2] = {"sum.o.bj/db", "tile/8/1/000.p/5", STOA_KIND_SUMDB_TILE, "partial tile", 0, 0},
        [DBLATEST] = {"sum.o.bj/db", NULL, STOA_KIND_SUMDB_LATEST, "go.sum database tree\n5\nhash=\n", 0, 0},
    };
    stoa_error err;
    stoa_put_file v[3];
    for (int i = INFO; i <= ZIP; ++i)
        v[i] = staged(e[i].kind, e[i].text);
    assert_int_equal(f->m->put(f->state, "o.b/J", "v1.0.0", v, 3, &err), STOA_OK);
    for (int i = INFO; i <= ZIP; ++i)
        close(v[i].fd);
    for (int i = LIST; i < N; ++i) {
        stoa_put_file one = staged(e[i].kind, e[i].text);
        if (f->m->put(f->state, e[i].module, e[i].version, &one, 1, &err) != STOA_OK)
            fail_msg("put of kind %d: %s", (int)e[i].kind, err.msg);
        close(one.fd);
    }
    objects_match(f, e, N);
    int calls = 0;
    assert_int_equal(f->m->objects(f->state, object_stop, &calls, &err), STOA_OK);
    assert_int_equal(calls, 1); /* non-zero from cb stops */

    assert_int_equal(remove_one(f, &e[LIST]), STOA_OK);
    assert_int_equal(get_status(f, &e[LIST]), STOA_NOTFOUND);
    assert_int_equal(get_status(f, &e[LATEST]), STOA_OK);
    int n = 0;
    assert_int_equal(f->m->list(f->state, "o.b/J", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 1);
    assert_int_equal(remove_one(f, &e[TILE1]), STOA_OK);
    assert_int_equal(get_status(f, &e[TILE1]), STOA_NOTFOUND);
    assert_int_equal(get_status(f, &e[TILE2]), STOA_OK);
    stoa_key zip = {"o.b/J", "v1.0.0", STOA_KIND_ZIP};
    stoa_pin pin = {"h1:objects=", STOA_PIN_VERIFIED, 0}, got;
    assert_int_equal(f->m->pin_put(f->state, &zip, &pin, STOA_PIN_CREATE, &err), STOA_OK);
    stoa_object o;
    if (f->m->get_local != NULL) { /* remembered, then forgotten with the object */
        assert_int_equal(local_hit(f, &zip, &o), STOA_OK);
        close(o.fd);
    }
    assert_int_equal(remove_one(f, &e[ZIP]), STOA_OK);
    assert_true(f->m->get_local == NULL || f->m->get_local(f->state, &zip, 0, &o) == STOA_DECLINED);
    assert_int_equal(get_status(f, &e[ZIP]), STOA_NOTFOUND);
    assert_int_equal(get_status(f, &e[INFO]), STOA_OK);
    assert_int_equal(get_status(f, &e[MOD]), STOA_OK);
    assert_int_equal(f->m->pin_get(f->state, &zip, &got, &err), STOA_OK); /* S6 */
    assert_int_equal(remove_one(f, &e[INFO]), STOA_OK);
    n = 0;
    assert_int_equal(f->m->list(f->state, "o.b/J", count_cb, &n, &err), STOA_OK);
    assert_int_equal(n, 0); /* unlisted */
    assert_int_equal(get_status(f, &e[MOD]), STOA_OK);
    assert_int_equal(remove_one(f, &e[INFO]), STOA_NOTFOUND);
    assert_int_equal(remove_one(f, &e[LIST]), STOA_NOTFOUND);
    assert_int_equal(remove_one(f, &e[TILE1]), STOA_NOTFOUND);
    objects_match(f, e, N); /* the mod, the latest, one tile, the database's latest */
}

#endif
