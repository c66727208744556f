/*
 * meta.c - read and check the migration metadata; see meta.h and
 * docs/metadata-language.rst.
 *
 * Three phases:
 *  1. each expression on its own: keys, shapes, literal values;
 *  2. names: metadata names against the QAPI schema, references
 *     against the metadata; every unknown name is reported before
 *     leaving, so that checking against an older schema lists exactly
 *     what that schema lacks;
 *  3. consistency: coverage, requires/conflicts, ranges and defaults,
 *     units, channels, rule ids, status and since.
 */
#include "meta.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "expr.h"
#include "parser.h"
#include "strmap.h"

const char *const qmig_side_names[] = {"source", "destination", "both",
                                       "match", NULL};
const char *const qmig_handshake_names[] = {"adopt", "intersect", "local",
                                            NULL};
const char *const qmig_status_names[] = {"stable", "unstable", "deprecated",
                                         NULL};
const char *const qmig_transport_names[] = {"tcp",  "unix", "vsock", "fd",
                                            "exec", "rdma", "file",  NULL};
const char *const qmig_value_check_names[] = {"none", "bitmap-alias-map",
                                              NULL};

const char *const qmig_unit_names[] = {"none",
                                       "bytes",
                                       "bytes-per-second",
                                       "megabytes-per-second",
                                       "milliseconds",
                                       "percent",
                                       "count",
                                       "level",
                                       NULL};
const char *const qmig_cmp_op_names[] = {"==", "!=", "<", "<=", ">", ">=",
                                         NULL};

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_KEYS ((const char *const[]){NULL})

typedef struct Loader {
    QmigCtx *ctx;
    const QmigSchema *schema;
    QmigMetadata *meta;
    QmigStrMap *caps;     /* metadata capabilities by name */
    QmigStrMap *params;   /* metadata parameters by name */
    QmigStrMap *channels; /* by name */
    QmigStrMap *envs;     /* by name */
    QmigStrMap *rule_ids; /* by id */
    QmigStrMap *waivers;  /* by name */
    QmigPtrVec conds;     /* every atom, for name resolution */
    QmigPtrVec cap_list;  /* QmigMetaCap * in declaration order */
    QmigPtrVec param_list;
    /* Raw references kept until names can be resolved (phase 2). */
    QmigPtrVec pending; /* Pending * */
    unsigned n_absent;    /* metadata names the schema lacks */
    unsigned n_uncovered; /* schema names without metadata */
} Loader;

typedef enum PendingKind {
    PENDING_PARAM_CAP,     /* parameter 'capability' */
    PENDING_CAP_CHANNEL,   /* capability 'channels' entry */
    PENDING_CHANNEL_COUNT, /* channel 'count' parameter */
    PENDING_CHANNEL_AFTER, /* channel 'after' entry */
    PENDING_BOUND,         /* '@param' bound */
} PendingKind;

typedef struct Pending {
    PendingKind kind;
    const char *name;
    const QmigInfo *info;
    void *owner;
    QmigBound *bound;
} Pending;

static QmigArena *arena(Loader *l)
{
    return l->ctx->arena;
}

static _Noreturn void fail(Loader *l, const QmigInfo *info, const char *fmt,
                           ...) __attribute__((format(printf, 3, 4)));

static void fail(Loader *l, const QmigInfo *info, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = qmig_arena_vprintf(arena(l), fmt, ap);
    va_end(ap);
    qmig_error(l->ctx, info, 0, "%s", msg);
}

/* --- small parsers ----------------------------------------------------- */

int qmig_int_cmp(QmigInt a, QmigInt b)
{
    if (a.negative != b.negative) {
        return a.negative ? -1 : 1;
    }
    int sign = a.negative ? -1 : 1;
    if (a.magnitude == b.magnitude) {
        return 0;
    }
    return a.magnitude < b.magnitude ? -sign : sign;
}

/* A decimal integer, optionally negative; false if malformed or too big. */
static bool parse_int(const char *s, QmigInt *out)
{
    out->negative = *s == '-';
    if (out->negative) {
        s++;
    }
    if (!*s) {
        return false;
    }
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        unsigned digit = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - digit) / 10) {
            return false;
        }
        v = v * 10 + digit;
    }
    out->magnitude = v;
    if (out->negative && v == 0) {
        out->negative = false;
    }
    return true;
}

static int lookup_name(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++) {
        if (!strcmp(names[i], s)) {
            return i;
        }
    }
    return -1;
}

static const QmigValue *get(const QmigValue *obj, const char *key)
{
    return qmig_value_get(obj, key);
}

static const char *get_string(Loader *l, const QmigExpr *expr,
                              const QmigValue *obj, const char *key)
{
    const QmigValue *v = get(obj, key);
    if (!v) {
        return NULL;
    }
    if (v->kind != QMIG_VAL_STRING) {
        fail(l, expr->info, "'%s' must be a string", key);
    }
    return v->u.str;
}

static int get_enum(Loader *l, const QmigExpr *expr, const char *key,
                    const char *const *names, int dflt)
{
    const char *s = get_string(l, expr, expr->value, key);
    if (!s) {
        return dflt;
    }
    int i = lookup_name(names, s);
    if (i < 0) {
        char *valid = "";
        for (int k = 0; names[k]; k++) {
            valid = qmig_arena_printf(arena(l), "%s%s'%s'", valid,
                                      k ? ", " : "", names[k]);
        }
        fail(l, expr->info, "'%s' must be one of %s, not '%s'", key, valid, s);
    }
    return i;
}

/* A list of strings (or of objects, when @objects_ok). */
static const QmigValue *get_list(Loader *l, const QmigExpr *expr,
                                 const char *key, bool objects_ok)
{
    const QmigValue *v = get(expr->value, key);
    if (!v) {
        return NULL;
    }
    if (v->kind != QMIG_VAL_ARRAY) {
        fail(l, expr->info, "'%s' must be an array", key);
    }
    for (size_t i = 0; i < v->u.arr.len; i++) {
        QmigValueKind kind = v->u.arr.items[i]->kind;
        if (kind != QMIG_VAL_STRING &&
            !(objects_ok && kind == QMIG_VAL_OBJECT)) {
            fail(l, expr->info, "'%s' must be an array of %s", key,
                 objects_ok ? "strings or objects" : "strings");
        }
    }
    return v;
}

/* [a-z][a-z0-9-]*: ids appear in reports, C identifiers and anchors. */
static bool is_rule_id(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z')) {
        return false;
    }
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-')) {
            return false;
        }
    }
    return true;
}

/* Replace {name} and {other} in a message template. */
static const char *expand_message(Loader *l, const char *tmpl,
                                  const char *name, const char *other)
{
    char *out = "";
    const char *p = tmpl;
    while (*p) {
        if (!strncmp(p, "{name}", 6)) {
            out = qmig_arena_printf(arena(l), "%s%s", out, name);
            p += 6;
        } else if (other && !strncmp(p, "{other}", 7)) {
            out = qmig_arena_printf(arena(l), "%s%s", out, other);
            p += 7;
        } else {
            const char *brace = strchr(p + 1, '{');
            size_t n = brace ? (size_t)(brace - p) : strlen(p);
            out = qmig_arena_printf(arena(l), "%s%.*s", out, (int)n, p);
            p += n;
        }
    }
    return out;
}

/* --- rules ------------------------------------------------------------- */

static void add_rule(Loader *l, QmigMetaRule *rule)
{
    QmigMetaRule *other = qmig_strmap_get(l->rule_ids, rule->id);
    if (other) {
        qmig_error_with_note(l->ctx, rule->info, other->info,
                             "previous definition",
                             "rule id '%s' is already used", rule->id);
    }
    qmig_strmap_put(l->rule_ids, rule->id, rule);
    qmig_vec_push(arena(l), &l->meta->rules, rule);
}

static QmigMetaRule *new_rule(Loader *l, const QmigInfo *info, const char *id,
                              QmigRuleOrigin kind)
{
    if (!is_rule_id(id)) {
        fail(l, info, "rule id '%s' must start with a lower-case letter and "
                      "use only lower-case letters, digits and '-'", id);
    }
    QmigMetaRule *rule = QMIG_NEW(arena(l), QmigMetaRule);
    rule->id = id;
    rule->info = info;
    rule->origin_kind = kind;
    return rule;
}

/* --- conditions -------------------------------------------------------- */

static QmigCond *new_cond(Loader *l, QmigCondKind kind)
{
    QmigCond *c = QMIG_NEW(arena(l), QmigCond);
    c->kind = kind;
    return c;
}

static QmigCond *cond_op(Loader *l, QmigCondKind kind, size_t n)
{
    QmigCond *c = new_cond(l, kind);
    c->n_operands = n;
    c->operands = qmig_arena_alloc(arena(l), n * sizeof(QmigCond *));
    return c;
}

/* Split "a OP b" on spaces; returns the number of words (at most 3). */
static int split_atom(Loader *l, const char *text, const char *words[3])
{
    int n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ') {
            p++;
        }
        if (!*p) {
            break;
        }
        const char *start = p;
        while (*p && *p != ' ') {
            p++;
        }
        if (n == 3) {
            return 4;
        }
        words[n++] = qmig_arena_strndup(arena(l), start, (size_t)(p - start));
    }
    return n;
}

