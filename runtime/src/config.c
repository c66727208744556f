/*
 * config.c - configurations handled through their descriptor tables:
 * initialisation and release, defaults, typed access, effective values,
 * the generic range check, and schema lookups.
 *
 * A configuration is the generated struct; this file only ever reaches
 * a parameter through its descriptor (offset, present_offset, type), so
 * every function works for every schema.
 */
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* --- schema lookups ---------------------------------------------------- */

int qmig_schema_find_cap(const QmigSchemaDesc *schema, const char *name)
{
    if (!schema || !schema->caps || !name) {
        return -1;
    }
    for (unsigned i = 0; i < schema->n_caps; i++) {
        /* The first byte rules out most names without a call. */
        const char *n = schema->caps[i].name;
        if (n && n[0] == name[0] && strcmp(n, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int qmig_schema_find_param(const QmigSchemaDesc *schema, const char *name)
{
    if (!schema || !schema->params || !name) {
        return -1;
    }
    for (unsigned i = 0; i < schema->n_params; i++) {
        const char *n = schema->params[i].name;
        if (n && n[0] == name[0] && strcmp(n, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int qmig_schema_find_rule(const QmigSchemaDesc *schema, const char *id)
{
    if (!schema || !schema->rules || !id) {
        return -1;
    }
    for (unsigned i = 0; i < schema->n_rules; i++) {
        if (schema->rules[i].id && strcmp(schema->rules[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* --- descriptors and storage ------------------------------------------- */

const QmigParamDesc *qmig__param(const void *config, unsigned param)
{
    const QmigSchemaDesc *schema =
        config ? ((const QmigConfigHeader *)config)->schema : NULL;
    if (!schema || !schema->params || param >= schema->n_params) {
        return NULL;
    }
    return &schema->params[param];
}

const char *qmig__type_name(QmigValueType type)
{
    switch (type) {
    case QMIG_VALUE_BOOL:
        return "boolean";
    case QMIG_VALUE_INT:
        return "integer";
    case QMIG_VALUE_UINT:
        return "unsigned integer";
    case QMIG_VALUE_ENUM:
        return "enumeration";
    case QMIG_VALUE_STR:
        return "string";
    case QMIG_VALUE_STR_OR_NULL:
        return "string or null";
    case QMIG_VALUE_STR_LIST:
        return "array of strings";
    case QMIG_VALUE_JSON:
        return "JSON value";
    }
    return "unknown type";
}

void qmig__str_list_free(QmigStrList *list)
{
    for (size_t i = 0; i < list->len; i++) {
        free(list->items[i]);
    }
    free(list->items);
    list->items = NULL;
    list->len = 0;
}

/* Free what the parameter's storage owns and zero it. */
static void release_value(void *config, const QmigParamDesc *desc)
{
    void *p = qmig__value_ptr(config, desc);
    switch (desc->type) {
    case QMIG_VALUE_BOOL:
        *(bool *)p = false;
        break;
    case QMIG_VALUE_INT:
        *(int64_t *)p = 0;
        break;
    case QMIG_VALUE_UINT:
        *(uint64_t *)p = 0;
        break;
    case QMIG_VALUE_ENUM:
        *(int *)p = 0;
        break;
    case QMIG_VALUE_STR:
    case QMIG_VALUE_STR_OR_NULL:
    case QMIG_VALUE_JSON:
        free(*(char **)p);
        *(char **)p = NULL;
        break;
    case QMIG_VALUE_STR_LIST:
        qmig__str_list_free(p);
        break;
    }
}

/* --- initialisation and defaults --------------------------------------- */

void qmig_config_init(const QmigSchemaDesc *schema, void *config)
{
    if (!schema || !config) {
        return;
    }
    /* Zero is the initial state of everything but these two. */
    memset(config, 0, schema->config_size);
    QmigConfigHeader *header = config;
    header->schema = schema;
    header->target_page_size = 4096;
}

/*
 * Parameters become absent and their memory is released; the header
 * (schema, capabilities, transport, side, host facts) is kept, so the
 * configuration can be filled again without qmig_config_init().
 */
void qmig_config_clear(void *config)
{
    const QmigSchemaDesc *schema =
        config ? ((QmigConfigHeader *)config)->schema : NULL;
    if (!schema || !schema->params) {
        return;
    }
    for (unsigned i = 0; i < schema->n_params; i++) {
        release_value(config, &schema->params[i]);
        *qmig__present_ptr(config, &schema->params[i]) = false;
    }
}

/* Store the default of an absent parameter; false only without memory. */
static bool store_default(void *config, const QmigParamDesc *desc)
{
    void *p = qmig__value_ptr(config, desc);
    switch (desc->type) {
    case QMIG_VALUE_BOOL:
        *(bool *)p = desc->default_bool;
        break;
    case QMIG_VALUE_INT:
        *(int64_t *)p = desc->default_int;
        break;
    case QMIG_VALUE_UINT:
        *(uint64_t *)p = desc->default_uint;
        break;
    case QMIG_VALUE_ENUM:
        *(int *)p = (int)desc->default_int;
        break;
    case QMIG_VALUE_STR:
    case QMIG_VALUE_STR_OR_NULL:
    case QMIG_VALUE_JSON: {
        /* A JSON default must be some JSON text: "null" if none given. */
        const char *def = desc->default_str
                              ? desc->default_str
                              : (desc->type == QMIG_VALUE_JSON ? "null" : "");
        char *copy = strdup(def);
        if (!copy) {
            return false;
        }
        *(char **)p = copy;
        break;
    }
    case QMIG_VALUE_STR_LIST:
        break; /* the default list is empty, and it was released empty */
    }
    return true;
}

void qmig_config_apply_defaults(void *config)
{
    const QmigSchemaDesc *schema =
        config ? ((QmigConfigHeader *)config)->schema : NULL;
    if (!schema || !schema->params) {
        return;
    }
    for (unsigned i = 0; i < schema->n_params; i++) {
        const QmigParamDesc *desc = &schema->params[i];
        bool *present = qmig__present_ptr(config, desc);
        if (*present || !desc->has_default) {
            continue;
        }
        /* Out of memory leaves it absent, which still reads the default. */
        release_value(config, desc);
        *present = store_default(config, desc);
    }
}

bool qmig_config_param_present(const void *config, unsigned param)
{
    const QmigParamDesc *desc = qmig__param(config, param);
    return desc && *qmig__present_ptr(config, desc);
}

bool qmig__has_value(const void *config, const QmigParamDesc *desc)
{
    return *qmig__present_ptr(config, desc) || desc->has_default;
}

/* --- setters ----------------------------------------------------------- */

static bool check_type(const QmigParamDesc *desc, QmigValueType want,
                       QmigError **errp)
{
    if (desc->type != want) {
        qmig_error_setg(errp, "has type %s, not %s",
                        qmig__type_name(desc->type), qmig__type_name(want));
        return false;
    }
    return true;
}

/*
 * A descriptor without a type range (both zero, which no QAPI integer
 * type has) is treated as the full range of its 64-bit storage, so
 * that a table that leaves it out does not reject every value.
 */
static bool has_type_range(const QmigParamDesc *desc)
{
    return desc->type_min != 0 || desc->type_max != 0;
}

static bool int_in_type(const QmigParamDesc *desc, int64_t value)
{
    if (!has_type_range(desc)) {
        return true;
    }
    return value >= desc->type_min &&
           (value < 0 || (uint64_t)value <= desc->type_max);
}

static bool uint_in_type(const QmigParamDesc *desc, uint64_t value)
{
    if (!has_type_range(desc)) {
        return true;
    }
    return value <= desc->type_max &&
           (desc->type_min <= 0 || value >= (uint64_t)desc->type_min);
}

static void mark_present(void *config, const QmigParamDesc *desc)
{
    *qmig__present_ptr(config, desc) = true;
}

bool qmig__set_bool(void *config, const QmigParamDesc *desc, bool value,
                    QmigError **errp)
{
    if (!check_type(desc, QMIG_VALUE_BOOL, errp)) {
        return false;
    }
    *(bool *)qmig__value_ptr(config, desc) = value;
    mark_present(config, desc);
    return true;
}

bool qmig__set_int(void *config, const QmigParamDesc *desc, int64_t value,
                   QmigError **errp)
{
    if (!check_type(desc, QMIG_VALUE_INT, errp)) {
        return false;
    }
    if (!int_in_type(desc, value)) {
        qmig_error_setg(errp,
                        "value %" PRId64 " is out of range [%" PRId64
                        ", %" PRIu64 "]",
                        value, desc->type_min, desc->type_max);
        return false;
    }
    *(int64_t *)qmig__value_ptr(config, desc) = value;
    mark_present(config, desc);
    return true;
}

bool qmig__set_uint(void *config, const QmigParamDesc *desc, uint64_t value,
                    QmigError **errp)
{
    if (!check_type(desc, QMIG_VALUE_UINT, errp)) {
        return false;
    }
    if (!uint_in_type(desc, value)) {
        qmig_error_setg(errp,
                        "value %" PRIu64 " is out of range [%" PRId64
                        ", %" PRIu64 "]",
                        value, desc->type_min, desc->type_max);
        return false;
    }
    *(uint64_t *)qmig__value_ptr(config, desc) = value;
    mark_present(config, desc);
    return true;
}

/* Enumerations this long or longer are not listed in messages. */
#define ENUM_LIST_MAX 12

static void enum_error(const QmigParamDesc *desc, const char *value,
                       QmigError **errp)
{
    if (desc->n_enum_values == 0 || desc->n_enum_values > ENUM_LIST_MAX) {
        qmig_error_setg(errp, "'%s' is not one of the %u values of the enum",
                        value, desc->n_enum_values);
        return;
    }
    /* Build "a, b, c" in two passes: measure, then copy. */
    size_t len = 1;
    for (unsigned i = 0; i < desc->n_enum_values; i++) {
        len += strlen(desc->enum_values[i]) + 2;
    }
    char *list = malloc(len);
    if (!list) {
        qmig_error_setg(errp, "'%s' is not a valid value", value);
        return;
    }
    char *end = list;
    for (unsigned i = 0; i < desc->n_enum_values; i++) {
        size_t n = strlen(desc->enum_values[i]);
        if (i) {
            memcpy(end, ", ", 2);
            end += 2;
        }
        memcpy(end, desc->enum_values[i], n);
        end += n;
    }
    *end = '\0';
    qmig_error_setg(errp, "'%s' is not a valid value (expected one of: %s)",
                    value, list);
    free(list);
}

bool qmig__set_enum(void *config, const QmigParamDesc *desc,
                    const char *value, QmigError **errp)
{
    if (!check_type(desc, QMIG_VALUE_ENUM, errp)) {
        return false;
    }
    if (!value) {
        qmig_error_setg(errp, "no value given");
        return false;
    }
    for (unsigned i = 0; i < desc->n_enum_values; i++) {
        if (strcmp(desc->enum_values[i], value) == 0) {
            *(int *)qmig__value_ptr(config, desc) = (int)i;
            mark_present(config, desc);
            return true;
        }
    }
    enum_error(desc, value, errp);
    return false;
}

/* Replace a string value, taking ownership of @s. */
static void store_str(void *config, const QmigParamDesc *desc, char *s)
{
    char **p = qmig__value_ptr(config, desc);
    free(*p);
    *p = s;
    mark_present(config, desc);
}

bool qmig__set_str(void *config, const QmigParamDesc *desc,
                   const char *value, QmigError **errp)
{
    char *copy;
    switch (desc->type) {
    case QMIG_VALUE_STR_OR_NULL:
        copy = strdup(value ? value : ""); /* null reads as "" */
        break;
    case QMIG_VALUE_STR:
        if (!value) {
            qmig_error_setg(errp, "null is not a valid string");
            return false;
        }
        copy = strdup(value);
        break;
    case QMIG_VALUE_JSON:
        if (!value) {
            qmig_error_setg(errp, "no JSON text given");
            return false;
        }
        copy = qmig__json_canonical(value, errp);
        if (!copy) {
            return false; /* the error says why */
        }
        break;
    default:
        qmig_error_setg(errp, "has type %s, not a string",
                        qmig__type_name(desc->type));
        return false;
    }
    if (!copy) {
        qmig_error_setg(errp, "out of memory");
        return false;
    }
    store_str(config, desc, copy);
    return true;
}

void qmig__set_json_owned(void *config, const QmigParamDesc *desc,
                          char *text)
{
    store_str(config, desc, text);
}

void qmig__set_str_list(void *config, const QmigParamDesc *desc,
                        QmigStrList *list)
{
    QmigStrList *p = qmig__value_ptr(config, desc);
    qmig__str_list_free(p);
    *p = *list;
    list->items = NULL;
    list->len = 0;
    mark_present(config, desc);
}

/*
 * The public setters: find the parameter, then prefix whatever error
 * the typed setter reports with the parameter's name.
 */
static const QmigParamDesc *find_for_set(const void *config, unsigned param,
                                         QmigError **errp)
{
    const QmigParamDesc *desc = qmig__param(config, param);
    if (!desc) {
        qmig_error_setg(errp, "no parameter #%u in the schema", param);
    }
    return desc;
}

static bool name_error(const QmigParamDesc *desc, QmigError *err,
                       QmigError **errp)
{
    qmig_error_prepend(&err, "parameter '%s': ", desc->name);
    qmig_error_propagate(errp, err);
    return false;
}

bool qmig_config_set_bool(void *config, unsigned param, bool value,
                          QmigError **errp)
{
    QmigError *err = NULL;
    const QmigParamDesc *desc = find_for_set(config, param, errp);
    if (!desc) {
        return false;
    }
    return qmig__set_bool(config, desc, value, &err) ||
           name_error(desc, err, errp);
}

bool qmig_config_set_int(void *config, unsigned param, int64_t value,
                         QmigError **errp)
{
    QmigError *err = NULL;
    const QmigParamDesc *desc = find_for_set(config, param, errp);
    if (!desc) {
        return false;
    }
    return qmig__set_int(config, desc, value, &err) ||
           name_error(desc, err, errp);
}

bool qmig_config_set_uint(void *config, unsigned param, uint64_t value,
                          QmigError **errp)
{
    QmigError *err = NULL;
    const QmigParamDesc *desc = find_for_set(config, param, errp);
    if (!desc) {
        return false;
    }
    return qmig__set_uint(config, desc, value, &err) ||
           name_error(desc, err, errp);
}

bool qmig_config_set_enum(void *config, unsigned param, const char *value,
                          QmigError **errp)
{
    QmigError *err = NULL;
    const QmigParamDesc *desc = find_for_set(config, param, errp);
    if (!desc) {
        return false;
    }
    return qmig__set_enum(config, desc, value, &err) ||
           name_error(desc, err, errp);
}

bool qmig_config_set_str(void *config, unsigned param, const char *value,
                         QmigError **errp)
{
    QmigError *err = NULL;
    const QmigParamDesc *desc = find_for_set(config, param, errp);
    if (!desc) {
        return false;
    }
    return qmig__set_str(config, desc, value, &err) ||
           name_error(desc, err, errp);
}

/* --- effective values and getters -------------------------------------- */

/*
 * The getters and the effective values are the same thing: the present
 * value, else the default, else zero.  A wrong index or type reads as
 * zero too rather than touching memory of another type.
 */

static const QmigParamDesc *typed(const void *config, unsigned param,
                                  QmigValueType type)
{
    const QmigParamDesc *desc = qmig__param(config, param);
    return desc && desc->type == type ? desc : NULL;
}

int64_t qmig_config_effective_int(const void *config, unsigned param)
{
    const QmigParamDesc *desc = typed(config, param, QMIG_VALUE_INT);
    if (!desc) {
        return 0;
    }
    if (*qmig__present_ptr(config, desc)) {
        return *(const int64_t *)qmig__value_ptr(config, desc);
    }
    return desc->has_default ? desc->default_int : 0;
}

uint64_t qmig_config_effective_uint(const void *config, unsigned param)
{
    const QmigParamDesc *desc = typed(config, param, QMIG_VALUE_UINT);
    if (!desc) {
        return 0;
    }
    if (*qmig__present_ptr(config, desc)) {
        return *(const uint64_t *)qmig__value_ptr(config, desc);
    }
    return desc->has_default ? desc->default_uint : 0;
}

bool qmig_config_effective_bool(const void *config, unsigned param)
{
    const QmigParamDesc *desc = typed(config, param, QMIG_VALUE_BOOL);
    if (!desc) {
        return false;
    }
    if (*qmig__present_ptr(config, desc)) {
        return *(const bool *)qmig__value_ptr(config, desc);
    }
    return desc->has_default && desc->default_bool;
}

/* -1 when absent without default: no enum value compares equal to it. */
int qmig_config_effective_enum(const void *config, unsigned param)
{
    const QmigParamDesc *desc = typed(config, param, QMIG_VALUE_ENUM);
    if (!desc) {
        return -1;
    }
    if (*qmig__present_ptr(config, desc)) {
        return *(const int *)qmig__value_ptr(config, desc);
    }
    return desc->has_default ? (int)desc->default_int : -1;
}

const char *qmig__effective_str(const void *config, const QmigParamDesc *desc)
{
    if (*qmig__present_ptr(config, desc)) {
        const char *s = *(char *const *)qmig__value_ptr(config, desc);
        /* Present without storage (filled by hand) reads as empty. */
        return s || desc->type == QMIG_VALUE_JSON ? s : "";
    }
    return desc->has_default ? desc->default_str : NULL;
}

bool qmig_config_effective_empty(const void *config, unsigned param)
{
    const QmigParamDesc *desc = qmig__param(config, param);
    if (!desc) {
        return true;
    }
    switch (desc->type) {
    case QMIG_VALUE_STR:
    case QMIG_VALUE_STR_OR_NULL:
    case QMIG_VALUE_JSON: {
        const char *s = qmig__effective_str(config, desc);
        return !s || !*s;
    }
    case QMIG_VALUE_STR_LIST:
        /* The default of a list is the empty list. */
        return !*qmig__present_ptr(config, desc) ||
               ((const QmigStrList *)qmig__value_ptr(config, desc))->len == 0;
    default:
        /* A scalar is "empty" only when it has no value at all. */
        return !qmig__has_value(config, desc);
    }
}

bool qmig_config_get_bool(const void *config, unsigned param)
{
    return qmig_config_effective_bool(config, param);
}

int64_t qmig_config_get_int(const void *config, unsigned param)
{
    return qmig_config_effective_int(config, param);
}

uint64_t qmig_config_get_uint(const void *config, unsigned param)
{
    return qmig_config_effective_uint(config, param);
}

const char *qmig_config_get_enum(const void *config, unsigned param)
{
    const QmigParamDesc *desc = typed(config, param, QMIG_VALUE_ENUM);
    int v = qmig_config_effective_enum(config, param);
    if (!desc || v < 0 || (unsigned)v >= desc->n_enum_values) {
        return NULL;
    }
    return desc->enum_values[v];
}

const char *qmig_config_get_str(const void *config, unsigned param)
{
    const QmigParamDesc *desc = qmig__param(config, param);
    if (!desc || (desc->type != QMIG_VALUE_STR &&
                  desc->type != QMIG_VALUE_STR_OR_NULL &&
                  desc->type != QMIG_VALUE_JSON)) {
        return NULL;
    }
    return qmig__effective_str(config, desc);
}

/* --- the generic range check ------------------------------------------- */

/*
 * A signed or unsigned 64-bit value, to compare INT and UINT parameters
 * with each other without overflow: sign and magnitude.
 */
typedef struct Num {
    bool neg;
    uint64_t mag;
} Num;

static Num num_from_int(int64_t v)
{
    /* -(v + 1) + 1 avoids negating INT64_MIN. */
    return v < 0 ? (Num){true, (uint64_t)(-(v + 1)) + 1}
                 : (Num){false, (uint64_t)v};
}

static Num num_from_uint(uint64_t v)
{
    return (Num){false, v};
}

static int num_cmp(Num a, Num b)
{
    if (a.neg != b.neg) {
        return a.neg ? -1 : 1;
    }
    int c = (a.mag > b.mag) - (a.mag < b.mag);
    return a.neg ? -c : c;
}

/* The effective value of a numeric parameter, false if it has none. */
static bool effective_num(const void *config, int param, Num *out)
{
    const QmigParamDesc *desc = param < 0 ? NULL
                                          : qmig__param(config, (unsigned)param);
    if (!desc || !qmig__has_value(config, desc)) {
        return false;
    }
    if (desc->type == QMIG_VALUE_INT) {
        *out = num_from_int(qmig_config_effective_int(config, (unsigned)param));
        return true;
    }
    if (desc->type == QMIG_VALUE_UINT) {
        *out =
            num_from_uint(qmig_config_effective_uint(config, (unsigned)param));
        return true;
    }
    return false;
}

/*
 * Literal bounds: all four zero means the table gives none (a range of
 * exactly [0, 0] is no real bound), otherwise the generator puts the
 * type range where only one side is bounded.
 */
static bool has_literal_bounds(const QmigParamDesc *desc)
{
    return desc->min != 0 || desc->max != 0 || desc->smin != 0 ||
           desc->smax != 0;
}

/* The checks INT and UINT share, on the value as a Num. */
static bool num_in_range(const void *config, const QmigParamDesc *desc, Num v)
{
    const QmigConfigHeader *header = config;
    Num bound;
    if (desc->min_page_size &&
        (v.neg || v.mag < header->target_page_size)) {
        return false;
    }
    if (desc->power_of_two && (v.neg || v.mag == 0 || (v.mag & (v.mag - 1)))) {
        return false;
    }
    /* A bounding parameter without any value bounds nothing. */
    if (effective_num(config, desc->min_param, &bound) &&
        num_cmp(v, bound) < 0) {
        return false;
    }
    if (effective_num(config, desc->max_param, &bound) &&
        num_cmp(v, bound) > 0) {
        return false;
    }
    return true;
}

static bool enum_allowed(const QmigParamDesc *desc, int v)
{
    if (v < 0 || (unsigned)v >= desc->n_enum_values) {
        return false;
    }
    if (desc->allowed_enum_mask == 0) {
        return true;
    }
    return v < 64 && (desc->allowed_enum_mask >> v & 1) != 0;
}

bool qmig_config_param_in_range(const void *config, unsigned param)
{
    const QmigParamDesc *desc = qmig__param(config, param);
    if (!desc) {
        return false;
    }
    /* Absent without default: there is no value to be out of range. */
    if (!qmig__has_value(config, desc)) {
        return true;
    }
    switch (desc->type) {
    case QMIG_VALUE_INT: {
        int64_t v = qmig_config_effective_int(config, param);
        if (!int_in_type(desc, v) ||
            (has_literal_bounds(desc) && (v < desc->smin || v > desc->smax))) {
            return false;
        }
        return num_in_range(config, desc, num_from_int(v));
    }
    case QMIG_VALUE_UINT: {
        uint64_t v = qmig_config_effective_uint(config, param);
        if (!uint_in_type(desc, v) ||
            (has_literal_bounds(desc) && (v < desc->min || v > desc->max))) {
            return false;
        }
        return num_in_range(config, desc, num_from_uint(v));
    }
    case QMIG_VALUE_ENUM:
        return enum_allowed(desc, qmig_config_effective_enum(config, param));
    default:
        return true;
    }
}
