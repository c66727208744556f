/*
 * expr.c - context-free checks of top-level expressions; see expr.h.
 *
 * The sugar QEMU normalises (a member given as a bare type, an enum
 * value or feature given as a bare string) is not rewritten here; the
 * schema stage reads both forms through small accessors instead.
 */
#include "expr.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cname.h"
#include "doc.h"

static const char *const metas[] = {
    "enum", "struct", "union", "alternate", "command", "event",
};
#define N_METAS (sizeof(metas) / sizeof(metas[0]))

/*
 * Descriptions of what is being checked ("'data' member 'x'") are only
 * read when a check fails, yet are made for every member: they go into
 * one buffer per nesting level instead of the arena.  A member's
 * description stays valid while its features are checked, which use
 * the next level.
 */
enum { SOURCE_MEMBER, SOURCE_FEATURE, SOURCE_LEVELS };
#define SOURCE_MAX 160

typedef struct Checker {
    QmigCtx *ctx;
    QmigInfo *info;
    char source[SOURCE_LEVELS][SOURCE_MAX];
} Checker;

#define FAIL(c, ...) qmig_error((c)->ctx, (c)->info, 0, __VA_ARGS__)

const char *qmig_expr_meta(const QmigExpr *expr)
{
    /* Known once check_expr() has run: it is the definition's only one. */
    if (expr->info && expr->info->defn_meta) {
        return expr->info->defn_meta;
    }
    for (size_t i = 0; i < N_METAS; i++) {
        if (qmig_value_has(expr->value, metas[i])) {
            return metas[i];
        }
    }
    return NULL;
}

/* --- names ------------------------------------------------------------ */

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * [a-z0-9_-] case-insensitive, as a table: every name of the schema is
 * checked against it byte by byte.
 */
#define ROW16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char stem_byte[256] = {
    ROW16(0), ROW16(0),
    /* 0x20: '-' at 0x2D */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
    /* 0x30: '0' to '9' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    /* 0x40: 'A' to 'O' */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x50: 'P' to 'Z', '_' at 0x5F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    /* 0x60: 'a' to 'o' */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x70: 'p' to 'z' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
};

/* [a-z][a-z0-9_-]*$, case-insensitive */
static bool is_stem(const char *s)
{
    if (!is_alpha(*s)) {
        return false;
    }
    for (s++; stem_byte[(unsigned char)*s]; s++) {
    }
    /* Only the terminator may stop the run. */
    return *s == '\0';
}

/* Length of a downstream prefix __[a-z0-9.-]+_ at @s, or 0. */
static size_t rfqdn_prefix(const char *s)
{
    if (s[0] != '_' || s[1] != '_') {
        return 0;
    }
    size_t i = 2;
    while (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '.' || s[i] == '-') {
        i++;
    }
    return i > 2 && s[i] == '_' ? i + 1 : 0;
}

static bool has_x_prefix(const char *s)
{
    return (s[0] == 'x' || s[0] == 'X') && s[1] == '-';
}

/*
 * (__[a-z0-9.-]+_)?(x-)?([a-z][a-z0-9_-]*)$ with re.IGNORECASE, trying
 * the alternatives in the order a backtracking matcher would.
 */
bool qmig_name_is_valid(const char *name, const char **stem)
{
    size_t pre = rfqdn_prefix(name);
    const size_t starts[] = {pre, 0};
    for (int i = pre ? 0 : 1; i < 2; i++) {
        const char *s = name + starts[i];
        if (has_x_prefix(s) && is_stem(s + 2)) {
            *stem = s + 2;
            return true;
        }
        if (is_stem(s)) {
            *stem = s;
            return true;
        }
    }
    return false;
}

/* Whether c_name(name, False) starts with @word followed by '_'. */
static bool c_name_has_prefix(const char *name, const char *word)
{
    /* The first byte rules out nearly every name without strlen(). */
    if (name[0] != word[0]) {
        return false;
    }
    size_t len = strlen(word);
    if (strncmp(name, word, len)) {
        return false;
    }
    char next = name[len];
    return next != '\0' && !is_alpha(next) && !is_digit(next);
}

