/*
 * schema.c - build and check the semantic model; see schema.h.
 *
 * The order of construction and of checks is QEMU's (schema.py), since
 * it decides which error a broken schema reports first.
 */
#include "schema.h"

#include <string.h>

#include "cname.h"
#include "expr.h"
#include "strmap.h"

#define MAX_FEATURES 64

typedef struct Builder {
    QmigCtx *ctx;
    QmigSchema *schema;
    const char *schema_dir; /* absolute */
    QmigStrMap *modules;    /* name -> QmigModule */
    QmigStrMap *file_modules; /* file path -> QmigModule */
    QmigStrMap *features;   /* name -> QmigFeature, schema-wide */
    /*
     * The last answer of module_of_file(): entities come file by file,
     * and the same path string, so most lookups need no hashing.
     */
    const char *last_fname;
    QmigModule *last_module;
    bool predefining;
} Builder;

static QmigArena *arena_of(Builder *b)
{
    return b->ctx->arena;
}

/* --- modules ---------------------------------------------------------- */

static const char *dirname_of(QmigArena *arena, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        return "";
    }
    if (slash == path) {
        return "/";
    }
    return qmig_arena_strndup(arena, path, (size_t)(slash - path));
}

/* os.path.relpath(path, start) for absolute, normalised arguments. */
static const char *relpath(QmigArena *arena, const char *path,
                           const char *start)
{
    size_t common = 0;
    size_t i = 0;
    /* Longest common prefix that ends on a component boundary. */
    for (;; i++) {
        bool end_p = path[i] == '\0' || path[i] == '/';
        bool end_s = start[i] == '\0' || start[i] == '/';
        if (end_p && end_s) {
            common = i;
            if (!path[i] || !start[i]) {
                break;
            }
        }
        if (path[i] != start[i] || !path[i]) {
            break;
        }
    }
    char *out = "";
    for (const char *s = start + common; *s; s++) {
        if (*s == '/' && s[1]) {
            out = qmig_arena_printf(arena, "%s%s..", out, *out ? "/" : "");
        }
    }
    if (start[common] == '\0' && strcmp(start, "/") && common == 0) {
        /* start is "/" only when common is 0 and start is "/" */
    }
    const char *rest = path + common;
    while (*rest == '/') {
        rest++;
    }
    if (*rest) {
        out = qmig_arena_printf(arena, "%s%s%s", out, *out ? "/" : "", rest);
    }
    return *out ? out : ".";
}

static QmigModule *make_module(Builder *b, const char *name)
{
    QmigModule *mod = qmig_strmap_get(b->modules, name);
    if (!mod) {
        mod = QMIG_NEW(arena_of(b), QmigModule);
        mod->name = name;
        qmig_strmap_put(b->modules, name, mod);
        qmig_vec_push(arena_of(b), &b->schema->modules, mod);
    }
    return mod;
}

static const char *module_name(Builder *b, const char *fname)
{
    return relpath(arena_of(b), qmig_abspath(b->ctx, fname), b->schema_dir);
}

static QmigModule *module_of_file(Builder *b, const char *fname)
{
    if (fname == b->last_fname) {
        return b->last_module;
    }
    QmigModule *mod = qmig_strmap_get(b->file_modules, fname);
    if (!mod) {
        mod = make_module(b, module_name(b, fname));
        qmig_strmap_put(b->file_modules, fname, mod);
    }
    b->last_fname = fname;
    b->last_module = mod;
    return mod;
}

/* --- entities --------------------------------------------------------- */

QmigEntity *qmig_schema_lookup(const QmigSchema *schema, const char *name)
{
    return qmig_strmap_get(schema->by_name, name);
}

QmigModule *qmig_schema_module(const QmigSchema *schema, const char *name)
{
    for (size_t i = 0; i < schema->modules.len; i++) {
        QmigModule *mod = schema->modules.items[i];
        if (!strcmp(mod->name, name)) {
            return mod;
        }
    }
    return NULL;
}

const QmigModule *qmig_schema_find_module(const QmigSchema *schema,
                                          const char *name, QmigArena *arena)
{
    const char *json = qmig_arena_printf(arena, "%s.json", name);
    for (size_t i = 0; i < schema->modules.len; i++) {
        const QmigModule *mod = schema->modules.items[i];
        const char *base = strrchr(mod->name, '/');
        base = base ? base + 1 : mod->name;
        if (!strcmp(mod->name, name) || !strcmp(mod->name, json) ||
            !strcmp(base, json)) {
            return mod;
        }
    }
    return NULL;
}

bool qmig_entity_is_type(const QmigEntity *ent)
{
    return ent->meta != QMIG_META_COMMAND && ent->meta != QMIG_META_EVENT &&
           ent->meta != QMIG_META_INCLUDE;
}

bool qmig_entity_is_implicit(const QmigEntity *ent)
{
    return ent->meta == QMIG_META_ARRAY ||
           (ent->meta == QMIG_META_OBJECT && !strncmp(ent->name, "q_", 2));
}

const char *qmig_entity_meta_name(const QmigEntity *ent)
{
    switch (ent->meta) {
    case QMIG_META_BUILTIN:
        return "built-in";
    case QMIG_META_ENUM:
        return "enum";
    case QMIG_META_ARRAY:
        return "array";
    case QMIG_META_OBJECT:
        return ent->has_variants ? "union" : "struct";
    case QMIG_META_ALTERNATE:
        return "alternate";
    case QMIG_META_COMMAND:
        return "command";
    case QMIG_META_EVENT:
        return "event";
    case QMIG_META_INCLUDE:
        return "include";
    }
    return "?";
}

const char *qmig_entity_describe(QmigArena *arena, const QmigEntity *ent)
{
    if (ent->meta == QMIG_META_ARRAY) {
        return qmig_arena_printf(arena, "array type ['%s']",
                                 ent->element_name);
    }
    if (qmig_entity_is_type(ent)) {
        return qmig_arena_printf(arena, "%s type '%s'",
                                 qmig_entity_meta_name(ent), ent->name);
    }
    return qmig_arena_printf(arena, "%s '%s'", qmig_entity_meta_name(ent),
                             ent->name);
}

