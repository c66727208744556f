/*
 * main.c - the qmig-gen command line.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "frontend.h"
#include "schema.h"
#include "source.h"

#ifndef QMIG_VERSION
#define QMIG_VERSION "unknown"
#endif

static const char usage_text[] =
    "Usage: qmig-gen COMMAND [OPTIONS] SCHEMA\n"
    "\n"
    "Commands:\n"
    "  check   check SCHEMA; print nothing when it is valid\n"
    "  dump    print the checked model of SCHEMA (QEMU test-qapi format)\n"
    "\n"
    "Options:\n"
    "  --pragma FILE   load the pragmas of FILE first (QEMU keeps them in\n"
    "                  qapi/pragma.json, which only the root schema includes)\n"
    "  --features PATH also check the migration metadata in PATH (a directory\n"
    "                  of *.json files, or one file) against SCHEMA\n"
    "  --legacy        accept the schema language of older QEMU releases\n"
    "                  (4.2 on): simple unions, and documentation without\n"
    "                  the checks added since (line length, sentence\n"
    "                  spacing, completeness, section order and kinds)\n"
    "  -h, --help      show this help and exit\n"
    "  --version       show the version and exit\n"
    "\n"
    "Exit status: 0 valid, 1 schema errors, 2 usage or I/O errors.\n"
    "Diagnostics: FILE:LINE[:COL]: error: MESSAGE, preceded by the include\n"
    "chain and the definition they occur in.\n";

typedef struct Options {
    const char *command;
    const char *pragma;
    const char *features;
    const char *schema;
    bool legacy;
} Options;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "qmig-gen: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'qmig-gen --help' for more information.\n");
    return QMIG_EXIT_USAGE;
}

/* Returns -1 when the options were parsed, else an exit status. */
static int parse_options(int argc, char **argv, Options *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            fputs(usage_text, stdout);
            return QMIG_EXIT_OK;
        } else if (!strcmp(arg, "--version")) {
            printf("qmig-gen %s\n", QMIG_VERSION);
            return QMIG_EXIT_OK;
        } else if (!strcmp(arg, "--pragma")) {
            if (++i == argc) {
                return usage_error("option '%s' needs a FILE argument", arg);
            }
            opts->pragma = argv[i];
        } else if (!strncmp(arg, "--pragma=", 9)) {
            opts->pragma = arg + 9;
        } else if (!strcmp(arg, "--legacy")) {
            opts->legacy = true;
        } else if (!strcmp(arg, "--features")) {
            if (++i == argc) {
                return usage_error("option '%s' needs a PATH argument", arg);
            }
            opts->features = argv[i];
        } else if (!strncmp(arg, "--features=", 11)) {
            opts->features = arg + 11;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option '%s'", arg);
        } else if (!opts->command) {
            opts->command = arg;
        } else if (!opts->schema) {
            opts->schema = arg;
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    if (!opts->command) {
        return usage_error("%s", "missing COMMAND");
    }
    if (strcmp(opts->command, "check") && strcmp(opts->command, "dump")) {
        return usage_error("unknown command '%s'", opts->command);
    }
    if (!opts->schema) {
        return usage_error("%s", "missing SCHEMA");
    }
    return -1;
}

int main(int argc, char **argv)
{
    Options opts = {0};
    int status = parse_options(argc, argv, &opts);
    if (status >= 0) {
        return status;
    }
    QmigFrontEnd *fe = qmig_front_end_new();
    if (opts.features) {
        qmig_front_end_set_features(fe, opts.features);
    }
    qmig_front_end_set_legacy(fe, opts.legacy);
    status = qmig_front_end_run(fe, opts.schema, opts.pragma);
    if (status != QMIG_EXIT_OK) {
        fputs(qmig_front_end_error(fe), stderr);
    } else if (!strcmp(opts.command, "dump")) {
        qmig_dump_schema(stdout, qmig_front_end_schema(fe));
        if (qmig_front_end_metadata(fe)) {
            qmig_dump_metadata(stdout, qmig_front_end_metadata(fe));
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "qmig-gen: error: cannot write output\n");
            status = QMIG_EXIT_USAGE;
        }
    }
    if (getenv("QMIG_STATS")) {
        /* For the benchmarks: how much the model of this schema took. */
        fprintf(stderr, "qmig-gen: arena bytes %zu\n",
                qmig_front_end_memory(fe));
    }
    qmig_front_end_free(fe);
    return status;
}