static const char *check_name_str(Checker *c, const char *name,
                                  const char *source)
{
    const char *stem;
    /* The whole q_ name space is reserved for generated names. */
    if (!qmig_name_is_valid(name, &stem) || c_name_has_prefix(name, "q")) {
        FAIL(c, "%s has an invalid name", source);
    }
    return stem;
}

/*
 * Whether a pragma exception list covers @name.  Schemas of older
 * releases are checked against today's pragma.json, whose lists no
 * longer name what those releases had: legacy mode allows them all.
 */
static bool pragma_allows(Checker *c, const QmigPtrVec *list, const char *name)
{
    return c->ctx->legacy || qmig_pragma_lists(c->ctx, list, name);
}

/*
 * The two case rules test the stem byte by byte: strpbrk() with a set
 * of 26 letters costs far more, and this runs for every name.
 */
static void check_name_upper(Checker *c, const char *name, const char *source)
{
    const char *stem = check_name_str(c, name, source);
    for (const char *s = stem; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || *s == '-') {
            FAIL(c, "name of %s must not use lowercase or '-'", source);
        }
    }
}

static void check_name_lower(Checker *c, const char *name, const char *source,
                             bool permit_upper, bool permit_underscore)
{
    const char *stem = check_name_str(c, name, source);
    for (const char *s = stem; *s; s++) {
        if ((!permit_upper && *s >= 'A' && *s <= 'Z') ||
            (!permit_underscore && *s == '_')) {
            FAIL(c, "name of %s must not use uppercase or '_'", source);
        }
    }
}

/* [A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$ */
static bool is_camel(const char *s)
{
    if (!(*s >= 'A' && *s <= 'Z')) {
        return false;
    }
    bool lower = false;
    for (s++; *s; s++) {
        if (!is_alpha(*s) && !is_digit(*s)) {
            return false;
        }
        lower |= *s >= 'a' && *s <= 'z';
    }
    return lower;
}

static void check_name_camel(Checker *c, const char *name, const char *source)
{
    const char *stem = check_name_str(c, name, source);
    if (!is_camel(stem)) {
        FAIL(c, "name of %s must use CamelCase", source);
    }
}

static void check_defn_name_str(Checker *c, const char *name, const char *meta)
{
    if (!strcmp(meta, "event")) {
        check_name_upper(c, name, meta);
    } else if (!strcmp(meta, "command")) {
        check_name_lower(c, name, meta, false,
                         pragma_allows(c, &c->ctx->pragma.command_name_exceptions,
                                       name));
    } else {
        check_name_camel(c, name, meta);
        size_t len = strlen(name);
        if (len >= 4 && !strcmp(name + len - 4, "List")) {
            FAIL(c, "%s name should not end in 'List'", meta);
        }
    }
}

static void check_name_is_str(Checker *c, const QmigValue *name,
                              const char *source)
{
    if (!name || name->kind != QMIG_VAL_STRING) {
        FAIL(c, "%s requires a string name", source);
    }
}

/* "HEAD 'NAME'" without the cost of printf: this runs for every member. */
static const char *quoted(Checker *c, int level, const char *head,
                          const char *name)
{
    size_t hl = strlen(head), nl = strlen(name);
    char *out = hl + nl + 4 <= SOURCE_MAX
                    ? c->source[level]
                    : qmig_arena_alloc(c->ctx->arena, hl + nl + 4);
    memcpy(out, head, hl);
    out[hl] = ' ';
    out[hl + 1] = '\'';
    memcpy(out + hl + 2, name, nl);
    out[hl + nl + 2] = '\'';
    out[hl + nl + 3] = '\0';
    return out;
}

/* --- keys ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "'a', 'b'" from @n names, sorted as Python's sorted() would. */
static char *quote_sorted(Checker *c, const char **names, size_t n)
{
    qsort(names, n, sizeof(*names), cmp_str);
    /* One buffer of the final size: a hostile object may have 100k keys. */
    size_t size = 1;
    for (size_t i = 0; i < n; i++) {
        size += strlen(names[i]) + 4;
    }
    char *out = qmig_arena_alloc(c->ctx->arena, size);
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (i) {
            *p++ = ',';
            *p++ = ' ';
        }
        *p++ = '\'';
        memcpy(p, names[i], len);
        p += len;
        *p++ = '\'';
    }
    *p = '\0';
    return out;
}

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++) {
        if (!strcmp(*list, s)) {
            return true;
        }
    }
    return false;
}

