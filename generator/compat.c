/*
 * compat.c - schema compatibility checking; see compat.h.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "parser.h"
#include "strmap.h"

const char *const qmig_compat_severity_names[] = {"safe", "risky",
                                                  "breaking"};

#define SAFE QMIG_COMPAT_SAFE
#define RISKY QMIG_COMPAT_RISKY
#define BREAKING QMIG_COMPAT_BREAKING

const QmigCompatRule qmig_compat_rules[] = {
    {"command-added", SAFE, "a command was added"},
    {"command-removed", BREAKING, "a command was removed without deprecation"},
    {"command-removed-deprecated", SAFE,
     "a command deprecated in OLD was removed"},
    {"event-added", SAFE, "an event was added"},
    {"event-removed", BREAKING, "an event was removed without deprecation"},
    {"event-removed-deprecated", SAFE,
     "an event deprecated in OLD was removed"},
    {"deprecated-added", SAFE, "an item gained feature 'deprecated'"},
    {"if-changed", RISKY,
     "an item's 'if' condition changed: it exists in other builds"},
    {"input-member-added-optional", SAFE, "an optional argument was added"},
    {"input-member-added-mandatory", BREAKING,
     "a mandatory argument was added"},
    {"input-member-removed", BREAKING,
     "an argument was removed without deprecation"},
    {"input-member-removed-deprecated", SAFE,
     "an argument deprecated in OLD was removed"},
    {"input-member-made-optional", SAFE, "a mandatory argument became optional"},
    {"input-member-made-mandatory", BREAKING,
     "an optional argument became mandatory"},
    {"output-member-added", SAFE, "a member was added to output"},
    {"output-member-removed", BREAKING,
     "an output member was removed without deprecation"},
    {"output-member-removed-deprecated", SAFE,
     "an output member deprecated in OLD was removed"},
    {"output-member-made-optional", BREAKING,
     "an output member that was always present became optional"},
    {"output-member-made-mandatory", SAFE,
     "an optional output member became always present"},
    {"input-enum-value-added", SAFE, "an enum value accepted as input was added"},
    {"input-enum-value-removed", BREAKING,
     "an enum value accepted as input was removed without deprecation"},
    {"input-enum-value-removed-deprecated", SAFE,
     "an input enum value deprecated in OLD was removed"},
    {"output-enum-value-added", RISKY,
     "output may carry an enum value clients do not know"},
    {"output-enum-value-removed", RISKY,
     "an output enum value was removed without deprecation (introspection "
     "changes)"},
    {"output-enum-value-removed-deprecated", SAFE,
     "an output enum value deprecated in OLD was removed"},
    {"input-branch-added", SAFE, "a union branch was added to input"},
    {"input-branch-removed", BREAKING, "a union branch was removed from input"},
    {"output-branch-added", RISKY, "output may carry a new union branch"},
    {"output-branch-removed", RISKY, "a union branch was removed from output"},
    {"input-type-widened", SAFE, "an argument accepts more values"},
    {"input-type-narrowed", BREAKING, "an argument accepts fewer values"},
    {"output-type-widened", RISKY, "output may carry values it did not before"},
    {"output-type-narrowed", SAFE, "output carries fewer kinds of values"},
    {"type-changed", BREAKING, "the JSON type on the wire changed"},
    {"migration-default-changed", BREAKING,
     "a capability or parameter default changed"},
    {"migration-range-narrowed", BREAKING,
     "a parameter accepts fewer values"},
    {"migration-range-widened", SAFE, "a parameter accepts more values"},
    {"migration-range-changed", RISKY,
     "a parameter's bounds changed in a way that is not a plain widening"},
    {"migration-side-changed", BREAKING,
     "which side of a migration uses the item changed"},
    {"migration-handshake-changed", BREAKING,
     "the handshake treatment of the item changed"},
    {"migration-requires-added", BREAKING, "a capability gained a requirement"},
    {"migration-requires-removed", SAFE, "a capability lost a requirement"},
    {"migration-conflicts-added", BREAKING, "two capabilities now conflict"},
    {"migration-conflicts-removed", SAFE, "two capabilities no longer conflict"},
    {"migration-channel-added", RISKY, "a channel kind was added"},
    {"migration-channel-removed", BREAKING, "a channel kind was removed"},
    {"migration-channel-changed", BREAKING,
     "a channel kind's pattern, count, condition or order changed"},
    {"waiver-unused", RISKY, "a waiver matches no finding"},
    {"waiver-expired", BREAKING,
     "a waiver's expiry version has been reached: renew it or fix the "
     "change"},
    {NULL, SAFE, NULL},
};

typedef enum Dir { DIR_IN, DIR_OUT } Dir;

typedef struct Finding {
    const QmigCompatRule *rule;
    const char *path;
    const char *group; /* "command NAME", "event NAME", "type NAME", ... */
    const char *message;
    const QmigInfo *old_info, *new_info;
    const char *waived; /* the waiver's reason */
    size_t seq;
} Finding;

typedef struct Waiver {
    const char *rule, *path, *reason, *expires;
    const QmigInfo *info;
    bool used;
} Waiver;

typedef struct Pair {
    const QmigEntity *o, *n;
    Dir dir;
} Pair;

typedef struct Cmp {
    QmigArena *arena;
    const QmigCompatOptions *opts;
    const QmigSchema *os, *ns;
    const QmigModule *omod, *nmod;
    QmigPtrVec findings;
    QmigStrMap *seen;      /* rule + path: dedup */
    QmigStrMap *enum_done; /* enums already compared, per direction */
    QmigPtrVec stack;      /* Pair *: objects being compared */
    const char *group;
} Cmp;

static const QmigCompatRule *rule(const char *id)
{
    for (const QmigCompatRule *r = qmig_compat_rules; r->id; r++) {
        if (!strcmp(r->id, id)) {
            return r;
        }
    }
    abort();
}