static QmigEntity *new_entity(Builder *b, QmigMeta meta, const char *name,
                              const QmigInfo *info)
{
    QmigEntity *ent = QMIG_NEW(arena_of(b), QmigEntity);
    ent->meta = meta;
    ent->name = name;
    ent->info = info;
    return ent;
}

static void def_entity(Builder *b, QmigEntity *ent)
{
    qmig_vec_push(arena_of(b), &b->schema->entities, ent);
}

static void def_definition(Builder *b, QmigEntity *ent)
{
    def_entity(b, ent);
    QmigEntity *other = qmig_strmap_get(b->schema->by_name, ent->name);
    if (other) {
        if (other->info) {
            qmig_error_with_note(b->ctx, ent->info, other->info,
                                 "previous definition",
                                 "'%s' is already defined", ent->name);
        }
        qmig_error(b->ctx, ent->info, 0, "%s is already defined",
                   qmig_entity_describe(arena_of(b), other));
    }
    qmig_strmap_put(b->schema->by_name, ent->name, ent);
}

static QmigEntity *lookup_type(Builder *b, const char *name)
{
    QmigEntity *ent = qmig_schema_lookup(b->schema, name);
    return ent && qmig_entity_is_type(ent) ? ent : NULL;
}

static const char *make_array_type(Builder *b, const char *element,
                                   const QmigInfo *info)
{
    /* Not printf: this runs for every array type reference. */
    const char *name = qmig_arena_concat3(arena_of(b), element, "List", "");
    if (!lookup_type(b, name)) {
        QmigEntity *arr = new_entity(b, QMIG_META_ARRAY, name, info);
        arr->element_name = element;
        def_definition(b, arr);
    }
    return name;
}

/* --- conditions and features ------------------------------------------ */

static QmigIfCond *make_if(Builder *b, const QmigValue *v)
{
    if (!v) {
        return NULL;
    }
    QmigIfCond *cond = QMIG_NEW(arena_of(b), QmigIfCond);
    if (v->kind == QMIG_VAL_STRING) {
        cond->kind = QMIG_IF_NAME;
        cond->name = v->u.str;
        return cond;
    }
    if (v->kind == QMIG_VAL_ARRAY) {
        /* The legacy list form means all of them. */
        cond->kind = QMIG_IF_ALL;
        cond->n_operands = v->u.arr.len;
        cond->operands = qmig_arena_alloc(
            arena_of(b), cond->n_operands * sizeof(QmigIfCond *));
        for (size_t i = 0; i < cond->n_operands; i++) {
            cond->operands[i] = make_if(b, v->u.arr.items[i]);
        }
        return cond;
    }
    const QmigKeyValue *kv = &v->u.obj.items[0];
    if (!strcmp(kv->key, "not")) {
        cond->kind = QMIG_IF_NOT;
        cond->n_operands = 1;
        cond->operands = qmig_arena_alloc(arena_of(b), sizeof(QmigIfCond *));
        cond->operands[0] = make_if(b, kv->value);
        return cond;
    }
    cond->kind = strcmp(kv->key, "all") ? QMIG_IF_ANY : QMIG_IF_ALL;
    cond->n_operands = kv->value->u.arr.len;
    cond->operands = qmig_arena_alloc(arena_of(b),
                                      cond->n_operands * sizeof(QmigIfCond *));
    for (size_t i = 0; i < cond->n_operands; i++) {
        cond->operands[i] = make_if(b, kv->value->u.arr.items[i]);
    }
    return cond;
}

/* Bare strings are short for {'name': S}, as in QEMU's normal form. */
static const QmigValue *named_value_name(const QmigValue *v)
{
    return v->kind == QMIG_VAL_OBJECT ? qmig_value_get(v, "name") : v;
}

static const QmigValue *named_value_if(const QmigValue *v)
{
    return v->kind == QMIG_VAL_OBJECT ? qmig_value_get(v, "if") : NULL;
}

static void make_features(Builder *b, QmigPtrVec *out,
                          const QmigValue *features, const QmigInfo *info)
{
    if (!features) {
        return;
    }
    for (size_t i = 0; i < features->u.arr.len; i++) {
        const QmigValue *f = features->u.arr.items[i];
        QmigFeature *feat = QMIG_NEW(arena_of(b), QmigFeature);
        feat->name = named_value_name(f)->u.str;
        feat->info = info;
        feat->ifcond = make_if(b, named_value_if(f));
        if (!qmig_strmap_get(b->features, feat->name)) {
            qmig_strmap_put(b->features, feat->name, feat);
            qmig_vec_push(arena_of(b), &b->schema->feature_names, feat);
        }
        qmig_vec_push(arena_of(b), out, feat);
    }
}

static void set_features_defined_in(QmigPtrVec *features, const char *name)
{
    for (size_t i = 0; i < features->len; i++) {
        ((QmigFeature *)features->items[i])->defined_in = name;
    }
}

/* --- members ---------------------------------------------------------- */

static QmigMember *new_member(Builder *b, const char *name, const char *role,
                              const QmigInfo *info)
{
    QmigMember *m = QMIG_NEW(arena_of(b), QmigMember);
    m->name = name;
    m->role = role;
    m->info = info;
    return m;
}

/* A type reference: a name, or a one-element list for an array. */
static const char *type_ref(Builder *b, const QmigValue *typ,
                            const QmigInfo *info)
{
    if (typ->kind == QMIG_VAL_ARRAY) {
        return make_array_type(b, typ->u.arr.items[0]->u.str, info);
    }
    return typ->u.str;
}

