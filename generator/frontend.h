/*
 * frontend.h - the front end as four calls: new, run, inspect, free.
 *
 * Runs every stage (parse, expression checks, schema model and its
 * checks) over one root schema file.  Tests, fuzz targets, benchmarks
 * and qmig-gen itself use this facade; nothing else needs to know about
 * the stages' error exit.
 *
 * Ownership: the front end owns everything it built, including the
 * model returned by qmig_front_end_schema(), until qmig_front_end_free().
 */
#ifndef QMIG_FRONTEND_H
#define QMIG_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>

typedef struct QmigFrontEnd QmigFrontEnd;
typedef struct QmigSchema QmigSchema;
typedef struct QmigMetadata QmigMetadata;

QmigFrontEnd *qmig_front_end_new(void);
void qmig_front_end_free(QmigFrontEnd *fe);

/*
 * Also read and check migration metadata (a directory of *.json files
 * or one file; docs/metadata-language.rst) against the schema.  Call
 * before running.
 */
void qmig_front_end_set_features(QmigFrontEnd *fe, const char *path);

/*
 * Accept the schema language of older QEMU releases (4.2 on), for
 * checking and comparing their schemas: simple unions, and
 * documentation without the checks added since (line length, sentence
 * spacing, completeness, section order, Note/Example sections).
 */
void qmig_front_end_set_legacy(QmigFrontEnd *fe, bool legacy);
/*
 * Documentation comments that the rules reject are dropped instead of
 * stopping the load (QmigCtx.docs_relaxed); legacy mode implies it.
 */
void qmig_front_end_set_docs_relaxed(QmigFrontEnd *fe, bool relaxed);

/*
 * Check the schema at @path.  @pragma_path, if not NULL, names a file
 * whose pragmas are loaded first (QEMU keeps them in qapi/pragma.json,
 * which only the root schema includes).  Returns QMIG_EXIT_OK (0),
 * QMIG_EXIT_SCHEMA_ERROR (1) or QMIG_EXIT_USAGE (2, unreadable root).
 * A front end runs once.
 */
int qmig_front_end_run(QmigFrontEnd *fe, const char *path,
                       const char *pragma_path);

/*
 * Same, for schema text in memory (fuzzing); @name is the file name
 * used in diagnostics and as the base for relative includes.
 */
int qmig_front_end_run_buffer(QmigFrontEnd *fe, const char *name,
                              const char *data, size_t len);

/* The diagnostic after a failed run, ending in a newline; else NULL. */
const char *qmig_front_end_error(const QmigFrontEnd *fe);

/*
 * The notes of the last run, each ending in a newline: with relaxed
 * documentation (legacy mode), one per doc block read as a plain
 * comment, and one per block and kind of dropped descriptions.  Valid
 * until @fe is freed.
 */
size_t qmig_front_end_notes(const QmigFrontEnd *fe, const char *const **notes);

/* The checked model after a successful run; else NULL. */
const QmigSchema *qmig_front_end_schema(const QmigFrontEnd *fe);

/* The checked metadata after a successful run with features; else NULL. */
const QmigMetadata *qmig_front_end_metadata(const QmigFrontEnd *fe);

typedef struct QmigGenOptions QmigGenOptions;

/*
 * After a successful run: generate every output in memory, then, unless
 * @list_only, write them under @dir (only those whose content changed)
 * and the dependency file @depfile if not NULL.  With @list_only, print
 * the output paths instead.  Returns an exit status; on failure the
 * diagnostic is in qmig_front_end_error().
 */
int qmig_front_end_generate(QmigFrontEnd *fe, const QmigGenOptions *opts,
                            const char *dir, const char *depfile,
                            bool list_only);

/* Bytes of arena memory the run used (benchmarks report it). */
size_t qmig_front_end_memory(const QmigFrontEnd *fe);

#endif /* QMIG_FRONTEND_H */
