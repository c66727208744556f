/*
 * qmp-schema.c - reading a QEMU binary's query-qmp-schema (json-c).
 *
 * See qmp-schema.h.  The document is kept; lookups go through an index
 * by SchemaInfo name.  Every step of the walks below checks the shape
 * it relies on, so a file that is not query-qmp-schema output is
 * reported with the place where it stops looking like one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "qmp-schema.h"

struct QmpSchema {
    struct json_object *root;    /* the parsed document; owns the rest */
    struct json_object *by_name; /* SchemaInfo name -> SchemaInfo */
    struct json_object *cap_enum;
    struct json_object *param_args;
    /* NULL when migrate has no 'channels' (QEMU before 8.2). */
    struct json_object *transport_enum;
    struct json_object *socket_type_enum;
    struct json_object *unix_address;
};

/* --- parsing ----------------------------------------------------------- */

/* Line and column (both from 1) of byte @offset of @text. */
static void position(const char *text, size_t offset, size_t *line,
                     size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

/* Strict json-c parse of @len bytes; trailing data is an error too. */
static struct json_object *parse_strict(const char *text, size_t len,
                                        enum json_tokener_error *jerr,
                                        size_t *end)
{
    /* libqmig's nesting limit, so that both parsers agree. */
    struct json_tokener *tok = json_tokener_new_ex(2048);
    if (!tok) {
        *jerr = json_tokener_error_size; /* reported as out of memory */
        *end = 0;
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    *jerr = json_tokener_get_error(tok);
    *end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    return root;
}

struct json_object *qmp_json_parse(const char *text, size_t len,
                                   const char *expected, QmigError **errp)
{
    size_t line, col;
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        position(text, (size_t)(nul - text), &line, &col);
        qmig_error_setg(errp, "invalid JSON at line %zu, column %zu: NUL byte "
                        "(JSON text cannot contain one)", line, col);
        return NULL;
    }
    size_t start = 0;
    while (start < len && strchr(" \t\r\n", text[start])) {
        start++;
    }
    if (start == len) {
        qmig_error_setg(errp, "empty file (expected %s)", expected);
        return NULL;
    }
    if (len > (size_t)INT32_MAX) {
        qmig_error_setg(errp, "file too large");
        return NULL;
    }
    enum json_tokener_error jerr;
    size_t end;
    struct json_object *root = parse_strict(text, len, &jerr, &end);
    if (!root && jerr == json_tokener_error_parse_unexpected && end > 0) {
        /* Strict mode rejects data after the value the same way. */
        size_t prefix_end;
        enum json_tokener_error prefix_err;
        struct json_object *first = parse_strict(text, end, &prefix_err,
                                                 &prefix_end);
        if (first) {
            json_object_put(first);
            position(text, end, &line, &col);
            qmig_error_setg(errp, "invalid JSON at line %zu, column %zu: "
                                  "data after the JSON value (give one "
                                  "reply, %s)",
                            line, col, expected);
            return NULL;
        }
    }
    if (!root && jerr == json_tokener_continue) {
        /*
         * A top-level number or literal ends only at the end of the
         * input, which json-c learns from a terminating NUL.
         */
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, text, len);
            copy[len] = '\0';
            root = parse_strict(copy, len + 1, &jerr, &end);
            free(copy);
        }
        if (!root && jerr == json_tokener_success) {
            qmig_error_setg(errp, "expected %s, got null", expected);
            return NULL;
        }
        if (!root) {
            jerr = json_tokener_continue;
        }
    }
    if (!root) {
        if (jerr == json_tokener_error_size) {
            qmig_error_setg(errp, "out of memory");
        } else if (jerr == json_tokener_continue) {
            position(text, len, &line, &col);
            qmig_error_setg(errp, "invalid JSON at line %zu, column %zu: "
                                  "unexpected end of input", line, col);
        } else if (qmig_json_check(text, len, errp)) {
            /* Both parsers are strict: this is not expected. */
            position(text, end < len ? end : len, &line, &col);
            qmig_error_setg(errp, "invalid JSON at line %zu, column %zu",
                            line, col);
        }
        return NULL;
    }
    /* What json-c lets through: \u0000 in a string, numbers out of
     * range... reported in libqmig's words. */
    if (!qmig_json_check(text, len, errp)) {
        json_object_put(root);
        return NULL;
    }
    return root;
}

const char *qmp_json_kind(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
    case json_type_int:
        return "a number";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "a JSON value";
}