static void make_members(Builder *b, QmigPtrVec *out, const QmigValue *data,
                         const QmigInfo *info)
{
    for (size_t i = 0; i < data->u.obj.len; i++) {
        const char *key = data->u.obj.items[i].key;
        const QmigValue *arg = data->u.obj.items[i].value;
        bool optional = key[0] == '*';
        QmigMember *m = new_member(b, optional ? key + 1 : key, "member", info);
        m->optional = optional;
        const QmigValue *typ = arg;
        if (arg->kind == QMIG_VAL_OBJECT) {
            typ = qmig_value_get(arg, "type");
            m->ifcond = make_if(b, qmig_value_get(arg, "if"));
            make_features(b, &m->features, qmig_value_get(arg, "features"),
                          info);
        }
        m->type_name = type_ref(b, typ, info);
        qmig_vec_push(arena_of(b), out, m);
    }
}

static void make_variants(Builder *b, QmigPtrVec *out, const QmigValue *data,
                          const QmigInfo *info)
{
    for (size_t i = 0; i < data->u.obj.len; i++) {
        const QmigValue *arg = data->u.obj.items[i].value;
        QmigMember *v = new_member(b, data->u.obj.items[i].key, "branch", info);
        const QmigValue *typ = arg;
        if (arg->kind == QMIG_VAL_OBJECT) {
            typ = qmig_value_get(arg, "type");
            v->ifcond = make_if(b, qmig_value_get(arg, "if"));
        }
        v->type_name = type_ref(b, typ, info);
        qmig_vec_push(arena_of(b), out, v);
    }
}

static void set_members_defined_in(QmigPtrVec *members, const char *name)
{
    for (size_t i = 0; i < members->len; i++) {
        QmigMember *m = members->items[i];
        m->defined_in = name;
        set_features_defined_in(&m->features, name);
    }
}

static const char *make_implicit_object_type(Builder *b, const char *name,
                                             const QmigInfo *info,
                                             const QmigIfCond *ifcond,
                                             const char *role,
                                             QmigPtrVec *members)
{
    if (!members->len) {
        return NULL;
    }
    /* "q_obj_NAME-ROLE", without the cost of printf. */
    size_t nl = strlen(name), rl = strlen(role);
    char *tname = qmig_arena_alloc(arena_of(b), 6 + nl + 1 + rl + 1);
    memcpy(tname, "q_obj_", 6);
    memcpy(tname + 6, name, nl);
    tname[6 + nl] = '-';
    memcpy(tname + 6 + nl + 1, role, rl + 1);
    /*
     * An existing entity of that name can only come from a duplicate
     * definition, which def_definition() reports when the user's
     * definition itself is added.
     */
    if (!qmig_schema_lookup(b->schema, tname)) {
        QmigEntity *obj = new_entity(b, QMIG_META_OBJECT, tname, info);
        obj->ifcond = ifcond;
        obj->local_members = *members;
        set_members_defined_in(&obj->local_members, tname);
        def_definition(b, obj);
    }
    return tname;
}

/* --- definitions ------------------------------------------------------ */

static QmigEntity *new_definition(Builder *b, QmigMeta meta,
                                  const QmigExpr *expr, const char *key)
{
    const QmigValue *v = expr->value;
    QmigEntity *ent = new_entity(b, meta, qmig_value_get(v, key)->u.str,
                                 expr->info);
    ent->doc = expr->doc;
    ent->ifcond = make_if(b, qmig_value_get(v, "if"));
    make_features(b, &ent->features, qmig_value_get(v, "features"),
                  expr->info);
    set_features_defined_in(&ent->features, ent->name);
    return ent;
}

static void def_enum(Builder *b, const QmigExpr *expr)
{
    QmigEntity *ent = new_definition(b, QMIG_META_ENUM, expr, "enum");
    const QmigValue *prefix = qmig_value_get(expr->value, "prefix");
    ent->prefix = prefix ? prefix->u.str : NULL;
    const QmigValue *data = qmig_value_get(expr->value, "data");
    for (size_t i = 0; i < data->u.arr.len; i++) {
        const QmigValue *v = data->u.arr.items[i];
        QmigMember *m = new_member(b, named_value_name(v)->u.str, "value",
                                   expr->info);
        m->ifcond = make_if(b, named_value_if(v));
        if (v->kind == QMIG_VAL_OBJECT) {
            make_features(b, &m->features, qmig_value_get(v, "features"),
                          expr->info);
        }
        qmig_vec_push(arena_of(b), &ent->values, m);
    }
    set_members_defined_in(&ent->values, ent->name);
    def_definition(b, ent);
}

static void def_struct(Builder *b, const QmigExpr *expr)
{
    QmigEntity *ent = new_definition(b, QMIG_META_OBJECT, expr, "struct");
    const QmigValue *base = qmig_value_get(expr->value, "base");
    ent->base_name = base ? base->u.str : NULL;
    make_members(b, &ent->local_members,
                 qmig_value_get(expr->value, "data"), expr->info);
    set_members_defined_in(&ent->local_members, ent->name);
    def_definition(b, ent);
}

/*
 * QEMU before 7.0: each branch type T becomes q_obj_T-wrapper { data: T },
 * an implicit enum NAMEKind lists the branches, and the union's own
 * member 'type' of that enum is the tag.
 */
static void def_simple_union(Builder *b, const QmigExpr *expr)
{
    QmigEntity *ent = new_definition(b, QMIG_META_OBJECT, expr, "union");
    const QmigValue *data = qmig_value_get(expr->value, "data");
    make_variants(b, &ent->variants, data, expr->info);
    QmigEntity *kind = new_entity(
        b, QMIG_META_ENUM, qmig_arena_printf(arena_of(b), "%sKind", ent->name),
        expr->info);
    kind->ifcond = ent->ifcond;
    for (size_t i = 0; i < ent->variants.len; i++) {
        QmigMember *v = ent->variants.items[i];
        QmigPtrVec wrapped = {0};
        QmigMember *m = new_member(b, "data", "member", expr->info);
        m->type_name = v->type_name;
        qmig_vec_push(arena_of(b), &wrapped, m);
        v->type_name = make_implicit_object_type(b, v->type_name, expr->info,
                                                 NULL, "wrapper", &wrapped);
        QmigMember *value = new_member(b, v->name, "value", expr->info);
        value->ifcond = v->ifcond;
        value->defined_in = kind->name;
        qmig_vec_push(arena_of(b), &kind->values, value);
    }
    def_definition(b, kind);
    QmigMember *tag = new_member(b, "type", "member", expr->info);
    tag->type_name = kind->name;
    qmig_vec_push(arena_of(b), &ent->local_members, tag);
    set_members_defined_in(&ent->local_members, ent->name);
    set_members_defined_in(&ent->variants, ent->name);
    ent->has_variants = true;
    ent->tag_name = "type";
    def_definition(b, ent);
}