/* @required and @optional are NULL-terminated. */
static void check_keys(Checker *c, const QmigValue *obj, const char *source,
                       const char *const *required,
                       const char *const *optional)
{
    size_t n_req = 0, n_opt = 0;
    while (required[n_req]) {
        n_req++;
    }
    while (optional[n_opt]) {
        n_opt++;
    }
    /*
     * The key lists live on the stack when short (always, for QEMU's
     * schema): this runs for every definition and member, and only a
     * failing check needs them.
     */
    enum { KEYS_ON_STACK = 16 };
    const char *missing_buf[KEYS_ON_STACK], *unknown_buf[KEYS_ON_STACK];
    const char **missing =
        n_req < KEYS_ON_STACK
            ? missing_buf
            : qmig_arena_alloc(c->ctx->arena, (n_req + 1) * sizeof(char *));
    size_t n_missing = 0;
    for (size_t i = 0; i < n_req; i++) {
        if (!qmig_value_has(obj, required[i])) {
            missing[n_missing++] = required[i];
        }
    }
    if (n_missing) {
        FAIL(c, "%s misses key%s %s", source, n_missing > 1 ? "s" : "",
             quote_sorted(c, missing, n_missing));
    }
    const char **unknown =
        obj->u.obj.len < KEYS_ON_STACK
            ? unknown_buf
            : qmig_arena_alloc(c->ctx->arena,
                               (obj->u.obj.len + 1) * sizeof(char *));
    size_t n_unknown = 0;
    for (size_t i = 0; i < obj->u.obj.len; i++) {
        const char *key = obj->u.obj.items[i].key;
        if (!in_list(required, key) && !in_list(optional, key)) {
            unknown[n_unknown++] = key;
        }
    }
    if (n_unknown) {
        const char **allowed = qmig_arena_alloc(
            c->ctx->arena, (n_req + n_opt + 1) * sizeof(char *));
        memcpy(allowed, required, n_req * sizeof(char *));
        memcpy(allowed + n_req, optional, n_opt * sizeof(char *));
        FAIL(c, "%s has unknown key%s %s\nValid keys are %s.", source,
             n_unknown > 1 ? "s" : "", quote_sorted(c, unknown, n_unknown),
             quote_sorted(c, allowed, n_req + n_opt));
    }
}

void qmig_check_keys(QmigCtx *ctx, QmigInfo *info, const QmigValue *obj,
                     const char *source, const char *const *required,
                     const char *const *optional)
{
    Checker c = {.ctx = ctx, .info = info};
    check_keys(&c, obj, source, required, optional);
}

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_KEYS ((const char *const[]){NULL})

/* --- if conditions ---------------------------------------------------- */

static bool is_cond_ident(const char *s)
{
    if (!(*s >= 'A' && *s <= 'Z')) {
        return false;
    }
    for (s++; *s; s++) {
        if (!(*s >= 'A' && *s <= 'Z') && !is_digit(*s) && *s != '_') {
            return false;
        }
    }
    return true;
}

static void check_if_cond(Checker *c, const QmigValue *cond,
                          const char *source);

static void check_infix(Checker *c, const char *op, const QmigValue *operands,
                        const char *source)
{
    if (operands->kind != QMIG_VAL_ARRAY) {
        FAIL(c, "'%s' condition of %s must be an array", op, source);
    }
    if (operands->u.arr.len == 0) {
        FAIL(c, "'if' condition [] of %s is useless", source);
    }
    for (size_t i = 0; i < operands->u.arr.len; i++) {
        check_if_cond(c, operands->u.arr.items[i], source);
    }
}