static const char *get_str(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

static struct json_object *get_array(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_array)) {
        return NULL;
    }
    return v;
}

/* The array of SchemaInfo of the reply or bare array @root. */
static struct json_object *schema_array(struct json_object *root,
                                        QmigError **errp)
{
    if (json_object_is_type(root, json_type_array)) {
        return root;
    }
    if (json_object_is_type(root, json_type_object)) {
        struct json_object *ret, *err;
        if (json_object_object_get_ex(root, "return", &ret)) {
            if (json_object_is_type(ret, json_type_array)) {
                return ret;
            }
            qmig_error_setg(errp, "not a query-qmp-schema reply: 'return' "
                                  "is %s, expected an array of SchemaInfo",
                            qmp_json_kind(ret));
            return NULL;
        }
        if (json_object_object_get_ex(root, "error", &err)) {
            const char *desc = get_str(err, "desc");
            qmig_error_setg(errp, "the QMP reply is an error%s%s", desc
                                  ? ": " : "", desc ? desc : "");
            return NULL;
        }
        if (json_object_object_get_ex(root, "QMP", &err)) {
            qmig_error_setg(errp, "not a query-qmp-schema reply but the QMP "
                                  "greeting (give the reply to "
                                  "query-qmp-schema)");
            return NULL;
        }
        qmig_error_setg(errp, "not a query-qmp-schema reply: an object "
                              "without 'return'");
        return NULL;
    }
    qmig_error_setg(errp, "not a query-qmp-schema reply: expected "
                          "{\"return\": [...]} or an array, got %s",
                    qmp_json_kind(root));
    return NULL;
}

static bool index_entries(QmpSchema *s, struct json_object *list,
                          QmigError **errp)
{
    size_t n = json_object_array_length(list);
    if (n == 0) {
        qmig_error_setg(errp, "not a query-qmp-schema reply: the schema is "
                              "empty");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);
        const char *name = get_str(e, "name");
        if (!name || !get_str(e, "meta-type")) {
            qmig_error_setg(errp, "not a query-qmp-schema reply: [%zu] is "
                                  "not a SchemaInfo (an object with string "
                                  "members 'name' and 'meta-type')", i);
            return false;
        }
        if (json_object_object_get_ex(s->by_name, name, NULL)) {
            qmig_error_setg(errp, "[%zu]: SchemaInfo '%s' is defined twice",
                            i, name);
            return false;
        }
        if (json_object_object_add(s->by_name, name, json_object_get(e))) {
            json_object_put(e);
            qmig_error_setg(errp, "out of memory");
            return false;
        }
    }
    return true;
}

/* --- walking ----------------------------------------------------------- */

static struct json_object *lookup(const QmpSchema *s, const char *name)
{
    struct json_object *e;
    return name && json_object_object_get_ex(s->by_name, name, &e) ? e : NULL;
}

static bool is_meta(struct json_object *entry, const char *meta)
{
    const char *m = get_str(entry, "meta-type");
    return m && !strcmp(m, meta);
}

/* The member entry {"name": @name, "type": ...} of an object type. */
static struct json_object *find_member(struct json_object *object,
                                       const char *name)
{
    struct json_object *members = get_array(object, "members");
    size_t n = members ? json_object_array_length(members) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *m = json_object_array_get_idx(members, i);
        const char *mname = get_str(m, "name");
        if (mname && !strcmp(mname, name)) {
            return m;
        }
    }
    return NULL;
}

/*
 * The SchemaInfo of type @type, which must be a @meta; errors name
 * @path, the walk so far ("migrate-set-capabilities.capabilities").
 */
static struct json_object *resolve(const QmpSchema *s, const char *type,
                                   const char *meta, const char *path,
                                   QmigError **errp)
{
    struct json_object *e = lookup(s, type);
    if (!type) {
        qmig_error_setg(errp, "%s: no type", path);
        return NULL;
    }
    if (!e) {
        qmig_error_setg(errp, "%s: type '%s' is not in the schema", path,
                        type);
        return NULL;
    }
    if (!is_meta(e, meta)) {
        qmig_error_setg(errp, "%s: type '%s' is of meta-type '%s', expected "
                              "'%s'", path, type, get_str(e, "meta-type"),
                        meta);
        return NULL;
    }
    if (!strcmp(meta, "enum") && !get_array(e, "members") &&
        !get_array(e, "values")) {
        qmig_error_setg(errp, "%s: enum type '%s' has no 'members' or "
                              "'values'", path, type);
        return NULL;
    }
    if (!strcmp(meta, "object") && !get_array(e, "members")) {
        qmig_error_setg(errp, "%s: object type '%s' has no 'members'", path,
                        type);
        return NULL;
    }
    return e;
}

