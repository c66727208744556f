/*
 * qmig-validate - check a migration configuration before 'migrate'.
 *
 * What a management tool runs before it applies capabilities and
 * parameters to QEMU: every rule of the migration metadata is checked,
 * and every broken one is reported, not only the first.
 *
 * Exit status: 0 valid, 1 invalid, 2 unusable input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "qmig-migration-types.h"
#include "qmig-migration-validate.h"
#include "qmp-schema.h"
#include "diag.h"

/* Configurations are small; a bigger input is a mistake or an attack. */
#define MAX_INPUT (16u << 20)

static const char usage_text[] =
    "Usage: qmig-validate [--transport tcp|unix|vsock|fd|exec|rdma|file]\n"
    "                     [--side source|destination] [--format text|json]\n"
    "                     [--host-lacks FACT]... [--target-page-size BYTES]\n"
    "                     [--qmp-schema FILE] [--capabilities-reply FILE]\n"
    "                     [--parameters-reply FILE] [--print-config]\n"
    "                     CONFIG.json|-\n"
    "\n"
    "CONFIG is {\"capabilities\": ..., \"parameters\": ..., \"transport\": "
    "...,\n"
    "\"side\": ...}; capabilities as the migrate-set-capabilities list or "
    "an\n"
    "object, parameters as for migrate-set-parameters.  Missing parameters\n"
    "take their defaults.  --transport and --side override the file.\n"
    "\n"
    "Rules that depend on the host (kernel, accelerator, QEMU build) assume\n"
    "every fact holds; --host-lacks FACT says one does not (repeatable;\n"
    "--host-lacks help lists the facts).  --target-page-size sets the\n"
    "guest page size rules compare with (default 4096).\n"
    "\n"
    "--qmp-schema FILE restricts validation to what one QEMU binary has:\n"
    "FILE is its query-qmp-schema reply ({\"return\": [...]} or the array).\n"
    "Capabilities, parameters and enum values the binary lacks are rejected\n"
    "with QEMU's message; transports it lacks are violations.\n"
    "--capabilities-reply FILE and --parameters-reply FILE start from a\n"
    "QEMU's current settings: FILE is the reply of query-migrate-capabilities\n"
    "({\"return\": [{\"capability\": ..., \"state\": ...}, ...]}) or of\n"
    "query-migrate-parameters ({\"return\": {...}}), as QEMU prints it (or\n"
    "the bare value); CONFIG, then optional, is applied on top of them, as\n"
    "migrate-set-capabilities and migrate-set-parameters would.\n"
    "--print-config prints the decoded configuration, defaults included,\n"
    "instead of validating it.\n"
    "\n"
    "Exit status: 0 valid, 1 invalid (every violation is listed), 2 "
    "unusable\n"
    "input.\n";

#define MAX_HOST_LACKS 64

typedef struct Options {
    const char *caps_reply;
    const char *params_reply;
    const char *host_lacks[MAX_HOST_LACKS];
    unsigned n_host_lacks;
    const char *page_size;
    const char *transport;
    const char *side;
    const char *format;
    const char *qmp_schema;
    bool print_config;
    const char *path;
} Options;

/*
 * diag_file_error(), where a path in front of @msg that starts with
 * @path_from is shown starting with @path_to instead (a reply's "return"
 * for the "capabilities" of the document it was decoded as).
 */
static void file_error(const char *file, const char *msg,
                       const char *path_from, const char *path_to)
{
    size_t k = path_from ? strlen(path_from) : 0;
    if (k && !strncmp(msg, path_from, k) &&
        (msg[k] == '.' || msg[k] == '[' || msg[k] == ':')) {
        diag_error("%s: %s%s", file, path_to, msg + k);
        return;
    }
    diag_file_error(file, msg);
}

static void list_facts(FILE *out);