static void def_union(Builder *b, const QmigExpr *expr)
{
    if (qmig_expr_is_simple_union(b->ctx, expr->value)) {
        def_simple_union(b, expr);
        return;
    }
    QmigEntity *ent = new_definition(b, QMIG_META_OBJECT, expr, "union");
    const QmigValue *base = qmig_value_get(expr->value, "base");
    if (base->kind == QMIG_VAL_OBJECT) {
        QmigPtrVec members = {0};
        make_members(b, &members, base, expr->info);
        ent->base_name = make_implicit_object_type(
            b, ent->name, expr->info, ent->ifcond, "base", &members);
    } else {
        ent->base_name = base->u.str;
    }
    ent->has_variants = true;
    ent->tag_name = qmig_value_get(expr->value, "discriminator")->u.str;
    make_variants(b, &ent->variants, qmig_value_get(expr->value, "data"),
                  expr->info);
    set_members_defined_in(&ent->variants, ent->name);
    def_definition(b, ent);
}

static void def_alternate(Builder *b, const QmigExpr *expr)
{
    QmigEntity *ent = new_definition(b, QMIG_META_ALTERNATE, expr,
                                     "alternate");
    ent->has_variants = true;
    make_variants(b, &ent->variants, qmig_value_get(expr->value, "data"),
                  expr->info);
    set_members_defined_in(&ent->variants, ent->name);
    ent->tag_member = new_member(b, "type", "member", expr->info);
    ent->tag_member->type_name = "QType";
    ent->tag_member->defined_in = ent->name;
    def_definition(b, ent);
}

static void def_arguments(Builder *b, QmigEntity *ent, const QmigExpr *expr)
{
    const QmigValue *data = qmig_value_get(expr->value, "data");
    if (data && data->kind == QMIG_VAL_OBJECT) {
        QmigPtrVec members = {0};
        make_members(b, &members, data, expr->info);
        ent->arg_name = make_implicit_object_type(b, ent->name, expr->info,
                                                  ent->ifcond, "arg",
                                                  &members);
    } else if (data) {
        ent->arg_name = data->u.str;
    }
    ent->boxed = qmig_value_has(expr->value, "boxed");
}

static void def_command(Builder *b, const QmigExpr *expr)
{
    QmigEntity *ent = new_definition(b, QMIG_META_COMMAND, expr, "command");
    def_arguments(b, ent, expr);
    const QmigValue *rets = qmig_value_get(expr->value, "returns");
    if (rets) {
        ent->ret_name = type_ref(b, rets, expr->info);
    }
    /* check_flags() made sure a present flag has its only legal value. */
    ent->gen = !qmig_value_has(expr->value, "gen");
    ent->success_response = !qmig_value_has(expr->value, "success-response");
    ent->allow_oob = qmig_value_has(expr->value, "allow-oob");
    ent->allow_preconfig = qmig_value_has(expr->value, "allow-preconfig");
    ent->coroutine = qmig_value_has(expr->value, "coroutine");
    def_definition(b, ent);
}

static void def_event(Builder *b, const QmigExpr *expr)
{
    QmigEntity *ent = new_definition(b, QMIG_META_EVENT, expr, "event");
    def_arguments(b, ent, expr);
    def_definition(b, ent);
}

static void def_include(Builder *b, const QmigExpr *expr)
{
    QmigEntity *ent = new_entity(b, QMIG_META_INCLUDE, expr->include,
                                 expr->info);
    ent->sub_module = module_of_file(b, expr->include);
    def_entity(b, ent);
}

static void def_exprs(Builder *b, const QmigParseResult *parsed)
{
    for (size_t i = 0; i < parsed->exprs.len; i++) {
        const QmigExpr *expr = parsed->exprs.items[i];
        if (expr->kind == QMIG_EXPR_INCLUDE) {
            def_include(b, expr);
            continue;
        }
        const char *meta = qmig_expr_meta(expr);
        if (!strcmp(meta, "enum")) {
            def_enum(b, expr);
        } else if (!strcmp(meta, "struct")) {
            def_struct(b, expr);
        } else if (!strcmp(meta, "union")) {
            def_union(b, expr);
        } else if (!strcmp(meta, "alternate")) {
            def_alternate(b, expr);
        } else if (!strcmp(meta, "command")) {
            def_command(b, expr);
        } else {
            def_event(b, expr);
        }
    }
}

static void def_builtin(Builder *b, const char *name, const char *json_type)
{
    QmigEntity *ent = new_entity(b, QMIG_META_BUILTIN, name, NULL);
    ent->json_type = json_type;
    def_definition(b, ent);
    make_array_type(b, name, NULL);
}

static void def_predefineds(Builder *b)
{
    static const char *const builtins[][2] = {
        {"str", "string"},     {"number", "number"}, {"int", "int"},
        {"int8", "int"},       {"int16", "int"},     {"int32", "int"},
        {"int64", "int"},      {"uint8", "int"},     {"uint16", "int"},
        {"uint32", "int"},     {"uint64", "int"},    {"size", "int"},
        {"bool", "boolean"},   {"any", "value"},     {"null", "null"},
    };
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        def_builtin(b, builtins[i][0], builtins[i][1]);
    }
    def_definition(b, new_entity(b, QMIG_META_OBJECT, "q_empty", NULL));
    static const char *const qtypes[] = {"none",    "qnull", "qnum", "qstring",
                                         "qdict",   "qlist", "qbool"};
    QmigEntity *qtype = new_entity(b, QMIG_META_ENUM, "QType", NULL);
    for (size_t i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++) {
        QmigMember *m = new_member(b, qtypes[i], "value", NULL);
        m->defined_in = "QType";
        qmig_vec_push(arena_of(b), &qtype->values, m);
    }
    def_definition(b, qtype);
}