static void add(Cmp *c, const char *id, const char *path,
                const QmigInfo *oi, const QmigInfo *ni, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void add(Cmp *c, const char *id, const char *path,
                const QmigInfo *oi, const QmigInfo *ni, const char *fmt, ...)
{
    const char *key = qmig_arena_printf(c->arena, "%s %s", id, path);
    if (qmig_strmap_get(c->seen, key)) {
        return;
    }
    qmig_strmap_put(c->seen, key, (void *)key);
    Finding *f = QMIG_NEW(c->arena, Finding);
    f->rule = rule(id);
    f->path = path;
    f->group = c->group;
    va_list ap;
    va_start(ap, fmt);
    f->message = qmig_arena_vprintf(c->arena, fmt, ap);
    va_end(ap);
    f->old_info = oi;
    f->new_info = ni;
    f->seq = c->findings.len;
    qmig_vec_push(c->arena, &c->findings, f);
}

/* Features and names */

static bool has_feature(const QmigPtrVec *features, const char *name)
{
    for (size_t i = 0; i < features->len; i++) {
        const QmigFeature *f = features->items[i];
        if (!strcmp(f->name, name)) {
            return true;
        }
    }
    return false;
}

static bool skipped(const Cmp *c, const char *name, const QmigPtrVec *features)
{
    if (c->opts->include_unstable) {
        return false;
    }
    return !strncmp(name, "x-", 2) || has_feature(features, "unstable");
}

static const char *ifcond_str(QmigArena *a, const QmigIfCond *cond)
{
    if (!cond) {
        return "(none)";
    }
    if (cond->kind == QMIG_IF_NAME) {
        /* QEMU before 6.0 wrote 'defined(X)' for X: the same condition */
        size_t len = strlen(cond->name);
        if (!strncmp(cond->name, "defined(", 8) && len > 9 &&
            cond->name[len - 1] == ')') {
            return qmig_arena_strndup(a, cond->name + 8, len - 9);
        }
        return cond->name;
    }
    const char *op = cond->kind == QMIG_IF_ALL   ? "all"
                     : cond->kind == QMIG_IF_ANY ? "any"
                                                 : "not";
    char *s = qmig_arena_printf(a, "%s(", op);
    for (size_t i = 0; i < cond->n_operands; i++) {
        s = qmig_arena_printf(a, "%s%s%s", s, i ? ", " : "",
                              ifcond_str(a, cond->operands[i]));
    }
    return qmig_arena_printf(a, "%s)", s);
}

static void compare_common(Cmp *c, const char *path, const char *what,
                           const QmigPtrVec *of, const QmigIfCond *oc,
                           const QmigInfo *oi, const QmigPtrVec *nf,
                           const QmigIfCond *nc, const QmigInfo *ni)
{
    if (!has_feature(of, "deprecated") && has_feature(nf, "deprecated")) {
        add(c, "deprecated-added", path, oi, ni, "%s is now deprecated", what);
    }
    const char *os = ifcond_str(c->arena, oc);
    const char *ns = ifcond_str(c->arena, nc);
    if (strcmp(os, ns)) {
        add(c, "if-changed", path, oi, ni, "%s: condition %s -> %s", what, os,
            ns);
    }
}

/* Wire types */

typedef enum Kind {
    K_INT,
    K_NUMBER,
    K_STRING, /* str and enums */
    K_BOOL,
    K_NULL,
    K_ANY,
    K_OBJECT,
    K_ARRAY,
    K_ALTERNATE,
    K_OTHER,
} Kind;

static const char *const kind_names[] = {
    "integer", "number", "string", "boolean", "null",
    "any",     "object", "array",  "alternate", "other",
};

static Kind kind_of(const QmigEntity *t)
{
    if (!t) {
        return K_OBJECT; /* no arguments / returns: an empty object */
    }
    switch (t->meta) {
    case QMIG_META_BUILTIN:
        if (!strcmp(t->json_type, "int")) {
            return K_INT;
        } else if (!strcmp(t->json_type, "number")) {
            return K_NUMBER;
        } else if (!strcmp(t->json_type, "string")) {
            return K_STRING;
        } else if (!strcmp(t->json_type, "boolean")) {
            return K_BOOL;
        } else if (!strcmp(t->json_type, "null")) {
            return K_NULL;
        } else if (!strcmp(t->json_type, "value")) {
            return K_ANY;
        } else if (!strcmp(t->json_type, "object")) {
            return K_OBJECT;
        }
        return K_OTHER;
    case QMIG_META_ENUM:
        return K_STRING;
    case QMIG_META_ARRAY:
        return K_ARRAY;
    case QMIG_META_OBJECT:
        return K_OBJECT;
    case QMIG_META_ALTERNATE:
        return K_ALTERNATE;
    default:
        return K_OTHER;
    }
}

/* Integer ranges of the built-in integer types, as [min, max]. */
static void int_range(const QmigEntity *t, double *lo, double *hi)
{
    static const struct {
        const char *name;
        double lo, hi;
    } ranges[] = {
        {"int8", -128.0, 127.0},
        {"int16", -32768.0, 32767.0},
        {"int32", -2147483648.0, 2147483647.0},
        {"uint8", 0, 255.0},
        {"uint16", 0, 65535.0},
        {"uint32", 0, 4294967295.0},
        {"uint64", 0, 18446744073709551615.0},
        {"size", 0, 18446744073709551615.0},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (!strcmp(t->name, ranges[i].name)) {
            *lo = ranges[i].lo;
            *hi = ranges[i].hi;
            return;
        }
    }
    *lo = -9223372036854775808.0; /* int, int64 */
    *hi = 9223372036854775807.0;
}

static void widened(Cmp *c, Dir dir, const char *path, const QmigInfo *oi,
                    const QmigInfo *ni, const char *desc)
{
    add(c, dir == DIR_IN ? "input-type-widened" : "output-type-widened", path,
        oi, ni, "%s", desc);
}

static void narrowed(Cmp *c, Dir dir, const char *path, const QmigInfo *oi,
                     const QmigInfo *ni, const char *desc)
{
    add(c, dir == DIR_IN ? "input-type-narrowed" : "output-type-narrowed",
        path, oi, ni, "%s", desc);
}

static void compare_type(Cmp *c, const QmigEntity *o, const QmigEntity *n,
                         const char *path, Dir dir, const QmigInfo *oi,
                         const QmigInfo *ni);

static const char *type_desc(const QmigEntity *t)
{
    return t ? t->name : "(nothing)";
}

/* Members of an object, base and local, without branches. */
static const QmigPtrVec *object_members(const QmigEntity *t)
{
    static const QmigPtrVec empty;
    return t && t->meta == QMIG_META_OBJECT ? &t->members : &empty;
}

static QmigMember *find_member(const QmigPtrVec *members, const char *name)
{
    for (size_t i = 0; i < members->len; i++) {
        QmigMember *m = members->items[i];
        if (!strcmp(m->name, name)) {
            return m;
        }
    }
    return NULL;
}

static void compare_branches(Cmp *c, const QmigEntity *o, const QmigEntity *n,
                             const char *path, Dir dir);

static void compare_object(Cmp *c, const QmigEntity *o, const QmigEntity *n,
                           const char *path, Dir dir, const QmigInfo *oi,
                           const QmigInfo *ni)
{
    for (size_t i = 0; i < c->stack.len; i++) {
        const Pair *p = c->stack.items[i];
        if (p->o == o && p->n == n && p->dir == dir) {
            return; /* recursive type: compared further up */
        }
    }
    Pair *pair = QMIG_NEW(c->arena, Pair);
    *pair = (Pair){o, n, dir};
    qmig_vec_push(c->arena, &c->stack, pair);

    const QmigPtrVec *om = object_members(o), *nm = object_members(n);
    const QmigInfo *oloc = o && o->info ? o->info : oi;
    const QmigInfo *nloc = n && n->info ? n->info : ni;
    for (size_t i = 0; i < om->len; i++) {
        const QmigMember *m = om->items[i];
        if (skipped(c, m->name, &m->features)) {
            continue;
        }
        const char *mpath = qmig_arena_printf(c->arena, "%s.%s", path, m->name);
        const QmigMember *nmem = find_member(nm, m->name);
        if (nmem && skipped(c, nmem->name, &nmem->features)) {
            nmem = NULL;
        }
        bool dep = has_feature(&m->features, "deprecated");
        if (!nmem) {
            const char *id = dir == DIR_IN
                                 ? (dep ? "input-member-removed-deprecated"
                                        : "input-member-removed")
                                 : (dep ? "output-member-removed-deprecated"
                                        : "output-member-removed");
            add(c, id, mpath, m->info, nloc, "%s member '%s' removed%s",
                m->optional ? "optional" : "mandatory", m->name,
                dep ? " after deprecation" : "");
            continue;
        }
        compare_common(c, mpath, "member", &m->features, m->ifcond, m->info,
                       &nmem->features, nmem->ifcond, nmem->info);
        if (m->optional && !nmem->optional) {
            add(c,
                dir == DIR_IN ? "input-member-made-mandatory"
                              : "output-member-made-mandatory",
                mpath, m->info, nmem->info, "member '%s' is now mandatory",
                m->name);
        } else if (!m->optional && nmem->optional) {
            add(c,
                dir == DIR_IN ? "input-member-made-optional"
                              : "output-member-made-optional",
                mpath, m->info, nmem->info, "member '%s' is now optional",
                m->name);
        }
        compare_type(c, m->type, nmem->type, mpath, dir, m->info, nmem->info);
    }
    for (size_t i = 0; i < nm->len; i++) {
        const QmigMember *m = nm->items[i];
        if (skipped(c, m->name, &m->features)) {
            continue;
        }
        const QmigMember *omem = find_member(om, m->name);
        if (omem && !skipped(c, omem->name, &omem->features)) {
            continue;
        }
        const char *mpath = qmig_arena_printf(c->arena, "%s.%s", path, m->name);
        if (dir == DIR_IN) {
            add(c,
                m->optional ? "input-member-added-optional"
                            : "input-member-added-mandatory",
                mpath, oloc, m->info, "%s argument '%s' added",
                m->optional ? "optional" : "mandatory", m->name);
        } else {
            add(c, "output-member-added", mpath, oloc, m->info,
                "member '%s' added", m->name);
        }
    }
    compare_branches(c, o, n, path, dir);
    c->stack.len--;
}

static const QmigPtrVec *branches(const QmigEntity *t)
{
    static const QmigPtrVec empty;
    return t && t->meta == QMIG_META_OBJECT && t->has_variants ? &t->variants
                                                               : &empty;
}

static void compare_branches(Cmp *c, const QmigEntity *o, const QmigEntity *n,
                             const char *path, Dir dir)
{
    const QmigPtrVec *ob = branches(o), *nb = branches(n);
    const char *otag = ob->len ? o->tag_member->name : NULL;
    const char *ntag = nb->len ? n->tag_member->name : NULL;
    const char *tag = otag ? otag : ntag;
    for (size_t i = 0; i < ob->len; i++) {
        const QmigMember *b = ob->items[i];
        const char *bpath =
            qmig_arena_printf(c->arena, "%s<%s=%s>", path, tag, b->name);
        const QmigMember *nbr = ntag && !strcmp(otag, ntag)
                                    ? find_member(nb, b->name)
                                    : NULL;
        if (!nbr) {
            add(c, dir == DIR_IN ? "input-branch-removed"
                                 : "output-branch-removed",
                bpath, b->info, n && n->info ? n->info : NULL,
                "branch '%s' removed", b->name);
            continue;
        }
        compare_common(c, bpath, "branch", &b->features, b->ifcond, b->info,
                       &nbr->features, nbr->ifcond, nbr->info);
        /* Branch types: only their own members; base ones are compared */
        const QmigEntity *bt = b->type, *nt = nbr->type;
        compare_object(c, bt, nt, bpath, dir, b->info, nbr->info);
    }
    for (size_t i = 0; i < nb->len; i++) {
        const QmigMember *b = nb->items[i];
        if (otag && !strcmp(otag, ntag) && find_member(ob, b->name)) {
            continue;
        }
        const char *bpath =
            qmig_arena_printf(c->arena, "%s<%s=%s>", path, ntag, b->name);
        add(c, dir == DIR_IN ? "input-branch-added" : "output-branch-added",
            bpath, o && o->info ? o->info : NULL, b->info,
            "branch '%s' added", b->name);
    }
}

static void compare_enum(Cmp *c, const QmigEntity *o, const QmigEntity *n,
                         Dir dir)
{
    const char *key = qmig_arena_printf(c->arena, "%s %s %d", o->name,
                                        n->name, (int)dir);
    if (qmig_strmap_get(c->enum_done, key)) {
        return;
    }
    qmig_strmap_put(c->enum_done, key, (void *)key);
    const char *base = o->name;
    for (size_t i = 0; i < o->values.len; i++) {
        const QmigMember *v = o->values.items[i];
        if (skipped(c, v->name, &v->features)) {
            continue;
        }
        const char *vpath = qmig_arena_printf(c->arena, "%s.%s", base, v->name);
        const QmigMember *nv = find_member(&n->values, v->name);
        if (nv && skipped(c, nv->name, &nv->features)) {
            nv = NULL;
        }
        if (!nv) {
            bool dep = has_feature(&v->features, "deprecated");
            const char *id =
                dir == DIR_IN ? (dep ? "input-enum-value-removed-deprecated"
                                     : "input-enum-value-removed")
                              : (dep ? "output-enum-value-removed-deprecated"
                                     : "output-enum-value-removed");
            add(c, id, vpath, v->info, n->info, "value '%s' removed%s",
                v->name, dep ? " after deprecation" : "");
            continue;
        }
        compare_common(c, vpath, "value", &v->features, v->ifcond, v->info,
                       &nv->features, nv->ifcond, nv->info);
    }
    for (size_t i = 0; i < n->values.len; i++) {
        const QmigMember *v = n->values.items[i];
        if (skipped(c, v->name, &v->features)) {
            continue;
        }
        const QmigMember *ov = find_member(&o->values, v->name);
        if (ov && !skipped(c, ov->name, &ov->features)) {
            continue;
        }
        const char *vpath = qmig_arena_printf(c->arena, "%s.%s", base, v->name);
        add(c, dir == DIR_IN ? "input-enum-value-added"
                             : "output-enum-value-added",
            vpath, o->info, v->info, "value '%s' added", v->name);
    }
}

/* The alternative of alternate @t whose wire kind is @k, or NULL. */
static const QmigEntity *alternative(const QmigEntity *t, Kind k)
{
    for (size_t i = 0; i < t->variants.len; i++) {
        const QmigMember *m = t->variants.items[i];
        if (kind_of(m->type) == k) {
            return m->type;
        }
    }
    return NULL;
}

static void compare_alternate(Cmp *c, const QmigEntity *o,
                              const QmigEntity *n, const char *path, Dir dir,
                              const QmigInfo *oi, const QmigInfo *ni)
{
    for (size_t i = 0; i < o->variants.len; i++) {
        const QmigMember *m = o->variants.items[i];
        Kind k = kind_of(m->type);
        const QmigEntity *nt = alternative(n, k);
        if (!nt) {
            narrowed(c, dir, path, oi, ni,
                     qmig_arena_printf(c->arena,
                                       "no longer accepts or carries %s",
                                       kind_names[k]));
            continue;
        }
        compare_type(c, m->type, nt, path, dir, oi, ni);
    }
    for (size_t i = 0; i < n->variants.len; i++) {
        const QmigMember *m = n->variants.items[i];
        Kind k = kind_of(m->type);
        if (!alternative(o, k)) {
            widened(c, dir, path, oi, ni,
                    qmig_arena_printf(c->arena, "now also %s", kind_names[k]));
        }
    }
}

static void compare_type(Cmp *c, const QmigEntity *o, const QmigEntity *n,
                         const char *path, Dir dir, const QmigInfo *oi,
                         const QmigInfo *ni)
{
    Kind ok = kind_of(o), nk = kind_of(n);
    if (ok == K_ALTERNATE && nk == K_ALTERNATE) {
        compare_alternate(c, o, n, path, dir, oi, ni);
        return;
    }
    if (nk == K_ALTERNATE) {
        const QmigEntity *alt = alternative(n, ok);
        if (alt) {
            widened(c, dir, path, oi, ni,
                    qmig_arena_printf(c->arena, "%s -> alternate %s",
                                      type_desc(o), n->name));
            compare_type(c, o, alt, path, dir, oi, ni);
            return;
        }
    }
    if (ok == K_ALTERNATE) {
        const QmigEntity *alt = alternative(o, nk);
        if (alt) {
            narrowed(c, dir, path, oi, ni,
                     qmig_arena_printf(c->arena, "alternate %s -> %s",
                                       o->name, type_desc(n)));
            compare_type(c, alt, n, path, dir, oi, ni);
            return;
        }
    }
    if (ok != nk) {
        add(c, "type-changed", path, oi, ni, "%s (%s) -> %s (%s)",
            type_desc(o), kind_names[ok], type_desc(n), kind_names[nk]);
        return;
    }
    switch (ok) {
    case K_ARRAY:
        compare_type(c, o->element, n->element,
                     qmig_arena_printf(c->arena, "%s[]", path), dir, oi, ni);
        break;
    case K_OBJECT:
        compare_object(c, o, n, path, dir, oi, ni);
        break;
    case K_INT: {
        double olo, ohi, nlo, nhi;
        int_range(o, &olo, &ohi);
        int_range(n, &nlo, &nhi);
        const char *desc =
            qmig_arena_printf(c->arena, "%s -> %s", o->name, n->name);
        if (olo == nlo && ohi == nhi) {
            break;
        } else if (nlo <= olo && nhi >= ohi) {
            widened(c, dir, path, oi, ni, desc);
        } else if (nlo >= olo && nhi <= ohi) {
            narrowed(c, dir, path, oi, ni, desc);
        } else if (dir == DIR_IN) {
            /* Both: judge by the side that hurts in this direction. */
            narrowed(c, dir, path, oi, ni,
                     qmig_arena_printf(c->arena, "%s (range moved)", desc));
        } else {
            widened(c, dir, path, oi, ni,
                    qmig_arena_printf(c->arena, "%s (range moved)", desc));
        }
        break;
    }
    case K_STRING:
        if (o->meta == QMIG_META_ENUM && n->meta == QMIG_META_ENUM) {
            const char *saved = c->group;
            c->group = qmig_arena_printf(c->arena, "type %s", o->name);
            compare_enum(c, o, n, dir);
            c->group = saved;
        } else if (o->meta == QMIG_META_ENUM) {
            widened(c, dir, path, oi, ni,
                    qmig_arena_printf(c->arena, "enum %s -> %s", o->name,
                                      n->name));
        } else if (n->meta == QMIG_META_ENUM) {
            narrowed(c, dir, path, oi, ni,
                     qmig_arena_printf(c->arena, "%s -> enum %s", o->name,
                                       n->name));
        }
        break;
    default:
        break;
    }
}

/* Commands and events */

static bool in_module(const Cmp *c, const QmigEntity *e, bool old)
{
    const QmigModule *mod = old ? c->omod : c->nmod;
    return !c->opts->module || e->module == mod;
}

static bool is_toplevel(const QmigEntity *e)
{
    return e->meta == QMIG_META_COMMAND || e->meta == QMIG_META_EVENT;
}

static void compare_toplevel(Cmp *c, const QmigEntity *o, const QmigEntity *n)
{
    bool cmd = o->meta == QMIG_META_COMMAND;
    c->group = qmig_arena_printf(c->arena, "%s %s", cmd ? "command" : "event",
                                 o->name);
    compare_common(c, o->name, cmd ? "command" : "event", &o->features,
                   o->ifcond, o->info, &n->features, n->ifcond, n->info);
    if (cmd) {
        compare_type(c, o->arg_type, n->arg_type,
                     qmig_arena_printf(c->arena, "%s.arguments", o->name),
                     DIR_IN, o->info, n->info);
        compare_type(c, o->ret_type, n->ret_type,
                     qmig_arena_printf(c->arena, "%s.returns", o->name),
                     DIR_OUT, o->info, n->info);
    } else {
        compare_type(c, o->arg_type, n->arg_type,
                     qmig_arena_printf(c->arena, "%s.data", o->name), DIR_OUT,
                     o->info, n->info);
    }
}

static void compare_schemas(Cmp *c)
{
    const QmigSchema *os = c->os, *ns = c->ns;
    for (size_t i = 0; i < os->entities.len; i++) {
        const QmigEntity *o = os->entities.items[i];
        if (!is_toplevel(o) || skipped(c, o->name, &o->features)) {
            continue;
        }
        const QmigEntity *n = qmig_schema_lookup(ns, o->name);
        bool n_ok = n && n->meta == o->meta &&
                    !skipped(c, n->name, &n->features);
        if (!in_module(c, o, true) && !(n_ok && in_module(c, n, false))) {
            continue;
        }
        if (!n_ok) {
            bool cmd = o->meta == QMIG_META_COMMAND;
            bool dep = has_feature(&o->features, "deprecated");
            c->group = qmig_arena_printf(c->arena, "%s %s",
                                         cmd ? "command" : "event", o->name);
            const char *id = cmd ? (dep ? "command-removed-deprecated"
                                        : "command-removed")
                                 : (dep ? "event-removed-deprecated"
                                        : "event-removed");
            add(c, id, o->name, o->info, NULL, "%s '%s' removed%s",
                cmd ? "command" : "event", o->name,
                dep ? " after deprecation" : "");
            continue;
        }
        compare_toplevel(c, o, n);
    }
    for (size_t i = 0; i < ns->entities.len; i++) {
        const QmigEntity *n = ns->entities.items[i];
        if (!is_toplevel(n) || skipped(c, n->name, &n->features) ||
            !in_module(c, n, false)) {
            continue;
        }
        const QmigEntity *o = qmig_schema_lookup(os, n->name);
        if (o && o->meta == n->meta && !skipped(c, o->name, &o->features)) {
            continue;
        }
        bool cmd = n->meta == QMIG_META_COMMAND;
        c->group = qmig_arena_printf(c->arena, "%s %s",
                                     cmd ? "command" : "event", n->name);
        add(c, cmd ? "command-added" : "event-added", n->name, NULL, n->info,
            "%s '%s' added", cmd ? "command" : "event", n->name);
    }
}

/* Migration metadata */

static const char *cond_str(QmigArena *a, const QmigCond *cond)
{
    if (!cond) {
        return "(always)";
    }
    if (cond->text) {
        return cond->text;
    }
    const char *op = cond->kind == QMIG_COND_ALL   ? "all"
                     : cond->kind == QMIG_COND_ANY ? "any"
                                                   : "not";
    char *s = qmig_arena_printf(a, "%s(", op);
    for (size_t i = 0; i < cond->n_operands; i++) {
        s = qmig_arena_printf(a, "%s%s%s", s, i ? ", " : "",
                              cond_str(a, cond->operands[i]));
    }
    return qmig_arena_printf(a, "%s)", s);
}

static bool rule_lists(const QmigPtrVec *rules, const char *other)
{
    for (size_t i = 0; i < rules->len; i++) {
        const QmigMetaRule *r = rules->items[i];
        if (r->other_name && !strcmp(r->other_name, other)) {
            return true;
        }
    }
    return false;
}

/* Does capability @a conflict with @b in @meta (declared on either)? */
static bool conflicts(const QmigMetadata *meta, const char *a, const char *b)
{
    const QmigMetaCap *ca = qmig_meta_cap(meta, a);
    const QmigMetaCap *cb = qmig_meta_cap(meta, b);
    return (ca && rule_lists(&ca->conflicts, b)) ||
           (cb && rule_lists(&cb->conflicts, a));
}

static void compare_side_handshake(Cmp *c, const char *path,
                                   const QmigInfo *oi, const QmigInfo *ni,
                                   QmigSide os, QmigSide ns, QmigHandshake oh,
                                   QmigHandshake nh)
{
    if (os != ns) {
        add(c, "migration-side-changed", path, oi, ni, "side %s -> %s",
            qmig_side_names[os], qmig_side_names[ns]);
    }
    if (oh != nh) {
        add(c, "migration-handshake-changed", path, oi, ni,
            "handshake %s -> %s", qmig_handshake_names[oh],
            qmig_handshake_names[nh]);
    }
}

static void compare_caps(Cmp *c, const QmigMetadata *om,
                         const QmigMetadata *nm)
{
    for (size_t i = 0; i < om->caps.len; i++) {
        const QmigMetaCap *o = om->caps.items[i];
        const QmigMetaCap *n = qmig_meta_cap(nm, o->name);
        if (!n || skipped(c, o->name, &o->qapi->features) ||
            skipped(c, n->name, &n->qapi->features)) {
            continue;
        }
        const char *path = qmig_arena_printf(
            c->arena, "%s.%s", QMIG_META_CAPABILITY_ENUM, o->name);
        compare_side_handshake(c, path, o->info, n->info, o->side, n->side,
                               o->handshake, n->handshake);
        for (size_t k = 0; k < n->requires.len; k++) {
            const QmigMetaRule *r = n->requires.items[k];
            if (!rule_lists(&o->requires, r->other_name)) {
                add(c, "migration-requires-added", path, o->info, r->info,
                    "now requires capability '%s'", r->other_name);
            }
        }
        for (size_t k = 0; k < o->requires.len; k++) {
            const QmigMetaRule *r = o->requires.items[k];
            if (!rule_lists(&n->requires, r->other_name)) {
                add(c, "migration-requires-removed", path, r->info, n->info,
                    "no longer requires capability '%s'", r->other_name);
            }
        }
        for (size_t k = 0; k < n->conflicts.len; k++) {
            const QmigMetaRule *r = n->conflicts.items[k];
            if (!conflicts(om, o->name, r->other_name)) {
                add(c, "migration-conflicts-added", path, o->info, r->info,
                    "now conflicts with capability '%s'", r->other_name);
            }
        }
        for (size_t k = 0; k < o->conflicts.len; k++) {
            const QmigMetaRule *r = o->conflicts.items[k];
            if (!conflicts(nm, o->name, r->other_name)) {
                add(c, "migration-conflicts-removed", path, r->info, n->info,
                    "no longer conflicts with capability '%s'",
                    r->other_name);
            }
        }
    }
}

/* -1: a below b, 0: equal, 1: above; 2 when not comparable. */
static int bound_cmp(const QmigBound *a, const QmigBound *b)
{
    if (a->kind != b->kind) {
        return 2;
    }
    switch (a->kind) {
    case QMIG_BOUND_NONE:
        return 0;
    case QMIG_BOUND_LITERAL:
        return qmig_int_cmp(a->value, b->value);
    default:
        return strcmp(a->text, b->text) ? 2 : 0;
    }
}

static bool values_subset(const QmigPtrVec *a, const QmigPtrVec *b)
{
    if (!b->len) {
        return true; /* b allows all */
    }
    if (!a->len) {
        return false;
    }
    for (size_t i = 0; i < a->len; i++) {
        bool found = false;
        for (size_t k = 0; k < b->len && !found; k++) {
            found = !strcmp(a->items[i], b->items[k]);
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static void compare_params(Cmp *c, const QmigMetadata *om,
                           const QmigMetadata *nm)
{
    for (size_t i = 0; i < om->params.len; i++) {
        const QmigMetaParam *o = om->params.items[i];
        const QmigMetaParam *n = qmig_meta_param(nm, o->name);
        if (!n || skipped(c, o->name, &o->qapi->features) ||
            skipped(c, n->name, &n->qapi->features)) {
            continue;
        }
        const char *path = qmig_arena_printf(
            c->arena, "%s.%s", QMIG_META_PARAMETER_STRUCT, o->name);
        compare_side_handshake(c, path, o->info, n->info, o->side, n->side,
                               o->handshake, n->handshake);
        const char *od = o->has_default ? o->default_text : "(none)";
        const char *nd = n->has_default ? n->default_text : "(none)";
        if (strcmp(od, nd)) {
            add(c, "migration-default-changed", path, o->info, n->info,
                "default %s -> %s", od, nd);
        }
        /* Range: new lower bound higher or upper lower narrows it. */
        int lo = bound_cmp(&n->min, &o->min);
        int hi = bound_cmp(&n->max, &o->max);
        bool narrow = false, wide = false, other = false;
        if (o->min.kind == QMIG_BOUND_NONE && n->min.kind != QMIG_BOUND_NONE) {
            narrow = true;
        } else if (o->min.kind != QMIG_BOUND_NONE &&
                   n->min.kind == QMIG_BOUND_NONE) {
            wide = true;
        } else if (lo == 2) {
            other = true;
        } else {
            narrow |= lo > 0;
            wide |= lo < 0;
        }
        if (o->max.kind == QMIG_BOUND_NONE && n->max.kind != QMIG_BOUND_NONE) {
            narrow = true;
        } else if (o->max.kind != QMIG_BOUND_NONE &&
                   n->max.kind == QMIG_BOUND_NONE) {
            wide = true;
        } else if (hi == 2) {
            other = true;
        } else {
            narrow |= hi < 0;
            wide |= hi > 0;
        }
        if (!o->power_of_two && n->power_of_two) {
            narrow = true;
        } else if (o->power_of_two && !n->power_of_two) {
            wide = true;
        }
        bool vsub = values_subset(&n->values, &o->values);
        bool vsup = values_subset(&o->values, &n->values);
        narrow |= !vsub;
        wide |= vsub && !vsup;
        const char *ranges = qmig_arena_printf(
            c->arena, "[%s, %s]%s -> [%s, %s]%s",
            o->min.kind ? o->min.text : "-", o->max.kind ? o->max.text : "-",
            o->power_of_two ? " power of two" : "",
            n->min.kind ? n->min.text : "-", n->max.kind ? n->max.text : "-",
            n->power_of_two ? " power of two" : "");
        if (!vsub || !vsup) {
            ranges = qmig_arena_printf(c->arena, "%s; allowed values changed",
                                       ranges);
        }
        if (other || (narrow && wide)) {
            add(c, "migration-range-changed", path, o->info, n->info,
                "range %s", ranges);
        } else if (narrow) {
            add(c, "migration-range-narrowed", path, o->info, n->info,
                "range %s", ranges);
        } else if (wide) {
            add(c, "migration-range-widened", path, o->info, n->info,
                "range %s", ranges);
        }
    }
}

static const char *channel_plan(QmigArena *a, const QmigMetaChannel *ch)
{
    const char *count =
        ch->count_param
            ? ch->count_param->name
            : qmig_arena_printf(a, "%s%llu", ch->count.negative ? "-" : "",
                                (unsigned long long)ch->count.magnitude);
    char *after = "";
    for (size_t i = 0; i < ch->after.len; i++) {
        const QmigMetaChannel *x = ch->after.items[i];
        after = qmig_arena_printf(a, "%s%s%s", after, i ? "," : "", x->name);
    }
    return qmig_arena_printf(a, "pattern %s, count %s, enabled-by %s, "
                                "after [%s]",
                             ch->pattern, count, cond_str(a, ch->enabled_by),
                             after);
}

static void compare_channels(Cmp *c, const QmigMetadata *om,
                             const QmigMetadata *nm)
{
    for (size_t i = 0; i < om->channels.len; i++) {
        const QmigMetaChannel *o = om->channels.items[i];
        const QmigMetaChannel *n = qmig_meta_channel(nm, o->name);
        const char *path = qmig_arena_printf(c->arena, "channel.%s", o->name);
        if (!n) {
            add(c, "migration-channel-removed", path, o->info, NULL,
                "channel '%s' removed", o->name);
            continue;
        }
        const char *op = channel_plan(c->arena, o);
        const char *np = channel_plan(c->arena, n);
        if (strcmp(op, np)) {
            add(c, "migration-channel-changed", path, o->info, n->info,
                "%s -> %s", op, np);
        }
    }
    for (size_t i = 0; i < nm->channels.len; i++) {
        const QmigMetaChannel *n = nm->channels.items[i];
        if (!qmig_meta_channel(om, n->name)) {
            add(c, "migration-channel-added", qmig_arena_printf(
                                                  c->arena, "channel.%s",
                                                  n->name),
                NULL, n->info, "channel '%s' added: %s", n->name,
                channel_plan(c->arena, n));
        }
    }
}

static void compare_metadata(Cmp *c, const QmigMetadata *om,
                             const QmigMetadata *nm)
{
    c->group = "migration metadata";
    compare_caps(c, om, nm);
    compare_params(c, om, nm);
    compare_channels(c, om, nm);
}

/* Waivers */

static const char *waiver_str(QmigCtx *ctx, const QmigExpr *e,
                              const char *key, bool required)
{
    const QmigValue *v = qmig_value_get(e->value, key);
    if (!v) {
        if (required) {
            qmig_error(ctx, e->info, 0, "waiver lacks '%s'", key);
        }
        return NULL;
    }
    if (v->kind != QMIG_VAL_STRING) {
        qmig_error(ctx, e->info, 0, "waiver key '%s' must be a string", key);
    }
    return v->u.str;
}

static bool load_waivers(QmigCtx *ctx, const char *path, QmigPtrVec *out)
{
    jmp_buf escape;
    ctx->escape = &escape;
    if (setjmp(escape)) {
        return false;
    }
    QmigParseResult parsed = {0};
    qmig_parse_metadata(ctx, path, &parsed);
    for (size_t i = 0; i < parsed.exprs.len; i++) {
        const QmigExpr *e = parsed.exprs.items[i];
        if (e->kind != QMIG_EXPR_DEFINITION) {
            qmig_error(ctx, e->info, 0, "waiver files cannot include");
        }
        for (size_t k = 0; k < e->value->u.obj.len; k++) {
            const char *key = e->value->u.obj.items[k].key;
            if (strcmp(key, "waive") && strcmp(key, "path") &&
                strcmp(key, "reason") && strcmp(key, "expires")) {
                qmig_error(ctx, e->info, 0, "waiver has unknown key '%s'",
                           key);
            }
        }
        Waiver *w = QMIG_NEW(ctx->arena, Waiver);
        w->rule = waiver_str(ctx, e, "waive", true);
        w->path = waiver_str(ctx, e, "path", true);
        w->reason = waiver_str(ctx, e, "reason", true);
        w->expires = waiver_str(ctx, e, "expires", false);
        w->info = e->info;
        bool known = false;
        for (const QmigCompatRule *r = qmig_compat_rules; r->id; r++) {
            known |= !strcmp(r->id, w->rule);
        }
        if (!known) {
            qmig_error(ctx, e->info, 0, "waiver names unknown rule '%s'",
                       w->rule);
        }
        qmig_vec_push(ctx->arena, out, w);
    }
    return true;
}

/* Report */

static const char *group_kind_order = "cetm"; /* command event type migr. */

static int group_rank(const char *g)
{
    const char *p = strchr(group_kind_order, g[0]);
    return p ? (int)(p - group_kind_order) : 9;
}

static int finding_cmp(const void *a, const void *b)
{
    const Finding *x = *(Finding *const *)a, *y = *(Finding *const *)b;
    int r = group_rank(x->group) - group_rank(y->group);
    if (!r) {
        r = strcmp(x->group, y->group);
    }
    if (!r) {
        r = strcmp(x->path, y->path);
    }
    if (!r) {
        r = strcmp(x->rule->id, y->rule->id);
    }
    if (!r) {
        r = x->seq < y->seq ? -1 : x->seq > y->seq;
    }
    return r;
}

/* @path as reported: temporary copies under their git:REF: label. */
static const char *report_path(QmigArena *a, const QmigCompatOptions *opts,
                               const char *path)
{
    for (int i = 0; i < 2; i++) {
        const char *from = opts->path_from[i];
        size_t len = from ? strlen(from) : 0;
        if (len && !strncmp(path, from, len)) {
            return qmig_arena_printf(a, "%s%s", opts->path_to[i], path + len);
        }
    }
    return path;
}

static const char *loc(const Cmp *c, const QmigInfo *info)
{
    return info ? qmig_arena_printf(c->arena, "%s:%u",
                                    report_path(c->arena, c->opts,
                                                info->file->path),
                                    info->line)
                : "-";
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            fprintf(out, "\\%c", ch);
        } else if (ch < 0x20) {
            fprintf(out, "\\u%04x", ch);
        } else {
            fputc(ch, out);
        }
    }
    fputc('"', out);
}

static void json_loc(FILE *out, const Cmp *c, const char *key,
                     const QmigInfo *info)
{
    fprintf(out, ", \"%s\": ", key);
    if (!info) {
        fputs("null", out);
        return;
    }
    fputs("{\"file\": ", out);
    json_str(out, report_path(c->arena, c->opts, info->file->path));
    fprintf(out, ", \"line\": %u}", info->line);
}

static void print_json(FILE *out, const Cmp *c, const char *old_label,
                       const char *new_label, const unsigned *counts,
                       unsigned waived, bool ok)
{
    fputs("{\"old\": ", out);
    json_str(out, old_label);
    fputs(", \"new\": ", out);
    json_str(out, new_label);
    fprintf(out, ", \"compatible\": %s,\n \"summary\": {\"breaking\": %u, "
                 "\"risky\": %u, \"safe\": %u, \"waived\": %u},\n"
                 " \"findings\": [",
            ok ? "true" : "false", counts[BREAKING], counts[RISKY],
            counts[SAFE], waived);
    for (size_t i = 0; i < c->findings.len; i++) {
        const Finding *f = c->findings.items[i];
        fputs(i ? ",\n  {\"rule\": " : "\n  {\"rule\": ", out);
        json_str(out, f->rule->id);
        fprintf(out, ", \"severity\": \"%s\", \"group\": ",
                qmig_compat_severity_names[f->rule->severity]);
        json_str(out, f->group);
        fputs(", \"path\": ", out);
        json_str(out, f->path);
        fputs(", \"message\": ", out);
        json_str(out, f->message);
        json_loc(out, c, "old", f->old_info);
        json_loc(out, c, "new", f->new_info);
        fputs(", \"waived\": ", out);
        if (f->waived) {
            json_str(out, f->waived);
        } else {
            fputs("null", out);
        }
        fputc('}', out);
    }
    fputs("]}\n", out);
}

static void print_text(FILE *out, const Cmp *c, const char *old_label,
                       const char *new_label, const unsigned *counts,
                       unsigned waived, bool ok)
{
    fprintf(out, "%s -> %s: %s (%u breaking, %u risky, %u safe, %u waived)\n",
            old_label, new_label, ok ? "compatible" : "incompatible",
            counts[BREAKING], counts[RISKY], counts[SAFE], waived);
    const char *group = NULL;
    for (size_t i = 0; i < c->findings.len; i++) {
        const Finding *f = c->findings.items[i];
        if (!group || strcmp(group, f->group)) {
            group = f->group;
            fprintf(out, "\n%s:\n", group);
        }
        fprintf(out, "  %-8s %s %s: %s\n",
                qmig_compat_severity_names[f->rule->severity], f->rule->id,
                f->path, f->message);
        fprintf(out, "           old %s, new %s\n", loc(c, f->old_info),
                loc(c, f->new_info));
        if (f->waived) {
            fprintf(out, "           waived: %s\n", f->waived);
        }
    }
}

int qmig_compat_version_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        char *ea, *eb;
        unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
        if (x != y) {
            return x < y ? -1 : 1;
        }
        if (ea == a && eb == b) {
            /* Non-numeric text: compare the rest as strings. */
            return strcmp(a, b);
        }
        a = *ea == '.' ? ea + 1 : ea;
        b = *eb == '.' ? eb + 1 : eb;
    }
    return 0;
}