static void check_if_cond(Checker *c, const QmigValue *cond,
                          const char *source)
{
    if (c->ctx->legacy && cond->kind == QMIG_VAL_ARRAY) {
        /* Before QEMU 6.0: a list of C preprocessor conditions, all true. */
        for (size_t i = 0; i < cond->u.arr.len; i++) {
            check_if_cond(c, cond->u.arr.items[i], source);
        }
        return;
    }
    if (cond->kind == QMIG_VAL_STRING) {
        if (c->ctx->legacy && cond->u.str[0]) {
            return; /* before QEMU 6.0: any preprocessor expression */
        }
        if (!is_cond_ident(cond->u.str)) {
            FAIL(c, "'if' condition '%s' of %s is not a valid identifier",
                 cond->u.str, source);
        }
        return;
    }
    if (cond->kind != QMIG_VAL_OBJECT) {
        FAIL(c, "'if' condition of %s must be a string or an object", source);
    }
    check_keys(c, cond,
               qmig_arena_printf(c->ctx->arena, "'if' condition of %s", source),
               NO_KEYS, KEYS("all", "any", "not"));
    if (cond->u.obj.len != 1) {
        FAIL(c, "'if' condition of %s has conflicting keys", source);
    }
    const QmigKeyValue *kv = &cond->u.obj.items[0];
    if (!strcmp(kv->key, "not")) {
        check_if_cond(c, kv->value, source);
    } else {
        check_infix(c, kv->key, kv->value, source);
    }
}

static void check_if(Checker *c, const QmigValue *obj, const char *source)
{
    const QmigValue *cond = qmig_value_get(obj, "if");
    if (cond) {
        check_if_cond(c, cond, source);
    }
}

/* --- features --------------------------------------------------------- */

static void check_features(Checker *c, const QmigValue *features)
{
    if (!features) {
        return;
    }
    if (features->kind != QMIG_VAL_ARRAY) {
        FAIL(c, "'features' must be an array");
    }
    for (size_t i = 0; i < features->u.arr.len; i++) {
        const QmigValue *feat = features->u.arr.items[i];
        const char *source = "'features' member";
        const QmigValue *name = feat;
        if (feat->kind == QMIG_VAL_OBJECT) {
            check_keys(c, feat, source, KEYS("name"), KEYS("if"));
            name = qmig_value_get(feat, "name");
        }
        check_name_is_str(c, name, source);
        source = quoted(c, SOURCE_FEATURE, source, name->u.str);
        check_name_lower(c, name->u.str, source, false, false);
        if (feat->kind == QMIG_VAL_OBJECT) {
            check_if(c, feat, source);
        }
    }
}

/* --- type references and members -------------------------------------- */

static void check_type_name(Checker *c, const QmigValue *value,
                            const char *source)
{
    if (value && value->kind != QMIG_VAL_STRING) {
        FAIL(c, "%s should be a type name", source);
    }
}

static void check_type_name_or_array(Checker *c, const QmigValue *value,
                                     const char *source)
{
    if (!value || value->kind == QMIG_VAL_STRING) {
        return;
    }
    if (value->kind != QMIG_VAL_ARRAY) {
        FAIL(c, "%s should be a type name or array", source);
    }
    if (value->u.arr.len != 1 ||
        value->u.arr.items[0]->kind != QMIG_VAL_STRING) {
        FAIL(c, "%s: array type must contain single type name", source);
    }
}

/* Members given as a bare type are {'type': T} in QEMU's normal form. */
static const QmigValue *member_type(const QmigValue *arg)
{
    return arg->kind == QMIG_VAL_OBJECT ? qmig_value_get(arg, "type") : arg;
}

static void check_member_keys(Checker *c, const QmigValue *arg,
                              const char *source,
                              const char *const *optional)
{
    if (arg->kind == QMIG_VAL_OBJECT) {
        check_keys(c, arg, source, KEYS("type"), optional);
    }
}