/* --- checks ----------------------------------------------------------- */

/* QAPISchemaMember.describe(info) */
static const char *describe_member(Builder *b, const char *role,
                                   const char *name, const char *defined_in,
                                   const QmigInfo *info)
{
    const char *meta = "type";
    if (!strncmp(defined_in, "q_obj_", 6)) {
        /* Reverse make_implicit_object_type() for a readable text. */
        const char *rest = defined_in + 6;
        size_t len = strlen(rest);
        if (len >= 4 && !strcmp(rest + len - 4, "-arg")) {
            if (!strcmp(role, "member")) {
                role = "parameter";
            }
            meta = "command";
            defined_in = qmig_arena_strndup(arena_of(b), rest, len - 4);
        } else if (len >= 5 && !strcmp(rest + len - 5, "-base")) {
            role = qmig_arena_printf(arena_of(b), "base %s", role);
            defined_in = qmig_arena_strndup(arena_of(b), rest, len - 5);
        }
    }
    if (!info->defn_name || strcmp(defined_in, info->defn_name)) {
        return qmig_arena_printf(arena_of(b), "%s '%s' of %s '%s'", role, name,
                                 meta, defined_in);
    }
    return qmig_arena_printf(arena_of(b), "%s '%s'", role, name);
}

static const char *describe(Builder *b, const QmigMember *m,
                            const QmigInfo *info)
{
    return describe_member(b, m->role, m->name, m->defined_in, info);
}

/*
 * Members seen so far, by C name (QEMU's "seen" dict).  Most objects
 * have a handful of members: a linear scan beats building a hash map
 * for each of them, so the map is made only for wide objects.
 */
#define SEEN_LINEAR_MAX 16

typedef struct Seen {
    QmigStrMap *by_cname; /* NULL while order.len <= SEEN_LINEAR_MAX */
    QmigPtrVec order;     /* members in insertion order */
} Seen;

static Seen *seen_new(Builder *b)
{
    return QMIG_NEW(arena_of(b), Seen);
}

static const char *member_c_name(Builder *b, QmigMember *m)
{
    if (!m->c_name) {
        m->c_name = qmig_c_name(arena_of(b), m->name, true);
    }
    return m->c_name;
}

static QmigMember *seen_get(const Seen *seen, const char *cname)
{
    if (seen->by_cname) {
        return qmig_strmap_get(seen->by_cname, cname);
    }
    for (size_t i = 0; i < seen->order.len; i++) {
        QmigMember *m = seen->order.items[i];
        /* The first byte rules out most members without a call. */
        if (m->c_name[0] == cname[0] && !strcmp(m->c_name, cname)) {
            return m;
        }
    }
    return NULL;
}

static void seen_add(Builder *b, Seen *seen, QmigMember *m)
{
    qmig_vec_push(arena_of(b), &seen->order, m);
    if (seen->by_cname) {
        qmig_strmap_put(seen->by_cname, m->c_name, m);
    } else if (seen->order.len > SEEN_LINEAR_MAX) {
        seen->by_cname = qmig_strmap_new(arena_of(b));
        for (size_t i = 0; i < seen->order.len; i++) {
            QmigMember *o = seen->order.items[i];
            qmig_strmap_put(seen->by_cname, o->c_name, o);
        }
    }
}

static Seen *seen_copy(Builder *b, const Seen *from)
{
    Seen *seen = seen_new(b);
    for (size_t i = 0; i < from->order.len; i++) {
        seen_add(b, seen, from->order.items[i]);
    }
    return seen;
}

static void member_check_clash(Builder *b, QmigMember *m, const QmigInfo *info,
                               Seen *seen)
{
    const char *cname = member_c_name(b, m);
    QmigMember *other = seen_get(seen, cname);
    if (other) {
        qmig_error(b->ctx, info, 0, "%s collides with %s",
                   describe(b, m, info), describe(b, other, info));
    }
    seen_add(b, seen, m);
}

static void features_check_clash(Builder *b, const QmigPtrVec *features,
                                 const QmigInfo *info)
{
    /*
     * Nearly every member and definition has at most a couple of
     * features: compare those directly, and keep the hash map (and its
     * memory) for long lists.  A single feature cannot clash.
     */
    if (features->len < 2) {
        return;
    }
    const char *cnames[SEEN_LINEAR_MAX];
    QmigStrMap *seen = features->len > SEEN_LINEAR_MAX
                           ? qmig_strmap_new(arena_of(b))
                           : NULL;
    for (size_t i = 0; i < features->len; i++) {
        QmigFeature *f = features->items[i];
        const char *cname = qmig_c_name(arena_of(b), f->name, true);
        QmigFeature *other = NULL;
        if (seen) {
            other = qmig_strmap_get(seen, cname);
            qmig_strmap_put(seen, cname, f);
        } else {
            for (size_t j = 0; j < i && !other; j++) {
                if (!strcmp(cnames[j], cname)) {
                    other = features->items[j];
                }
            }
            cnames[i] = cname;
        }
        if (other) {
            qmig_error(b->ctx, info, 0, "%s collides with %s",
                       describe_member(b, "feature", f->name, f->defined_in,
                                       info),
                       describe_member(b, "feature", other->name,
                                       other->defined_in, info));
        }
    }
}

static QmigEntity *resolve_type(Builder *b, const char *name,
                                const QmigInfo *info, const char *what)
{
    QmigEntity *typ = lookup_type(b, name);
    if (!typ) {
        qmig_error(b->ctx, info, 0, "%s uses unknown type '%s'", what, name);
    }
    return typ;
}

