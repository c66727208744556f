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

#include "qmig-migration-types.h"
#include "qmig-migration-validate.h"

/* Configurations are small; a bigger input is a mistake or an attack. */
#define MAX_INPUT (16u << 20)

static const char usage_text[] =
    "Usage: qmig-validate [--transport tcp|unix|vsock|fd|exec|rdma|file]\n"
    "                     [--side source|destination] [--format text|json]\n"
    "                     [--host-lacks FACT]... [--target-page-size BYTES]\n"
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
    "Exit status: 0 valid, 1 invalid (every violation is listed), 2 "
    "unusable\n"
    "input.\n";

#define MAX_HOST_LACKS 64

typedef struct Options {
    const char *host_lacks[MAX_HOST_LACKS];
    unsigned n_host_lacks;
    const char *page_size;
    const char *transport;
    const char *side;
    const char *format;
    const char *path;
} Options;

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "qmig-validate: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\nTry 'qmig-validate --help' for more information.\n");
    return 2;
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
        } else if (!strcmp(arg, "--host-lacks")) {
            if (opts->n_host_lacks == MAX_HOST_LACKS) {
                return usage_error("%s", "too many --host-lacks options");
            }
            slot = &opts->host_lacks[opts->n_host_lacks++];
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option '%s'", arg);
        } else if (!opts->path) {
            opts->path = arg;
            continue;
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
        if (++i == argc) {
            return usage_error("option '%s' needs an argument", arg);
        }
        *slot = argv[i];
    }
    for (unsigned k = 0; k < opts->n_host_lacks; k++) {
        if (!strcmp(opts->host_lacks[k], "help")) {
            list_facts(stdout);
            return 0;
        }
    }
    if (!opts->path) {
        return usage_error("%s", "missing CONFIG (a file, or - for stdin)");
    }
    if (opts->format && strcmp(opts->format, "text") &&
        strcmp(opts->format, "json")) {
        return usage_error("--format must be text or json, not '%s'",
                           opts->format);
    }
    return -1;
}

/* The whole input, NUL-terminated; NULL with a message on failure. */
static char *read_input(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "qmig-validate: can't read '%s': %s\n", path,
                strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > MAX_INPUT) {
                fprintf(stderr, "qmig-validate: '%s' is larger than %u "
                                "bytes\n", path, MAX_INPUT);
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
                fprintf(stderr, "qmig-validate: can't read '%s': %s\n", path,
                        strerror(errno));
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
            usage_error("unknown host fact '%s'", opts->host_lacks[k]);
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
            usage_error("--target-page-size needs a positive number of "
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
            usage_error("unknown transport '%s'", opts->transport);
            return false;
        }
        config->header.has_transport = true;
    }
    if (opts->side) {
        if (!qmig_side_parse(opts->side, &config->header.side) ||
            (config->header.side != QMIG_SIDE_SOURCE &&
             config->header.side != QMIG_SIDE_DESTINATION)) {
            usage_error("--side must be source or destination, not '%s'",
                        opts->side);
            return false;
        }
        config->header.has_side = true;
    }
    return true;
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

static int report(const QmigViolations *v, const Options *opts)
{
    if (opts->format && !strcmp(opts->format, "json")) {
        QmigError *err = NULL;
        char *json = qmig_violations_to_json(v, &err);
        if (!json) {
            fprintf(stderr, "qmig-validate: %s\n", qmig_error_message(err));
            qmig_error_free(err);
            return 2;
        }
        printf("%s\n", json);
        free(json);
    } else {
        report_text(v);
    }
    return v->count ? 1 : 0;
}

int main(int argc, char **argv)
{
    Options opts = {0};
    int status = parse_options(argc, argv, &opts);
    if (status >= 0) {
        return status;
    }
    size_t len = 0;
    char *text = read_input(opts.path, &len);
    if (!text) {
        return 2;
    }
    QmigMigrationConfig config;
    qmig_migration_config_init(&config);
    QmigError *err = NULL;
    status = 2;
    if (!qmig_config_from_json(&config, text, len, &err)) {
        fprintf(stderr, "qmig-validate: %s: %s\n",
                strcmp(opts.path, "-") ? opts.path : "<stdin>",
                qmig_error_message(err));
        qmig_error_free(err);
    } else if (apply_flags(&config, &opts)) {
        QmigViolations violations;
        qmig_config_validate(&config, &violations);
        status = report(&violations, &opts);
    }
    qmig_config_clear(&config);
    free(text);
    if (fflush(stdout) != 0) {
        return 2;
    }
    return status;
}
