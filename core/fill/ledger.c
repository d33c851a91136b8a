#include "ledger.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A chained hash table: versions come and go one at a time, and a walk builds a
 * whole new table that is swapped in under the lock. */
typedef struct node {
    struct node *next;
    uint64_t hash;
    uint64_t bytes[3];
    int64_t stored_at;
    uint64_t gen;          /* the walk generation of the last note */
    unsigned noted;        /* slots noted in generation gen (bit per slot) */
    size_t mlen;           /* name = module NUL version NUL */
    char name[];
} node;

typedef struct table {
    node **b;
    size_t cap, n; /* cap is a power of two, 0 before the first node */
    uint64_t total;
} table;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static table cur;
static int valid;
static int walking; /* a walk began and has not replaced the ledger yet */
static uint64_t gen; /* the generation of the walk in progress, or of the last */
static uint64_t spoiled; /* walks up to this generation may have missed changes */

static node **slot_of(table *t, uint64_t h, const char *module, const char *version)
{
    node **p = &t->b[h & (t->cap - 1)];
    for (; *p != NULL; p = &(*p)->next)
        if ((*p)->hash == h && strcmp((*p)->name, module) == 0 && strcmp((*p)->name + (*p)->mlen + 1, version) == 0)
            return p;
    return p;
}

static int grow(table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    node **b = calloc(cap, sizeof(*b));
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < t->cap; ++i)
        for (node *x = t->b[i], *next; x != NULL; x = next) {
            next = x->next;
            x->next = b[x->hash & (cap - 1)];
            b[x->hash & (cap - 1)] = x;
        }
    free(t->b);
    t->b = b;
    t->cap = cap;
    return 0;
}

/* The node for module@version, created empty when absent; NULL when out of memory. */
static node *get(table *t, const char *module, const char *version)
{
    if (t->n >= t->cap && grow(t) != 0)
        return NULL;
    uint64_t h = stoa_version_hash(module, version);
    node **p = slot_of(t, h, module, version);
    if (*p != NULL)
        return *p;
    size_t ml = strlen(module), vl = strlen(version);
    node *x = calloc(1, sizeof(*x) + ml + vl + 2);
    if (x == NULL)
        return NULL;
    x->hash = h;
    x->mlen = ml;
    memcpy(x->name, module, ml + 1);
    memcpy(x->name + ml + 1, version, vl + 1);
    x->stored_at = (int64_t)time(NULL);
    *p = x;
    ++t->n;
    return x;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->cap; ++i)
        for (node *x = t->b[i], *next; x != NULL; x = next) {
            next = x->next;
            free(x);
        }
    free(t->b);
    *t = (table){0};
}

static void set_bytes(table *t, node *x, int slot, uint64_t bytes)
{
    t->total = t->total - x->bytes[slot] + bytes;
    x->bytes[slot] = bytes;
}

/* Under lock: x is the version's node, or NULL when the ledger cannot hold it. */
static void note_locked(node *x, int slot, uint64_t bytes)
{
    if (x == NULL) {
        valid = 0; /* rounds walk until a walk's ledger fits in memory again */
        return;
    }
    if (x->gen != gen)
        x->gen = gen, x->noted = 0;
    x->noted |= 1u << slot;
    set_bytes(&cur, x, slot, bytes);
}

void ledger_note(const char *module, const char *version, stoa_kind kind, uint64_t bytes)
{
    const char *row;
    int slot = ledger_place(kind, version, &row);
    if (slot < 0)
        return;
    pthread_mutex_lock(&lock);
    if (valid || walking) /* otherwise the next walk sees the file: nothing to keep */
        note_locked(get(&cur, module, row), slot, bytes);
    pthread_mutex_unlock(&lock);
}

/* Under lock: the node of (module, row), or NULL; *at is where it hangs. */
static node *lookup(const char *module, const char *row, node ***at)
{
    if (cur.cap == 0)
        return NULL;
    *at = slot_of(&cur, stoa_version_hash(module, row), module, row);
    return **at;
}

static void unlink_node(node **at)
{
    node *x = *at;
    *at = x->next;
    --cur.n;
    cur.total -= x->bytes[0] + x->bytes[1] + x->bytes[2];
    free(x);
}

