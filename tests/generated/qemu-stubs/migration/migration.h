/* TEST STUB of QEMU's migration/migration.h: see ../README. */
#ifndef QMIG_TEST_STUB_MIGRATION_MIGRATION_H
#define QMIG_TEST_STUB_MIGRATION_MIGRATION_H

#include "qapi/qapi-types-migration.h"

/*
 * The stub fails (with "stub: bad alias map") when the first alias of
 * @bbm is NULL, and counts its calls in stub_bitmap_checks.
 */
bool check_dirty_bitmap_mig_alias_map(const BitmapMigrationNodeAliasList *bbm,
                                      Error **errp);
extern int stub_bitmap_checks;

#endif
