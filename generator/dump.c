/*
 * dump.c - text dump of the checked model; see dump.h.
 */
#include "dump.h"

#include <string.h>

void qmig_dump_ifcond(FILE *out, const QmigIfCond *cond, bool top)
{
    switch (cond->kind) {
    case QMIG_IF_NAME:
        fprintf(out, top ? "%s" : "'%s'", cond->name);
        return;
    case QMIG_IF_NOT:
        fputs("{'not': ", out);
        qmig_dump_ifcond(out, cond->operands[0], false);
        fputs("}", out);
        return;
    case QMIG_IF_ALL:
    case QMIG_IF_ANY:
        fprintf(out, "{'%s': [", cond->kind == QMIG_IF_ALL ? "all" : "any");
        for (size_t i = 0; i < cond->n_operands; i++) {
            if (i) {
                fputs(", ", out);
            }
            qmig_dump_ifcond(out, cond->operands[i], false);
        }
        fputs("]}", out);
        return;
    }
}

static void print_if(FILE *out, const QmigIfCond *cond, int indent)
{
    if (cond) {
        fprintf(out, "%*sif ", indent, "");
        qmig_dump_ifcond(out, cond, true);
        fputc('\n', out);
    }
}

static void print_features(FILE *out, const QmigPtrVec *features, int indent)
{
    for (size_t i = 0; i < features->len; i++) {
        const QmigFeature *f = features->items[i];
        fprintf(out, "%*sfeature %s\n", indent, "", f->name);
        print_if(out, f->ifcond, indent + 4);
    }
}

static const char *py_bool(bool b)
{
    return b ? "True" : "False";
}

static void print_variants(FILE *out, const QmigEntity *ent)
{
    if (!ent->has_variants) {
        return;
    }
    fprintf(out, "    tag %s\n", ent->tag_member->name);
    for (size_t i = 0; i < ent->variants.len; i++) {
        const QmigMember *v = ent->variants.items[i];
        fprintf(out, "    case %s: %s\n", v->name, v->type->name);
        print_if(out, v->ifcond, 8);
    }
}

static void dump_enum(FILE *out, const QmigEntity *ent)
{
    fprintf(out, "enum %s\n", ent->name);
    if (ent->prefix) {
        fprintf(out, "    prefix %s\n", ent->prefix);
    }
    for (size_t i = 0; i < ent->values.len; i++) {
        const QmigMember *m = ent->values.items[i];
        fprintf(out, "    member %s\n", m->name);
        print_if(out, m->ifcond, 8);
        print_features(out, &m->features, 8);
    }
}

static void dump_object(FILE *out, const QmigEntity *ent)
{
    fprintf(out, "object %s\n", ent->name);
    if (ent->base) {
        fprintf(out, "    base %s\n", ent->base->name);
    }
    for (size_t i = 0; i < ent->local_members.len; i++) {
        const QmigMember *m = ent->local_members.items[i];
        fprintf(out, "    member %s: %s optional=%s\n", m->name,
                m->type->name, py_bool(m->optional));
        print_if(out, m->ifcond, 8);
        print_features(out, &m->features, 8);
    }
    print_variants(out, ent);
}

static const char *name_or_none(const QmigEntity *ent)
{
    return ent ? ent->name : "None";
}

static void dump_entity(FILE *out, const QmigEntity *ent)
{
    switch (ent->meta) {
    case QMIG_META_BUILTIN:
        return;
    case QMIG_META_INCLUDE:
        fprintf(out, "include %s\n", ent->sub_module->name);
        return;
    case QMIG_META_ARRAY:
        if (!ent->info) {
            return; /* built-in arrays are not shown */
        }
        fprintf(out, "array %s %s\n", ent->name, ent->element->name);
        print_if(out, ent->ifcond, 4);
        return;
    case QMIG_META_ENUM:
        dump_enum(out, ent);
        break;
    case QMIG_META_OBJECT:
        dump_object(out, ent);
        break;
    case QMIG_META_ALTERNATE:
        fprintf(out, "alternate %s\n", ent->name);
        print_variants(out, ent);
        break;
    case QMIG_META_COMMAND:
        fprintf(out, "command %s %s -> %s\n", ent->name,
                name_or_none(ent->arg_type), name_or_none(ent->ret_type));
        fprintf(out,
                "    gen=%s success_response=%s boxed=%s oob=%s "
                "preconfig=%s%s\n",
                py_bool(ent->gen), py_bool(ent->success_response),
                py_bool(ent->boxed), py_bool(ent->allow_oob),
                py_bool(ent->allow_preconfig),
                ent->coroutine ? " coroutine=True" : "");
        break;
    case QMIG_META_EVENT:
        fprintf(out, "event %s %s\n", ent->name, name_or_none(ent->arg_type));
        fprintf(out, "    boxed=%s\n", py_bool(ent->boxed));
        break;
    }
    print_if(out, ent->ifcond, 4);
    print_features(out, &ent->features, 4);
}

void qmig_dump_schema(FILE *out, const QmigSchema *schema)
{
    for (size_t i = 0; i < schema->modules.len; i++) {
        const QmigModule *mod = schema->modules.items[i];
        fprintf(out, "module %s\n", mod->name);
        for (size_t k = 0; k < mod->entities.len; k++) {
            dump_entity(out, mod->entities.items[k]);
        }
    }
    for (size_t i = 0; i < schema->docs.len; i++) {
        qmig_doc_dump(out, schema->docs.items[i]);
    }
}

