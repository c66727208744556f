/*
 * cname.h - QAPI names to C identifiers, as QEMU's scripts/qapi/common.py.
 *
 * The semantic checks need c_name() (clashes are decided on C names);
 * the C emitters need all three.  Results are arena strings.
 */
#ifndef QMIG_CNAME_H
#define QMIG_CNAME_H

#include <stdbool.h>

#include "arena.h"

/*
 * Map every character outside [A-Za-z0-9_] to '_'; with @protect, also
 * prefix "q_" to C keywords, reserved and polluted names, and names
 * starting with a digit.
 */
char *qmig_c_name(QmigArena *arena, const char *name, bool protect);

/* "BlockdevDriver" -> "BLOCKDEV_DRIVER" (QEMU's current camel_to_upper). */
char *qmig_camel_to_upper(QmigArena *arena, const char *name);

/* The C enumeration constant of @value in enum @type (prefix may be NULL). */
char *qmig_c_enum_const(QmigArena *arena, const char *type, const char *value,
                        const char *prefix);

#endif /* QMIG_CNAME_H */
