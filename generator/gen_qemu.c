/*
 * gen_qemu.c - the QEMU target of the C emitter.
 *
 * For every 'check' of the metadata, emits one C function over QEMU's
 * own QAPI-generated types (the MigrationCapability bool array,
 * MigrationParameters with its has_* members, StrOrNull,
 * MigrationAddress) that makes the check's rules in the listed order and
 * reports the first that fails through QEMU's Error API with the rule's
 * message, which is QEMU's own.  Two outputs:
 *
 *   PREFIXchecks.h   the state a check reads, the host facts, the checks;
 *   PREFIXchecks.c   one function per check, one block per rule.
 *
 * Host facts (and the run-state facts QEMU computes) are asked for
 * through a callback, lazily and in rule order, so that an expensive
 * probe runs only when a rule needs it, exactly where QEMU ran it.
 * Nothing dereferences an optional member without testing it.
 */
#include <string.h>

#include "cname.h"
#include "gen.h"

typedef struct QemuGen {
    QmigGen *gen;
    /* what the compiled rules use, so that only used helpers are emitted */
    bool uses_transport;
    bool uses_str_or_null;
    bool uses_host;
    bool uses_page_size;
    bool uses_power_of_two;
    bool uses_bitmap_check;
    int depth; /* of all/any/not: only the top-level 'all' breaks lines */
} QemuGen;

static const char *upper(QemuGen *q, const char *name)
{
    return qmig_gen_upper(q->gen, name);
}

static const char *printf_arena(QemuGen *q, const char *fmt, const char *a,
                                const char *b)
{
    return qmig_arena_printf(q->gen->arena, fmt, a, b);
}

static const char *param_ref(QemuGen *q, const QmigMetaParam *param)
{
    return qmig_arena_printf(q->gen->arena, "s->params->%s",
                             qmig_c_name(q->gen->arena, param->name, true));
}

static const char *cap_ref(QemuGen *q, const QmigMetaCap *cap)
{
    const QmigEntity *enm = q->gen->meta->cap_enum;
    return qmig_arena_printf(q->gen->arena, "s->caps[%s]",
                             qmig_c_enum_const(q->gen->arena, enm->name,
                                               cap->name, enm->prefix));
}

static const char *host_const(QemuGen *q, const QmigMetaEnv *env)
{
    return qmig_arena_printf(q->gen->arena, "%sHOST_%s",
                             q->gen->upper_prefix, upper(q, env->name));
}

static const char *side_const(QemuGen *q, QmigSide side)
{
    return qmig_arena_printf(q->gen->arena, "%sSIDE_%s", q->gen->upper_prefix,
                             side == QMIG_SIDE_SOURCE ? "SOURCE"
                                                      : "DESTINATION");
}

static const char *transport_const(QemuGen *q, QmigTransport t)
{
    return qmig_arena_printf(q->gen->arena, "TRANSPORT_%s",
                             upper(q, qmig_transport_names[t]));
}

/* --- conditions -------------------------------------------------------- */

static const char *compile(QemuGen *q, const QmigCond *c);

static const char *compile_compare(QemuGen *q, const QmigCond *c)
{
    QmigArena *a = q->gen->arena;
    const QmigMetaParam *param = c->param;
    const QmigOperand *o = &c->operand;
    const char *lhs = param_ref(q, param);
    bool eq = c->op == QMIG_CMP_EQ;
    switch (o->kind) {
    case QMIG_OPERAND_PARAM:
        return qmig_arena_printf(a, "%s %s %s", lhs, qmig_gen_c_op(c->op),
                                 param_ref(q, o->param));
    case QMIG_OPERAND_INT:
        return qmig_arena_printf(
            a, "%s %s %s", lhs, qmig_gen_c_op(c->op),
            qmig_gen_int_literal(q->gen, o->integer,
                                 param->type_min.negative));
    case QMIG_OPERAND_BOOL:
        return qmig_arena_printf(a, "%s%s", eq == o->boolean ? "" : "!", lhs);
    case QMIG_OPERAND_ENUM: {
        const QmigMember *value = param->type->values.items[o->enum_index];
        if (value->ifcond) {
            /* The constant may not exist in this build. */
            qmig_error(q->gen->ctx, c->info, 0,
                       "%s: the QEMU target cannot compare with '%s', which "
                       "exists only if %s", c->where, o->enum_value,
                       qmig_gen_ifcond(q->gen, value->ifcond));
        }
        return qmig_arena_printf(
            a, "%s %s %s", lhs, qmig_gen_c_op(c->op),
            qmig_c_enum_const(a, param->type->name, o->enum_value,
                              param->type->prefix));
    }
    case QMIG_OPERAND_EMPTY_STR:
        if (param->kind == QMIG_PARAM_STR_OR_NULL) {
            q->uses_str_or_null = true;
            return printf_arena(q, "%sstr_or_null_is_set(%s)", eq ? "!" : "",
                                lhs);
        }
        return printf_arena(q, eq ? "!(%s && *%s)" : "(%s && *%s)", lhs, lhs);
    case QMIG_OPERAND_EMPTY_LIST:
        /* An empty QAPI list is NULL. */
        return qmig_arena_printf(a, eq ? "!%s" : "%s != NULL", lhs);
    }
    return "false";
}