static QmigCond *parse_atom(Loader *l, const QmigInfo *info, const char *text,
                            const char *where)
{
    const char *w[3];
    int n = split_atom(l, text, w);
    QmigCond *c;
    if (n == 1 && !strncmp(w[0], "host:", 5)) {
        c = new_cond(l, QMIG_COND_HOST);
        c->lhs = w[0] + 5;
    } else if (n == 1 && !strncmp(w[0], "channel:", 8)) {
        c = new_cond(l, QMIG_COND_CHANNEL);
        c->lhs = w[0] + 8;
    } else if (n == 1) {
        c = new_cond(l, QMIG_COND_CAP);
        c->lhs = w[0];
    } else if (n == 3) {
        int op = lookup_name(qmig_cmp_op_names, w[1]);
        if (op < 0) {
            fail(l, info, "condition '%s' of %s: '%s' is not a comparison "
                          "operator (==, !=, <, <=, >, >=)", text, where, w[1]);
        }
        if (!strcmp(w[0], "transport")) {
            c = new_cond(l, QMIG_COND_TRANSPORT);
        } else if (!strcmp(w[0], "side")) {
            c = new_cond(l, QMIG_COND_SIDE);
        } else {
            c = new_cond(l, QMIG_COND_COMPARE);
        }
        c->op = (QmigCmpOp)op;
        c->lhs = w[0];
        c->rhs = w[2];
    } else {
        fail(l, info, "condition '%s' of %s must be a capability, 'host:FACT', "
                      "'channel:NAME' or 'NAME OP VALUE'", text, where);
    }
    c->text = text;
    c->info = info;
    c->where = where;
    qmig_vec_push(arena(l), &l->conds, c);
    return c;
}

static QmigCond *parse_cond(Loader *l, const QmigInfo *info,
                            const QmigValue *v, const char *where, int depth)
{
    if (depth > 32) {
        fail(l, info, "condition of %s is nested too deeply", where);
    }
    if (v->kind == QMIG_VAL_STRING) {
        return parse_atom(l, info, v->u.str, where);
    }
    if (v->kind != QMIG_VAL_OBJECT) {
        fail(l, info, "condition of %s must be a string or an object", where);
    }
    qmig_check_keys(l->ctx, (QmigInfo *)info, v,
                    qmig_arena_printf(arena(l), "condition of %s", where),
                    NO_KEYS, KEYS("all", "any", "not"));
    if (v->u.obj.len != 1) {
        fail(l, info, "condition of %s has conflicting keys", where);
    }
    const QmigKeyValue *kv = &v->u.obj.items[0];
    if (!strcmp(kv->key, "not")) {
        QmigCond *c = cond_op(l, QMIG_COND_NOT, 1);
        c->operands[0] = parse_cond(l, info, kv->value, where, depth + 1);
        return c;
    }
    if (kv->value->kind != QMIG_VAL_ARRAY) {
        fail(l, info, "'%s' condition of %s must be an array", kv->key, where);
    }
    if (!kv->value->u.arr.len) {
        fail(l, info, "'%s' condition of %s must not be empty", kv->key, where);
    }
    QmigCond *c = cond_op(l, strcmp(kv->key, "all") ? QMIG_COND_ANY
                                                    : QMIG_COND_ALL,
                          kv->value->u.arr.len);
    for (size_t i = 0; i < c->n_operands; i++) {
        c->operands[i] =
            parse_cond(l, info, kv->value->u.arr.items[i], where, depth + 1);
    }
    return c;
}

static QmigCond *cap_atom(Loader *l, const QmigInfo *info, const char *name,
                          const char *where)
{
    return parse_atom(l, info, name, where);
}

static QmigCond *cond_not(Loader *l, QmigCond *operand)
{
    QmigCond *c = cond_op(l, QMIG_COND_NOT, 1);
    c->operands[0] = operand;
    return c;
}

static QmigCond *cond_and(Loader *l, QmigCond *a, QmigCond *b)
{
    QmigCond *c = cond_op(l, QMIG_COND_ALL, 2);
    c->operands[0] = a;
    c->operands[1] = b;
    return c;
}

/* --- capability -------------------------------------------------------- */

static QmigMetaCap *new_cap_entry(Loader *l, const QmigExpr *expr,
                                  const char *name)
{
    QmigMetaCap *other = qmig_strmap_get(l->caps, name);
    if (other) {
        qmig_error_with_note(l->ctx, expr->info, other->info,
                             "previous definition",
                             "capability '%s' already has metadata", name);
    }
    QmigMetaCap *cap = QMIG_NEW(arena(l), QmigMetaCap);
    cap->name = name;
    cap->info = expr->info;
    qmig_strmap_put(l->caps, name, cap);
    qmig_vec_push(arena(l), &l->cap_list, cap);
    return cap;
}

/* One 'requires' or 'conflicts' entry becomes a rule. */
static void cap_relation(Loader *l, const QmigExpr *expr, QmigMetaCap *cap,
                         const QmigValue *entry, bool requires)
{
    const char *relation = requires ? "requires" : "conflicts";
    const char *other = entry->u.str;
    const char *id = NULL, *message = NULL, *origin = NULL;
    if (entry->kind == QMIG_VAL_OBJECT) {
        qmig_check_keys(l->ctx, expr->info, entry,
                        qmig_arena_printf(arena(l), "'%s' member", relation),
                        KEYS("name"), KEYS("rule", "message", "origin"));
        other = get_string(l, expr, entry, "name");
        id = get_string(l, expr, entry, "rule");
        message = get_string(l, expr, entry, "message");
        origin = get_string(l, expr, entry, "origin");
    }
    if (!strcmp(other, cap->name)) {
        fail(l, expr->info, "capability '%s' %s itself", cap->name,
             requires ? "requires" : "conflicts with");
    }
    if (!id) {
        id = qmig_arena_printf(arena(l), "%s-%s-%s", cap->name, relation,
                               other);
    }
    if (!message) {
        message = requires ? "Capability '{name}' requires capability '{other}'"
                           : "Capability '{name}' conflicts with capability "
                             "'{other}'";
    }
    QmigMetaRule *rule = new_rule(l, expr->info, id,
                                  requires ? QMIG_RULE_REQUIRES
                                           : QMIG_RULE_CONFLICTS);
    rule->message = expand_message(l, message, cap->name, other);
    rule->origin = origin;
    rule->cap = cap;
    rule->other_name = other;
    const char *where = qmig_arena_printf(arena(l), "'%s' of capability '%s'",
                                          relation, cap->name);
    QmigCond *mine = cap_atom(l, expr->info, cap->name, where);
    QmigCond *theirs = cap_atom(l, expr->info, other, where);
    rule->when = cond_and(l, mine, requires ? cond_not(l, theirs) : theirs);
    add_rule(l, rule);
    qmig_vec_push(arena(l), requires ? &cap->requires : &cap->conflicts, rule);
}

static void cap_transports(Loader *l, const QmigExpr *expr, QmigMetaCap *cap)
{
    const QmigValue *list = get_list(l, expr, "transports", false);
    const char *id = get_string(l, expr, expr->value, "transport-rule");
    const char *message = get_string(l, expr, expr->value, "transport-message");
    if (!list) {
        if (id || message) {
            fail(l, expr->info, "'transport-rule' and 'transport-message' "
                                "need 'transports'");
        }
        return;
    }
    if (!list->u.arr.len) {
        fail(l, expr->info, "'transports' must not be empty");
    }
    QmigCond *any = cond_op(l, QMIG_COND_ANY, list->u.arr.len);
    for (size_t i = 0; i < list->u.arr.len; i++) {
        const char *t = list->u.arr.items[i]->u.str;
        int index = lookup_name(qmig_transport_names, t);
        if (index < 0) {
            fail(l, expr->info, "'%s' in 'transports' is not a transport", t);
        }
        if (cap->transports & (1u << index)) {
            fail(l, expr->info, "transport '%s' is listed twice", t);
        }
        cap->transports |= 1u << index;
        any->operands[i] = parse_atom(
            l, expr->info, qmig_arena_printf(arena(l), "transport == %s", t),
            "'transports'");
    }
    QmigMetaRule *rule = new_rule(
        l, expr->info,
        id ? id : qmig_arena_printf(arena(l), "%s-transport", cap->name),
        QMIG_RULE_TRANSPORT);
    rule->message = expand_message(
        l, message ? message : "Capability '{name}' cannot be used with this "
                               "transport",
        cap->name, NULL);
    rule->cap = cap;
    rule->when = cond_and(l, cap_atom(l, expr->info, cap->name, "'transports'"),
                          cond_not(l, any));
    add_rule(l, rule);
    cap->transport_rule = rule;
}