/* The arguments (an object type) of command @name. */
static struct json_object *command_args(const QmpSchema *s, const char *name,
                                        QmigError **errp)
{
    struct json_object *cmd = lookup(s, name);
    if (!cmd || !is_meta(cmd, "command")) {
        qmig_error_setg(errp, "the schema has no command '%s' (is this the "
                              "query-qmp-schema output of a QEMU with "
                              "migration?)", name);
        return NULL;
    }
    return resolve(s, get_str(cmd, "arg-type"), "object", name, errp);
}

/* The type of member @member of object type @object, a @meta. */
static struct json_object *member_type(const QmpSchema *s,
                                       struct json_object *object,
                                       const char *member, const char *meta,
                                       const char *path, QmigError **errp)
{
    struct json_object *m = find_member(object, member);
    if (!m) {
        qmig_error_setg(errp, "%s: no member '%s'", path, member);
        return NULL;
    }
    char sub[256];
    snprintf(sub, sizeof(sub), "%s.%s", path, member);
    return resolve(s, get_str(m, "type"), meta, sub, errp);
}

/* The element type (an object) of array member @member of @object. */
static struct json_object *array_element(const QmpSchema *s,
                                         struct json_object *object,
                                         const char *member, const char *path,
                                         QmigError **errp)
{
    struct json_object *array = member_type(s, object, member, "array", path,
                                            errp);
    if (!array) {
        return NULL;
    }
    char sub[256];
    snprintf(sub, sizeof(sub), "%s.%s[]", path, member);
    return resolve(s, get_str(array, "element-type"), "object", sub, errp);
}

/* The type of the branch @name of union @object (an object). */
static struct json_object *branch_type(const QmpSchema *s,
                                       struct json_object *object,
                                       const char *name, const char *path,
                                       QmigError **errp)
{
    struct json_object *variants = get_array(object, "variants");
    size_t n = variants ? json_object_array_length(variants) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(variants, i);
        const char *c = get_str(v, "case");
        if (c && !strcmp(c, name)) {
            char sub[256];
            snprintf(sub, sizeof(sub), "%s{%s}", path, name);
            return resolve(s, get_str(v, "type"), "object", sub, errp);
        }
    }
    return NULL; /* the branch is not in this build */
}

static bool enum_has(struct json_object *e, const char *value)
{
    /* "members" since QEMU 6.2 (values with features), else "values". */
    struct json_object *list = get_array(e, "members");
    bool objects = list != NULL;
    if (!list) {
        list = get_array(e, "values");
    }
    size_t n = list ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(list, i);
        const char *name = objects ? get_str(v, "name")
                                   : (json_object_is_type(v, json_type_string)
                                          ? json_object_get_string(v)
                                          : NULL);
        if (name && !strcmp(name, value)) {
            return true;
        }
    }
    return false;
}

static bool walk_transports(QmpSchema *s, QmigError **errp)
{
    struct json_object *args = command_args(s, "migrate", errp);
    if (!args) {
        return false;
    }
    if (!find_member(args, "channels")) {
        return true; /* QEMU before 8.2: only 'uri' */
    }
    const char *path = "migrate";
    struct json_object *channel = array_element(s, args, "channels", path,
                                                errp);
    if (!channel) {
        return false;
    }
    struct json_object *addr = member_type(s, channel, "addr", "object",
                                           "migrate.channels[]", errp);
    if (!addr) {
        return false;
    }
    path = "migrate.channels[].addr";
    s->transport_enum = member_type(s, addr, "transport", "enum", path, errp);
    if (!s->transport_enum) {
        return false;
    }
    QmigError *err = NULL;
    struct json_object *sock = branch_type(s, addr, "socket", path, &err);
    if (err) {
        qmig_error_propagate(errp, err);
        return false;
    }
    if (!sock) {
        return true; /* no socket transport at all: checked by value */
    }
    path = "migrate.channels[].addr{socket}";
    s->socket_type_enum = member_type(s, sock, "type", "enum", path, errp);
    if (!s->socket_type_enum) {
        return false;
    }
    s->unix_address = branch_type(s, sock, "unix", path, &err);
    if (err) {
        qmig_error_propagate(errp, err);
        return false;
    }
    return true;
}