/* The parts of a range violation, joined with ||; "false" if none. */
static const char *compile_range(QemuGen *q, const QmigMetaParam *param)
{
    QmigArena *a = q->gen->arena;
    const char *x = param_ref(q, param);
    bool is_signed = param->type_min.negative;
    char *s = "";
    const char *sep = "";
    /* Bounds at the type's limits are left out: -Wtype-limits. */
    if (param->min.kind == QMIG_BOUND_LITERAL &&
        qmig_int_cmp(param->min.value, param->type_min) > 0) {
        s = qmig_arena_printf(a, "%s%s < %s", s, x,
                              qmig_gen_int_literal(q->gen, param->min.value,
                                                   is_signed));
        sep = " ||\n        ";
    } else if (param->min.kind == QMIG_BOUND_PARAM) {
        s = qmig_arena_printf(a, "%s%s < %s", s, x,
                              param_ref(q, param->min.param));
        sep = " ||\n        ";
    } else if (param->min.kind == QMIG_BOUND_HOST) {
        q->uses_page_size = true;
        s = qmig_arena_printf(a, "%s%s < qemu_target_page_size()", s, x);
        sep = " ||\n        ";
    }
    if (param->max.kind == QMIG_BOUND_LITERAL &&
        qmig_int_cmp(param->max.value, param->type_max) < 0) {
        s = qmig_arena_printf(a, "%s%s%s > %s", s, sep, x,
                              qmig_gen_int_literal(q->gen, param->max.value,
                                                   is_signed));
        sep = " ||\n        ";
    } else if (param->max.kind == QMIG_BOUND_PARAM) {
        s = qmig_arena_printf(a, "%s%s%s > %s", s, sep, x,
                              param_ref(q, param->max.param));
        sep = " ||\n        ";
    }
    if (param->power_of_two) {
        q->uses_power_of_two = true;
        s = qmig_arena_printf(a, "%s%s!is_power_of_2(%s)", s, sep, x);
        sep = " ||\n        ";
    }
    if (param->values.len) {
        char *allowed = "";
        for (size_t i = 0; i < param->values.len; i++) {
            allowed = qmig_arena_printf(
                a, "%s%s%s == %s", allowed, i ? " || " : "", x,
                qmig_c_enum_const(a, param->type->name,
                                  param->values.items[i],
                                  param->type->prefix));
        }
        s = qmig_arena_printf(a, "%s%s!(%s)", s, sep, allowed);
    }
    return *s ? s : "false";
}

static const char *compile_channel(QemuGen *q, const QmigCond *c)
{
    /* QMP's channel types: 'main' is always there, 'cpr' is optional. */
    if (!strcmp(c->channel->name, "cpr")) {
        return "s->cpr_channel != NULL";
    }
    if (strcmp(c->channel->name, "main")) {
        qmig_error(q->gen->ctx, c->info, 0,
                   "%s: the QEMU target knows the channel types 'main' and "
                   "'cpr', not '%s'", c->where, c->channel->name);
    }
    return "true";
}

static const char *join(QemuGen *q, const QmigCond *c, const char *op)
{
    char *s = "";
    q->depth++;
    for (size_t i = 0; i < c->n_operands; i++) {
        const QmigCond *o = c->operands[i];
        const char *e = compile(q, o);
        bool bare = o->kind == QMIG_COND_CAP || o->kind == QMIG_COND_HOST ||
                    o->kind == QMIG_COND_NOT ||
                    (o->kind == QMIG_COND_CHANNEL &&
                     strcmp(o->channel->name, "cpr"));
        s = qmig_arena_printf(q->gen->arena, "%s%s%s%s%s", s, i ? op : "",
                              bare ? "" : "(", e, bare ? "" : ")");
    }
    q->depth--;
    return s;
}