static void def_capability(Loader *l, const QmigExpr *expr)
{
    qmig_check_keys(l->ctx, expr->info, expr->value, "capability",
                    KEYS("capability", "side", "handshake"),
                    KEYS("requires", "conflicts", "transports",
                         "transport-rule", "transport-message", "channels",
                         "since", "status"));
    QmigMetaCap *cap = new_cap_entry(l, expr, expr->info->defn_name);
    cap->side = get_enum(l, expr, "side", qmig_side_names, 0);
    cap->handshake = get_enum(l, expr, "handshake", qmig_handshake_names, 0);
    cap->status = get_enum(l, expr, "status", qmig_status_names, 0);
    cap->since = get_string(l, expr, expr->value, "since");
    for (int r = 0; r < 2; r++) {
        const QmigValue *list =
            get_list(l, expr, r ? "conflicts" : "requires", true);
        for (size_t i = 0; list && i < list->u.arr.len; i++) {
            cap_relation(l, expr, cap, list->u.arr.items[i], !r);
        }
    }
    cap_transports(l, expr, cap);
    const QmigValue *channels = get_list(l, expr, "channels", false);
    for (size_t i = 0; channels && i < channels->u.arr.len; i++) {
        Pending *p = QMIG_NEW(arena(l), Pending);
        p->kind = PENDING_CAP_CHANNEL;
        p->name = channels->u.arr.items[i]->u.str;
        p->info = expr->info;
        p->owner = cap;
        qmig_vec_push(arena(l), &l->pending, p);
    }
}

/* --- parameter --------------------------------------------------------- */

static void pending_ref(Loader *l, PendingKind kind, const char *name,
                        const QmigInfo *info, void *owner, QmigBound *bound)
{
    Pending *p = QMIG_NEW(arena(l), Pending);
    p->kind = kind;
    p->name = name;
    p->info = info;
    p->owner = owner;
    p->bound = bound;
    qmig_vec_push(arena(l), &l->pending, p);
}

static void parse_bound(Loader *l, const QmigExpr *expr, QmigMetaParam *param,
                        const char *key, QmigBound *bound)
{
    const char *text = get_string(l, expr, expr->value, key);
    if (!text) {
        return;
    }
    bound->text = text;
    if (text[0] == '@') {
        bound->kind = QMIG_BOUND_PARAM;
        pending_ref(l, PENDING_BOUND, text + 1, expr->info, param, bound);
    } else if (text[0] == '$') {
        if (strcmp(text + 1, "target-page-size")) {
            fail(l, expr->info, "'%s': the only host value is "
                                "'$target-page-size'", text);
        }
        bound->kind = QMIG_BOUND_HOST;
        bound->host = text + 1;
        bound->value.magnitude = QMIG_HOST_TARGET_PAGE_SIZE_DEFAULT;
    } else if (parse_int(text, &bound->value)) {
        bound->kind = QMIG_BOUND_LITERAL;
    } else {
        fail(l, expr->info, "'%s' must be a decimal integer, '@PARAMETER' or "
                            "'$target-page-size', not '%s'", key, text);
    }
}

static void def_parameter(Loader *l, const QmigExpr *expr)
{
    qmig_check_keys(l->ctx, expr->info, expr->value, "parameter",
                    KEYS("parameter", "side", "handshake"),
                    KEYS("capability", "default", "min", "max", "range-rule",
                         "range-message", "power-of-two", "values", "unit",
                         "value-check", "since", "status"));
    const char *name = expr->info->defn_name;
    QmigMetaParam *other = qmig_strmap_get(l->params, name);
    if (other) {
        qmig_error_with_note(l->ctx, expr->info, other->info,
                             "previous definition",
                             "parameter '%s' already has metadata", name);
    }
    QmigMetaParam *param = QMIG_NEW(arena(l), QmigMetaParam);
    param->name = name;
    param->info = expr->info;
    qmig_strmap_put(l->params, name, param);
    qmig_vec_push(arena(l), &l->param_list, param);

    param->side = get_enum(l, expr, "side", qmig_side_names, 0);
    param->handshake = get_enum(l, expr, "handshake", qmig_handshake_names, 0);
    param->status = get_enum(l, expr, "status", qmig_status_names, 0);
    /* "none" is the absence of a unit, not a value to write. */
    param->unit = get_enum(l, expr, "unit", qmig_unit_names + 1, -1) + 1;
    param->value_check =
        get_enum(l, expr, "value-check", qmig_value_check_names + 1, -1) + 1;
    param->since = get_string(l, expr, expr->value, "since");
    const char *cap = get_string(l, expr, expr->value, "capability");
    if (cap) {
        pending_ref(l, PENDING_PARAM_CAP, cap, expr->info, param, NULL);
    }
    parse_bound(l, expr, param, "min", &param->min);
    parse_bound(l, expr, param, "max", &param->max);
    const QmigValue *pot = get(expr->value, "power-of-two");
    if (pot && (pot->kind != QMIG_VAL_BOOL || !pot->u.boolean)) {
        fail(l, expr->info, "'power-of-two' may only be true");
    }
    param->power_of_two = pot != NULL;
    const QmigValue *values = get_list(l, expr, "values", false);
    for (size_t i = 0; values && i < values->u.arr.len; i++) {
        const char *v = values->u.arr.items[i]->u.str;
        for (size_t k = 0; k < param->values.len; k++) {
            if (!strcmp(param->values.items[k], v)) {
                fail(l, expr->info, "'%s' is listed twice in 'values'", v);
            }
        }
        qmig_vec_push(arena(l), &param->values, (void *)v);
    }
    if (values && !values->u.arr.len) {
        fail(l, expr->info, "'values' must not be empty");
    }
    /* The default is checked against the type once it is known. */
    const QmigValue *dflt = get(expr->value, "default");
    if (dflt) {
        param->has_default = true;
        param->default_value = dflt;
    }
    param->range_rule_id = get_string(l, expr, expr->value, "range-rule");
    param->range_message = get_string(l, expr, expr->value, "range-message");
}

/* --- channel, environment, waiver, rule -------------------------------- */

static void def_channel(Loader *l, const QmigExpr *expr)
{
    qmig_check_keys(l->ctx, expr->info, expr->value, "channel",
                    KEYS("channel", "pattern"),
                    KEYS("count", "enabled-by", "after"));
    const char *name = expr->info->defn_name;
    QmigMetaChannel *other = qmig_strmap_get(l->channels, name);
    if (other) {
        qmig_error_with_note(l->ctx, expr->info, other->info,
                             "previous definition",
                             "channel '%s' is already defined", name);
    }
    QmigMetaChannel *ch = QMIG_NEW(arena(l), QmigMetaChannel);
    const QmigEntity *types =
        qmig_schema_lookup(l->schema, QMIG_META_CHANNEL_TYPE_ENUM);
    for (size_t i = 0; types && types->meta == QMIG_META_ENUM &&
                       i < types->values.len; i++) {
        const QmigMember *v = types->values.items[i];
        ch->migrate_type |= !strcmp(v->name, name);
    }
    ch->name = name;
    ch->info = expr->info;
    ch->pattern = get_string(l, expr, expr->value, "pattern");
    const char *index = strstr(ch->pattern, "{index}");
    ch->indexed = index != NULL;
    if (index && strstr(index + 1, "{index}")) {
        fail(l, expr->info, "pattern '%s' has '{index}' more than once",
             ch->pattern);
    }
    const char *count = get_string(l, expr, expr->value, "count");
    bool many;
    if (!count) {
        ch->count.magnitude = 1;
        many = false;
    } else if (parse_int(count, &ch->count)) {
        if (ch->count.negative || ch->count.magnitude == 0) {
            fail(l, expr->info, "channel count must be at least 1, not '%s'",
                 count);
        }
        many = ch->count.magnitude > 1;
    } else {
        pending_ref(l, PENDING_CHANNEL_COUNT, count, expr->info, ch, NULL);
        many = true;
    }
    if (many != ch->indexed) {
        fail(l, expr->info,
             many ? "pattern '%s' needs '{index}': there can be several "
                    "'%s' channels"
                  : "pattern '%s' must not use '{index}': there is only "
                    "one '%s' channel",
             ch->pattern, name);
    }
    const QmigValue *enabled = get(expr->value, "enabled-by");
    if (enabled) {
        ch->enabled_by = parse_cond(
            l, expr->info, enabled,
            qmig_arena_printf(arena(l), "channel '%s'", name), 0);
    }
    const QmigValue *after = get_list(l, expr, "after", false);
    for (size_t i = 0; after && i < after->u.arr.len; i++) {
        pending_ref(l, PENDING_CHANNEL_AFTER, after->u.arr.items[i]->u.str,
                    expr->info, ch, NULL);
    }
    qmig_strmap_put(l->channels, name, ch);
    qmig_vec_push(arena(l), &l->meta->channels, ch);
}

static void def_environment(Loader *l, const QmigExpr *expr)
{
    qmig_check_keys(l->ctx, expr->info, expr->value, "environment",
                    KEYS("environment", "description"), NO_KEYS);
    const char *name = expr->info->defn_name;
    QmigMetaEnv *other = qmig_strmap_get(l->envs, name);
    if (other) {
        qmig_error_with_note(l->ctx, expr->info, other->info,
                             "previous definition",
                             "environment fact '%s' is already defined", name);
    }
    QmigMetaEnv *env = QMIG_NEW(arena(l), QmigMetaEnv);
    env->name = name;
    env->info = expr->info;
    env->description = get_string(l, expr, expr->value, "description");
    qmig_strmap_put(l->envs, name, env);
    qmig_vec_push(arena(l), &l->meta->envs, env);
}

static void def_waiver(Loader *l, const QmigExpr *expr)
{
    qmig_check_keys(l->ctx, expr->info, expr->value, "waiver",
                    KEYS("waiver", "reason"), NO_KEYS);
    QmigMetaWaiver *w = QMIG_NEW(arena(l), QmigMetaWaiver);
    w->name = expr->info->defn_name;
    w->info = expr->info;
    w->reason = get_string(l, expr, expr->value, "reason");
    if (!*w->reason) {
        fail(l, expr->info, "a waiver needs a reason");
    }
    if (qmig_strmap_get(l->waivers, w->name)) {
        fail(l, expr->info, "'%s' is already waived", w->name);
    }
    qmig_strmap_put(l->waivers, w->name, w);
    qmig_vec_push(arena(l), &l->meta->waivers, w);
}

