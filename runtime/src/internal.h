/*
 * internal.h - what the sources of libqmig share and do not export.
 *
 * Every source includes this header first.  The library is built with
 * -fvisibility=hidden; the pragma below gives the public declarations
 * default visibility, so that exactly the functions of the public
 * headers are exported (libqmig.map then pins them to a version node).
 * Internal helpers are prefixed qmig__ and stay hidden.
 */
#ifndef QMIG_INTERNAL_H
#define QMIG_INTERNAL_H

#pragma GCC visibility push(default)
#include "qmig/qmig.h"
#pragma GCC visibility pop

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- configuration memory (config.c) ----------------------------------- */

/* The descriptor of parameter @param of @config, or NULL if invalid. */
const QmigParamDesc *qmig__param(const void *config, unsigned param);

/* Where a parameter's value and its present flag live in @config. */
static inline void *qmig__value_ptr(const void *config,
                                    const QmigParamDesc *desc)
{
    return (char *)config + desc->offset;
}

static inline bool *qmig__present_ptr(const void *config,
                                      const QmigParamDesc *desc)
{
    return (bool *)((char *)config + desc->present_offset);
}

/* Whether the parameter has a value: present, or absent with a default. */
bool qmig__has_value(const void *config, const QmigParamDesc *desc);

/* The effective string of STR, STR_OR_NULL and JSON (may be NULL). */
const char *qmig__effective_str(const void *config,
                                const QmigParamDesc *desc);

/*
 * The JSON documents of qmig_config_to_json() and qmig_config_from_json()
 * as json-c values, for the handshake, which would otherwise print and
 * parse them again.  to_value returns a new reference; from_value
 * borrows @root.
 */
struct json_object;
struct json_object *qmig__config_to_value(const void *config,
                                          bool with_defaults,
                                          QmigError **errp);
bool qmig__config_from_value(void *config, struct json_object *root,
                             QmigError **errp);

/* Write the QMIG_HS_FRAME_HEADER_SIZE-byte frame header at @out. */
void qmig__hs_frame_header(uint8_t *out, uint16_t version, uint16_t type,
                           uint32_t len);

/* "boolean", "integer", ... as used in messages. */
const char *qmig__type_name(QmigValueType type);

/*
 * Setters without the parameter's name in their messages ("value 300
 * is out of range [0, 255]"): the public setters prefix "parameter
 * 'NAME': ", the JSON decoder prefixes the JSON path.
 */
bool qmig__set_bool(void *config, const QmigParamDesc *desc, bool value,
                    QmigError **errp);
bool qmig__set_int(void *config, const QmigParamDesc *desc, int64_t value,
                   QmigError **errp);
bool qmig__set_uint(void *config, const QmigParamDesc *desc, uint64_t value,
                    QmigError **errp);
bool qmig__set_enum(void *config, const QmigParamDesc *desc,
                    const char *value, QmigError **errp);
bool qmig__set_str(void *config, const QmigParamDesc *desc,
                   const char *value, QmigError **errp);
/* STR_LIST: take ownership of @list (moved; *list is emptied). */
void qmig__set_str_list(void *config, const QmigParamDesc *desc,
                        QmigStrList *list);
/* JSON: store already-compact text, taking ownership of @text. */
void qmig__set_json_owned(void *config, const QmigParamDesc *desc,
                          char *text);

void qmig__str_list_free(QmigStrList *list);

/* --- JSON helpers (json.c) --------------------------------------------- */

/*
 * Parse @text as any JSON value and return it as compact text (malloc'd),
 * or NULL with an error.
 */
char *qmig__json_canonical(const char *text, QmigError **errp);

/*
 * Parse @len bytes as one JSON value (any type) into *out, a new
 * reference (NULL is JSON null); false with an error whose message
 * gives the line and column.  Strict json-c with UTF-8 validation and
 * the nesting limit of every qmig document; rejects NUL bytes, trailing
 * text, NaN, Infinity and numbers beyond a double, and strings holding
 * U+0000.  Duplicate keys are accepted, the last value winning.
 */
bool qmig__json_parse(const char *text, size_t len, struct json_object **out,
                      QmigError **errp);

/* The compact text of @v (NULL: "null"), owned by @v: no spaces, '/'
 * not escaped. */
const char *qmig__json_compact(struct json_object *v);

/*
 * Add @v to an object or an array, taking it; false when that fails or
 * @v is NULL (its allocation failed), and then @v is freed.  JSON null
 * (a NULL value) needs json_object_object_add() itself.
 */
bool qmig__json_add(struct json_object *obj, const char *key,
                    struct json_object *v);
bool qmig__json_append(struct json_object *array, struct json_object *v);

/*
 * QEMU's checks of a block-bitmap-mapping value @v (bitmapmap.c): its
 * structure as QEMU's QMP visitor checks it, then the aliases as
 * migrate_params_check() does, with QEMU's texts.  @name is the
 * parameter's name, the root of the paths in the messages.
 */
bool qmig__check_block_bitmap_mapping(const char *name,
                                      struct json_object *v,
                                      QmigError **errp);

#endif /* QMIG_INTERNAL_H */