static const char *compile(QemuGen *q, const QmigCond *c)
{
    QmigArena *a = q->gen->arena;
    switch (c->kind) {
    case QMIG_COND_CAP:
        return cap_ref(q, c->cap);
    case QMIG_COND_COMPARE:
        return compile_compare(q, c);
    case QMIG_COND_TRANSPORT:
        q->uses_transport = true;
        return qmig_arena_printf(a, "transport_of(s->addr) %s %s", qmig_gen_c_op(c->op),
                                 transport_const(q, c->transport));
    case QMIG_COND_SIDE:
        /* An unknown side validates for both sides, as in libqmig. */
        return qmig_arena_printf(a, "s->side == %sSIDE_ANY || s->side %s %s",
                                 q->gen->upper_prefix, qmig_gen_c_op(c->op),
                                 side_const(q, c->side));
    case QMIG_COND_HOST:
        q->uses_host = true;
        return qmig_arena_printf(a, "host_has(s, %s, &detail)",
                                 host_const(q, c->env));
    case QMIG_COND_CHANNEL:
        return compile_channel(q, c);
    case QMIG_COND_RANGE:
        return compile_range(q, c->param);
    case QMIG_COND_NOT: {
        const QmigCond *o = c->operands[0];
        q->depth++;
        const char *e = compile(q, o);
        q->depth--;
        bool bare = o->kind == QMIG_COND_CAP || o->kind == QMIG_COND_HOST ||
                    o->kind == QMIG_COND_NOT;
        return qmig_arena_printf(a, "!%s%s%s", bare ? "" : "(", e,
                                 bare ? "" : ")");
    }
    case QMIG_COND_ALL:
        return join(q, c, q->depth ? " && " : " &&\n        ");
    case QMIG_COND_ANY:
        return join(q, c, " || ");
    }
    return "false";
}

static bool mentions(const QmigCond *c, QmigCondKind kind)
{
    if (c->kind == kind) {
        return true;
    }
    for (size_t i = 0; i < c->n_operands; i++) {
        if (mentions(c->operands[i], kind)) {
            return true;
        }
    }
    return false;
}

/* --- rules and checks -------------------------------------------------- */

/* A printf format that prints @message as it is. */
static const char *format_of(QemuGen *q, const char *message)
{
    QmigArena *a = q->gen->arena;
    char *out = qmig_arena_alloc(a, strlen(message) * 2 + 1);
    char *p = out;
    for (const char *m = message; *m; m++) {
        if (*m == '%') {
            *p++ = '%';
        }
        *p++ = *m;
    }
    *p = '\0';
    return qmig_gen_c_str(q->gen, out);
}

static bool check_uses(const QmigMetaCheck *check, QmigCondKind kind)
{
    for (size_t i = 0; i < check->items.len; i++) {
        const QmigMetaCheckItem *item = check->items.items[i];
        if (item->rule && mentions(item->rule->when, kind)) {
            return true;
        }
    }
    return false;
}

static bool check_has_value_check(const QmigMetaCheck *check)
{
    for (size_t i = 0; i < check->items.len; i++) {
        if (((const QmigMetaCheckItem *)check->items.items[i])->value_check) {
            return true;
        }
    }
    return false;
}

/*
 * The build conditions of the capabilities and parameters @c names,
 * joined with &&, each once; "" when all of them always exist.  A rule
 * about a capability of some builds only exists in those builds: its
 * enum constant does not exist in the others.
 */
static const char *rule_ifcond(QemuGen *q, const QmigCond *c, const char *acc)
{
    const QmigMember *m = c->kind == QMIG_COND_CAP ? c->cap->qapi
                          : (c->kind == QMIG_COND_COMPARE ||
                             c->kind == QMIG_COND_RANGE) ? c->param->qapi
                          : NULL;
    if (m && m->ifcond) {
        const char *one = qmig_arena_printf(q->gen->arena, "(%s)",
                                            qmig_gen_ifcond(q->gen, m->ifcond));
        if (!strstr(acc, one)) {
            acc = qmig_arena_printf(q->gen->arena, "%s%s%s", acc,
                                    *acc ? " && " : "", one);
        }
    }
    for (size_t i = 0; i < c->n_operands; i++) {
        acc = rule_ifcond(q, c->operands[i], acc);
    }
    return acc;
}

