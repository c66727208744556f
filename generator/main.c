/*
 * main.c - the qmig-gen command line.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compat.h"
#include "dump.h"
#include "frontend.h"
#include "generate.h"
#include "gitsrc.h"
#include "schema.h"
#include "source.h"

#ifndef QMIG_VERSION
#define QMIG_VERSION "unknown"
#endif

static const char usage_text[] =
    "Usage: qmig-gen check    [OPTIONS] SCHEMA\n"
    "       qmig-gen dump     [OPTIONS] SCHEMA\n"
    "       qmig-gen generate -o DIR [OPTIONS] SCHEMA\n"
    "       qmig-gen compat   [OPTIONS] OLD NEW\n"
    "       qmig-gen compat   --list-rules\n"
    "\n"
    "Commands:\n"
    "  check      check SCHEMA (and metadata); print nothing when valid\n"
    "  dump       print the checked model (QEMU test-qapi format, then the\n"
    "             metadata)\n"
    "  generate   write the C configuration API and reference docs to DIR\n"
    "  compat     compare schema OLD with NEW and report incompatible\n"
    "             changes (docs/compat.rst); OLD and NEW are files, or\n"
    "             git:REF:PATH to read PATH and its includes at REF\n"
    "\n"
    "Options:\n"
    "  --pragma FILE     load the pragmas of FILE first (QEMU keeps them in\n"
    "                    qapi/pragma.json, which only the root includes)\n"
    "  --features PATH   migration metadata: a directory of *.json files, or\n"
    "                    one file (docs/metadata-language.rst)\n"
    "  --legacy          accept the schema language of every QEMU release\n"
    "                    from 4.2 on: simple unions, old pragma names, and\n"
    "                    documentation without the checks added since; a\n"
    "                    doc block still rejected is read as a comment\n"
    "                    and descriptions of what does not exist are\n"
    "                    dropped, with a note on stderr (compat always\n"
    "                    reads its inputs this way, without notes)\n"
    "  -o, --output-dir DIR   generate: where outputs go\n"
    "  --prefix P        generate: file and symbol prefix (default "
    "'" QMIG_DEFAULT_PREFIX "');\n"
    "                    ASCII letters, digits, '_' and '-', starting with\n"
    "                    a letter\n"
    "  --module NAME     generate: only what module NAME defines (e.g.\n"
    "                    'migration' over QEMU's qapi-schema.json)\n"
    "  --target qmig|qemu  generate: 'qmig' (default) writes the C API over\n"
    "                    libqmig and the reference docs; 'qemu' writes the\n"
    "                    checks of the metadata's 'check' entries as C over\n"
    "                    QEMU's own QAPI types, reporting through its Error\n"
    "                    API (docs/generated-qemu.rst)\n"
    "  --list-outputs    generate: print the output paths, write nothing\n"
    "  --depfile FILE    generate: also write a Make-style dependency file\n"
    "                    (an output too: a run writes all or nothing)\n"
    "  --features-old DIR, --features-new DIR\n"
    "                    compat: migration metadata of OLD and NEW; with\n"
    "                    both, the migration rules apply too\n"
    "  --format text|json  compat: report format (default text)\n"
    "  --waivers FILE    compat: accepted findings (rule, path, reason,\n"
    "                    expiry)\n"
    "  --include-unstable  compat: also compare 'unstable' and x- items\n"
    "  --release VERSION compat: the release being checked; waivers that\n"
    "                    expire at or before it no longer waive\n"
    "  --list-rules      compat: print every rule: ID SEVERITY DESCRIPTION\n"
    "  -h, --help        show this help and exit\n"
    "  --version         show the version and exit\n"
    "\n"
    "Exit status: 0 valid, 1 schema errors, 2 usage or I/O errors.\n"
    "compat: 0 compatible, 1 incompatible (an unwaived breaking finding),\n"
    "2 tool or input errors.\n"
    "Diagnostics: FILE:LINE[:COL]: error: MESSAGE, preceded by the include\n"
    "chain and the definition they occur in; qmig-gen: error: MESSAGE for\n"
    "errors without a source location.\n";

typedef struct Options {
    const char *command;
    const char *schema;
    const char *pragma;
    const char *features;
    const char *output_dir;
    const char *prefix;
    const char *module;
    const char *depfile;
    const char *schema2;
    const char *features_old;
    const char *features_new;
    const char *format;
    const char *waivers;
    const char *release;
    const char *target;
    bool include_unstable;
    bool list_rules;
    bool legacy;
    bool list_outputs;
} Options;

/*
 * Messages: "qmig-gen: error: MESSAGE" without a source location,
 * "FILE:LINE[:COL]: error: MESSAGE" (the front end's) with one.
 */