void ledger_forget(const char *module, const char *version)
{
    node **at;
    pthread_mutex_lock(&lock);
    if (lookup(module, version != NULL ? version : "", &at) != NULL)
        unlink_node(at);
    pthread_mutex_unlock(&lock);
}

void ledger_drop(const char *module, const char *version, stoa_kind kind)
{
    const char *row;
    int slot = ledger_place(kind, version, &row);
    if (slot < 0)
        return;
    node **at, *x;
    pthread_mutex_lock(&lock);
    if ((x = lookup(module, row, &at)) != NULL) {
        set_bytes(&cur, x, slot, 0);
        if (x->bytes[0] + x->bytes[1] + x->bytes[2] == 0)
            unlink_node(at);
    }
    pthread_mutex_unlock(&lock);
}

uint64_t ledger_walk_begin(void)
{
    pthread_mutex_lock(&lock);
    uint64_t g = ++gen;
    walking = 1;
    pthread_mutex_unlock(&lock);
    return g;
}

static int build(table *t, const ledger_row *rows, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        node *x = get(t, rows[i].module, rows[i].version);
        if (x == NULL)
            return -1;
        for (int s = 0; s < 3; ++s)
            set_bytes(t, x, s, rows[i].bytes[s]);
        x->stored_at = rows[i].stored_at;
    }
    return 0;
}

/* Notes made since walk g win over what the walk saw of the same files. Under lock. */
static int carry(table *t, uint64_t g)
{
    for (size_t i = 0; i < cur.cap; ++i)
        for (node *x = cur.b[i]; x != NULL; x = x->next) {
            if (x->gen < g || x->noted == 0)
                continue;
            node *y = get(t, x->name, x->name + x->mlen + 1);
            if (y == NULL)
                return -1;
            for (int s = 0; s < 3; ++s)
                if (x->noted & (1u << s))
                    set_bytes(t, y, s, x->bytes[s]);
        }
    return 0;
}

int ledger_replace(uint64_t g, const ledger_row *rows, size_t n)
{
    table t = {0};
    int ok = build(&t, rows, n) == 0; /* outside the lock: a walk's rows may be many */
    pthread_mutex_lock(&lock);
    ok = ok && carry(&t, g) == 0;
    int missed = g <= spoiled;
    table old = cur;
    if (ok) {
        cur = t;
        t = old;
    }
    valid = ok && !missed;
    walking = 0;
    pthread_mutex_unlock(&lock);
    table_free(&t);
    return !ok ? -1 : missed;
}

void ledger_invalidate(void)
{
    pthread_mutex_lock(&lock);
    valid = 0;
    spoiled = gen; /* a walk in progress may have read the store before the missed change */
    pthread_mutex_unlock(&lock);
}

int ledger_valid(void)
{
    pthread_mutex_lock(&lock);
    int v = valid;
    pthread_mutex_unlock(&lock);
    return v;
}

uint64_t ledger_total(void)
{
    pthread_mutex_lock(&lock);
    uint64_t t = cur.total;
    pthread_mutex_unlock(&lock);
    return t;
}

long ledger_snapshot(ledger_row **out)
{
    *out = NULL;
    pthread_mutex_lock(&lock);
    size_t names = 0;
    for (size_t i = 0; i < cur.cap; ++i)
        for (node *x = cur.b[i]; x != NULL; x = x->next)
            names += x->mlen + strlen(x->name + x->mlen + 1) + 2;
    size_t n = cur.n;
    ledger_row *r = valid ? malloc(n * sizeof(*r) + names + 1) : NULL;
    char *s = r != NULL ? (char *)(r + n) : NULL;
    for (size_t i = 0, k = 0; r != NULL && i < cur.cap; ++i)
        for (node *x = cur.b[i]; x != NULL; x = x->next, ++k) {
            size_t len = x->mlen + strlen(x->name + x->mlen + 1) + 2;
            memcpy(s, x->name, len);
            r[k] = (ledger_row){s, s + x->mlen + 1, {x->bytes[0], x->bytes[1], x->bytes[2]}, x->stored_at};
            s += len;
        }
    pthread_mutex_unlock(&lock);
    *out = r;
    return r != NULL ? (long)n : -1;
}

void ledger_reset(void)
{
    pthread_mutex_lock(&lock);
    table_free(&cur);
    valid = walking = 0;
    pthread_mutex_unlock(&lock);
}