static void emit_rule_body(QemuGen *q, QmigOutput *c, const QmigMetaRule *rule,
                           const char *cond);

static void emit_rule(QemuGen *q, QmigOutput *c, const QmigMetaRule *rule)
{
    QmigGen *gen = q->gen;
    qmig_out_printf(c, "    /* %s (%s) */\n", qmig_gen_comment(gen, rule->id),
                    qmig_gen_location(gen, rule->info));
    const char *cond = compile(q, rule->when);
    if (!strcmp(cond, "false")) {
        qmig_out_puts(c, "    /* Never fails: its bounds are its type's. */\n");
        return;
    }
    const char *ifcond = rule_ifcond(q, rule->when, "");
    if (*ifcond && !strstr(ifcond, ") && (")) {
        /* One condition needs no parentheses of its own. */
        ifcond = qmig_arena_printf(gen->arena, "%.*s",
                                   (int)strlen(ifcond) - 2, ifcond + 1);
    }
    if (*ifcond) {
        qmig_out_printf(c, "#if %s\n", ifcond);
    }
    emit_rule_body(q, c, rule, cond);
    if (*ifcond) {
        qmig_out_printf(c, "#endif /* %s */\n", ifcond);
    }
}

static void emit_rule_body(QemuGen *q, QmigOutput *c, const QmigMetaRule *rule,
                           const char *cond)
{
    QmigGen *gen = q->gen;
    if (mentions(rule->when, QMIG_COND_TRANSPORT) ||
        mentions(rule->when, QMIG_COND_CHANNEL)) {
        /* Rules about the migrate command apply only where there is one. */
        cond = qmig_arena_printf(gen->arena, "s->addr &&\n        %s", cond);
    }
    bool host = mentions(rule->when, QMIG_COND_HOST);
    qmig_out_printf(c, "    if (%s) {\n", cond);
    if (host) {
        qmig_out_printf(c, "        return fail(errp, %s, &detail);\n",
                        qmig_gen_c_str(gen, rule->message));
    } else {
        qmig_out_printf(c, "        error_setg(errp, %s);\n"
                           "        return false;\n",
                        format_of(q, rule->message));
    }
    qmig_out_puts(c, "    }\n");
    if (host) {
        /* A fact that held, or a rule that did not fire: no detail. */
        qmig_out_puts(c, "    g_clear_pointer(&detail, error_free);\n");
    }
}

static void emit_value_check(QemuGen *q, QmigOutput *c,
                             const QmigMetaParam *param)
{
    switch (param->value_check) {
    case QMIG_META_VALUE_CHECK_BITMAP_ALIAS_MAP:
        q->uses_bitmap_check = true;
        qmig_out_printf(c,
                        "    /* value-check:%s (%s) */\n"
                        "    if (!check_dirty_bitmap_mig_alias_map(%s, errp)) "
                        "{\n"
                        "        error_prepend(errp, \"Invalid mapping given "
                        "for %s: \");\n"
                        "        return false;\n"
                        "    }\n",
                        param->name, qmig_gen_location(q->gen, param->info),
                        param_ref(q, param), param->name);
        break;
    case QMIG_META_VALUE_CHECK_NONE:
        break;
    }
}

static const char *check_fn(QemuGen *q, const QmigMetaCheck *check)
{
    return qmig_arena_printf(q->gen->arena, "%scheck_%s", q->gen->c_prefix,
                             qmig_c_name(q->gen->arena, check->name, false));
}

static void emit_check(QemuGen *q, QmigOutput *c, const QmigMetaCheck *check)
{
    QmigGen *gen = q->gen;
    qmig_out_printf(c, "bool %s(const %sCheckState *s, Error **errp)\n{\n",
                    check_fn(q, check), gen->type_prefix);
    bool value_check = check_has_value_check(check);
    bool host = check_uses(check, QMIG_COND_HOST);
    if (value_check) {
        qmig_out_puts(c, "    ERRP_GUARD();\n");
    }
    if (host) {
        qmig_out_puts(c, "    Error *detail = NULL;\n");
    }
    for (size_t i = 0; i < check->items.len; i++) {
        const QmigMetaCheckItem *item = check->items.items[i];
        if (i || value_check || host) {
            qmig_out_puts(c, "\n");
        }
        if (item->rule) {
            emit_rule(q, c, item->rule);
        } else {
            emit_value_check(q, c, item->value_check);
        }
    }
    qmig_out_puts(c, "    return true;\n}\n\n");
}