static void check_type_implicit(Checker *c, const QmigValue *value,
                                const char *source, const char *parent_name)
{
    if (value->kind != QMIG_VAL_OBJECT) {
        FAIL(c, "%s should be an object or type name", source);
    }
    bool permissive = c->ctx->legacy ||
                      (parent_name &&
                       pragma_allows(c, &c->ctx->pragma.member_name_exceptions,
                                     parent_name));
    const char *member_head =
        qmig_arena_concat3(c->ctx->arena, source, " member", "");
    for (size_t i = 0; i < value->u.obj.len; i++) {
        const char *key = value->u.obj.items[i].key;
        const QmigValue *arg = value->u.obj.items[i].value;
        const char *key_source = quoted(c, SOURCE_MEMBER, member_head, key);
        if (key[0] == '*') {
            key++;
        }
        check_name_lower(c, key, key_source, permissive, permissive);
        /* c_name() 'u' and 'has_*' are taken by the generated C. */
        if (!strcmp(key, "u") || c_name_has_prefix(key, "has")) {
            FAIL(c, "%s uses reserved name", key_source);
        }
        check_member_keys(c, arg, key_source, KEYS("if", "features"));
        if (arg->kind == QMIG_VAL_OBJECT) {
            check_if(c, arg, key_source);
            check_features(c, qmig_value_get(arg, "features"));
        }
        check_type_name_or_array(c, member_type(arg), key_source);
    }
}

static void check_type_name_or_implicit(Checker *c, const QmigValue *value,
                                        const char *source,
                                        const char *parent_name)
{
    if (!value || value->kind == QMIG_VAL_STRING) {
        return;
    }
    check_type_implicit(c, value, source, parent_name);
}

/* --- per meta --------------------------------------------------------- */

static void check_enum(Checker *c, const QmigValue *expr, const char *name)
{
    const QmigValue *members = qmig_value_get(expr, "data");
    const QmigValue *prefix = qmig_value_get(expr, "prefix");
    if (members->kind != QMIG_VAL_ARRAY) {
        FAIL(c, "'data' must be an array");
    }
    if (prefix && prefix->kind != QMIG_VAL_STRING) {
        FAIL(c, "'prefix' must be a string");
    }
    bool permissive =
        pragma_allows(c, &c->ctx->pragma.member_name_exceptions, name);
    for (size_t i = 0; i < members->u.arr.len; i++) {
        const QmigValue *member = members->u.arr.items[i];
        const char *source = "'data' member";
        const QmigValue *mname = member;
        if (member->kind == QMIG_VAL_OBJECT) {
            check_keys(c, member, source, KEYS("name"), KEYS("if", "features"));
            mname = qmig_value_get(member, "name");
        }
        check_name_is_str(c, mname, source);
        source = quoted(c, SOURCE_MEMBER, source, mname->u.str);
        /* Enum values may start with a digit; QEMU hides it behind 'd'. */
        const char *checked = mname->u.str;
        if (is_digit(checked[0])) {
            checked = qmig_arena_printf(c->ctx->arena, "d%s", checked);
        }
        check_name_lower(c, checked, source, permissive, permissive);
        if (member->kind == QMIG_VAL_OBJECT) {
            check_if(c, member, source);
            check_features(c, qmig_value_get(member, "features"));
        }
    }
}

static void check_struct(Checker *c, const QmigValue *expr, const char *name)
{
    check_type_name(c, qmig_value_get(expr, "base"), "'base'");
    check_type_implicit(c, qmig_value_get(expr, "data"), "'data'", name);
}

/*
 * A simple union (no base, no discriminator), as QEMU accepted until
 * release 6.2: every branch is wrapped in an object with one member
 * 'data', and an implicit enum NAMEKind tags them.
 */
bool qmig_expr_is_simple_union(const QmigCtx *ctx, const QmigValue *expr)
{
    return ctx->legacy && qmig_value_has(expr, "union") &&
           !qmig_value_has(expr, "base") &&
           !qmig_value_has(expr, "discriminator");
}

static void check_simple_union(Checker *c, const QmigValue *expr)
{
    const QmigValue *members = qmig_value_get(expr, "data");
    if (members->kind != QMIG_VAL_OBJECT) {
        FAIL(c, "'data' must be an object");
    }
    for (size_t i = 0; i < members->u.obj.len; i++) {
        const char *key = members->u.obj.items[i].key;
        const QmigValue *value = members->u.obj.items[i].value;
        const char *source = quoted(c, SOURCE_MEMBER, "'data' member", key);
        check_name_lower(c, key, source, false, false);
        check_member_keys(c, value, source, KEYS("if"));
        if (value->kind == QMIG_VAL_OBJECT) {
            check_if(c, value, source);
        }
        check_type_name_or_array(c, member_type(value), source);
    }
}

