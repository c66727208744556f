/*
 * schema.h - the checked semantic model of a QAPI schema.
 *
 * Built from checked expressions (expr.h) the way QEMU's
 * scripts/qapi/schema.py builds QAPISchema: predefined built-ins, one
 * entity per definition plus the implicit ones (array types, q_obj_*
 * argument and base types, q_empty branches), modules named after the
 * files that define them, and every check QEMU runs over the whole
 * schema.  Emitters walk this model; it holds no output logic.
 *
 * Every entity and member carries its source location (NULL only for
 * built-ins).  The model is owned by the front end that built it.
 */
#ifndef QMIG_SCHEMA_H
#define QMIG_SCHEMA_H

#include <stdbool.h>

#include "doc.h"
#include "parser.h"
#include "source.h"

typedef enum QmigIfKind {
    QMIG_IF_NAME,
    QMIG_IF_ALL,
    QMIG_IF_ANY,
    QMIG_IF_NOT,
} QmigIfKind;

/* An 'if' condition; NULL means unconditional. */
typedef struct QmigIfCond {
    QmigIfKind kind;
    const char *name;             /* QMIG_IF_NAME */
    struct QmigIfCond **operands; /* ALL / ANY: n_operands; NOT: one */
    size_t n_operands;
} QmigIfCond;

typedef struct QmigFeature {
    const char *name;
    const QmigInfo *info;
    const QmigIfCond *ifcond;
    const char *defined_in;
} QmigFeature;

typedef struct QmigEntity QmigEntity;

/* A struct member, enum value, or union/alternate branch. */
typedef struct QmigMember {
    const char *name;
    const char *role; /* "member", "value", "branch" */
    const QmigInfo *info;
    const QmigIfCond *ifcond;
    QmigPtrVec features; /* QmigFeature * */
    const char *defined_in;
    const char *c_name;        /* c_name(name), computed on first use */
    const QmigDocSection *doc; /* set by the doc connection */
    /* Members and branches only: */
    const char *type_name;
    QmigEntity *type; /* resolved by the checks */
    bool optional;
} QmigMember;

typedef enum QmigMeta {
    QMIG_META_BUILTIN,
    QMIG_META_ENUM,
    QMIG_META_ARRAY,
    QMIG_META_OBJECT, /* struct, union, implicit object */
    QMIG_META_ALTERNATE,
    QMIG_META_COMMAND,
    QMIG_META_EVENT,
    QMIG_META_INCLUDE,
} QmigMeta;

typedef struct QmigModule {
    const char *name; /* "./builtin" or the path relative to the root's dir */
    QmigPtrVec entities;
} QmigModule;

struct QmigEntity {
    QmigMeta meta;
    const char *name;
    const QmigInfo *info; /* NULL for built-ins */
    QmigDoc *doc;
    const QmigIfCond *ifcond;
    QmigPtrVec features; /* QmigFeature * */
    QmigModule *module;
    bool checked;

    /* BUILTIN */
    const char *json_type; /* "string", "int", "number", "boolean", ... */

    /* ENUM */
    QmigPtrVec values; /* QmigMember * */
    const char *prefix;

    /* ARRAY */
    const char *element_name;
    QmigEntity *element;

    /* OBJECT */
    const char *base_name;
    QmigEntity *base;
    QmigPtrVec local_members; /* QmigMember * */
    QmigPtrVec members;       /* base members then local ones, once checked */
    bool members_done;

    /* OBJECT with branches (union) and ALTERNATE */
    const char *tag_name;
    QmigMember *tag_member;
    QmigPtrVec variants; /* QmigMember * with role "branch" */
    bool has_variants;

    /* COMMAND and EVENT */
    const char *arg_name;
    QmigEntity *arg_type;
    const char *ret_name;
    QmigEntity *ret_type;
    bool gen, success_response, boxed, allow_oob, allow_preconfig, coroutine;

    /* INCLUDE */
    QmigModule *sub_module;
};

struct QmigSchema {
    QmigPtrVec entities; /* definition order, implicit ones included */
    QmigPtrVec modules;  /* creation order: ./builtin, root, includes */
    QmigPtrVec docs;     /* every doc block, in source order */
    QmigPtrVec feature_names; /* schema-wide distinct feature names */
    struct QmigStrMap *by_name;
    const char *root_path;
};
typedef struct QmigSchema QmigSchema;

/* Build and check the model; leaves through qmig_error() on error. */
QmigSchema *qmig_schema_build(QmigCtx *ctx, const QmigParseResult *parsed);

QmigEntity *qmig_schema_lookup(const QmigSchema *schema, const char *name);
QmigModule *qmig_schema_module(const QmigSchema *schema, const char *name);

/*
 * The module a user means by @name: its exact name ("sub/migration.json"),
 * or its name or base name without ".json" ("migration").  NULL if none.
 */
const QmigModule *qmig_schema_find_module(const QmigSchema *schema,
                                          const char *name, QmigArena *arena);

bool qmig_entity_is_type(const QmigEntity *ent);
bool qmig_entity_is_implicit(const QmigEntity *ent);
/* "struct type 'Foo'", "built-in type 'int'", "array type ['int']" */
const char *qmig_entity_describe(QmigArena *arena, const QmigEntity *ent);
/* "struct", "union", "enum", ... as QEMU names the meta-type */
const char *qmig_entity_meta_name(const QmigEntity *ent);

#endif /* QMIG_SCHEMA_H */
