/*
 * bitmapmap.c - QEMU's checks of the block-bitmap-mapping parameter.
 *
 * The parameter is a list of BitmapMigrationNodeAlias.  QEMU rejects a
 * value in two steps, and so does this file, with the same texts:
 *
 * 1. its QMP input visitor checks the structure: JSON types, missing
 *    and unexpected members, in the order of the schema's members
 *    (qapi/qobject-input-visitor.c);
 * 2. migrate_params_check() runs check_dirty_bitmap_mig_alias_map()
 *    (migration/block-dirty-bitmap.c): well-formed, short enough and
 *    unique node aliases, node names and bitmap names, each direction
 *    of the mapping in turn, with the prefix "Invalid mapping given
 *    for block-bitmap-mapping: ".
 *
 * The metadata language states conditions over capabilities and scalar
 * parameters; it cannot say "unique within this list", so these checks
 * are code.  The member tables below mirror the schema's structs.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"

/* sizeof(BlockDriverState.node_name) - 1, BDRV_BITMAP_MAX_NAME_SIZE. */
#define NODE_NAME_MAX 31u
#define ALIAS_MAX 255u
#define BITMAP_NAME_MAX 1023u

typedef enum MemberKind { MEMBER_STR, MEMBER_BOOL, MEMBER_LIST, MEMBER_OBJ }
    MemberKind;

typedef struct StructDesc StructDesc;

typedef struct MemberDesc {
    const char *name;
    MemberKind kind;
    bool optional;
    const StructDesc *element; /* LIST: of these structs; OBJ: this one */
} MemberDesc;

struct StructDesc {
    const MemberDesc *members;
    unsigned n_members;
};

static const MemberDesc transform_members[] = {
    { "persistent", MEMBER_BOOL, true, NULL },
};
static const StructDesc transform_desc = { transform_members, 1 };

static const MemberDesc bitmap_members[] = {
    { "name", MEMBER_STR, false, NULL },
    { "alias", MEMBER_STR, false, NULL },
    { "transform", MEMBER_OBJ, true, &transform_desc },
};
static const StructDesc bitmap_desc = { bitmap_members, 3 };

static const MemberDesc node_members[] = {
    { "node-name", MEMBER_STR, false, NULL },
    { "alias", MEMBER_STR, false, NULL },
    { "bitmaps", MEMBER_LIST, false, &bitmap_desc },
};
static const StructDesc node_desc = { node_members, 3 };

static bool check_struct(const char *path, json_object *value,
                         const StructDesc *desc, QmigError **errp);

static bool check_list(const char *path, json_object *value,
                       const StructDesc *element, QmigError **errp)
{
    if (!json_object_is_type(value, json_type_array)) {
        qmig_error_setg(errp,
                        "Invalid parameter type for '%s', expected: array",
                        path);
        return false;
    }
    size_t n = json_object_array_length(value);
    for (size_t i = 0; i < n; i++) {
        char item[512];
        snprintf(item, sizeof(item), "%s[%zu]", path, i);
        if (!check_struct(item, json_object_array_get_idx(value, i), element,
                          errp)) {
            return false;
        }
    }
    return true;
}

static bool check_member(const char *path, json_object *value,
                         const MemberDesc *member, QmigError **errp)
{
    switch (member->kind) {
    case MEMBER_STR:
        if (json_object_is_type(value, json_type_string)) {
            return true;
        }
        qmig_error_setg(errp,
                        "Invalid parameter type for '%s', expected: string",
                        path);
        return false;
    case MEMBER_BOOL:
        if (json_object_is_type(value, json_type_boolean)) {
            return true;
        }
        qmig_error_setg(errp,
                        "Invalid parameter type for '%s', expected: boolean",
                        path);
        return false;
    case MEMBER_LIST:
        return check_list(path, value, member->element, errp);
    case MEMBER_OBJ:
        return check_struct(path, value, member->element, errp);
    }
    return false;
}

static const MemberDesc *find_member(const StructDesc *desc, const char *key)
{
    for (unsigned i = 0; i < desc->n_members; i++) {
        if (!strcmp(desc->members[i].name, key)) {
            return &desc->members[i];
        }
    }
    return NULL;
}