static void member_check(Builder *b, QmigMember *m)
{
    QmigEntity *typ = lookup_type(b, m->type_name);
    if (!typ) {
        qmig_error(b->ctx, m->info, 0, "%s uses unknown type '%s'",
                   describe(b, m, m->info), m->type_name);
    }
    m->type = typ;
    features_check_clash(b, &m->features, m->info);
}

static bool is_special_feature(const char *name)
{
    return !strcmp(name, "deprecated") || !strcmp(name, "unstable");
}

static void check_definition(Builder *b, QmigEntity *ent)
{
    ent->checked = true;
    features_check_clash(b, &ent->features, ent->info);
    if (qmig_entity_is_type(ent)) {
        for (size_t i = 0; i < ent->features.len; i++) {
            QmigFeature *f = ent->features.items[i];
            if (is_special_feature(f->name)) {
                qmig_error(b->ctx, ent->info, 0,
                           "feature '%s' is not supported for types", f->name);
            }
        }
    }
}

static void check_object(Builder *b, QmigEntity *ent);

static void object_check_clash(Builder *b, QmigEntity *ent,
                               const QmigInfo *info, Seen *seen);

static void variants_check_clash(Builder *b, QmigEntity *ent,
                                 const QmigInfo *info, const Seen *seen)
{
    for (size_t i = 0; i < ent->variants.len; i++) {
        QmigMember *v = ent->variants.items[i];
        /* Branches do not clash with each other, only with the base. */
        object_check_clash(b, v->type, info, seen_copy(b, seen));
    }
}

static void object_check_clash(Builder *b, QmigEntity *ent,
                               const QmigInfo *info, Seen *seen)
{
    for (size_t i = 0; i < ent->members.len; i++) {
        member_check_clash(b, ent->members.items[i], info, seen);
    }
    if (ent->has_variants) {
        variants_check_clash(b, ent, info, seen);
    }
}

/* The values of @enm by name; a hash, since enums can be very long. */
static QmigStrMap *enum_value_map(Builder *b, const QmigEntity *enm)
{
    QmigStrMap *map = qmig_strmap_new(arena_of(b));
    for (size_t i = 0; i < enm->values.len; i++) {
        QmigMember *m = enm->values.items[i];
        qmig_strmap_put(map, m->name, m);
    }
    return map;
}

static void check_branches(Builder *b, QmigEntity *ent, Seen *seen)
{
    const char *base = "'base'";
    QmigMember *tag =
        seen_get(seen, qmig_c_name(arena_of(b), ent->tag_name, true));
    if (!tag || strcmp(tag->name, ent->tag_name)) {
        qmig_error(b->ctx, ent->info, 0,
                   "discriminator '%s' is not a member of %s", ent->tag_name,
                   base);
    }
    ent->tag_member = tag;
    /* The name of the base is only formatted for a message. */
    if (tag->type->meta != QMIG_META_ENUM || tag->optional || tag->ifcond) {
        QmigEntity *base_type = lookup_type(b, tag->defined_in);
        if (!qmig_entity_is_implicit(base_type)) {
            base = qmig_arena_printf(arena_of(b), "base type '%s'",
                                     tag->defined_in);
        }
    }
    if (tag->type->meta != QMIG_META_ENUM) {
        qmig_error(b->ctx, ent->info, 0,
                   "discriminator member '%s' of %s must be of enum type",
                   ent->tag_name, base);
    }
    if (tag->optional) {
        qmig_error(b->ctx, ent->info, 0,
                   "discriminator member '%s' of %s must not be optional",
                   ent->tag_name, base);
    }
    if (tag->ifcond) {
        qmig_error(b->ctx, ent->info, 0,
                   "discriminator member '%s' of %s must not be conditional",
                   ent->tag_name, base);
    }
    /* Values without a branch get an empty one. */
    QmigEntity *enm = tag->type;
    QmigStrMap *values = enum_value_map(b, enm);
    QmigStrMap *cases = qmig_strmap_new(arena_of(b));
    for (size_t i = 0; i < ent->variants.len; i++) {
        QmigMember *v = ent->variants.items[i];
        qmig_strmap_put(cases, v->name, v);
    }
    for (size_t i = 0; i < enm->values.len; i++) {
        QmigMember *value = enm->values.items[i];
        if (!qmig_strmap_get(cases, value->name)) {
            QmigMember *v = new_member(b, value->name, "branch", ent->info);
            v->type_name = "q_empty";
            v->ifcond = value->ifcond;
            v->defined_in = tag->defined_in;
            qmig_vec_push(arena_of(b), &ent->variants, v);
        }
    }
    if (!ent->variants.len) {
        qmig_error(b->ctx, ent->info, 0, "union has no branches");
    }
    for (size_t i = 0; i < ent->variants.len; i++) {
        QmigMember *v = ent->variants.items[i];
        member_check(b, v);
        if (!qmig_strmap_get(values, v->name)) {
            qmig_error(b->ctx, ent->info, 0, "branch '%s' is not a value of %s",
                       v->name, qmig_entity_describe(arena_of(b), enm));
        }
        if (v->type->meta != QMIG_META_OBJECT) {
            qmig_error(b->ctx, ent->info, 0, "%s cannot use %s",
                       describe(b, v, ent->info),
                       qmig_entity_describe(arena_of(b), v->type));
        }
        check_object(b, v->type);
    }
}

