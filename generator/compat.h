/*
 * compat.h - schema compatibility checking (qmig-gen compat).
 *
 * Compares two checked schemas, OLD and NEW, at wire level: type names
 * are not ABI, so bases and union branches are flattened, nested object
 * types inlined and arrays followed.  Verdicts are direction-aware, after
 * "Compatibility considerations" in QEMU's docs/devel/qapi-code-gen.rst:
 * command arguments are input, command returns and event data output,
 * and a type used both ways is judged on each path by that path's rules.
 * When both sides come with migration metadata, the migration-specific
 * rules (defaults, ranges, sides, handshake, requires, conflicts,
 * channels) apply as well.
 *
 * Every finding carries a stable rule id (qmig_compat_rules lists them
 * with their severity), the full wire path, and the locations in both
 * schemas.  Waivers are data: a file of QAPI-syntax expressions
 *   { 'waive': RULE, 'path': PATH, 'reason': TEXT, '*expires': VERSION }
 * A waiver that matches no finding is itself reported (waiver-unused);
 * with a release given, one whose expiry is at or before that release
 * waives nothing and is reported (waiver-expired).
 */
#ifndef QMIG_COMPAT_H
#define QMIG_COMPAT_H

#include <stdbool.h>
#include <stdio.h>

#include "meta.h"
#include "schema.h"

typedef enum QmigCompatSeverity {
    QMIG_COMPAT_SAFE,
    QMIG_COMPAT_RISKY,
    QMIG_COMPAT_BREAKING,
} QmigCompatSeverity;

extern const char *const qmig_compat_severity_names[];

typedef struct QmigCompatRule {
    const char *id;
    QmigCompatSeverity severity;
    const char *summary;
} QmigCompatRule;

/* Every rule id, terminated by an entry with a NULL id. */
extern const QmigCompatRule qmig_compat_rules[];

typedef struct QmigCompatOptions {
    bool include_unstable; /* compare 'unstable' features and x- names */
    const char *module;    /* only commands, events and types of this module */
    const char *waivers;   /* waiver file, or NULL */
    bool json;             /* --format json */
    const char *release;   /* --release: waivers expiring at or before it
                            * no longer waive (waiver-expired) */
    /* Locations under path_from[i] are reported under path_to[i]
     * (git:REF: for schemas read from git); NULL: none. */
    const char *path_from[2], *path_to[2];
} QmigCompatOptions;

/*
 * Compare release versions such as "10.2" or "11.0.1": numeric dotted
 * components, a missing one counting as 0; <0, 0 or >0.
 */
int qmig_compat_version_cmp(const char *a, const char *b);

/* Print "ID SEVERITY SUMMARY" for every rule (--list-rules). */
void qmig_compat_list_rules(FILE *out);

/*
 * Compare and print the report to @out.  @old_meta / @new_meta may be
 * NULL; the migration rules apply only when both are given.  Returns
 * 0 (compatible: no unwaived breaking finding), 1 (incompatible) or 2
 * (tool or input error, with a diagnostic on @err).
 */
int qmig_compat_run(const QmigSchema *old_schema, const QmigMetadata *old_meta,
                    const QmigSchema *new_schema, const QmigMetadata *new_meta,
                    const char *old_label, const char *new_label,
                    const QmigCompatOptions *opts, FILE *out, FILE *err);

#endif /* QMIG_COMPAT_H */