static void def_rule(Loader *l, const QmigExpr *expr)
{
    qmig_check_keys(l->ctx, expr->info, expr->value, "rule",
                    KEYS("rule", "when", "message"), KEYS("origin"));
    QmigMetaRule *rule =
        new_rule(l, expr->info, expr->info->defn_name, QMIG_RULE_EXPLICIT);
    rule->message = get_string(l, expr, expr->value, "message");
    if (!*rule->message) {
        fail(l, expr->info, "'message' must not be empty");
    }
    rule->origin = get_string(l, expr, expr->value, "origin");
    rule->when = parse_cond(
        l, expr->info, get(expr->value, "when"),
        qmig_arena_printf(arena(l), "rule '%s'", rule->id), 0);
    add_rule(l, rule);
}

static void def_check(Loader *l, const QmigExpr *expr)
{
    qmig_check_keys(l->ctx, expr->info, expr->value, "check",
                    KEYS("check", "rules"), KEYS("function"));
    const char *name = expr->info->defn_name;
    if (!is_rule_id(name)) {
        fail(l, expr->info, "check name '%s' must start with a lower-case "
                            "letter and use only lower-case letters, digits "
                            "and '-'", name);
    }
    for (size_t i = 0; i < l->meta->checks.len; i++) {
        const QmigMetaCheck *other = l->meta->checks.items[i];
        if (!strcmp(other->name, name)) {
            qmig_error_with_note(l->ctx, expr->info, other->info,
                                 "previous definition",
                                 "check '%s' is already defined", name);
        }
    }
    QmigMetaCheck *check = QMIG_NEW(arena(l), QmigMetaCheck);
    check->name = name;
    check->info = expr->info;
    if (qmig_value_has(expr->value, "function")) {
        check->function = get_string(l, expr, expr->value, "function");
    }
    const QmigValue *rules = get(expr->value, "rules");
    if (rules->kind != QMIG_VAL_ARRAY || !rules->u.arr.len) {
        fail(l, expr->info, "'rules' of check '%s' must be a non-empty array "
                            "of rule ids", name);
    }
    for (size_t i = 0; i < rules->u.arr.len; i++) {
        const QmigValue *id = rules->u.arr.items[i];
        if (id->kind != QMIG_VAL_STRING) {
            fail(l, expr->info, "'rules' of check '%s' must be an array of "
                                "rule ids", name);
        }
        for (size_t k = 0; k < check->items.len; k++) {
            const QmigMetaCheckItem *other = check->items.items[k];
            if (!strcmp(other->text, id->u.str)) {
                fail(l, expr->info, "check '%s' lists '%s' twice", name,
                     id->u.str);
            }
        }
        QmigMetaCheckItem *item = QMIG_NEW(arena(l), QmigMetaCheckItem);
        item->text = id->u.str;
        qmig_vec_push(arena(l), &check->items, item);
    }
    qmig_vec_push(arena(l), &l->meta->checks, check);
}

/*
 * After the range rules exist: every rule a check lists must be defined,
 * and every 'value-check:P' must name a parameter with a value check.
 */
static void resolve_checks(Loader *l)
{
    for (size_t i = 0; i < l->meta->checks.len; i++) {
        QmigMetaCheck *check = l->meta->checks.items[i];
        for (size_t k = 0; k < check->items.len; k++) {
            QmigMetaCheckItem *item = check->items.items[k];
            if (!strncmp(item->text, "value-check:", 12)) {
                item->value_check =
                    qmig_strmap_get(l->params, item->text + 12);
                if (!item->value_check) {
                    qmig_report(l->ctx, check->info,
                                "check '%s' lists '%s', but '%s' is not a "
                                "parameter", check->name, item->text,
                                item->text + 12);
                } else if (item->value_check->value_check ==
                           QMIG_META_VALUE_CHECK_NONE) {
                    qmig_report(l->ctx, check->info,
                                "check '%s' lists '%s', but parameter '%s' "
                                "has no 'value-check'", check->name,
                                item->text, item->text + 12);
                }
                continue;
            }
            item->rule = qmig_strmap_get(l->rule_ids, item->text);
            if (!item->rule) {
                qmig_report(l->ctx, check->info,
                            "check '%s' lists unknown rule '%s'", check->name,
                            item->text);
            }
        }
    }
}

static const char *const meta_keys[] = {"capability", "parameter", "rule",
                                        "channel",    "environment", "waiver",
                                        "check",      NULL};

static void def_expr(Loader *l, const QmigExpr *expr)
{
    const char *meta = NULL;
    int n = 0;
    bool is_param = qmig_value_has(expr->value, "parameter");
    for (int i = 0; meta_keys[i]; i++) {
        /* A parameter's 'capability' key names the capability it tunes. */
        if (is_param && !strcmp(meta_keys[i], "capability")) {
            continue;
        }
        if (qmig_value_has(expr->value, meta_keys[i])) {
            meta = meta_keys[i];
            n++;
        }
    }
    if (n != 1) {
        fail(l, expr->info, "metadata expression must have exactly one key "
                            "'capability', 'parameter', 'rule', 'channel', "
                            "'environment', 'waiver', 'check'");
    }
    const QmigValue *name = get(expr->value, meta);
    if (name->kind != QMIG_VAL_STRING || !*name->u.str) {
        fail(l, expr->info, "'%s' requires a string name", meta);
    }
    expr->info->defn_meta = meta;
    expr->info->defn_name = name->u.str;
    if (!strcmp(meta, "capability")) {
        def_capability(l, expr);
    } else if (!strcmp(meta, "parameter")) {
        def_parameter(l, expr);
    } else if (!strcmp(meta, "rule")) {
        def_rule(l, expr);
    } else if (!strcmp(meta, "channel")) {
        def_channel(l, expr);
    } else if (!strcmp(meta, "environment")) {
        def_environment(l, expr);
    } else if (!strcmp(meta, "check")) {
        def_check(l, expr);
    } else {
        def_waiver(l, expr);
    }
}

/* --- files ------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void collect_files(Loader *l, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        qmig_fatal_io(l->ctx, "can't read metadata '%s': %s", path,
                      strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        qmig_vec_push(arena(l), &l->meta->files, (void *)path);
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        qmig_fatal_io(l->ctx, "can't read metadata directory '%s': %s", path,
                      strerror(errno));
    }
    QmigPtrVec names = {0};
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len > 5 && !strcmp(de->d_name + len - 5, ".json") &&
            de->d_name[0] != '.') {
            qmig_vec_push(arena(l), &names,
                          qmig_arena_strdup(arena(l), de->d_name));
        }
    }
    closedir(dir);
    /* Sorted, so that rule order and output do not depend on the disk. */
    qsort(names.items, names.len, sizeof(void *), cmp_names);
    for (size_t i = 0; i < names.len; i++) {
        qmig_vec_push(arena(l), &l->meta->files,
                      qmig_arena_printf(arena(l), "%s/%s", path,
                                        (char *)names.items[i]));
    }
}

/* --- phase 2: names ---------------------------------------------------- */

static QmigMember *find_member(const QmigPtrVec *members, const char *name,
                               unsigned *index)
{
    for (size_t i = 0; i < members->len; i++) {
        QmigMember *m = members->items[i];
        if (!strcmp(m->name, name)) {
            *index = (unsigned)i;
            return m;
        }
    }
    return NULL;
}

static void param_type(Loader *l, QmigMetaParam *param);

static void match_qapi_names(Loader *l)
{
    const QmigEntity *caps = l->meta->cap_enum;
    const QmigEntity *params = l->meta->param_struct;
    for (size_t i = 0; i < l->cap_list.len; i++) {
        QmigMetaCap *cap = l->cap_list.items[i];
        cap->qapi = find_member(&caps->values, cap->name, &cap->index);
        if (!cap->qapi) {
            l->n_absent++;
            qmig_report(l->ctx, cap->info,
                        "capability '%s' is not a value of %s in this schema",
                        cap->name, caps->name);
        }
    }
    for (size_t i = 0; i < l->param_list.len; i++) {
        QmigMetaParam *param = l->param_list.items[i];
        param->qapi = find_member(&params->members, param->name, &param->index);
        if (!param->qapi) {
            l->n_absent++;
            qmig_report(l->ctx, param->info,
                        "parameter '%s' is not a member of %s in this schema",
                        param->name, params->name);
        }
    }
    for (size_t i = 0; i < l->meta->waivers.len; i++) {
        QmigMetaWaiver *w = l->meta->waivers.items[i];
        unsigned index;
        if (!find_member(&caps->values, w->name, &index) &&
            !find_member(&params->members, w->name, &index)) {
            qmig_report(l->ctx, w->info,
                        "waived '%s' is neither a capability nor a parameter",
                        w->name);
        }
    }
}