static int parse_options(int argc, char **argv, Options *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(arg, "--version")) {
            printf("qmig-validate %s\n", QMIG_RUNTIME_VERSION_STRING);
            return 0;
        } else if (!strcmp(arg, "--transport")) {
            slot = &opts->transport;
        } else if (!strcmp(arg, "--side")) {
            slot = &opts->side;
        } else if (!strcmp(arg, "--format")) {
            slot = &opts->format;
        } else if (!strcmp(arg, "--target-page-size")) {
            slot = &opts->page_size;
        } else if (!strcmp(arg, "--qmp-schema")) {
            slot = &opts->qmp_schema;
        } else if (!strcmp(arg, "--capabilities-reply")) {
            slot = &opts->caps_reply;
        } else if (!strcmp(arg, "--parameters-reply")) {
            slot = &opts->params_reply;
        } else if (!strcmp(arg, "--print-config")) {
            opts->print_config = true;
            continue;
        } else if (!strcmp(arg, "--host-lacks")) {
            if (opts->n_host_lacks == MAX_HOST_LACKS) {
                return diag_usage_error("%s", "too many --host-lacks options");
            }
            slot = &opts->host_lacks[opts->n_host_lacks++];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return diag_usage_error("unknown option '%s'", arg);
        } else if (!opts->path) {
            opts->path = arg;
            continue;
        } else {
            return diag_usage_error("unexpected argument '%s'", arg);
        }
        if (++i == argc) {
            return diag_usage_error("option '%s' needs an argument", arg);
        }
        *slot = argv[i];
    }
    for (unsigned k = 0; k < opts->n_host_lacks; k++) {
        if (!strcmp(opts->host_lacks[k], "help")) {
            list_facts(stdout);
            return 0;
        }
    }
    if (!opts->path && !opts->caps_reply && !opts->params_reply) {
        return diag_usage_error("%s", "missing CONFIG (a file, or - for "
                                      "stdin)");
    }
    if (opts->format && strcmp(opts->format, "text") &&
        strcmp(opts->format, "json")) {
        return diag_usage_error("--format must be text or json, not '%s'",
                                opts->format);
    }
    const char *inputs[] = {opts->path, opts->qmp_schema, opts->caps_reply,
                            opts->params_reply};
    unsigned stdins = 0;
    for (unsigned i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        stdins += inputs[i] && !strcmp(inputs[i], "-");
    }
    if (stdins > 1) {
        return diag_usage_error("%s", "only one of CONFIG, --qmp-schema, "
                                      "--capabilities-reply and "
                                      "--parameters-reply can be stdin (-)");
    }
    return -1;
}

