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