static void resolve_atom(Loader *l, QmigCond *c)
{
    switch (c->kind) {
    case QMIG_COND_CAP:
        c->cap = qmig_strmap_get(l->caps, c->lhs);
        if (!c->cap && qmig_strmap_get(l->waivers, c->lhs)) {
            qmig_report(l->ctx, c->info, "%s uses capability '%s', which is "
                        "waived: rules can only use capabilities with "
                        "metadata", c->where, c->lhs);
        } else if (!c->cap) {
            qmig_report(l->ctx, c->info, "%s uses unknown capability '%s'",
                        c->where, c->lhs);
        }
        break;
    case QMIG_COND_HOST:
        c->env = qmig_strmap_get(l->envs, c->lhs);
        if (!c->env) {
            qmig_report(l->ctx, c->info,
                        "%s uses undeclared environment fact '%s'", c->where,
                        c->lhs);
        }
        break;
    case QMIG_COND_CHANNEL:
        c->channel = qmig_strmap_get(l->channels, c->lhs);
        if (!c->channel) {
            qmig_report(l->ctx, c->info, "%s uses unknown channel '%s'",
                        c->where, c->lhs);
        } else if (!c->channel->migrate_type) {
            qmig_report(l->ctx, c->info,
                        "%s uses channel '%s', which migrate's 'channels' "
                        "cannot name (it is not a value of %s)", c->where,
                        c->lhs, QMIG_META_CHANNEL_TYPE_ENUM);
        }
        break;
    case QMIG_COND_COMPARE:
        c->param = qmig_strmap_get(l->params, c->lhs);
        if (!c->param && qmig_strmap_get(l->waivers, c->lhs)) {
            qmig_report(l->ctx, c->info, "%s uses parameter '%s', which is "
                        "waived: rules can only use parameters with "
                        "metadata", c->where, c->lhs);
        } else if (!c->param) {
            qmig_report(l->ctx, c->info, "%s uses unknown parameter '%s'",
                        c->where, c->lhs);
        }
        if (c->rhs[0] == '@') {
            c->operand.kind = QMIG_OPERAND_PARAM;
            c->operand.param = qmig_strmap_get(l->params, c->rhs + 1);
            if (!c->operand.param) {
                qmig_report(l->ctx, c->info, "%s uses unknown parameter '%s'",
                            c->where, c->rhs + 1);
            }
        }
        break;
    default:
        break;
    }
}

static void resolve_pending(Loader *l, Pending *p)
{
    switch (p->kind) {
    case PENDING_PARAM_CAP: {
        QmigMetaParam *param = p->owner;
        param->capability = qmig_strmap_get(l->caps, p->name);
        if (!param->capability) {
            qmig_report(l->ctx, p->info,
                        "parameter '%s' names unknown capability '%s'",
                        param->name, p->name);
        } else {
            qmig_vec_push(arena(l), &param->capability->parameters, param);
        }
        break;
    }
    case PENDING_CAP_CHANNEL: {
        QmigMetaCap *cap = p->owner;
        QmigMetaChannel *ch = qmig_strmap_get(l->channels, p->name);
        if (!ch) {
            qmig_report(l->ctx, p->info,
                        "capability '%s' opens unknown channel '%s'",
                        cap->name, p->name);
        } else {
            qmig_vec_push(arena(l), &cap->channels, ch);
        }
        break;
    }
    case PENDING_CHANNEL_COUNT: {
        QmigMetaChannel *ch = p->owner;
        ch->count_param = qmig_strmap_get(l->params, p->name);
        if (!ch->count_param) {
            qmig_report(l->ctx, p->info,
                        "count of channel '%s' is neither a number nor a "
                        "parameter: '%s'", ch->name, p->name);
        }
        break;
    }
    case PENDING_CHANNEL_AFTER: {
        QmigMetaChannel *ch = p->owner;
        QmigMetaChannel *before = qmig_strmap_get(l->channels, p->name);
        if (!before) {
            qmig_report(l->ctx, p->info,
                        "channel '%s' comes after unknown channel '%s'",
                        ch->name, p->name);
        } else {
            qmig_vec_push(arena(l), &ch->after, before);
        }
        break;
    }
    case PENDING_BOUND: {
        QmigMetaParam *param = p->owner;
        p->bound->param = qmig_strmap_get(l->params, p->name);
        if (!p->bound->param) {
            qmig_report(l->ctx, p->info,
                        "bound of parameter '%s' uses unknown parameter '%s'",
                        param->name, p->name);
        }
        break;
    }
    }
}

static void resolve_names(Loader *l)
{
    match_qapi_names(l);
    for (size_t i = 0; i < l->conds.len; i++) {
        resolve_atom(l, l->conds.items[i]);
    }
    for (size_t i = 0; i < l->pending.len; i++) {
        resolve_pending(l, l->pending.items[i]);
    }
}

/* Every capability and parameter of the schema needs metadata. */
static void check_coverage(Loader *l)
{
    const QmigEntity *caps = l->meta->cap_enum;
    const QmigEntity *params = l->meta->param_struct;
    for (size_t i = 0; i < caps->values.len; i++) {
        QmigMember *m = caps->values.items[i];
        QmigMetaCap *cap = qmig_strmap_get(l->caps, m->name);
        QmigMetaWaiver *w = qmig_strmap_get(l->waivers, m->name);
        if (cap && w) {
            qmig_report(l->ctx, w->info,
                        "capability '%s' is waived but has metadata", m->name);
        } else if (!cap && !w) {
            l->n_uncovered++;
            qmig_report(l->ctx, caps->info,
                        "capability '%s' has no metadata (add it, or waive it "
                        "with a reason)", m->name);
        }
        if (cap) {
            qmig_vec_push(arena(l), &l->meta->caps, cap);
        }
    }
    for (size_t i = 0; i < params->members.len; i++) {
        QmigMember *m = params->members.items[i];
        QmigMetaParam *param = qmig_strmap_get(l->params, m->name);
        QmigMetaWaiver *w = qmig_strmap_get(l->waivers, m->name);
        if (param && w) {
            qmig_report(l->ctx, w->info,
                        "parameter '%s' is waived but has metadata", m->name);
        } else if (!param && !w) {
            l->n_uncovered++;
            qmig_report(l->ctx, params->info,
                        "parameter '%s' has no metadata (add it, or waive it "
                        "with a reason)", m->name);
        }
        if (param) {
            param_type(l, param);
            qmig_vec_push(arena(l), &l->meta->params, param);
        }
    }
    if (l->n_absent + l->n_uncovered > 1) {
        /* What someone backporting metadata to an older QEMU wants. */
        qmig_report(l->ctx, NULL,
                    "the metadata and schema '%s' disagree: %u metadata "
                    "entries name capabilities or parameters the schema "
                    "lacks, and %u of its capabilities and parameters have "
                    "no metadata", l->schema->root_path, l->n_absent,
                    l->n_uncovered);
    }
    qmig_leave_if_errors(l->ctx);
}

/* --- phase 3: consistency ---------------------------------------------- */

static bool feature_named(const QmigPtrVec *features, const char *name)
{
    for (size_t i = 0; i < features->len; i++) {
        if (!strcmp(((QmigFeature *)features->items[i])->name, name)) {
            return true;
        }
    }
    return false;
}

/* "(since X.Y)" in the member's QAPI documentation, if any. */
static const char *doc_since(Loader *l, const QmigMember *m)
{
    if (!m->doc || !m->doc->text) {
        return NULL;
    }
    /* QEMU writes both "(since X.Y)" and "(Since X.Y)". */
    const char *p = strstr(m->doc->text, "(since ");
    if (!p) {
        p = strstr(m->doc->text, "(Since ");
    }
    if (!p) {
        return NULL;
    }
    p += 7;
    const char *end = strchr(p, ')');
    return end ? qmig_arena_strndup(arena(l), p, (size_t)(end - p)) : NULL;
}

static void check_status_since(Loader *l, const QmigInfo *info,
                               const char *what, const char *name,
                               const QmigMember *m, QmigStatus status,
                               const char *since)
{
    QmigStatus qapi = feature_named(&m->features, "deprecated")
                          ? QMIG_STATUS_DEPRECATED
                      : feature_named(&m->features, "unstable")
                          ? QMIG_STATUS_UNSTABLE
                          : QMIG_STATUS_STABLE;
    if (qapi != status) {
        fail(l, info, "%s '%s' is %s in the QAPI schema, but its metadata "
                      "says '%s'", what, name, qmig_status_names[qapi],
             qmig_status_names[status]);
    }
    const char *doc = doc_since(l, m);
    if (since && doc && strcmp(since, doc)) {
        fail(l, info, "%s '%s' is documented as since %s, but its metadata "
                      "says since %s", what, name, doc, since);
    }
}

static bool cap_requires(const QmigMetaCap *cap, const QmigMetaCap *other)
{
    for (size_t i = 0; i < cap->requires.len; i++) {
        if (((QmigMetaRule *)cap->requires.items[i])->other == other) {
            return true;
        }
    }
    return false;
}

static bool caps_conflict(const QmigMetaCap *a, const QmigMetaCap *b)
{
    for (size_t i = 0; i < a->conflicts.len; i++) {
        if (((QmigMetaRule *)a->conflicts.items[i])->other == b) {
            return true;
        }
    }
    for (size_t i = 0; i < b->conflicts.len; i++) {
        if (((QmigMetaRule *)b->conflicts.items[i])->other == a) {
            return true;
        }
    }
    return false;
}