/* The whole input, NUL-terminated; NULL with a message on failure. */
static char *read_input(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        diag_error("can't read '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap || n > MAX_INPUT) {
            if (n > MAX_INPUT) {
                diag_error("'%s' is larger than %u bytes (16 MiB)", path,
                           MAX_INPUT);
                free(buf);
                buf = NULL;
                break;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                diag_error("can't read '%s': %s", path, strerror(errno));
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (f != stdin) {
        fclose(f);
    }
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static void list_facts(FILE *out)
{
    const QmigSchemaDesc *schema = &qmig_migration_schema;
    fprintf(out, "Host facts:\n");
    for (unsigned i = 0; i < schema->n_envs; i++) {
        fprintf(out, "  %-34s %s\n", schema->envs[i].name,
                schema->envs[i].description ? schema->envs[i].description
                                            : "");
    }
}

static bool apply_host(QmigMigrationConfig *config, const Options *opts)
{
    const QmigSchemaDesc *schema = &qmig_migration_schema;
    for (unsigned k = 0; k < opts->n_host_lacks; k++) {
        unsigned i = 0;
        while (i < schema->n_envs &&
               strcmp(schema->envs[i].name, opts->host_lacks[k])) {
            i++;
        }
        if (i == schema->n_envs || i >= 64) {
            diag_usage_error("unknown host fact '%s'", opts->host_lacks[k]);
            list_facts(stderr);
            return false;
        }
        config->header.host_lacks |= UINT64_C(1) << i;
    }
    if (opts->page_size) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(opts->page_size, &end, 10);
        if (errno || *end || end == opts->page_size || v == 0 ||
            opts->page_size[0] == '-') {
            diag_usage_error("--target-page-size needs a positive number of "
                             "bytes, not '%s'", opts->page_size);
            return false;
        }
        config->header.target_page_size = v;
    }
    return true;
}

static bool apply_flags(QmigMigrationConfig *config, const Options *opts)
{
    if (!apply_host(config, opts)) {
        return false;
    }
    if (opts->transport) {
        if (!qmig_transport_parse(opts->transport,
                                  &config->header.transport)) {
            diag_usage_error("unknown transport '%s'", opts->transport);
            return false;
        }
        config->header.has_transport = true;
    }
    if (opts->side) {
        if (!qmig_side_parse(opts->side, &config->header.side) ||
            (config->header.side != QMIG_SIDE_SOURCE &&
             config->header.side != QMIG_SIDE_DESTINATION)) {
            diag_usage_error("--side must be source or destination, not '%s'",
                             opts->side);
            return false;
        }
        config->header.has_side = true;
    }
    return true;
}

/* --- the QEMU binary (--qmp-schema) -------------------------------- */

static const char *display_name(const char *path)
{
    return strcmp(path, "-") ? path : "<stdin>";
}

static QmpSchema *load_binary(const char *path)
{
    size_t len = 0;
    char *text = read_input(path, &len);
    if (!text) {
        return NULL;
    }
    QmigError *err = NULL;
    QmpSchema *binary = qmp_schema_parse(text, len, &err);
    if (!binary) {
        file_error(display_name(path), qmig_error_message(err), NULL, NULL);
        qmig_error_free(err);
    }
    free(text);
    return binary;
}

/*
 * What QEMU's QObject input visitor says when the arguments of
 * migrate-set-capabilities / migrate-set-parameters name something the
 * binary lacks (qapi/qapi-visit-core.c input_type_enum(), which prints
 * the member's own name, and qapi/qobject-input-visitor.c
 * qobject_input_check_struct(), which prints the full name: the bare
 * key at the top level of the arguments).  The path in front is the
 * one of the configuration document, as for the other decode errors.
 */
static bool check_binary_caps(const QmpSchema *binary, struct json_object *caps,
                              QmigError **errp)
{
    if (json_object_is_type(caps, json_type_array)) {
        size_t n = json_object_array_length(caps);
        for (size_t i = 0; i < n; i++) {
            struct json_object *entry = json_object_array_get_idx(caps, i);
            struct json_object *name;
            if (json_object_object_get_ex(entry, "capability", &name) &&
                !qmp_schema_has_capability(binary,
                                           json_object_get_string(name))) {
                qmig_error_setg(errp,
                                "capabilities[%zu].capability: Parameter "
                                "'capability' does not accept value '%s'",
                                i, json_object_get_string(name));
                return false;
            }
        }
    } else if (json_object_is_type(caps, json_type_object)) {
        json_object_object_foreach(caps, key, value) {
            (void)value;
            if (!qmp_schema_has_capability(binary, key)) {
                qmig_error_setg(errp,
                                "capabilities.%s: Parameter 'capability' "
                                "does not accept value '%s'",
                                key, key);
                return false;
            }
        }
    }
    return true;
}

typedef struct RefusedParams RefusedParams;
static void on_refused(void *opaque, unsigned param, const char *message);

/* Parameters the binary refuses are set aside in @refused, as values. */
static bool check_binary_params(const QmpSchema *binary,
                                struct json_object *params,
                                RefusedParams *refused)
{
    const QmigSchemaDesc *schema = &qmig_migration_schema;
    if (!json_object_is_type(params, json_type_object)) {
        return true;
    }
    /* QEMU visits the members it knows, in schema order, ... */
    for (unsigned i = 0; i < schema->n_params; i++) {
        const QmigParamDesc *desc = &schema->params[i];
        struct json_object *value;
        if (desc->type != QMIG_VALUE_ENUM ||
            !json_object_object_get_ex(params, desc->name, &value) ||
            !qmp_schema_has_parameter(binary, desc->name)) {
            continue;
        }
        const char *v = json_object_get_string(value);
        if (qmp_schema_param_accepts(binary, desc->name, v) == 0) {
            char message[512];
            snprintf(message, sizeof(message),
                     "Parameter '%s' does not accept value '%s'", desc->name,
                     v);
            on_refused(refused, i, message);
        }
    }
    /* ... then rejects the members left over. */
    json_object_object_foreach(params, key, value) {
        (void)value;
        int i = qmig_schema_find_param(&qmig_migration_schema, key);
        if (i >= 0 && !qmp_schema_has_parameter(binary, key)) {
            char message[512];
            snprintf(message, sizeof(message),
                     "Parameter '%s' is unexpected", key);
            on_refused(refused, (unsigned)i, message);
        }
    }
    return true;
}

/*
 * Reject the names of the configuration document @text (already
 * decoded without error) that the binary lacks; the first one, as QEMU
 * stops at the first.
 */
static bool check_binary_names(const QmpSchema *binary, const char *text,
                               size_t len, RefusedParams *refused,
                               QmigError **errp)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *root =
        tok && len <= INT32_MAX ? json_tokener_parse_ex(tok, text, (int)len)
                                : NULL;
    json_tokener_free(tok);
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        qmig_error_setg(errp, "can't read the configuration again");
        return false;
    }
    bool ok = true;
    json_object_object_foreach(root, key, value) {
        if (!strcmp(key, "capabilities")) {
            ok = check_binary_caps(binary, value, errp);
        } else if (!strcmp(key, "parameters")) {
            ok = check_binary_params(binary, value, refused);
        }
        if (!ok) {
            break;
        }
    }
    json_object_put(root);
    return ok;
}