static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "qmig-gen: error: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'qmig-gen --help' for more information.\n");
    return QMIG_EXIT_USAGE;
}

/* errno of the first lost write to standard output, else 0. */
static int stdout_errno;

/*
 * After printing to stdout: flush, and remember whether anything was
 * lost.  Called right after each printing step, while errno still says
 * why a write failed (stdio sets the error flag, not a code).
 */
static void check_stdout(void)
{
    if (stdout_errno) {
        return;
    }
    int saved = errno;
    if (fflush(stdout) != 0) {
        stdout_errno = errno ? errno : EIO;
    } else if (ferror(stdout)) {
        stdout_errno = saved ? saved : EIO;
    }
}

/* The exit status, once stdout is closed: 2 if any output was lost. */
static int finish(int status)
{
    check_stdout();
    /* EBADF: stdout was closed, and nothing was written to it. */
    if (!stdout_errno && fclose(stdout) != 0 && errno != EBADF) {
        stdout_errno = errno ? errno : EIO;
    }
    if (stdout_errno) {
        fprintf(stderr, "qmig-gen: error: cannot write standard output: "
                        "%s\n", strerror(stdout_errno));
        return QMIG_EXIT_USAGE;
    }
    return status;
}

/*
 * Whether the input file @path, a @kind ("waivers file", ...), can be
 * read; else a message naming its kind.  The loaders would call any
 * such file a schema or metadata file.
 */
static bool readable_file(const char *kind, const char *path)
{
    struct stat st;
    const char *reason = NULL;
    FILE *f = NULL;
    if (stat(path, &st) < 0) {
        reason = strerror(errno);
    } else if (S_ISDIR(st.st_mode)) {
        reason = strerror(EISDIR);
    } else if (!S_ISREG(st.st_mode)) {
        reason = "not a regular file";
    } else if (!(f = fopen(path, "rb"))) {
        reason = strerror(errno);
    }
    if (f) {
        fclose(f);
    }
    if (reason) {
        fprintf(stderr, "qmig-gen: error: can't read %s '%s': %s\n", kind,
                path, reason);
    }
    return !reason;
}

typedef struct ValueOption {
    const char *name;
    const char *alias;
    size_t offset;
} ValueOption;

static const ValueOption value_options[] = {
    {"--pragma", NULL, offsetof(Options, pragma)},
    {"--features", NULL, offsetof(Options, features)},
    {"--output-dir", "-o", offsetof(Options, output_dir)},
    {"--prefix", NULL, offsetof(Options, prefix)},
    {"--module", NULL, offsetof(Options, module)},
    {"--depfile", NULL, offsetof(Options, depfile)},
    {"--features-old", NULL, offsetof(Options, features_old)},
    {"--features-new", NULL, offsetof(Options, features_new)},
    {"--format", NULL, offsetof(Options, format)},
    {"--waivers", NULL, offsetof(Options, waivers)},
    {"--release", NULL, offsetof(Options, release)},
    {"--target", NULL, offsetof(Options, target)},
};