/* Depth-first search for a requires-cycle through @cap. */
static void visit_requires(Loader *l, QmigMetaCap *cap, QmigStrMap *state,
                           QmigPtrVec *path)
{
    /* state: absent = unvisited, l = on the path, l->meta = done */
    void *s = qmig_strmap_get(state, cap->name);
    if (s == l->meta) {
        return;
    }
    if (s == l) {
        char *cycle = "";
        bool on = false;
        for (size_t i = 0; i < path->len; i++) {
            QmigMetaCap *c = path->items[i];
            on |= c == cap;
            if (on) {
                cycle = qmig_arena_printf(arena(l), "%s'%s' -> ", cycle,
                                          c->name);
            }
        }
        fail(l, cap->info, "capabilities require each other in a cycle: "
                           "%s'%s'", cycle, cap->name);
    }
    qmig_strmap_put(state, cap->name, l);
    qmig_vec_push(arena(l), path, cap);
    for (size_t i = 0; i < cap->requires.len; i++) {
        visit_requires(l, ((QmigMetaRule *)cap->requires.items[i])->other,
                       state, path);
    }
    path->len--;
    qmig_strmap_put(state, cap->name, l->meta);
}

/* Everything @cap needs, directly or through what it needs. */
static void requires_closure(Loader *l, QmigMetaCap *cap, QmigPtrVec *out)
{
    for (size_t i = 0; i < cap->requires.len; i++) {
        QmigMetaCap *other = ((QmigMetaRule *)cap->requires.items[i])->other;
        bool seen = false;
        for (size_t k = 0; k < out->len; k++) {
            seen |= out->items[k] == other;
        }
        if (!seen) {
            qmig_vec_push(arena(l), out, other);
            requires_closure(l, other, out);
        }
    }
}

static void check_relations(Loader *l)
{
    for (size_t i = 0; i < l->cap_list.len; i++) {
        QmigMetaCap *cap = l->cap_list.items[i];
        for (size_t k = 0; k < cap->requires.len + cap->conflicts.len; k++) {
            QmigMetaRule *rule = k < cap->requires.len
                                     ? cap->requires.items[k]
                                     : cap->conflicts.items[k -
                                                            cap->requires.len];
            rule->other = qmig_strmap_get(l->caps, rule->other_name);
        }
    }
    for (size_t i = 0; i < l->cap_list.len; i++) {
        QmigMetaCap *cap = l->cap_list.items[i];
        for (size_t k = 0; k < cap->conflicts.len; k++) {
            QmigMetaRule *rule = cap->conflicts.items[k];
            for (size_t j = 0; j < rule->other->conflicts.len; j++) {
                if (((QmigMetaRule *)rule->other->conflicts.items[j])->other ==
                    cap) {
                    qmig_error_with_note(
                        l->ctx, rule->other->info, cap->info,
                        "declared here first",
                        "the conflict between '%s' and '%s' is declared on "
                        "both capabilities; declare it once",
                        rule->other->name, cap->name);
                }
            }
            for (size_t j = k + 1; j < cap->conflicts.len; j++) {
                if (((QmigMetaRule *)cap->conflicts.items[j])->other ==
                    rule->other) {
                    fail(l, cap->info, "capability '%s' lists conflict '%s' "
                                       "twice", cap->name, rule->other->name);
                }
            }
        }
        for (size_t k = 0; k < cap->requires.len; k++) {
            for (size_t j = k + 1; j < cap->requires.len; j++) {
                if (((QmigMetaRule *)cap->requires.items[j])->other ==
                    ((QmigMetaRule *)cap->requires.items[k])->other) {
                    fail(l, cap->info, "capability '%s' lists requirement "
                                       "'%s' twice", cap->name,
                         ((QmigMetaRule *)cap->requires.items[k])->other->name);
                }
            }
        }
    }
    QmigStrMap *state = qmig_strmap_new(arena(l));
    for (size_t i = 0; i < l->cap_list.len; i++) {
        QmigPtrVec path = {0};
        visit_requires(l, l->cap_list.items[i], state, &path);
    }
    for (size_t i = 0; i < l->cap_list.len; i++) {
        QmigMetaCap *cap = l->cap_list.items[i];
        QmigPtrVec needed = {0};
        requires_closure(l, cap, &needed);
        for (size_t a = 0; a < needed.len; a++) {
            QmigMetaCap *x = needed.items[a];
            if (caps_conflict(cap, x)) {
                fail(l, cap->info, "capability '%s' both requires and "
                                   "conflicts with '%s'%s", cap->name, x->name,
                     cap_requires(cap, x) ? "" : " (through what it requires)");
            }
            for (size_t b = a + 1; b < needed.len; b++) {
                QmigMetaCap *y = needed.items[b];
                if (caps_conflict(x, y)) {
                    fail(l, cap->info, "capability '%s' can never be "
                                       "enabled: it requires '%s' and '%s', "
                                       "which conflict", cap->name, x->name,
                         y->name);
                }
            }
        }
    }
}

/* The QAPI type's integer range. */
static bool int_type_range(const char *name, QmigInt *min, QmigInt *max)
{
    static const struct {
        const char *name;
        bool is_signed;
        unsigned bits;
    } types[] = {
        {"int", true, 64},     {"int8", true, 8},     {"int16", true, 16},
        {"int32", true, 32},   {"int64", true, 64},   {"uint8", false, 8},
        {"uint16", false, 16}, {"uint32", false, 32}, {"uint64", false, 64},
        {"size", false, 64},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (!strcmp(types[i].name, name)) {
            unsigned bits = types[i].bits - (types[i].is_signed ? 1 : 0);
            uint64_t top = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
            *max = (QmigInt){false, top};
            *min = types[i].is_signed ? (QmigInt){true, top + 1}
                                      : (QmigInt){false, 0};
            return true;
        }
    }
    return false;
}

static bool alternate_is_str_or_null(const QmigEntity *alt)
{
    if (alt->variants.len != 2) {
        return false;
    }
    bool str = false, null = false;
    for (size_t i = 0; i < 2; i++) {
        const QmigEntity *t = ((QmigMember *)alt->variants.items[i])->type;
        str |= !strcmp(t->name, "str");
        null |= !strcmp(t->name, "null");
    }
    return str && null;
}

static void param_type(Loader *l, QmigMetaParam *param)
{
    (void)l;
    const QmigEntity *t = param->qapi->type;
    param->type = t;
    if (t->meta == QMIG_META_BUILTIN &&
        int_type_range(t->name, &param->type_min, &param->type_max)) {
        param->kind = QMIG_PARAM_INT;
    } else if (t->meta == QMIG_META_BUILTIN && !strcmp(t->name, "bool")) {
        param->kind = QMIG_PARAM_BOOL;
    } else if (t->meta == QMIG_META_BUILTIN && !strcmp(t->name, "str")) {
        param->kind = QMIG_PARAM_STR;
    } else if (t->meta == QMIG_META_ENUM) {
        param->kind = QMIG_PARAM_ENUM;
    } else if (t->meta == QMIG_META_ALTERNATE && alternate_is_str_or_null(t)) {
        param->kind = QMIG_PARAM_STR_OR_NULL;
    } else if (t->meta == QMIG_META_ARRAY) {
        param->kind = QMIG_PARAM_LIST;
    } else {
        param->kind = QMIG_PARAM_OTHER;
    }
}

static int enum_index(const QmigEntity *enm, const char *value)
{
    for (size_t i = 0; i < enm->values.len; i++) {
        if (!strcmp(((QmigMember *)enm->values.items[i])->name, value)) {
            return (int)i;
        }
    }
    return -1;
}

static const char *type_name(const QmigMetaParam *param)
{
    return param->type->name;
}

static bool is_power_of_two(QmigInt v)
{
    return !v.negative && v.magnitude && !(v.magnitude & (v.magnitude - 1));
}

static void check_default(Loader *l, QmigMetaParam *param)
{
    const QmigValue *v = param->default_value;
    if (!v) {
        return;
    }
    switch (param->kind) {
    case QMIG_PARAM_INT:
        if (v->kind != QMIG_VAL_STRING || !parse_int(v->u.str, &param->default_int)) {
            fail(l, param->info, "default of parameter '%s' must be a decimal "
                                 "integer string (its type is '%s')",
                 param->name, type_name(param));
        }
        param->default_text = v->u.str;
        if (qmig_int_cmp(param->default_int, param->type_min) < 0 ||
            qmig_int_cmp(param->default_int, param->type_max) > 0) {
            fail(l, param->info, "default %s of parameter '%s' does not fit "
                                 "its type '%s'", v->u.str, param->name,
                 type_name(param));
        }
        return;
    case QMIG_PARAM_BOOL:
        if (v->kind != QMIG_VAL_BOOL) {
            fail(l, param->info, "default of parameter '%s' must be true or "
                                 "false", param->name);
        }
        param->default_bool = v->u.boolean;
        param->default_text = v->u.boolean ? "true" : "false";
        return;
    case QMIG_PARAM_ENUM:
        if (v->kind != QMIG_VAL_STRING || enum_index(param->type, v->u.str) < 0) {
            fail(l, param->info, "default of parameter '%s' must be a value "
                                 "of enum '%s'", param->name, type_name(param));
        }
        param->default_str = param->default_text = v->u.str;
        return;
    case QMIG_PARAM_STR:
    case QMIG_PARAM_STR_OR_NULL:
        if (v->kind != QMIG_VAL_STRING) {
            fail(l, param->info, "default of parameter '%s' must be a string",
                 param->name);
        }
        param->default_str = v->u.str;
        param->default_text = qmig_arena_printf(arena(l), "\"%s\"", v->u.str);
        return;
    case QMIG_PARAM_LIST:
        if (v->kind != QMIG_VAL_ARRAY || v->u.arr.len) {
            fail(l, param->info, "default of list parameter '%s' can only be "
                                 "[]", param->name);
        }
        param->default_text = "[]";
        return;
    case QMIG_PARAM_OTHER:
        fail(l, param->info, "parameter '%s' of type '%s' cannot have a "
                             "default", param->name, type_name(param));
    }
}