static void set_host_lacks(QmigMigrationConfig *config, const char *fact)
{
    const QmigSchemaDesc *schema = &qmig_migration_schema;
    for (unsigned i = 0; i < schema->n_envs && i < 64; i++) {
        if (!strcmp(schema->envs[i].name, fact)) {
            config->header.host_lacks |= UINT64_C(1) << i;
        }
    }
}

/*
 * Host facts the schema shows: the COLO commands exist only with
 * CONFIG_REPLICATION, UnixSocketAddress's 'abstract' only with
 * CONFIG_LINUX.  Present does not prove the fact in older QEMUs, where
 * they were unconditional; absent proves it does not hold.
 */
static void apply_binary_facts(QmigMigrationConfig *config,
                               const QmpSchema *binary)
{
    if (!qmp_schema_has_command(binary, "query-colo-status") &&
        !qmp_schema_has_command(binary, "x-colo-lost-heartbeat")) {
        set_host_lacks(config, "replication");
    }
    if (qmp_schema_unix_address_has(binary, "abstract") == 0) {
        set_host_lacks(config, "linux");
    }
}

/*
 * A transport whose address the binary's schema lacks: QEMU's visitor
 * rejects the 'channels' of migrate / migrate-incoming.  Reported as a
 * violation, next to the rules about transports.
 */
static char transport_message[128];
static const QmigRuleDesc binary_rules[] = {
    {
        .id = "transport-not-in-binary",
        .message = transport_message,
        .origin = "qapi/qapi-visit-core.c input_type_enum()",
        .environment = true,
    },
};
static const QmigSchemaDesc binary_schema = {
    .name = "qmp-schema",
    .rules = binary_rules,
    .n_rules = sizeof(binary_rules) / sizeof(binary_rules[0]),
};

static void check_binary_transport(const QmigMigrationConfig *config,
                                   const QmpSchema *binary,
                                   QmigViolations *violations)
{
    const char *member, *value;
    if (config->header.has_transport &&
        !qmp_schema_has_transport(binary, config->header.transport, &member,
                                  &value)) {
        snprintf(transport_message, sizeof(transport_message),
                 "Parameter '%s' does not accept value '%s'", member, value);
        qmig_violations_add(violations, &binary_schema, 0);
    }
}

/*
 * Parameters QEMU's QMP input visitor would refuse.
 *
 * QEMU applies a configuration in three steps and stops at the first
 * error: migrate-set-capabilities, migrate-set-parameters, then migrate
 * or migrate-incoming.  A parameter value of the wrong JSON type,
 * outside its QAPI type, or not among the binary's enum values fails
 * the second step, but the capability rules of the first still decide
 * what QEMU says.  So such a value is not fatal here: it becomes a
 * violation (rule "parameter-value", QEMU's text as the message), the
 * parameter is set aside, and the rest of the configuration is decoded
 * and checked.  Every other input error stays fatal (exit 2).
 */
#define MAX_REFUSED 64

struct RefusedParams {
    QmigRuleDesc rules[MAX_REFUSED];
    char *names[MAX_REFUSED];
    char *messages[MAX_REFUSED];
    unsigned count;
    QmigSchemaDesc schema;
};

static void refused_free(RefusedParams *refused)
{
    for (unsigned i = 0; i < refused->count; i++) {
        free(refused->names[i]);
        free(refused->messages[i]);
    }
    refused->count = 0;
}