/* --name VALUE, --name=VALUE or -o VALUE; 0 if @arg is no such option. */
static int take_value(int argc, char **argv, int *i, Options *opts)
{
    const char *arg = argv[*i];
    for (size_t k = 0; k < sizeof(value_options) / sizeof(value_options[0]);
         k++) {
        const ValueOption *o = &value_options[k];
        size_t len = strlen(o->name);
        const char **slot = (const char **)((char *)opts + o->offset);
        if (!strcmp(arg, o->name) || (o->alias && !strcmp(arg, o->alias))) {
            if (++*i == argc) {
                return usage_error("option '%s' needs an argument", arg);
            }
            *slot = argv[*i];
            return -1;
        }
        if (!strncmp(arg, o->name, len) && arg[len] == '=') {
            *slot = arg + len + 1;
            return -1;
        }
    }
    return 0;
}

/* Returns -1 when the options were parsed, else an exit status. */
static int parse_options(int argc, char **argv, Options *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int taken = take_value(argc, argv, &i, opts);
        if (taken > 0) {
            return taken;
        } else if (taken < 0) {
            continue;
        }
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            fputs(usage_text, stdout);
            check_stdout();
            return QMIG_EXIT_OK;
        } else if (!strcmp(arg, "--version")) {
            printf("qmig-gen %s\n", QMIG_VERSION);
            check_stdout();
            return QMIG_EXIT_OK;
        } else if (!strcmp(arg, "--legacy")) {
            opts->legacy = true;
        } else if (!strcmp(arg, "--include-unstable")) {
            opts->include_unstable = true;
        } else if (!strcmp(arg, "--list-rules")) {
            opts->list_rules = true;
        } else if (!strcmp(arg, "--list-outputs")) {
            opts->list_outputs = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option '%s'", arg);
        } else if (!opts->command) {
            opts->command = arg;
        } else if (!opts->schema) {
            opts->schema = arg;
        } else if (!opts->schema2 && !strcmp(opts->command, "compat")) {
            opts->schema2 = arg;
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    return -1;
}

static int check_compat_options(const Options *opts)
{
    if (opts->list_rules) {
        if (opts->schema) {
            return usage_error("%s", "--list-rules takes no OLD or NEW");
        }
        return -1;
    }
    if (!opts->schema || !opts->schema2) {
        return usage_error("%s", "compat needs OLD and NEW");
    }
    if (opts->output_dir || opts->prefix || opts->depfile ||
        opts->list_outputs || opts->features) {
        return usage_error("%s", "'compat' does not take generate options "
                                 "or --features (use --features-old and "
                                 "--features-new)");
    }
    if (!opts->features_old != !opts->features_new) {
        return usage_error("%s", "--features-old and --features-new go "
                                 "together");
    }
    if (opts->format && strcmp(opts->format, "text") &&
        strcmp(opts->format, "json")) {
        return usage_error("--format '%s': use text or json", opts->format);
    }
    return -1;
}

static int check_options(const Options *opts)
{
    if (!opts->command) {
        return usage_error("%s", "missing COMMAND");
    }
    bool generate = !strcmp(opts->command, "generate");
    bool compat = !strcmp(opts->command, "compat");
    if (compat) {
        return check_compat_options(opts);
    }
    if (opts->features_old || opts->features_new || opts->format ||
        opts->waivers || opts->include_unstable || opts->release ||
        opts->list_rules) {
        return usage_error("'%s' does not take compat options",
                           opts->command);
    }
    if (!generate && strcmp(opts->command, "check") &&
        strcmp(opts->command, "dump")) {
        return usage_error("unknown command '%s'", opts->command);
    }
    if (!opts->schema) {
        return usage_error("%s", "missing SCHEMA");
    }
    if (!generate && (opts->output_dir || opts->prefix || opts->module ||
                      opts->depfile || opts->list_outputs || opts->target)) {
        return usage_error("'%s' does not take generate options",
                           opts->command);
    }
    if (generate && !opts->output_dir) {
        return usage_error("%s", "generate needs -o DIR");
    }
    if (generate && !opts->features) {
        /* Every output so far derives from the migration metadata. */
        return usage_error("%s", "generate needs --features PATH (the C API "
                                 "and the rule table come from the metadata)");
    }
    if (opts->target && strcmp(opts->target, "qmig") &&
        strcmp(opts->target, "qemu")) {
        return usage_error("--target '%s': use qmig or qemu", opts->target);
    }
    const char *problem = opts->prefix ? qmig_prefix_problem(opts->prefix)
                                       : NULL;
    if (problem) {
        return usage_error("--prefix '%s': %s", opts->prefix, problem);
    }
    return -1;
}