/* The value a bound has when every parameter takes its default. */
static bool bound_value(const QmigBound *b, QmigInt *out)
{
    switch (b->kind) {
    case QMIG_BOUND_LITERAL:
    case QMIG_BOUND_HOST:
        *out = b->value;
        return true;
    case QMIG_BOUND_PARAM:
        if (b->param->has_default && b->param->kind == QMIG_PARAM_INT) {
            *out = b->param->default_int;
            return true;
        }
        return false;
    case QMIG_BOUND_NONE:
        break;
    }
    return false;
}

static void check_bound(Loader *l, QmigMetaParam *param, QmigBound *b,
                        const char *key)
{
    if (b->kind == QMIG_BOUND_NONE) {
        return;
    }
    if (param->kind != QMIG_PARAM_INT) {
        fail(l, param->info, "'%s' needs an integer parameter; '%s' is '%s'",
             key, param->name, type_name(param));
    }
    if (b->kind == QMIG_BOUND_PARAM) {
        if (b->param == param) {
            fail(l, param->info, "parameter '%s' bounds itself", param->name);
        }
        if (b->param->kind != QMIG_PARAM_INT) {
            fail(l, param->info, "'%s' of parameter '%s' refers to '%s', "
                                 "which is not an integer", key, param->name,
                 b->param->name);
        }
    }
    if (b->kind == QMIG_BOUND_LITERAL &&
        (qmig_int_cmp(b->value, param->type_min) < 0 ||
         qmig_int_cmp(b->value, param->type_max) > 0)) {
        fail(l, param->info, "'%s' %s of parameter '%s' is outside the range "
                             "of its type '%s'", key, b->text, param->name,
             type_name(param));
    }
}

static const char *int_text(Loader *l, QmigInt v)
{
    return qmig_arena_printf(arena(l), "%s%llu", v.negative ? "-" : "",
                             (unsigned long long)v.magnitude);
}

static void check_range(Loader *l, QmigMetaParam *param)
{
    check_bound(l, param, &param->min, "min");
    check_bound(l, param, &param->max, "max");
    if (param->power_of_two && param->kind != QMIG_PARAM_INT) {
        fail(l, param->info, "'power-of-two' needs an integer parameter; '%s' "
                             "is '%s'", param->name, type_name(param));
    }
    if (param->values.len) {
        if (param->kind != QMIG_PARAM_ENUM) {
            fail(l, param->info, "'values' needs an enum parameter; '%s' is "
                                 "'%s'", param->name, type_name(param));
        }
        for (size_t i = 0; i < param->values.len; i++) {
            if (enum_index(param->type, param->values.items[i]) < 0) {
                fail(l, param->info, "'%s' in 'values' is not a value of enum "
                                     "'%s'", (char *)param->values.items[i],
                     type_name(param));
            }
        }
    }
    if (param->value_check != QMIG_META_VALUE_CHECK_NONE &&
        param->kind != QMIG_PARAM_LIST) {
        fail(l, param->info, "value-check '%s' needs a list parameter; '%s' "
                             "is '%s'", qmig_value_check_names[param->value_check],
             param->name, type_name(param));
    }
    if (param->unit != QMIG_UNIT_NONE && param->kind != QMIG_PARAM_INT) {
        fail(l, param->info, "unit '%s' needs an integer parameter; '%s' is "
                             "'%s'", qmig_unit_names[param->unit], param->name,
             type_name(param));
    }
    QmigInt lo, hi;
    bool has_lo = bound_value(&param->min, &lo);
    bool has_hi = bound_value(&param->max, &hi);
    /* Bounds on other parameters depend on the configuration. */
    if (param->min.kind != QMIG_BOUND_PARAM &&
        param->max.kind != QMIG_BOUND_PARAM && has_lo && has_hi &&
        qmig_int_cmp(lo, hi) > 0) {
        fail(l, param->info, "min %s of parameter '%s' is greater than its "
                             "max %s", param->min.text, param->name,
             param->max.text);
    }
    if (!param->has_default || param->kind != QMIG_PARAM_INT) {
        if (param->has_default && param->kind == QMIG_PARAM_ENUM &&
            param->values.len) {
            bool allowed = false;
            for (size_t i = 0; i < param->values.len; i++) {
                allowed |= !strcmp(param->values.items[i], param->default_str);
            }
            if (!allowed) {
                fail(l, param->info, "default '%s' of parameter '%s' is not "
                                     "one of its 'values'", param->default_str,
                     param->name);
            }
        }
        return;
    }
    QmigInt d = param->default_int;
    if ((has_lo && qmig_int_cmp(d, lo) < 0) ||
        (has_hi && qmig_int_cmp(d, hi) > 0)) {
        fail(l, param->info, "default %s of parameter '%s' is outside its "
                             "range [%s, %s]", param->default_text, param->name,
             param->min.kind ? param->min.text : int_text(l, param->type_min),
             param->max.kind ? param->max.text : int_text(l, param->type_max));
    }
    if (param->power_of_two && !is_power_of_two(d)) {
        fail(l, param->info, "default %s of parameter '%s' is not a power of "
                             "two", param->default_text, param->name);
    }
}

static void make_range_rule(Loader *l, QmigMetaParam *param)
{
    bool restricted = param->min.kind || param->max.kind ||
                      param->power_of_two || param->values.len;
    if (!restricted) {
        if (param->range_rule_id || param->range_message) {
            fail(l, param->info, "'range-rule' and 'range-message' need 'min', "
                                 "'max', 'power-of-two' or 'values'");
        }
        return;
    }
    const char *id = param->range_rule_id
                         ? param->range_rule_id
                         : qmig_arena_printf(arena(l), "%s-range",
                                             param->name);
    QmigMetaRule *rule = new_rule(l, param->info, id, QMIG_RULE_RANGE);
    rule->param = param;
    rule->when = new_cond(l, QMIG_COND_RANGE);
    rule->when->param = param;
    rule->when->text = qmig_arena_printf(arena(l), "%s out of range",
                                         param->name);
    if (param->range_message) {
        rule->message = param->range_message;
    } else if (param->values.len) {
        rule->message = qmig_arena_printf(
            arena(l), "Parameter '%s' does not support this value",
            param->name);
    } else {
        rule->message = qmig_arena_printf(
            arena(l), "Parameter '%s' expects a %s between %s and %s",
            param->name, param->power_of_two ? "power of two" : "value",
            param->min.kind ? param->min.text : int_text(l, param->type_min),
            param->max.kind ? param->max.text : int_text(l, param->type_max));
    }
    qmig_vec_push(arena(l), &rule->names, (void *)param->name);
    if (param->min.kind == QMIG_BOUND_PARAM) {
        qmig_vec_push(arena(l), &rule->names, (void *)param->min.param->name);
    }
    if (param->max.kind == QMIG_BOUND_PARAM) {
        qmig_vec_push(arena(l), &rule->names, (void *)param->max.param->name);
    }
    add_rule(l, rule);
    param->range_rule = rule;
}

static void check_parameters(Loader *l)
{
    for (size_t i = 0; i < l->meta->params.len; i++) {
        QmigMetaParam *param = l->meta->params.items[i];
        check_status_since(l, param->info, "parameter", param->name,
                           param->qapi, param->status, param->since);
        check_default(l, param);
    }
    /* Ranges compare defaults of other parameters: all defaults first. */
    for (size_t i = 0; i < l->meta->params.len; i++) {
        QmigMetaParam *param = l->meta->params.items[i];
        check_range(l, param);
        make_range_rule(l, param);
    }
}