static void on_refused(void *opaque, unsigned param, const char *message)
{
    RefusedParams *refused = opaque;
    const char *name = qmig_migration_schema.params[param].name;
    for (unsigned i = 0; i < refused->count; i++) {
        if (!strcmp(refused->names[i], name)) {
            return; /* QEMU reports one error per member */
        }
    }
    if (refused->count < MAX_REFUSED) {
        char *name_copy = strdup(name);
        char *message_copy = strdup(message);
        if (!name_copy || !message_copy) {
            /* Out of memory: the violation is lost, never half-made. */
            free(name_copy);
            free(message_copy);
            return;
        }
        unsigned i = refused->count++;
        refused->names[i] = name_copy;
        refused->messages[i] = message_copy;
        refused->rules[i] = (QmigRuleDesc){
            .id = "parameter-value",
            .message = refused->messages[i],
            .names = (const char *const *)&refused->names[i],
            .n_names = 1,
            .origin = "qapi/qobject-input-visitor.c (migrate-set-parameters)",
        };
    }
}

/*
 * Decode @text into @config, setting refused parameter values aside in
 * @refused.  On false, @errp says why (a fatal input error).
 */
static bool decode_config(QmigMigrationConfig *config, const char *text,
                          size_t len, const QmpSchema *binary,
                          RefusedParams *refused, QmigError **errp)
{
    bool ok = qmig_config_from_json_refusing(config, text, len, on_refused,
                                             refused, errp) &&
              (!binary ||
               check_binary_names(binary, text, len, refused, errp));
    refused->schema = (QmigSchemaDesc){
        .name = "parameter-values",
        .rules = refused->rules,
        .n_rules = refused->count,
    };
    return ok;
}

static void add_refused(const RefusedParams *refused,
                        QmigViolations *violations)
{
    for (unsigned i = 0; i < refused->count; i++) {
        qmig_violations_add(violations, &refused->schema, i);
    }
}

static void report_text(const QmigViolations *v)
{
    if (!v->count) {
        printf("valid\n");
        return;
    }
    for (unsigned i = 0; i < v->count; i++) {
        const QmigRuleDesc *rule = v->items[i];
        printf("%s: %s", rule->id, rule->message);
        for (unsigned k = 0; k < rule->n_names; k++) {
            printf("%s%s", k ? ", " : " [", rule->names[k]);
        }
        printf("%s\n", rule->n_names ? "]" : "");
    }
    printf("invalid: %u rule%s broken\n", v->count, v->count == 1 ? "" : "s");
}

/* Print and free @json, or report @err (which it frees) when NULL. */
static bool print_json(char *json, QmigError *err)
{
    if (!json) {
        diag_error("%s", qmig_error_message(err));
        qmig_error_free(err);
        return false;
    }
    printf("%s\n", json);
    free(json);
    return true;
}

static int report(const QmigViolations *v, const Options *opts)
{
    if (opts->format && !strcmp(opts->format, "json")) {
        QmigError *err = NULL;
        if (!print_json(qmig_violations_to_json(v, &err), err)) {
            return 2;
        }
    } else {
        report_text(v);
    }
    return v->count ? 1 : 0;
}

static int print_config(const QmigMigrationConfig *config)
{
    QmigError *err = NULL;
    return print_json(qmig_config_to_json(config, true, &err), err) ? 0 : 2;
}

/* --- QMP replies (--capabilities-reply, --parameters-reply) ------------ */

/*
 * Apply the reply to @command in file @path to @config: its 'return'
 * (or the bare value: an array for capabilities, an object for
 * parameters) is decoded as the configuration's @key.  False with a
 * message naming the file.
 */
