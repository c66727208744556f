/*
 * json.c - configurations to and from JSON documents; see qmig/json.h.
 *
 * jansson does the lexing and parsing (with duplicate keys rejected
 * and its own nesting limit); this file walks the tree and sets the
 * configuration through the typed setters of config.c, so that JSON and
 * C callers get the same checks.  Error messages start with the JSON
 * path of the offending member.
 */
#include "internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* --- parsing ----------------------------------------------------------- */

/* The flags of every parse: duplicate keys are an error, not "last wins". */
#define PARSE_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

static bool only_whitespace(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!strchr(" \t\r\n", text[i])) {
            return false;
        }
    }
    return true;
}

/*
 * jansson stops at a NUL byte and then blames the "end of file"; find
 * it first to say what is really there.  Lines and columns count from 1.
 */
static bool reject_nul(const char *text, size_t len, QmigError **errp)
{
    const char *nul = memchr(text, '\0', len);
    if (!nul) {
        return true;
    }
    size_t line = 1, column = 1;
    for (const char *p = text; p < nul; p++) {
        if (*p == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    qmig_error_setg(errp, "invalid JSON at line %zu, column %zu: NUL byte",
                    line, column);
    return false;
}

static json_t *parse(const char *text, size_t len, QmigError **errp)
{
    if (!text) {
        if (len) {
            qmig_error_setg(errp, "no JSON text");
            return NULL;
        }
        text = "";
    }
    if (!reject_nul(text, len, errp)) {
        return NULL;
    }
    if (only_whitespace(text, len)) {
        qmig_error_setg(errp, "empty JSON document");
        return NULL;
    }
    json_error_t e;
    json_t *root = json_loadb(text, len, PARSE_FLAGS, &e);
    if (!root) {
        /* Covers malformed text, bad UTF-8, numbers jansson cannot hold
         * and nesting beyond its depth limit. */
        qmig_error_setg(errp, "invalid JSON at line %d, column %d: %s", e.line,
                        e.column, e.text);
    }
    return root;
}

char *qmig__json_canonical(const char *text, QmigError **errp)
{
    json_t *value = parse(text, strlen(text), errp);
    if (!value) {
        return NULL;
    }
    /* Compact, in the original member order, so equal text = equal value. */
    char *s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(value);
    if (!s) {
        qmig_error_setg(errp, "out of memory");
    }
    return s;
}

/* --- decoding ---------------------------------------------------------- */

static const char *json_type_desc(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

static bool type_error(const char *expected, const json_t *got,
                       QmigError **errp)
{
    qmig_error_setg(errp, "expected %s, got %s", expected,
                    json_type_desc(got));
    return false;
}

static bool decode_str_list(void *config, const QmigParamDesc *desc,
                            const json_t *value, QmigError **errp)
{
    if (!json_is_array(value)) {
        return type_error("array of strings", value, errp);
    }
    size_t n = json_array_size(value);
    QmigStrList list = {calloc(n ? n : 1, sizeof(char *)), 0};
    if (!list.items) {
        qmig_error_setg(errp, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(value, i);
        if (!json_is_string(item)) {
            qmig_error_setg(errp, "[%zu]: expected string, got %s", i,
                            json_type_desc(item));
            qmig__str_list_free(&list);
            return false;
        }
        list.items[i] = strdup(json_string_value(item));
        if (!list.items[i]) {
            qmig_error_setg(errp, "out of memory");
            qmig__str_list_free(&list);
            return false;
        }
        list.len = i + 1;
    }
    qmig__set_str_list(config, desc, &list);
    return true;
}

static bool decode_uint(void *config, const QmigParamDesc *desc,
                        const json_t *value, QmigError **errp)
{
    if (!json_is_integer(value)) {
        return type_error("integer", value, errp);
    }
    json_int_t v = json_integer_value(value);
    if (v < 0) {
        /* An input error, never a wrap-around to a huge value. */
        uint64_t max = desc->type_max ? desc->type_max : UINT64_MAX;
        qmig_error_setg(errp,
                        "value %" PRId64 " is negative; expected an unsigned "
                        "integer in [0, %" PRIu64 "]",
                        (int64_t)v, max);
        return false;
    }
    return qmig__set_uint(config, desc, (uint64_t)v, errp);
}

/*
 * Decode one parameter value.  Errors carry only the part of the path
 * below the parameter ("[2]: ..." for list items, else nothing); the
 * caller prefixes "parameters.NAME".
 */
static bool decode_value(void *config, const QmigParamDesc *desc,
                         const json_t *value, QmigError **errp)
{
    switch (desc->type) {
    case QMIG_VALUE_BOOL:
        if (!json_is_boolean(value)) {
            return type_error("boolean", value, errp);
        }
        return qmig__set_bool(config, desc, json_is_true(value), errp);
    case QMIG_VALUE_INT:
        if (!json_is_integer(value)) {
            return type_error("integer", value, errp);
        }
        return qmig__set_int(config, desc, json_integer_value(value), errp);
    case QMIG_VALUE_UINT:
        return decode_uint(config, desc, value, errp);
    case QMIG_VALUE_ENUM:
        if (!json_is_string(value)) {
            return type_error("string", value, errp);
        }
        return qmig__set_enum(config, desc, json_string_value(value), errp);
    case QMIG_VALUE_STR:
        if (!json_is_string(value)) {
            return type_error("string", value, errp);
        }
        return qmig__set_str(config, desc, json_string_value(value), errp);
    case QMIG_VALUE_STR_OR_NULL:
        if (!json_is_string(value) && !json_is_null(value)) {
            return type_error("string or null", value, errp);
        }
        return qmig__set_str(config, desc, json_string_value(value), errp);
    case QMIG_VALUE_STR_LIST:
        return decode_str_list(config, desc, value, errp);
    case QMIG_VALUE_JSON: {
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) {
            qmig_error_setg(errp, "out of memory");
            return false;
        }
        qmig__set_json_owned(config, desc, text);
        return true;
    }
    }
    qmig_error_setg(errp, "parameter of unknown type %d", (int)desc->type);
    return false;
}

static bool decode_parameters(void *config, const json_t *params,
                              QmigError **errp)
{
    const QmigSchemaDesc *schema = ((QmigConfigHeader *)config)->schema;
    const char *key;
    json_t *value;
    if (!json_is_object(params)) {
        type_error("object", params, errp);
        qmig_error_prepend(errp, "parameters: ");
        return false;
    }
    json_object_foreach((json_t *)params, key, value) {
        int i = qmig_schema_find_param(schema, key);
        if (i < 0) {
            qmig_error_setg(errp, "parameters.%s: unknown parameter", key);
            return false;
        }
        QmigError *err = NULL;
        if (!decode_value(config, &schema->params[i], value, &err)) {
            /* List item errors already start with "[N]". */
            bool item = *qmig_error_message(err) == '[';
            qmig_error_prepend(&err, item ? "parameters.%s" : "parameters.%s: ",
                               key);
            qmig_error_propagate(errp, err);
            return false;
        }
    }
    return true;
}

static bool set_cap(void *config, const char *name, bool state,
                    QmigError **errp)
{
    QmigConfigHeader *header = config;
    int i = qmig_schema_find_cap(header->schema, name);
    if (i < 0) {
        qmig_error_setg(errp, "unknown capability '%s'", name);
        return false;
    }
    if (state) {
        qmig_capset_add(&header->caps, (unsigned)i);
    } else {
        qmig_capset_remove(&header->caps, (unsigned)i);
    }
    return true;
}

/* One { "capability": NAME, "state": BOOL } of the list form. */
static bool decode_cap_entry(void *config, const json_t *entry, size_t i,
                             QmigError **errp)
{
    const char *key;
    json_t *value;
    if (!json_is_object(entry)) {
        type_error("object", entry, errp);
        qmig_error_prepend(errp, "capabilities[%zu]: ", i);
        return false;
    }
    json_object_foreach((json_t *)entry, key, value) {
        if (strcmp(key, "capability") != 0 && strcmp(key, "state") != 0) {
            qmig_error_setg(errp,
                            "capabilities[%zu]: unknown member '%s' "
                            "(expected 'capability' and 'state')",
                            i, key);
            return false;
        }
    }
    const json_t *name = json_object_get(entry, "capability");
    const json_t *state = json_object_get(entry, "state");
    if (!name || !state) {
        qmig_error_setg(errp, "capabilities[%zu]: missing member '%s'", i,
                        name ? "state" : "capability");
        return false;
    }
    if (!json_is_string(name)) {
        type_error("string", name, errp);
        qmig_error_prepend(errp, "capabilities[%zu].capability: ", i);
        return false;
    }
    if (!json_is_boolean(state)) {
        type_error("boolean", state, errp);
        qmig_error_prepend(errp, "capabilities[%zu].state: ", i);
        return false;
    }
    if (!set_cap(config, json_string_value(name), json_is_true(state),
                 errp)) {
        qmig_error_prepend(errp, "capabilities[%zu].capability: ", i);
        return false;
    }
    return true;
}

static bool decode_capabilities(void *config, const json_t *caps,
                                QmigError **errp)
{
    if (json_is_array(caps)) {
        size_t i;
        json_t *entry;
        json_array_foreach((json_t *)caps, i, entry) {
            if (!decode_cap_entry(config, entry, i, errp)) {
                return false;
            }
        }
        return true;
    }
    if (json_is_object(caps)) {
        const char *key;
        json_t *state;
        json_object_foreach((json_t *)caps, key, state) {
            if (!json_is_boolean(state)) {
                type_error("boolean", state, errp);
                qmig_error_prepend(errp, "capabilities.%s: ", key);
                return false;
            }
            if (!set_cap(config, key, json_is_true(state), errp)) {
                qmig_error_prepend(errp, "capabilities.%s: ", key);
                return false;
            }
        }
        return true;
    }
    type_error("array or object", caps, errp);
    qmig_error_prepend(errp, "capabilities: ");
    return false;
}

static bool decode_transport(void *config, const json_t *value,
                             QmigError **errp)
{
    QmigConfigHeader *header = config;
    if (!json_is_string(value)) {
        type_error("string", value, errp);
        qmig_error_prepend(errp, "transport: ");
        return false;
    }
    if (!qmig_transport_parse(json_string_value(value), &header->transport)) {
        qmig_error_setg(errp,
                        "transport: unknown transport '%s' (expected one of: "
                        "tcp, unix, vsock, fd, exec, rdma, file)",
                        json_string_value(value));
        return false;
    }
    header->has_transport = true;
    return true;
}

static bool decode_side(void *config, const json_t *value, QmigError **errp)
{
    QmigConfigHeader *header = config;
    QmigSide side;
    if (!json_is_string(value)) {
        type_error("string", value, errp);
        qmig_error_prepend(errp, "side: ");
        return false;
    }
    /* A configuration is for one side: "both" and "match" are not sides. */
    if (!qmig_side_parse(json_string_value(value), &side) ||
        (side != QMIG_SIDE_SOURCE && side != QMIG_SIDE_DESTINATION)) {
        qmig_error_setg(errp,
                        "side: unknown side '%s' (expected 'source' or "
                        "'destination')",
                        json_string_value(value));
        return false;
    }
    header->side = side;
    header->has_side = true;
    return true;
}

bool qmig_config_from_json(void *config, const char *text, size_t len,
                           QmigError **errp)
{
    if (!config || !((QmigConfigHeader *)config)->schema) {
        qmig_error_setg(errp, "configuration not initialised");
        return false;
    }
    json_t *root = parse(text, len, errp);
    if (!root) {
        return false;
    }
    bool ok = qmig__config_from_value(config, root, errp);
    json_decref(root);
    return ok;
}

bool qmig__config_from_value(void *config, json_t *root,
                             QmigError **errp)
{
    if (!json_is_object(root)) {
        qmig_error_setg(errp, "expected a JSON object, got %s",
                        json_type_desc(root));
        return false;
    }
    bool ok = true;
    const char *key;
    json_t *value;
    /* Members in document order, so the first error is the first one. */
    json_object_foreach(root, key, value) {
        if (strcmp(key, "capabilities") == 0) {
            ok = decode_capabilities(config, value, errp);
        } else if (strcmp(key, "parameters") == 0) {
            ok = decode_parameters(config, value, errp);
        } else if (strcmp(key, "transport") == 0) {
            ok = decode_transport(config, value, errp);
        } else if (strcmp(key, "side") == 0) {
            ok = decode_side(config, value, errp);
        } else {
            qmig_error_setg(errp,
                            "unknown top-level key '%s' (expected "
                            "capabilities, parameters, transport or side)",
                            key);
            ok = false;
        }
        if (!ok) {
            break;
        }
    }
    return ok;
}

/* --- encoding ---------------------------------------------------------- */

/*
 * jansson's *_set_new and *_append_new take the value even when they
 * fail (and fail on a NULL value), so each addition is one test and
 * never leaks.
 */

static json_t *encode_capabilities(const void *config)
{
    const QmigConfigHeader *header = config;
    const QmigSchemaDesc *schema = header->schema;
    json_t *list = json_array();
    for (unsigned i = 0; list && schema->caps && i < schema->n_caps; i++) {
        json_t *entry = json_object();
        if (json_object_set_new(entry, "capability",
                                json_string(schema->caps[i].name)) ||
            json_object_set_new(
                entry, "state",
                json_boolean(qmig_capset_has(&header->caps, i))) ||
            json_array_append_new(list, entry)) {
            json_decref(entry);
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *encode_str_list(const QmigStrList *list, QmigError **errp)
{
    json_t *array = json_array();
    for (size_t i = 0; array && list && i < list->len; i++) {
        json_t *s = list->items ? json_string(list->items[i]) : NULL;
        if (!s) {
            qmig_error_setg(errp, "[%zu]: not a valid UTF-8 string", i);
            json_decref(array);
            return NULL;
        }
        if (json_array_append_new(array, s)) {
            json_decref(array);
            array = NULL;
        }
    }
    if (!array) {
        qmig_error_setg(errp, "out of memory");
    }
    return array;
}

/* The effective value of parameter @i as JSON; NULL with an error. */
static json_t *encode_value(const void *config, unsigned i, QmigError **errp)
{
    const QmigParamDesc *desc = qmig__param(config, i);
    json_t *v = NULL;
    switch (desc->type) {
    case QMIG_VALUE_BOOL:
        v = json_boolean(qmig_config_effective_bool(config, i));
        break;
    case QMIG_VALUE_INT:
        v = json_integer(qmig_config_effective_int(config, i));
        break;
    case QMIG_VALUE_UINT: {
        uint64_t u = qmig_config_effective_uint(config, i);
        /* jansson integers are signed 64-bit. */
        if (u > INT64_MAX) {
            qmig_error_setg(errp,
                            "value %" PRIu64 " exceeds the JSON integer "
                            "range (at most %" PRId64 ")",
                            u, INT64_MAX);
            return NULL;
        }
        v = json_integer((json_int_t)u);
        break;
    }
    case QMIG_VALUE_ENUM: {
        const char *name = qmig_config_get_enum(config, i);
        if (!name) {
            qmig_error_setg(errp, "invalid enum value %d",
                            qmig_config_effective_enum(config, i));
            return NULL;
        }
        v = json_string(name);
        break;
    }
    case QMIG_VALUE_STR:
    case QMIG_VALUE_STR_OR_NULL: {
        const char *s = qmig__effective_str(config, desc);
        v = json_string(s ? s : "");
        if (!v) {
            qmig_error_setg(errp, "not a valid UTF-8 string");
            return NULL;
        }
        break;
    }
    case QMIG_VALUE_STR_LIST:
        return encode_str_list(*qmig__present_ptr(config, desc)
                                   ? qmig__value_ptr(config, desc)
                                   : NULL,
                               errp);
    case QMIG_VALUE_JSON: {
        const char *s = qmig__effective_str(config, desc);
        json_error_t e;
        v = json_loads(s ? s : "null", PARSE_FLAGS, &e);
        if (!v) {
            qmig_error_setg(errp, "stored value is not valid JSON: %s",
                            e.text);
            return NULL;
        }
        break;
    }
    }
    if (!v) {
        qmig_error_setg(errp, "out of memory");
    }
    return v;
}

static json_t *encode_parameters(const void *config, bool with_defaults,
                                 QmigError **errp)
{
    const QmigSchemaDesc *schema = ((const QmigConfigHeader *)config)->schema;
    json_t *params = json_object();
    if (!params) {
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    for (unsigned i = 0; schema->params && i < schema->n_params; i++) {
        const QmigParamDesc *desc = &schema->params[i];
        bool present = *qmig__present_ptr(config, desc);
        if (!present && !(with_defaults && desc->has_default)) {
            continue;
        }
        QmigError *err = NULL;
        json_t *v = encode_value(config, i, &err);
        if (!v) {
            bool item = *qmig_error_message(err) == '[';
            qmig_error_prepend(&err, item ? "parameters.%s" : "parameters.%s: ",
                               desc->name);
            qmig_error_propagate(errp, err);
            json_decref(params);
            return NULL;
        }
        if (json_object_set_new(params, desc->name, v)) {
            qmig_error_setg(errp, "out of memory");
            json_decref(params);
            return NULL;
        }
    }
    return params;
}

/* Dump @root (consumed) as the caller-owned text of the API. */
static char *dump(json_t *root, QmigError **errp)
{
    char *s = json_dumps(root, 0);
    json_decref(root);
    if (!s) {
        qmig_error_setg(errp, "out of memory");
    }
    return s;
}

char *qmig_config_to_json(const void *config, bool with_defaults,
                          QmigError **errp)
{
    json_t *root = qmig__config_to_value(config, with_defaults, errp);
    return root ? dump(root, errp) : NULL;
}

json_t *qmig__config_to_value(const void *config, bool with_defaults,
                              QmigError **errp)
{
    const QmigConfigHeader *header = config;
    if (!header || !header->schema) {
        qmig_error_setg(errp, "configuration not initialised");
        return NULL;
    }
    const char *transport =
        header->has_transport ? qmig_transport_name(header->transport) : NULL;
    if (header->has_transport && !transport) {
        qmig_error_setg(errp, "transport: invalid value %d",
                        (int)header->transport);
        return NULL;
    }
    const char *side = header->has_side ? qmig_side_name(header->side) : NULL;
    if (header->has_side && header->side != QMIG_SIDE_SOURCE &&
        header->side != QMIG_SIDE_DESTINATION) {
        qmig_error_setg(errp, "side: invalid value %d", (int)header->side);
        return NULL;
    }
    json_t *params = encode_parameters(config, with_defaults, errp);
    if (!params) {
        return NULL;
    }
    json_t *root = json_object();
    /* Capabilities first: they come first in the document. */
    if (json_object_set_new(root, "capabilities",
                            encode_capabilities(config))) {
        json_decref(params);
        json_decref(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    if (json_object_set_new(root, "parameters", params) ||
        (transport &&
         json_object_set_new(root, "transport", json_string(transport))) ||
        (side && json_object_set_new(root, "side", json_string(side)))) {
        json_decref(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    return root;
}

static json_t *encode_violation(const QmigRuleDesc *rule)
{
    json_t *entry = json_object();
    json_t *names = json_array();
    for (unsigned i = 0; names && rule->names && i < rule->n_names; i++) {
        if (json_array_append_new(names, json_string(rule->names[i]))) {
            json_decref(names);
            names = NULL;
        }
    }
    if (json_object_set_new(entry, "rule",
                            json_string(rule->id ? rule->id : "")) ||
        json_object_set_new(entry, "names", names) ||
        json_object_set_new(entry, "message",
                            json_string(rule->message ? rule->message : ""))) {
        json_decref(entry);
        return NULL;
    }
    return entry;
}

char *qmig_violations_to_json(const QmigViolations *violations,
                              QmigError **errp)
{
    if (!violations) {
        qmig_error_setg(errp, "no violations given");
        return NULL;
    }
    unsigned count = violations->count < QMIG_VIOLATIONS_MAX
                         ? violations->count
                         : QMIG_VIOLATIONS_MAX;
    json_t *root = json_object();
    json_t *list = json_array();
    for (unsigned i = 0; list && i < count; i++) {
        if (!violations->items[i]) {
            continue; /* a slot the caller never filled */
        }
        if (json_array_append_new(list,
                                  encode_violation(violations->items[i]))) {
            json_decref(list);
            list = NULL;
        }
    }
    if (json_object_set_new(root, "valid", json_boolean(count == 0))) {
        json_decref(list); /* not handed over yet */
        json_decref(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    if (json_object_set_new(root, "violations", list)) {
        json_decref(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    return dump(root, errp);
}