/* Type-check a comparison atom against its parameter. */
static void check_compare(Loader *l, QmigCond *c)
{
    QmigMetaParam *param = c->param;
    QmigOperand *o = &c->operand;
    bool ordered = c->op != QMIG_CMP_EQ && c->op != QMIG_CMP_NE;
    if (ordered && param->kind != QMIG_PARAM_INT) {
        fail(l, c->info, "condition '%s' of %s: '%s' is not an integer, only "
                         "== and != apply", c->text, c->where, param->name);
    }
    if (o->kind == QMIG_OPERAND_PARAM) {
        if (o->param->kind != param->kind ||
            (param->kind == QMIG_PARAM_ENUM && o->param->type != param->type)) {
            fail(l, c->info, "condition '%s' of %s compares parameters of "
                             "different types", c->text, c->where);
        }
        return;
    }
    switch (param->kind) {
    case QMIG_PARAM_INT:
        o->kind = QMIG_OPERAND_INT;
        if (!parse_int(c->rhs, &o->integer)) {
            fail(l, c->info, "condition '%s' of %s: '%s' is not a decimal "
                             "integer", c->text, c->where, c->rhs);
        }
        return;
    case QMIG_PARAM_BOOL:
        o->kind = QMIG_OPERAND_BOOL;
        if (strcmp(c->rhs, "true") && strcmp(c->rhs, "false")) {
            fail(l, c->info, "condition '%s' of %s: '%s' is boolean",
                 c->text, c->where, param->name);
        }
        o->boolean = !strcmp(c->rhs, "true");
        return;
    case QMIG_PARAM_ENUM:
        o->kind = QMIG_OPERAND_ENUM;
        o->enum_index = enum_index(param->type, c->rhs);
        o->enum_value = c->rhs;
        if (o->enum_index < 0) {
            fail(l, c->info, "condition '%s' of %s: '%s' is not a value of "
                             "enum '%s'", c->text, c->where, c->rhs,
                 type_name(param));
        }
        return;
    case QMIG_PARAM_STR:
    case QMIG_PARAM_STR_OR_NULL:
        o->kind = QMIG_OPERAND_EMPTY_STR;
        if (strcmp(c->rhs, "\"\"")) {
            fail(l, c->info, "condition '%s' of %s: a string parameter can "
                             "only be compared with \"\"", c->text, c->where);
        }
        return;
    case QMIG_PARAM_LIST:
        o->kind = QMIG_OPERAND_EMPTY_LIST;
        if (strcmp(c->rhs, "[]")) {
            fail(l, c->info, "condition '%s' of %s: a list parameter can only "
                             "be compared with []", c->text, c->where);
        }
        return;
    case QMIG_PARAM_OTHER:
        fail(l, c->info, "condition '%s' of %s: parameter '%s' of type '%s' "
                         "cannot be compared", c->text, c->where, param->name,
             type_name(param));
    }
}

static void check_atom(Loader *l, QmigCond *c)
{
    switch (c->kind) {
    case QMIG_COND_COMPARE:
        check_compare(l, c);
        break;
    case QMIG_COND_TRANSPORT: {
        int t = lookup_name(qmig_transport_names, c->rhs);
        if (t < 0 || (c->op != QMIG_CMP_EQ && c->op != QMIG_CMP_NE)) {
            fail(l, c->info, "condition '%s' of %s: use 'transport == T' or "
                             "'transport != T' with T one of tcp, unix, "
                             "vsock, fd, exec, rdma, file", c->text, c->where);
        }
        c->transport = (QmigTransport)t;
        break;
    }
    case QMIG_COND_SIDE:
        if (c->op != QMIG_CMP_EQ && c->op != QMIG_CMP_NE) {
            fail(l, c->info, "condition '%s' of %s: use 'side == source' or "
                             "'side == destination'", c->text, c->where);
        }
        if (!strcmp(c->rhs, "source")) {
            c->side = QMIG_SIDE_SOURCE;
        } else if (!strcmp(c->rhs, "destination")) {
            c->side = QMIG_SIDE_DESTINATION;
        } else {
            fail(l, c->info, "condition '%s' of %s: a side is 'source' or "
                             "'destination'", c->text, c->where);
        }
        break;
    default:
        break;
    }
}

static void push_name(Loader *l, QmigPtrVec *names, const char *name)
{
    for (size_t i = 0; i < names->len; i++) {
        if (!strcmp(names->items[i], name)) {
            return;
        }
    }
    qmig_vec_push(arena(l), names, (void *)name);
}

static void collect_rule_names(Loader *l, QmigMetaRule *rule, QmigCond *c)
{
    switch (c->kind) {
    case QMIG_COND_CAP:
        push_name(l, &rule->names, c->cap->name);
        break;
    case QMIG_COND_COMPARE:
        push_name(l, &rule->names, c->param->name);
        if (c->operand.kind == QMIG_OPERAND_PARAM) {
            push_name(l, &rule->names, c->operand.param->name);
        }
        break;
    case QMIG_COND_HOST:
        rule->environment = true;
        break;
    case QMIG_COND_ALL:
    case QMIG_COND_ANY:
    case QMIG_COND_NOT:
        for (size_t i = 0; i < c->n_operands; i++) {
            collect_rule_names(l, rule, c->operands[i]);
        }
        break;
    default:
        break;
    }
}

static void visit_after(Loader *l, QmigMetaChannel *ch, QmigStrMap *state)
{
    void *s = qmig_strmap_get(state, ch->name);
    if (s == l->meta) {
        return;
    }
    if (s == l) {
        fail(l, ch->info, "channel '%s' is ordered after itself through "
                          "'after'", ch->name);
    }
    qmig_strmap_put(state, ch->name, l);
    for (size_t i = 0; i < ch->after.len; i++) {
        visit_after(l, ch->after.items[i], state);
    }
    qmig_strmap_put(state, ch->name, l->meta);
}

static void check_channels(Loader *l)
{
    QmigStrMap *state = qmig_strmap_new(arena(l));
    for (size_t i = 0; i < l->meta->channels.len; i++) {
        QmigMetaChannel *ch = l->meta->channels.items[i];
        if (ch->count_param && (ch->count_param->kind != QMIG_PARAM_INT ||
                                ch->count_param->type_min.negative)) {
            fail(l, ch->info, "count of channel '%s' is parameter '%s', which "
                              "is not an unsigned integer (its type is '%s')",
                 ch->name, ch->count_param->name, type_name(ch->count_param));
        }
        visit_after(l, ch, state);
    }
}

static void check_caps(Loader *l)
{
    for (size_t i = 0; i < l->meta->caps.len; i++) {
        QmigMetaCap *cap = l->meta->caps.items[i];
        check_status_since(l, cap->info, "capability", cap->name, cap->qapi,
                           cap->status, cap->since);
    }
}

QmigMetadata *qmig_meta_load(QmigCtx *ctx, const QmigSchema *schema,
                         const char *path)
{
    QmigMetadata *meta = QMIG_NEW(ctx->arena, QmigMetadata);
    Loader l = {.ctx = ctx, .schema = schema, .meta = meta};
    l.caps = qmig_strmap_new(ctx->arena);
    l.params = qmig_strmap_new(ctx->arena);
    l.channels = qmig_strmap_new(ctx->arena);
    l.envs = qmig_strmap_new(ctx->arena);
    l.rule_ids = qmig_strmap_new(ctx->arena);
    l.waivers = qmig_strmap_new(ctx->arena);

    meta->cap_enum = qmig_schema_lookup(schema, QMIG_META_CAPABILITY_ENUM);
    meta->param_struct = qmig_schema_lookup(schema, QMIG_META_PARAMETER_STRUCT);
    if (!meta->cap_enum || meta->cap_enum->meta != QMIG_META_ENUM) {
        qmig_error(ctx, NULL, 0, "schema '%s' defines no enum '%s' for the "
                                 "metadata to describe", schema->root_path,
                   QMIG_META_CAPABILITY_ENUM);
    }
    if (!meta->param_struct || meta->param_struct->meta != QMIG_META_OBJECT ||
        meta->param_struct->has_variants) {
        qmig_error(ctx, NULL, 0, "schema '%s' defines no struct '%s' for the "
                                 "metadata to describe", schema->root_path,
                   QMIG_META_PARAMETER_STRUCT);
    }

    collect_files(&l, path);
    for (size_t f = 0; f < meta->files.len; f++) {
        QmigParseResult parsed = {0};
        qmig_parse_metadata(ctx, meta->files.items[f], &parsed);
        for (size_t i = 0; i < parsed.exprs.len; i++) {
            const QmigExpr *expr = parsed.exprs.items[i];
            if (expr->kind == QMIG_EXPR_DEFINITION) {
                def_expr(&l, expr);
            }
        }
    }

    /*
     * Name errors and coverage errors together: checked against an older
     * or newer schema, this lists every name one side lacks.
     */
    resolve_names(&l);
    check_coverage(&l);
    check_caps(&l);
    check_relations(&l);
    check_parameters(&l);
    resolve_checks(&l);
    qmig_leave_if_errors(ctx);
    for (size_t i = 0; i < l.conds.len; i++) {
        check_atom(&l, l.conds.items[i]);
    }
    for (size_t i = 0; i < meta->rules.len; i++) {
        QmigMetaRule *rule = meta->rules.items[i];
        if (rule->origin_kind != QMIG_RULE_RANGE) {
            collect_rule_names(&l, rule, rule->when);
        }
    }
    check_channels(&l);
    return meta;
}

QmigMetaCap *qmig_meta_cap(const QmigMetadata *meta, const char *name)
{
    for (size_t i = 0; i < meta->caps.len; i++) {
        QmigMetaCap *cap = meta->caps.items[i];
        if (!strcmp(cap->name, name)) {
            return cap;
        }
    }
    return NULL;
}

QmigMetaParam *qmig_meta_param(const QmigMetadata *meta, const char *name)
{
    for (size_t i = 0; i < meta->params.len; i++) {
        QmigMetaParam *param = meta->params.items[i];
        if (!strcmp(param->name, name)) {
            return param;
        }
    }
    return NULL;
}

QmigMetaChannel *qmig_meta_channel(const QmigMetadata *meta, const char *name)
{
    for (size_t i = 0; i < meta->channels.len; i++) {
        QmigMetaChannel *ch = meta->channels.items[i];
        if (!strcmp(ch->name, name)) {
            return ch;
        }
    }
    return NULL;
}