void qmig_compat_list_rules(FILE *out)
{
    for (const QmigCompatRule *r = qmig_compat_rules; r->id; r++) {
        fprintf(out, "%-37s %-8s %s\n", r->id,
                qmig_compat_severity_names[r->severity], r->summary);
    }
}

static const QmigModule *find_module(const QmigSchema *schema,
                                     const char *name, QmigArena *a)
{
    return qmig_schema_find_module(schema, name, a);
}

int qmig_compat_run(const QmigSchema *old_schema, const QmigMetadata *old_meta,
                    const QmigSchema *new_schema, const QmigMetadata *new_meta,
                    const char *old_label, const char *new_label,
                    const QmigCompatOptions *opts, FILE *out, FILE *err)
{
    QmigCtx ctx = {.arena = qmig_arena_new()};
    Cmp c = {
        .arena = ctx.arena,
        .opts = opts,
        .os = old_schema,
        .ns = new_schema,
        .seen = qmig_strmap_new(ctx.arena),
        .enum_done = qmig_strmap_new(ctx.arena),
    };
    int status = QMIG_EXIT_OK;
    QmigPtrVec waivers = {0};
    if (opts->waivers && !load_waivers(&ctx, opts->waivers, &waivers)) {
        fprintf(err, "%s", ctx.error ? ctx.error : "qmig-gen: bad waivers\n");
        status = QMIG_EXIT_USAGE;
        goto out;
    }
    if (opts->module) {
        c.omod = find_module(old_schema, opts->module, ctx.arena);
        c.nmod = find_module(new_schema, opts->module, ctx.arena);
        if (!c.omod && !c.nmod) {
            fprintf(err, "qmig-gen: error: neither schema has module '%s'\n",
                    opts->module);
            status = QMIG_EXIT_USAGE;
            goto out;
        }
    }
    compare_schemas(&c);
    if (old_meta && new_meta) {
        compare_metadata(&c, old_meta, new_meta);
    }
    c.group = "waivers";
    size_t nfindings = c.findings.len;
    for (size_t k = 0; k < waivers.len; k++) {
        Waiver *w = waivers.items[k];
        if (opts->release && w->expires &&
            qmig_compat_version_cmp(w->expires, opts->release) <= 0) {
            /* Expired: it waives nothing, and CI must renew or fix. */
            w->used = true;
            add(&c, "waiver-expired", w->path, NULL, w->info,
                "waiver of %s expires in %s, reached by release %s", w->rule,
                w->expires, opts->release);
        }
    }
    for (size_t i = 0; i < nfindings; i++) {
        Finding *f = c.findings.items[i];
        for (size_t k = 0; k < waivers.len; k++) {
            Waiver *w = waivers.items[k];
            bool expired = opts->release && w->expires &&
                           qmig_compat_version_cmp(w->expires,
                                                   opts->release) <= 0;
            if (!expired && !strcmp(w->rule, f->rule->id) &&
                !strcmp(w->path, f->path)) {
                f->waived = w->expires
                                ? qmig_arena_printf(ctx.arena,
                                                    "%s (expires %s)",
                                                    w->reason, w->expires)
                                : w->reason;
                w->used = true;
            }
        }
    }
    for (size_t k = 0; k < waivers.len; k++) {
        Waiver *w = waivers.items[k];
        if (!w->used) {
            add(&c, "waiver-unused", w->path, NULL, w->info,
                "waiver of %s matches no finding", w->rule);
        }
    }
    if (c.findings.len > 1) {
        /* qsort() on a NULL array is undefined even for no elements. */
        qsort(c.findings.items, c.findings.len, sizeof(void *), finding_cmp);
    }
    unsigned counts[3] = {0}, waived = 0;
    for (size_t i = 0; i < c.findings.len; i++) {
        const Finding *f = c.findings.items[i];
        if (f->waived) {
            waived++;
        } else {
            counts[f->rule->severity]++;
        }
    }
    bool ok = counts[BREAKING] == 0;
    if (opts->json) {
        print_json(out, &c, old_label, new_label, counts, waived, ok);
    } else {
        print_text(out, &c, old_label, new_label, counts, waived, ok);
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(err, "qmig-gen: error: cannot write output\n");
        status = QMIG_EXIT_USAGE;
        goto out;
    }
    status = ok ? QMIG_EXIT_OK : QMIG_EXIT_SCHEMA_ERROR;
out:
    qmig_arena_free(ctx.arena);
    return status;
}