static bool walk(QmpSchema *s, QmigError **errp)
{
    struct json_object *args = command_args(s, "migrate-set-capabilities",
                                            errp);
    struct json_object *entry =
        args ? array_element(s, args, "capabilities",
                             "migrate-set-capabilities", errp)
             : NULL;
    s->cap_enum = entry ? member_type(s, entry, "capability", "enum",
                                      "migrate-set-capabilities.capabilities[]",
                                      errp)
                        : NULL;
    if (!s->cap_enum) {
        return false;
    }
    s->param_args = command_args(s, "migrate-set-parameters", errp);
    if (!s->param_args) {
        return false;
    }
    return walk_transports(s, errp);
}

QmpSchema *qmp_schema_parse(const char *text, size_t len, QmigError **errp)
{
    struct json_object *root = qmp_json_parse(
        text, len, "the output of query-qmp-schema", errp);
    if (!root) {
        return NULL;
    }
    struct json_object *list = schema_array(root, errp);
    if (!list) {
        json_object_put(root);
        return NULL;
    }
    QmpSchema *s = calloc(1, sizeof(*s));
    if (!s) {
        json_object_put(root);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    s->root = root;
    s->by_name = json_object_new_object();
    if (!s->by_name) {
        qmig_error_setg(errp, "out of memory");
        qmp_schema_free(s);
        return NULL;
    }
    if (!index_entries(s, list, errp) || !walk(s, errp)) {
        qmp_schema_free(s);
        return NULL;
    }
    return s;
}

void qmp_schema_free(QmpSchema *schema)
{
    if (schema) {
        json_object_put(schema->by_name);
        json_object_put(schema->root);
        free(schema);
    }
}

/* --- queries ----------------------------------------------------------- */

bool qmp_schema_has_command(const QmpSchema *schema, const char *name)
{
    return is_meta(lookup(schema, name), "command");
}

bool qmp_schema_has_capability(const QmpSchema *schema, const char *name)
{
    return enum_has(schema->cap_enum, name);
}

bool qmp_schema_has_parameter(const QmpSchema *schema, const char *name)
{
    return find_member(schema->param_args, name) != NULL;
}

int qmp_schema_param_accepts(const QmpSchema *schema, const char *name,
                             const char *value)
{
    struct json_object *m = find_member(schema->param_args, name);
    struct json_object *type = m ? lookup(schema, get_str(m, "type")) : NULL;
    if (!is_meta(type, "enum")) {
        return -1;
    }
    return enum_has(type, value) ? 1 : 0;
}

bool qmp_schema_knows_transports(const QmpSchema *schema)
{
    return schema->transport_enum != NULL;
}

bool qmp_schema_has_transport(const QmpSchema *schema, QmigTransport transport,
                              const char **member, const char **value)
{
    static const char *const socket_types[] = {
        [QMIG_TRANSPORT_TCP] = "inet",
        [QMIG_TRANSPORT_UNIX] = "unix",
        [QMIG_TRANSPORT_VSOCK] = "vsock",
        [QMIG_TRANSPORT_FD] = "fd",
    };
    const char *address;
    switch (transport) {
    case QMIG_TRANSPORT_TCP:
    case QMIG_TRANSPORT_UNIX:
    case QMIG_TRANSPORT_VSOCK:
    case QMIG_TRANSPORT_FD:
        address = "socket";
        break;
    case QMIG_TRANSPORT_EXEC:
        address = "exec";
        break;
    case QMIG_TRANSPORT_RDMA:
        address = "rdma";
        break;
    case QMIG_TRANSPORT_FILE:
        address = "file";
        break;
    default:
        return true;
    }
    if (!schema->transport_enum) {
        return true;
    }
    if (!enum_has(schema->transport_enum, address)) {
        *member = "transport";
        *value = address;
        return false;
    }
    if (!strcmp(address, "socket") && schema->socket_type_enum &&
        !enum_has(schema->socket_type_enum, socket_types[transport])) {
        *member = "type";
        *value = socket_types[transport];
        return false;
    }
    return true;
}

int qmp_schema_unix_address_has(const QmpSchema *schema, const char *name)
{
    if (!schema->unix_address) {
        return -1;
    }
    return find_member(schema->unix_address, name) != NULL;
}