void qmig_dump_cond(FILE *out, const QmigCond *cond, bool top)
{
    switch (cond->kind) {
    case QMIG_COND_ALL:
    case QMIG_COND_ANY:
        fprintf(out, "{'%s': [", cond->kind == QMIG_COND_ALL ? "all" : "any");
        for (size_t i = 0; i < cond->n_operands; i++) {
            if (i) {
                fputs(", ", out);
            }
            qmig_dump_cond(out, cond->operands[i], false);
        }
        fputs("]}", out);
        return;
    case QMIG_COND_NOT:
        fputs("{'not': ", out);
        qmig_dump_cond(out, cond->operands[0], false);
        fputs("}", out);
        return;
    default:
        fprintf(out, top ? "%s" : "'%s'", cond->text);
        return;
    }
}

static void dump_names(FILE *out, const char *label, const QmigPtrVec *names)
{
    if (!names->len) {
        return;
    }
    fprintf(out, "    %s", label);
    for (size_t i = 0; i < names->len; i++) {
        fprintf(out, " %s", (const char *)names->items[i]);
    }
    fputc('\n', out);
}

static void dump_common(FILE *out, QmigSide side, QmigHandshake handshake,
                        QmigStatus status, const char *since)
{
    fprintf(out, "    side=%s handshake=%s status=%s", qmig_side_names[side],
            qmig_handshake_names[handshake], qmig_status_names[status]);
    if (since) {
        fprintf(out, " since=%s", since);
    }
    fputc('\n', out);
}

static void dump_meta_cap(FILE *out, const QmigMetaCap *cap)
{
    fprintf(out, "capability %s\n", cap->name);
    dump_common(out, cap->side, cap->handshake, cap->status, cap->since);
    for (size_t i = 0; i < cap->requires.len; i++) {
        const QmigMetaRule *r = cap->requires.items[i];
        fprintf(out, "    requires %s rule=%s\n", r->other->name, r->id);
    }
    for (size_t i = 0; i < cap->conflicts.len; i++) {
        const QmigMetaRule *r = cap->conflicts.items[i];
        fprintf(out, "    conflicts %s rule=%s\n", r->other->name, r->id);
    }
    if (cap->transports) {
        fputs("    transports", out);
        for (int t = 0; t < QMIG__TRANSPORT_MAX; t++) {
            if (cap->transports & (1u << t)) {
                fprintf(out, " %s", qmig_transport_names[t]);
            }
        }
        fprintf(out, " rule=%s\n", cap->transport_rule->id);
    }
    for (size_t i = 0; i < cap->channels.len; i++) {
        fprintf(out, "    channel %s\n",
                ((const QmigMetaChannel *)cap->channels.items[i])->name);
    }
}

static void dump_meta_param(FILE *out, const QmigMetaParam *param)
{
    fprintf(out, "parameter %s: %s\n", param->name, param->type->name);
    if (param->capability) {
        fprintf(out, "    capability %s\n", param->capability->name);
    }
    dump_common(out, param->side, param->handshake, param->status,
                param->since);
    if (param->has_default) {
        fprintf(out, "    default %s\n", param->default_text);
    }
    if (param->min.kind) {
        fprintf(out, "    min %s\n", param->min.text);
    }
    if (param->max.kind) {
        fprintf(out, "    max %s\n", param->max.text);
    }
    if (param->power_of_two) {
        fputs("    power-of-two\n", out);
    }
    dump_names(out, "values", &param->values);
    if (param->unit != QMIG_UNIT_NONE) {
        fprintf(out, "    unit %s\n", qmig_unit_names[param->unit]);
    }
    if (param->range_rule) {
        fprintf(out, "    range-rule %s\n", param->range_rule->id);
    }
}

static void dump_meta_channel(FILE *out, const QmigMetaChannel *ch)
{
    fprintf(out, "channel %s\n    pattern %s\n", ch->name, ch->pattern);
    if (ch->count_param) {
        fprintf(out, "    count @%s\n", ch->count_param->name);
    } else {
        fprintf(out, "    count %llu\n",
                (unsigned long long)ch->count.magnitude);
    }
    if (ch->enabled_by) {
        fputs("    enabled-by ", out);
        qmig_dump_cond(out, ch->enabled_by, true);
        fputc('\n', out);
    }
    for (size_t i = 0; i < ch->after.len; i++) {
        fprintf(out, "    after %s\n",
                ((const QmigMetaChannel *)ch->after.items[i])->name);
    }
}

static void dump_meta_rule(FILE *out, const QmigMetaRule *rule)
{
    fprintf(out, "rule %s\n    when ", rule->id);
    qmig_dump_cond(out, rule->when, true);
    fprintf(out, "\n    message %s\n", rule->message);
    if (rule->origin) {
        fprintf(out, "    origin %s\n", rule->origin);
    }
    dump_names(out, "names", &rule->names);
    if (rule->environment) {
        fputs("    environment-dependent\n", out);
    }
}

void qmig_dump_metadata(FILE *out, const QmigMetadata *meta)
{
    fputs("metadata\n", out);
    for (size_t i = 0; i < meta->envs.len; i++) {
        const QmigMetaEnv *env = meta->envs.items[i];
        fprintf(out, "environment %s\n", env->name);
    }
    for (size_t i = 0; i < meta->caps.len; i++) {
        dump_meta_cap(out, meta->caps.items[i]);
    }
    for (size_t i = 0; i < meta->params.len; i++) {
        dump_meta_param(out, meta->params.items[i]);
    }
    for (size_t i = 0; i < meta->channels.len; i++) {
        dump_meta_channel(out, meta->channels.items[i]);
    }
    for (size_t i = 0; i < meta->rules.len; i++) {
        dump_meta_rule(out, meta->rules.items[i]);
    }
    for (size_t i = 0; i < meta->waivers.len; i++) {
        const QmigMetaWaiver *w = meta->waivers.items[i];
        fprintf(out, "waiver %s\n    reason %s\n", w->name, w->reason);
    }
}
