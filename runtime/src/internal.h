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
 * as jansson values, for the handshake, which would otherwise print and
 * parse them again.  to_value returns a new reference; from_value
 * borrows @root.
 */
struct json_t;
struct json_t *qmig__config_to_value(const void *config, bool with_defaults,
                                     QmigError **errp);
bool qmig__config_from_value(void *config, struct json_t *root,
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

#endif /* QMIG_INTERNAL_H */
