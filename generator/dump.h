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

#include "schema.h"

void qmig_dump_schema(FILE *out, const QmigSchema *schema);

/* Python's repr() of the condition, as QEMU's test output shows it. */
void qmig_dump_ifcond(FILE *out, const QmigIfCond *cond, bool top);

#endif /* QMIG_DUMP_H */