static void check_union(Checker *c, const QmigValue *expr, const char *name)
{
    const QmigValue *base = qmig_value_get(expr, "base");
    const QmigValue *members = qmig_value_get(expr, "data");
    if (qmig_expr_is_simple_union(c->ctx, expr)) {
        check_simple_union(c, expr);
        return;
    }
    if (base->kind == QMIG_VAL_OBJECT) {
        check_type_implicit(c, base, "'base'", name);
    } else if (base->kind != QMIG_VAL_STRING) {
        FAIL(c, "'base' should be an object or type name");
    }
    check_name_is_str(c, qmig_value_get(expr, "discriminator"),
                      "'discriminator'");
    if (members->kind != QMIG_VAL_OBJECT) {
        FAIL(c, "'data' must be an object");
    }
    for (size_t i = 0; i < members->u.obj.len; i++) {
        const QmigValue *value = members->u.obj.items[i].value;
        const char *source =
            quoted(c, SOURCE_MEMBER, "'data' member",
                   members->u.obj.items[i].key);
        check_member_keys(c, value, source, KEYS("if"));
        if (value->kind == QMIG_VAL_OBJECT) {
            check_if(c, value, source);
        }
        check_type_name(c, member_type(value), source);
    }
}

static void check_alternate(Checker *c, const QmigValue *expr)
{
    const QmigValue *members = qmig_value_get(expr, "data");
    if (!qmig_value_truthy(members)) {
        FAIL(c, "'data' must not be empty");
    }
    if (members->kind != QMIG_VAL_OBJECT) {
        FAIL(c, "'data' must be an object");
    }
    for (size_t i = 0; i < members->u.obj.len; i++) {
        const char *key = members->u.obj.items[i].key;
        const QmigValue *value = members->u.obj.items[i].value;
        const char *source = quoted(c, SOURCE_MEMBER, "'data' member", key);
        check_name_lower(c, key, source, false, false);
        check_member_keys(c, value, source, KEYS("if"));
        if (value->kind == QMIG_VAL_OBJECT) {
            check_if(c, value, source);
        }
        check_type_name_or_array(c, member_type(value), source);
    }
}

static void check_arguments(Checker *c, const QmigValue *expr)
{
    const QmigValue *args = qmig_value_get(expr, "data");
    if (qmig_value_truthy(qmig_value_get(expr, "boxed"))) {
        if (!args) {
            FAIL(c, "'boxed': true requires 'data'");
        }
        check_type_name(c, args, "'data'");
    } else {
        /* member-name-exceptions never covers inline arguments */
        check_type_name_or_implicit(c, args, "'data'", NULL);
    }
}

static void check_command(Checker *c, const QmigValue *expr)
{
    check_arguments(c, expr);
    check_type_name_or_array(c, qmig_value_get(expr, "returns"), "'returns'");
}

static void check_flags(Checker *c, const QmigValue *expr)
{
    static const char *const false_only[] = {"gen", "success-response"};
    static const char *const true_only[] = {"boxed", "allow-oob",
                                            "allow-preconfig", "coroutine"};
    for (size_t i = 0; i < 2; i++) {
        const QmigValue *v = qmig_value_get(expr, false_only[i]);
        if (v && (v->kind != QMIG_VAL_BOOL || v->u.boolean)) {
            FAIL(c, "flag '%s' may only use false value", false_only[i]);
        }
    }
    for (size_t i = 0; i < 4; i++) {
        const QmigValue *v = qmig_value_get(expr, true_only[i]);
        if (v && (v->kind != QMIG_VAL_BOOL || !v->u.boolean)) {
            FAIL(c, "flag '%s' may only use true value", true_only[i]);
        }
    }
    if (qmig_value_has(expr, "allow-oob") && qmig_value_has(expr, "coroutine")) {
        FAIL(c, "flags 'allow-oob' and 'coroutine' are incompatible");
    }
}