/* --- files ------------------------------------------------------------- */

static const char *check_comment(QemuGen *q, const QmigMetaCheck *check)
{
    return qmig_arena_printf(
        q->gen->arena, "%s%s(%s)",
        check->function ? qmig_gen_comment(q->gen, check->function) : "",
        check->function ? "() " : "",
        qmig_gen_location(q->gen, check->info));
}

static void emit_header(QemuGen *q)
{
    QmigGen *gen = q->gen;
    const char *P = gen->upper_prefix, *T = gen->type_prefix;
    QmigOutput *h = qmig_gen_new_file(gen, "checks", "h");
    const char *guard = qmig_gen_upper(gen, h->name);
    qmig_out_printf(
        h,
        "/*\n"
        " * Migration configuration checks over QEMU's QAPI types: one "
        "function\n"
        " * per 'check' of the metadata, making its rules in order and "
        "reporting\n"
        " * the first that fails through the Error API, with QEMU's "
        "message.\n"
        " */\n\n"
        "#ifndef %s\n#define %s\n\n"
        "#include \"qapi/qapi-types-migration.h\"\n\n",
        guard, guard);
    qmig_out_puts(h, "/* Facts of the host and of QEMU's run state. */\n"
                     "typedef enum ");
    qmig_out_printf(h, "%sHostFact {\n", T);
    for (size_t i = 0; i < gen->meta->envs.len; i++) {
        const QmigMetaEnv *env = gen->meta->envs.items[i];
        qmig_out_printf(h, "    /* %s */\n    %s,\n",
                        qmig_gen_comment(gen, env->description),
                        host_const(q, env));
    }
    qmig_out_printf(
        h,
        "    %sHOST__MAX,\n} %sHostFact;\n\n"
        "typedef enum %sSide {\n"
        "    %sSIDE_ANY, /* rules about one side apply to both */\n"
        "    %sSIDE_SOURCE,\n"
        "    %sSIDE_DESTINATION,\n"
        "} %sSide;\n\n"
        "/*\n"
        " * Whether host fact @fact holds.  When it does not, the callback "
        "may\n"
        " * set *@detail to say why; the check appends that to the rule's\n"
        " * message (\"MESSAGE: DETAIL\") and frees it.\n"
        " */\n"
        "typedef bool %sHostFn(%sHostFact fact, void *opaque, "
        "Error **detail);\n\n"
        "/*\n"
        " * What a check reads.  The caller owns all of it and keeps it "
        "valid\n"
        " * during the call; the checks never change or keep it.\n"
        " */\n"
        "typedef struct %sCheckState {\n"
        "    /* MIGRATION_CAPABILITY__MAX entries */\n"
        "    const bool *caps;\n"
        "    /* every has_* member set, as after migrate_params_test_apply()"
        " */\n"
        "    const MigrationParameters *params;\n"
        "    %sSide side;\n"
        "    /* migrate's main address; NULL: transport rules do not apply "
        "*/\n"
        "    const MigrationAddress *addr;\n"
        "    /* migrate's cpr channel; NULL if it was given none */\n"
        "    const MigrationChannel *cpr_channel;\n"
        "    /* NULL: every host fact holds */\n"
        "    %sHostFn *host_has;\n"
        "    void *opaque;\n"
        "} %sCheckState;\n\n",
        P, T, T, P, P, P, T, T, T, T, T, T, T);
    for (size_t i = 0; i < gen->meta->checks.len; i++) {
        const QmigMetaCheck *check = gen->meta->checks.items[i];
        qmig_out_printf(h,
                        "/*\n * %s: %s.\n"
                        " * True when every rule holds; otherwise sets @errp "
                        "and returns false.\n */\n"
                        "bool %s(const %sCheckState *s, Error **errp);\n\n",
                        check->name, check_comment(q, check),
                        check_fn(q, check), T);
    }
    qmig_out_printf(h, "#endif /* %s */\n", guard);
}