static int run_generate(QmigFrontEnd *fe, const Options *opts)
{
    const char *sources = opts->schema;
    char *buf = NULL;
    if (opts->features) {
        size_t n = strlen(opts->schema) + strlen(opts->features) + 8;
        buf = malloc(n);
        if (!buf) {
            fprintf(stderr, "qmig-gen: error: out of memory\n");
            return QMIG_EXIT_USAGE;
        }
        snprintf(buf, n, "%s and %s", opts->schema, opts->features);
        sources = buf;
    }
    QmigGenOptions gen = {
        .prefix = opts->prefix,
        .module = opts->module,
        .sources = sources,
        .target = opts->target && !strcmp(opts->target, "qemu")
                      ? QMIG_TARGET_QEMU
                      : QMIG_TARGET_QMIG,
    };
    errno = 0;
    int status = qmig_front_end_generate(fe, &gen, opts->output_dir,
                                         opts->depfile, opts->list_outputs);
    if (opts->list_outputs) {
        check_stdout();
    }
    free(buf);
    return status;
}

/* Check one side of a comparison; NULL (with a diagnostic) on failure. */
static QmigFrontEnd *load_side(const Options *opts, const char *spec,
                               const char *features, QmigGitSource *git,
                               int *status)
{
    const char *path = spec;
    if (qmig_git_spec(spec)) {
        if (qmig_git_fetch(spec, git) != 0) {
            *status = QMIG_EXIT_USAGE;
            return NULL;
        }
        path = git->root;
    }
    QmigFrontEnd *fe = qmig_front_end_new();
    if (features) {
        qmig_front_end_set_features(fe, features);
    }
    /*
     * compat compares interfaces: it reads either side in the language
     * of any release from 4.2 on, and doc comments (which the interface
     * does not include) cannot stop it.
     */
    qmig_front_end_set_legacy(fe, true);
    int rc = qmig_front_end_run(fe, path, opts->pragma);
    if (rc != QMIG_EXIT_OK) {
        if (qmig_front_end_error(fe)) {
            char *msg = qmig_git_unmap(git, qmig_front_end_error(fe));
            fputs(msg, stderr);
            free(msg);
        }
        fprintf(stderr, "qmig-gen: error: cannot load schema '%s'\n", spec);
        /* Any failure to load an input is an input error for compat. */
        *status = QMIG_EXIT_USAGE;
        qmig_front_end_free(fe);
        return NULL;
    }
    return fe;
}