static void check_object(Builder *b, QmigEntity *ent)
{
    /*
     * This recurses into exactly the types whose C struct the object's
     * C struct contains, so recursion back into @ent is a type that
     * contains itself.
     */
    if (ent->members_done) {
        return;
    }
    if (ent->checked) {
        qmig_error(b->ctx, ent->info, 0, "object %s contains itself",
                   ent->name);
    }
    check_definition(b, ent);
    Seen *seen = seen_new(b);
    if (ent->base_name) {
        ent->base = resolve_type(b, ent->base_name, ent->info, "'base'");
        if (ent->base->meta != QMIG_META_OBJECT || ent->base->has_variants) {
            qmig_error(b->ctx, ent->info, 0,
                       "'base' requires a struct type, %s isn't",
                       qmig_entity_describe(arena_of(b), ent->base));
        }
        check_object(b, ent->base);
        object_check_clash(b, ent->base, ent->info, seen);
    }
    for (size_t i = 0; i < ent->local_members.len; i++) {
        QmigMember *m = ent->local_members.items[i];
        member_check(b, m);
        member_check_clash(b, m, ent->info, seen);
    }
    ent->members = seen->order;
    if (ent->has_variants) {
        check_branches(b, ent, seen);
        variants_check_clash(b, ent, ent->info, seen);
    }
    ent->members_done = true;
}

static const char *alternate_qtype(const QmigEntity *typ)
{
    const char *json = NULL;
    switch (typ->meta) {
    case QMIG_META_BUILTIN:
        json = typ->json_type;
        break;
    case QMIG_META_ENUM:
        return "QTYPE_QSTRING";
    case QMIG_META_ARRAY:
        return "QTYPE_QLIST";
    case QMIG_META_OBJECT:
        return "QTYPE_QDICT";
    default:
        return NULL;
    }
    if (!strcmp(json, "null")) {
        return "QTYPE_QNULL";
    } else if (!strcmp(json, "string")) {
        return "QTYPE_QSTRING";
    } else if (!strcmp(json, "number") || !strcmp(json, "int")) {
        return "QTYPE_QNUM";
    } else if (!strcmp(json, "boolean")) {
        return "QTYPE_QBOOL";
    }
    return NULL;
}

static void check_alternate(Builder *b, QmigEntity *ent)
{
    check_definition(b, ent);
    member_check(b, ent->tag_member);
    for (size_t i = 0; i < ent->variants.len; i++) {
        member_check(b, ent->variants.items[i]);
    }
    Seen *seen = seen_new(b);
    QmigStrMap *types_seen = qmig_strmap_new(arena_of(b));
    for (size_t i = 0; i < ent->variants.len; i++) {
        QmigMember *v = ent->variants.items[i];
        member_check_clash(b, v, ent->info, seen);
        const char *qtype = alternate_qtype(v->type);
        if (!qtype) {
            qmig_error(b->ctx, ent->info, 0, "%s cannot use %s",
                       describe(b, v, ent->info),
                       qmig_entity_describe(arena_of(b), v->type));
        }
        const char *conflicting[3] = {qtype, NULL, NULL};
        if (!strcmp(qtype, "QTYPE_QSTRING")) {
            if (v->type->meta == QMIG_META_ENUM) {
                /* Enum values that parse as numbers or booleans */
                for (size_t k = 0; k < v->type->values.len; k++) {
                    const char *name =
                        ((QmigMember *)v->type->values.items[k])->name;
                    if (!strcmp(name, "on") || !strcmp(name, "off")) {
                        conflicting[2] = "QTYPE_QBOOL";
                    }
                    if (strchr("-+0123456789.", name[0]) && name[0]) {
                        conflicting[1] = "QTYPE_QNUM";
                    }
                }
            } else {
                conflicting[1] = "QTYPE_QNUM";
                conflicting[2] = "QTYPE_QBOOL";
            }
        }
        for (size_t k = 0; k < 3; k++) {
            if (!conflicting[k]) {
                continue;
            }
            const char *other = qmig_strmap_get(types_seen, conflicting[k]);
            if (other) {
                qmig_error(b->ctx, ent->info, 0,
                           "%s can't be distinguished from '%s'",
                           describe(b, v, ent->info), other);
            }
            qmig_strmap_put(types_seen, conflicting[k], (void *)v->name);
        }
    }
}

static bool has_conditional_members(const QmigEntity *obj)
{
    for (size_t i = 0; i < obj->members.len; i++) {
        if (((QmigMember *)obj->members.items[i])->ifcond) {
            return true;
        }
    }
    return false;
}

static void check_arguments(Builder *b, QmigEntity *ent, const char *meta)
{
    if (!ent->arg_name) {
        return;
    }
    /* resolve_type() with its message spelled out: no text to format. */
    QmigEntity *arg = lookup_type(b, ent->arg_name);
    if (!arg) {
        qmig_error(b->ctx, ent->info, 0,
                   "%s's 'data' uses unknown type '%s'", meta, ent->arg_name);
    }
    if (arg->meta != QMIG_META_OBJECT) {
        qmig_error(b->ctx, ent->info, 0, "%s's 'data' cannot take %s", meta,
                   qmig_entity_describe(arena_of(b), arg));
    }
    ent->arg_type = arg;
    if (arg->has_variants && !ent->boxed) {
        qmig_error(b->ctx, ent->info, 0,
                   "%s's 'data' can take %s only with 'boxed': true", meta,
                   qmig_entity_describe(arena_of(b), arg));
    }
    check_object(b, arg);
    if (has_conditional_members(arg) && !ent->boxed) {
        qmig_error(b->ctx, ent->info, 0,
                   "conditional %s arguments require 'boxed': true", meta);
    }
}

static void check_command(Builder *b, QmigEntity *ent)
{
    check_definition(b, ent);
    check_arguments(b, ent, "command");
    if (!ent->ret_name) {
        return;
    }
    ent->ret_type = resolve_type(b, ent->ret_name, ent->info,
                                 "command's 'returns'");
    if (b->ctx->legacy ||
        qmig_pragma_lists(b->ctx, &b->ctx->pragma.command_returns_exceptions,
                          ent->name)) {
        return;
    }
    QmigEntity *typ = ent->ret_type;
    if (typ->meta == QMIG_META_ARRAY) {
        typ = typ->element;
    }
    if (typ->meta != QMIG_META_OBJECT) {
        qmig_error(b->ctx, ent->info, 0, "command's 'returns' cannot take %s",
                   qmig_entity_describe(arena_of(b), ent->ret_type));
    }
}