/* Members in schema order, then the first unexpected one, as QEMU. */
static bool check_struct(const char *path, json_object *value,
                         const StructDesc *desc, QmigError **errp)
{
    if (!json_object_is_type(value, json_type_object)) {
        qmig_error_setg(errp,
                        "Invalid parameter type for '%s', expected: object",
                        path);
        return false;
    }
    for (unsigned i = 0; i < desc->n_members; i++) {
        const MemberDesc *member = &desc->members[i];
        char sub[512];
        json_object *child;
        snprintf(sub, sizeof(sub), "%s.%s", path, member->name);
        if (!json_object_object_get_ex(value, member->name, &child)) {
            if (member->optional) {
                continue;
            }
            qmig_error_setg(errp, "Parameter '%s' is missing", sub);
            return false;
        }
        if (!check_member(sub, child, member, errp)) {
            return false;
        }
    }
    json_object_object_foreach(value, key, child)
    {
        (void)child;
        if (!find_member(desc, key)) {
            qmig_error_setg(errp, "Parameter '%s.%s' is unexpected", path,
                            key);
            return false;
        }
    }
    return true;
}

/* util/id.c id_wellformed(): a letter, then letters, digits, "-._". */
static bool id_wellformed(const char *id)
{
    if (!isalpha((unsigned char)id[0])) {
        return false;
    }
    for (size_t i = 1; id[i]; i++) {
        if (!isalnum((unsigned char)id[i]) && !strchr("-._", id[i])) {
            return false;
        }
    }
    return true;
}

static const char *member_str(json_object *obj, const char *name)
{
    json_object *child = NULL;
    json_object_object_get_ex(obj, name, &child);
    return json_object_get_string(child);
}

/* The index of the first earlier item whose @key equals item @i's. */
static bool seen_before(json_object *list, size_t i, const char *key)
{
    const char *value = member_str(json_object_array_get_idx(list, i), key);
    for (size_t j = 0; j < i; j++) {
        if (!strcmp(member_str(json_object_array_get_idx(list, j), key),
                    value)) {
            return true;
        }
    }
    return false;
}

#define PREFIX "Invalid mapping given for block-bitmap-mapping: "

/* One direction of construct_alias_map(): name to alias, or back. */
static bool check_direction(json_object *map, bool name_to_alias,
                            QmigError **errp)
{
    size_t n = json_object_array_length(map);
    for (size_t i = 0; i < n; i++) {
        json_object *node = json_object_array_get_idx(map, i);
        const char *node_name = member_str(node, "node-name");
        const char *alias = member_str(node, "alias");
        if (!id_wellformed(alias)) {
            qmig_error_setg(errp, PREFIX "The node alias '%s' is not "
                            "well-formed", alias);
            return false;
        }
        if (strlen(alias) > ALIAS_MAX) {
            qmig_error_setg(errp, PREFIX "The node alias '%s' is longer than "
                            "%u bytes", alias, ALIAS_MAX);
            return false;
        }
        if (strlen(node_name) > NODE_NAME_MAX) {
            qmig_error_setg(errp, PREFIX "The node name '%s' is longer than "
                            "%u bytes", node_name, NODE_NAME_MAX);
            return false;
        }
        if (name_to_alias && seen_before(map, i, "node-name")) {
            qmig_error_setg(errp, PREFIX "The node name '%s' is mapped twice",
                            node_name);
            return false;
        }
        if (!name_to_alias && seen_before(map, i, "alias")) {
            qmig_error_setg(errp, PREFIX "The node alias '%s' is used twice",
                            alias);
            return false;
        }
        json_object *bitmaps = NULL;
        json_object_object_get_ex(node, "bitmaps", &bitmaps);
        size_t m = json_object_array_length(bitmaps);
        for (size_t k = 0; k < m; k++) {
            json_object *bitmap = json_object_array_get_idx(bitmaps, k);
            const char *name = member_str(bitmap, "name");
            const char *balias = member_str(bitmap, "alias");
            if (strlen(balias) > ALIAS_MAX) {
                qmig_error_setg(errp, PREFIX "The bitmap alias '%s' is longer "
                                "than %u bytes", balias, ALIAS_MAX);
                return false;
            }
            if (strlen(name) > BITMAP_NAME_MAX) {
                qmig_error_setg(errp, PREFIX "The bitmap name '%s' is longer "
                                "than %u bytes", name, BITMAP_NAME_MAX);
                return false;
            }
            if (name_to_alias && seen_before(bitmaps, k, "name")) {
                qmig_error_setg(errp, PREFIX "The bitmap '%s'/'%s' is mapped "
                                "twice", node_name, name);
                return false;
            }
            if (!name_to_alias && seen_before(bitmaps, k, "alias")) {
                qmig_error_setg(errp, PREFIX "The bitmap alias '%s'/'%s' is "
                                "used twice", alias, balias);
                return false;
            }
        }
    }
    return true;
}

bool qmig__check_block_bitmap_mapping(const char *name, json_object *value,
                                      QmigError **errp)
{
    return check_list(name, value, &node_desc, errp) &&
           check_direction(value, true, errp) &&
           check_direction(value, false, errp);
}
