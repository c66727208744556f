/*
 * version.c - the version of the linked library; see qmig/version.h.
 */
#include "internal.h"

/*
 * A function, not the macro, so that a program can tell which library
 * it actually runs against, whatever headers it was built with.
 */
unsigned qmig_runtime_version(void)
{
    return QMIG_RUNTIME_VERSION_NUMBER;
}
