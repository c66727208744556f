/* TEST STUB of QEMU's qemu/host-utils.h: see ../README. */
#ifndef QMIG_TEST_STUB_QEMU_HOST_UTILS_H
#define QMIG_TEST_STUB_QEMU_HOST_UTILS_H

static inline bool is_power_of_2(uint64_t value)
{
    return value && !(value & (value - 1));
}

#endif