static void emit_helpers(QemuGen *q, QmigOutput *c)
{
    QmigGen *gen = q->gen;
    if (q->uses_str_or_null) {
        qmig_out_puts(c,
                      "/* An absent StrOrNull, null and \"\" all mean "
                      "\"not set\". */\n"
                      "static bool str_or_null_is_set(const StrOrNull *v)\n"
                      "{\n"
                      "    return v && v->type == QTYPE_QSTRING && v->u.s "
                      "&& *v->u.s;\n"
                      "}\n\n");
    }
    if (q->uses_transport) {
        qmig_out_puts(c, "/* The transports the metadata names. */\n"
                         "typedef enum Transport {\n"
                         "    TRANSPORT_UNKNOWN,\n");
        for (int t = 0; t < QMIG__TRANSPORT_MAX; t++) {
            qmig_out_printf(c, "    %s,\n",
                            transport_const(q, (QmigTransport)t));
        }
        qmig_out_puts(
            c,
            "} Transport;\n\n"
            "static Transport transport_of(const MigrationAddress *addr)\n"
            "{\n"
            "    switch (addr->transport) {\n"
            "    case MIGRATION_ADDRESS_TYPE_SOCKET:\n"
            "        switch (addr->u.socket.type) {\n"
            "        case SOCKET_ADDRESS_TYPE_INET:\n"
            "            return TRANSPORT_TCP;\n"
            "        case SOCKET_ADDRESS_TYPE_UNIX:\n"
            "            return TRANSPORT_UNIX;\n"
            "        case SOCKET_ADDRESS_TYPE_VSOCK:\n"
            "            return TRANSPORT_VSOCK;\n"
            "        case SOCKET_ADDRESS_TYPE_FD:\n"
            "            return TRANSPORT_FD;\n"
            "        default:\n"
            "            return TRANSPORT_UNKNOWN;\n"
            "        }\n"
            "    case MIGRATION_ADDRESS_TYPE_EXEC:\n"
            "        return TRANSPORT_EXEC;\n"
            "    case MIGRATION_ADDRESS_TYPE_RDMA:\n"
            "        return TRANSPORT_RDMA;\n"
            "    case MIGRATION_ADDRESS_TYPE_FILE:\n"
            "        return TRANSPORT_FILE;\n"
            "    default:\n"
            "        return TRANSPORT_UNKNOWN;\n"
            "    }\n"
            "}\n\n");
    }
    if (q->uses_host) {
        qmig_out_printf(
            c,
            "static bool host_has(const %sCheckState *s, %sHostFact fact,\n"
            "                     Error **detail)\n"
            "{\n"
            "    return !s->host_has || s->host_has(fact, s->opaque, detail);\n"
            "}\n\n"
            "/* Report @message, with why a host fact failed if it said. */\n"
            "static bool fail(Error **errp, const char *message, "
            "Error **detail)\n"
            "{\n"
            "    if (*detail) {\n"
            "        error_setg(errp, \"%%s: %%s\", message, "
            "error_get_pretty(*detail));\n"
            "        g_clear_pointer(detail, error_free);\n"
            "    } else {\n"
            "        error_setg(errp, \"%%s\", message);\n"
            "    }\n"
            "    return false;\n"
            "}\n\n",
            gen->type_prefix, gen->type_prefix);
    }
}

static void emit_source(QemuGen *q)
{
    QmigGen *gen = q->gen;
    /* Compile first: the includes and helpers depend on what is used. */
    QmigOutputSet body_set = {.arena = gen->arena};
    QmigOutput *body = qmig_output_new(&body_set, "body");
    for (size_t i = 0; i < gen->meta->checks.len; i++) {
        emit_check(q, body, gen->meta->checks.items[i]);
    }
    QmigOutput *c = qmig_gen_new_file(gen, "checks", "c");
    qmig_out_puts(c, "#include \"qemu/osdep.h\"\n");
    if (q->uses_page_size) {
        qmig_out_puts(c, "#include \"exec/target_page.h\"\n");
    }
    if (q->uses_bitmap_check) {
        /* check_dirty_bitmap_mig_alias_map() */
        qmig_out_puts(c, "#include \"migration/migration.h\"\n");
    }
    qmig_out_puts(c, "#include \"qapi/error.h\"\n");
    if (q->uses_power_of_two) {
        qmig_out_puts(c, "#include \"qemu/host-utils.h\"\n");
    }
    qmig_out_printf(c, "#include \"%schecks.h\"\n\n", gen->file_prefix);
    emit_helpers(q, c);
    qmig_out_printf(c, "%.*s", (int)body->len, body->text);
}

void qmig_gen_qemu(QmigGen *gen)
{
    QemuGen q = {.gen = gen};
    if (!gen->meta->checks.len) {
        qmig_fatal_io(gen->ctx, "--target qemu: the metadata has no 'check' "
                                "entries, so there is nothing to generate");
    }
    emit_header(&q);
    emit_source(&q);
}