static bool apply_reply(QmigMigrationConfig *config, const char *path,
                        const char *command, const char *key)
{
    bool want_array = !strcmp(key, "capabilities");
    const char *shape = want_array ? "an array" : "an object";
    size_t len = 0;
    char *text = read_input(path, &len);
    if (!text) {
        return false;
    }
    char expected[128];
    snprintf(expected, sizeof(expected), "the reply to %s", command);
    QmigError *err = NULL;
    struct json_object *root = qmp_json_parse(text, len, expected, &err);
    free(text);
    if (!root) {
        file_error(display_name(path), qmig_error_message(err), NULL, NULL);
        qmig_error_free(err);
        return false;
    }
    struct json_object *value = root, *member;
    const char *path_to = "";
    char problem[256] = "";
    if (json_object_is_type(root, json_type_object) &&
        json_object_object_get_ex(root, "return", &member)) {
        value = member;
        path_to = "return";
        if (json_object_is_type(value, json_type_array) != want_array ||
            json_object_is_type(value, json_type_object) == want_array) {
            snprintf(problem, sizeof(problem),
                     "not a reply to %s: 'return' is %s, expected %s",
                     command, qmp_json_kind(value), shape);
        }
    } else if (json_object_is_type(root, json_type_object) &&
               json_object_object_get_ex(root, "error", &member)) {
        struct json_object *desc = NULL;
        json_object_object_get_ex(member, "desc", &desc);
        snprintf(problem, sizeof(problem), "the QMP reply is an error%s%.200s",
                 json_object_is_type(desc, json_type_string) ? ": " : "",
                 json_object_is_type(desc, json_type_string)
                     ? json_object_get_string(desc)
                     : "");
    } else if (json_object_is_type(root, json_type_object) &&
               json_object_object_get_ex(root, "QMP", NULL)) {
        snprintf(problem, sizeof(problem),
                 "not a reply to %s but the QMP greeting", command);
    } else if (!json_object_is_type(root, want_array ? json_type_array
                                                     : json_type_object)) {
        snprintf(problem, sizeof(problem),
                 "not a reply to %s: expected {\"return\": %s}, got %s",
                 command, want_array ? "[...]" : "{...}", qmp_json_kind(root));
    }
    if (problem[0]) {
        json_object_put(root);
        file_error(display_name(path), problem, NULL, NULL);
        return false;
    }
    /* Decoded as {"capabilities": [...]} or {"parameters": {...}}. */
    struct json_object *doc = json_object_new_object();
    bool ok = doc && json_object_object_add(doc, key,
                                            json_object_get(value)) == 0;
    const char *doc_text = ok ? json_object_to_json_string_ext(
                                    doc, JSON_C_TO_STRING_PLAIN)
                              : NULL;
    if (!doc_text) {
        diag_error("out of memory");
        ok = false;
    } else if (!qmig_config_from_json(config, doc_text, strlen(doc_text),
                                      &err)) {
        file_error(display_name(path), qmig_error_message(err), key,
                   path_to);
        qmig_error_free(err);
        ok = false;
    }
    json_object_put(doc);
    json_object_put(root);
    return ok;
}

static int run(int argc, char **argv)

{
    Options opts = {0};
    int status = parse_options(argc, argv, &opts);
    if (status >= 0) {
        return status;
    }
    QmpSchema *binary = NULL;
    if (opts.qmp_schema) {
        binary = load_binary(opts.qmp_schema);
        if (!binary) {
            return 2;
        }
    }
    size_t len = 2;
    char *text = opts.path ? read_input(opts.path, &len) : strdup("{}");
    if (!text) {
        qmp_schema_free(binary);
        return 2;
    }
    QmigMigrationConfig config;
    RefusedParams refused = {0};
    QmigError *err = NULL;
    status = 2;
    /* The replies first: CONFIG applies on top of them. */
    qmig_migration_config_init(&config);
    if ((opts.caps_reply &&
         !apply_reply(&config, opts.caps_reply, "query-migrate-capabilities",
                      "capabilities")) ||
        (opts.params_reply &&
         !apply_reply(&config, opts.params_reply, "query-migrate-parameters",
                      "parameters"))) {
        /* reported */
    } else if (!decode_config(&config, text, len, binary, &refused, &err)) {
        file_error(opts.path ? display_name(opts.path) : "CONFIG",
                   qmig_error_message(err), NULL, NULL);
        qmig_error_free(err);
    } else if (apply_flags(&config, &opts)) {
        if (binary) {
            apply_binary_facts(&config, binary);
        }
        if (opts.print_config && refused.count) {
            /* No configuration to print: QEMU would refuse a value. */
            diag_error("%s: parameters.%s: %s",
                       opts.path ? display_name(opts.path) : "CONFIG",
                       refused.names[0], refused.messages[0]);
        } else if (opts.print_config) {
            status = print_config(&config);
        } else {
            QmigViolations violations;
            qmig_config_validate(&config, &violations);
            add_refused(&refused, &violations);
            if (binary) {
                check_binary_transport(&config, binary, &violations);
            }
            status = report(&violations, &opts);
        }
    }
    qmig_config_clear(&config);
    refused_free(&refused);
    qmp_schema_free(binary);
    free(text);
    return status;
}

/* Output is buffered whole, so that a write error is seen, with its
 * cause, when it is flushed at exit. */
static char stdout_buffer[1 << 20];

int main(int argc, char **argv)
{
    setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
    diag_set_program("qmig-validate");
    return diag_close_stdout(run(argc, argv));
}
