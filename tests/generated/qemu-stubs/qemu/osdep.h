/* TEST STUB of QEMU's qemu/osdep.h: see ../README. */
#ifndef QMIG_TEST_STUB_QEMU_OSDEP_H
#define QMIG_TEST_STUB_QEMU_OSDEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* qemu/typedefs.h */
typedef struct Error Error;

/* glib's g_clear_pointer(), as a statement */
#define g_clear_pointer(pp, destroy)                                        \
    do {                                                                    \
        if (*(pp)) {                                                        \
            (destroy)(*(pp));                                               \
            *(pp) = NULL;                                                   \
        }                                                                   \
    } while (0)

#endif
