/*
 * dump.h - a stable text dump of the checked model.
 *
 * The format is the one QEMU's tests/qapi-schema/test-qapi.py prints,
 * so that qmig's model can be compared line by line with QEMU's own
 * expected outputs: modules in creation order, entities in definition
 * order, members with type and optionality, 'if' conditions, features,
 * then every documentation block.
 */
#ifndef QMIG_DUMP_H
#define QMIG_DUMP_H

#include <stdio.h>

#include "meta.h"
#include "schema.h"

void qmig_dump_schema(FILE *out, const QmigSchema *schema);

/* Python's repr() of the condition, as QEMU's test output shows it. */
void qmig_dump_ifcond(FILE *out, const QmigIfCond *cond, bool top);

/* The metadata: every entry with its resolved facts, then every rule. */
void qmig_dump_metadata(FILE *out, const QmigMetadata *meta);

/* A metadata condition in the shape it is written in. */
void qmig_dump_cond(FILE *out, const QmigCond *cond, bool top);

#endif /* QMIG_DUMP_H */