static void check_body(Checker *c, const QmigValue *expr, const char *meta,
                       const char *name)
{
    if (!strcmp(meta, "enum")) {
        check_keys(c, expr, meta, KEYS("enum", "data"),
                   KEYS("if", "features", "prefix"));
        check_enum(c, expr, name);
    } else if (!strcmp(meta, "union")) {
        if (qmig_expr_is_simple_union(c->ctx, expr)) {
            check_keys(c, expr, meta, KEYS("union", "data"),
                       KEYS("if", "features"));
        } else {
            check_keys(c, expr, meta,
                       KEYS("union", "base", "discriminator", "data"),
                       KEYS("if", "features"));
        }
        check_union(c, expr, name);
    } else if (!strcmp(meta, "alternate")) {
        check_keys(c, expr, meta, KEYS("alternate", "data"),
                   KEYS("if", "features"));
        check_alternate(c, expr);
    } else if (!strcmp(meta, "struct")) {
        check_keys(c, expr, meta, KEYS("struct", "data"),
                   KEYS("base", "if", "features"));
        check_struct(c, expr, name);
    } else if (!strcmp(meta, "command")) {
        check_keys(c, expr, meta, KEYS("command"),
                   KEYS("data", "returns", "boxed", "if", "features", "gen",
                        "success-response", "allow-oob", "allow-preconfig",
                        "coroutine"));
        check_command(c, expr);
    } else {
        check_keys(c, expr, meta, KEYS("event"),
                   KEYS("data", "boxed", "if", "features"));
        check_arguments(c, expr);
    }
}

static void check_expr(Checker *c, QmigExpr *expr)
{
    QmigCtx *ctx = c->ctx;
    c->info = expr->info;
    const QmigValue *value = expr->value;
    const char *meta = NULL;
    size_t n_metas = 0;
    /* One pass over the keys: this runs for every definition. */
    for (size_t k = 0; k < value->u.obj.len; k++) {
        const char *key = value->u.obj.items[k].key;
        for (size_t i = 0; i < N_METAS; i++) {
            if (key[0] == metas[i][0] && !strcmp(key, metas[i])) {
                meta = metas[i];
                n_metas++;
            }
        }
    }
    if (n_metas != 1) {
        FAIL(c, "expression must have exactly one key 'enum', 'struct', "
                 "'union', 'alternate', 'command', 'event'");
    }
    const QmigValue *name = qmig_value_get(value, meta);
    /* check_name_is_str() with the text made only for the message. */
    if (!name || name->kind != QMIG_VAL_STRING) {
        FAIL(c, "'%s' requires a string name", meta);
    }
    expr->info->defn_meta = meta;
    expr->info->defn_name = name->u.str;
    check_defn_name_str(c, name->u.str, meta);

    if (expr->doc && ctx->docs_relaxed &&
        strcmp(expr->doc->symbol, name->u.str)) {
        /* Documentation for another name documents nothing here. */
        expr->doc = NULL;
    }
    if (expr->doc) {
        if (strcmp(expr->doc->symbol, name->u.str)) {
            FAIL(c, "documentation comment is for '%s'", expr->doc->symbol);
        }
        qmig_doc_check_expr(ctx, expr->doc, meta,
                            qmig_value_has(value, "returns"));
    } else if (ctx->pragma.doc_required && !ctx->docs_relaxed) {
        FAIL(c, "documentation comment required");
    }

    check_body(c, value, meta, name->u.str);
    check_if(c, value, meta);
    check_features(c, qmig_value_get(value, "features"));
    check_flags(c, value);
}

void qmig_check_exprs(QmigCtx *ctx, const QmigParseResult *parsed)
{
    Checker c = {.ctx = ctx};
    for (size_t i = 0; i < parsed->exprs.len; i++) {
        QmigExpr *expr = parsed->exprs.items[i];
        if (expr->kind == QMIG_EXPR_DEFINITION) {
            check_expr(&c, expr);
        }
    }
}