static int run_compat(const Options *opts)
{
    if (opts->list_rules) {
        qmig_compat_list_rules(stdout);
        check_stdout();
        return QMIG_EXIT_OK;
    }
    if (opts->waivers && !readable_file("waivers file", opts->waivers)) {
        return QMIG_EXIT_USAGE;
    }
    if (opts->pragma && !readable_file("pragma file", opts->pragma)) {
        return QMIG_EXIT_USAGE;
    }
    int status = QMIG_EXIT_OK;
    QmigGitSource old_git = {0}, new_git = {0};
    QmigFrontEnd *old_fe = load_side(opts, opts->schema, opts->features_old,
                                     &old_git, &status);
    QmigFrontEnd *new_fe = old_fe ? load_side(opts, opts->schema2,
                                              opts->features_new, &new_git,
                                              &status)
                                  : NULL;
    if (old_fe && new_fe) {
        /*
         * The report goes to memory first, then to stdout here, where a
         * failed write is reported (finish()) with its reason.
         */
        char *report = NULL;
        size_t report_len = 0;
        FILE *out = open_memstream(&report, &report_len);
        if (!out) {
            fprintf(stderr, "qmig-gen: error: out of memory\n");
            status = QMIG_EXIT_USAGE;
            goto done;
        }
        QmigCompatOptions copts = {
            .include_unstable = opts->include_unstable,
            .module = opts->module,
            .waivers = opts->waivers,
            .json = opts->format && !strcmp(opts->format, "json"),
            .release = opts->release,
            .path_from = {old_git.tmp_prefix, new_git.tmp_prefix},
            .path_to = {old_git.label_prefix, new_git.label_prefix},
        };
        status = qmig_compat_run(
            qmig_front_end_schema(old_fe), qmig_front_end_metadata(old_fe),
            qmig_front_end_schema(new_fe), qmig_front_end_metadata(new_fe),
            opts->schema, opts->schema2, &copts, out, stderr);
        if (fclose(out) == 0) {
            errno = 0;
            fwrite(report, 1, report_len, stdout);
            check_stdout();
        }
        free(report);
    }
done:
    qmig_front_end_free(old_fe);
    qmig_front_end_free(new_fe);
    qmig_git_cleanup(&old_git);
    qmig_git_cleanup(&new_git);
    return status;
}

static int run(int argc, char **argv)
{
    Options opts = {0};
    int status = parse_options(argc, argv, &opts);
    if (status < 0) {
        status = check_options(&opts);
    }
    if (status >= 0) {
        return status;
    }
    if (!strcmp(opts.command, "compat")) {
        return run_compat(&opts);
    }
    if (opts.pragma && !readable_file("pragma file", opts.pragma)) {
        return QMIG_EXIT_USAGE;
    }
    QmigFrontEnd *fe = qmig_front_end_new();
    if (opts.features) {
        qmig_front_end_set_features(fe, opts.features);
    }
    qmig_front_end_set_legacy(fe, opts.legacy);
    status = qmig_front_end_run(fe, opts.schema, opts.pragma);
    /* Legacy mode's notes (compat, above, prints none). */
    const char *const *notes;
    size_t n_notes = qmig_front_end_notes(fe, &notes);
    for (size_t i = 0; i < n_notes; i++) {
        fputs(notes[i], stderr);
    }
    if (status == QMIG_EXIT_OK && !strcmp(opts.command, "dump")) {
        errno = 0;
        qmig_dump_schema(stdout, qmig_front_end_schema(fe));
        if (qmig_front_end_metadata(fe)) {
            qmig_dump_metadata(stdout, qmig_front_end_metadata(fe));
        }
        check_stdout();
    } else if (status == QMIG_EXIT_OK && !strcmp(opts.command, "generate")) {
        status = run_generate(fe, &opts);
    }
    if (status != QMIG_EXIT_OK && qmig_front_end_error(fe)) {
        fputs(qmig_front_end_error(fe), stderr);
    }
    if (getenv("QMIG_STATS")) {
        /* For the benchmarks: how much the model of this schema took. */
        fprintf(stderr, "qmig-gen: arena bytes %zu\n",
                qmig_front_end_memory(fe));
    }
    qmig_front_end_free(fe);
    return status;
}

int main(int argc, char **argv)
{
    /*
     * Past a file size limit (ulimit -f), write() then fails with EFBIG,
     * which is reported like any write error, instead of killing us
     * between two outputs.
     */
    signal(SIGXFSZ, SIG_IGN);
    return finish(run(argc, argv));
}