static void check_entity(Builder *b, QmigEntity *ent)
{
    switch (ent->meta) {
    case QMIG_META_BUILTIN:
    case QMIG_META_INCLUDE:
        ent->checked = true;
        break;
    case QMIG_META_ENUM: {
        check_definition(b, ent);
        Seen *seen = seen_new(b);
        for (size_t i = 0; i < ent->values.len; i++) {
            member_check_clash(b, ent->values.items[i], ent->info, seen);
        }
        break;
    }
    case QMIG_META_ARRAY:
        check_definition(b, ent);
        ent->element = resolve_type(
            b, ent->element_name, ent->info,
            ent->info ? ent->info->defn_meta : "built-in");
        break;
    case QMIG_META_OBJECT:
        check_object(b, ent);
        break;
    case QMIG_META_ALTERNATE:
        check_alternate(b, ent);
        break;
    case QMIG_META_COMMAND:
        check_command(b, ent);
        break;
    case QMIG_META_EVENT:
        check_definition(b, ent);
        check_arguments(b, ent, "event");
        break;
    }
}

/* --- documentation ---------------------------------------------------- */

static void connect_members(Builder *b, QmigDoc *doc, QmigPtrVec *members)
{
    for (size_t i = 0; i < members->len; i++) {
        QmigMember *m = members->items[i];
        m->doc = qmig_doc_connect_member(b->ctx, doc, m->name, m->role,
                                         m->info, m);
        /* A member's features are documented with the definition's. */
        for (size_t k = 0; k < m->features.len; k++) {
            QmigFeature *f = m->features.items[k];
            qmig_doc_connect_feature(b->ctx, doc, f->name, f->info, f);
        }
    }
}

static void connect_doc(Builder *b, QmigEntity *ent, QmigDoc *doc);

static void connect_object_doc(Builder *b, QmigEntity *ent, QmigDoc *doc)
{
    if (ent->base && qmig_entity_is_implicit(ent->base)) {
        connect_doc(b, ent->base, doc);
    }
    if (doc) {
        connect_members(b, doc, &ent->local_members);
    }
}

/* QAPISchemaEntity.connect_doc() and its overrides. */
static void connect_doc(Builder *b, QmigEntity *ent, QmigDoc *doc)
{
    doc = doc ? doc : ent->doc;
    if (doc) {
        for (size_t i = 0; i < ent->features.len; i++) {
            QmigFeature *f = ent->features.items[i];
            qmig_doc_connect_feature(b->ctx, doc, f->name, f->info, f);
        }
    }
    switch (ent->meta) {
    case QMIG_META_ENUM:
        if (doc) {
            connect_members(b, doc, &ent->values);
        }
        break;
    case QMIG_META_OBJECT:
        connect_object_doc(b, ent, doc);
        break;
    case QMIG_META_ALTERNATE:
        if (doc) {
            connect_members(b, doc, &ent->variants);
        }
        break;
    case QMIG_META_COMMAND:
    case QMIG_META_EVENT:
        /* A named argument type is documented where it is defined. */
        if (doc && ent->arg_type && qmig_entity_is_implicit(ent->arg_type)) {
            connect_doc(b, ent->arg_type, doc);
        }
        break;
    default:
        break;
    }
}

/* --- modules ---------------------------------------------------------- */

static void set_module(Builder *b, QmigEntity *ent, QmigModule *builtin)
{
    const QmigInfo *info = ent->info;
    if (ent->meta == QMIG_META_ARRAY) {
        info = ent->element->info;
    }
    ent->module = info ? module_of_file(b, info->file->path) : builtin;
    qmig_vec_push(arena_of(b), &ent->module->entities, ent);
}

QmigSchema *qmig_schema_build(QmigCtx *ctx, const QmigParseResult *parsed)
{
    QmigSchema *schema = QMIG_NEW(ctx->arena, QmigSchema);
    Builder b = {.ctx = ctx, .schema = schema};
    /*
     * Sized for the definitions plus a third more for implicit types
     * (QEMU's schema has about that) and the built-ins, so that the map
     * rarely grows: growth rehashes and leaves the old slots behind.
     */
    size_t n_exprs = parsed->exprs.len;
    schema->by_name =
        qmig_strmap_new_sized(ctx->arena, n_exprs + n_exprs / 3 + 64);
    schema->docs = parsed->docs;
    schema->root_path = parsed->root->path;
    b.modules = qmig_strmap_new(ctx->arena);
    b.file_modules = qmig_strmap_new(ctx->arena);
    b.features = qmig_strmap_new(ctx->arena);
    b.schema_dir = dirname_of(ctx->arena,
                              qmig_abspath(ctx, parsed->root->path));

    QmigModule *builtin = make_module(&b, "./builtin");
    module_of_file(&b, parsed->root->path);
    static const char *const special[] = {"deprecated", "unstable"};
    for (size_t i = 0; i < 2; i++) {
        QmigFeature *f = QMIG_NEW(ctx->arena, QmigFeature);
        f->name = special[i];
        qmig_strmap_put(b.features, f->name, f);
        qmig_vec_push(ctx->arena, &schema->feature_names, f);
    }
    b.predefining = true;
    def_predefineds(&b);
    b.predefining = false;
    def_exprs(&b, parsed);

    for (size_t i = 0; i < schema->entities.len; i++) {
        QmigEntity *ent = schema->entities.items[i];
        check_entity(&b, ent);
        connect_doc(&b, ent, NULL);
    }
    for (size_t i = 0; i < schema->entities.len; i++) {
        set_module(&b, schema->entities.items[i], builtin);
    }
    for (size_t i = 0; i < schema->docs.len; i++) {
        qmig_doc_check(ctx, schema->docs.items[i]);
    }
    if (schema->feature_names.len > MAX_FEATURES) {
        QmigFeature *f = schema->feature_names.items[MAX_FEATURES];
        qmig_error(ctx, f->info, 0,
                   "Maximum of %d schema features is permitted", MAX_FEATURES);
    }
    return schema;
}
