/*
 * capset.c - fixed-size capability bit sets; see qmig/config.h.
 *
 * Capability numbers at or above QMIG_CAPSET_MAX cannot be stored: add
 * and remove ignore them and has reports them absent, so that a bad
 * index never writes outside the set.
 */
#include "internal.h"

#include <string.h>

#define CAPSET_WORDS (QMIG_CAPSET_MAX / 64)

void qmig_capset_clear(QmigCapSet *set)
{
    memset(set, 0, sizeof(*set));
}

void qmig_capset_add(QmigCapSet *set, unsigned cap)
{
    if (cap < QMIG_CAPSET_MAX) {
        set->bits[cap / 64] |= UINT64_C(1) << (cap % 64);
    }
}

void qmig_capset_remove(QmigCapSet *set, unsigned cap)
{
    if (cap < QMIG_CAPSET_MAX) {
        set->bits[cap / 64] &= ~(UINT64_C(1) << (cap % 64));
    }
}

bool qmig_capset_has(const QmigCapSet *set, unsigned cap)
{
    return cap < QMIG_CAPSET_MAX &&
           (set->bits[cap / 64] >> (cap % 64) & 1) != 0;
}

unsigned qmig_capset_count(const QmigCapSet *set)
{
    unsigned n = 0;
    for (unsigned i = 0; i < CAPSET_WORDS; i++) {
        /* Clear the lowest set bit until none is left (portable C11). */
        for (uint64_t w = set->bits[i]; w; w &= w - 1) {
            n++;
        }
    }
    return n;
}

bool qmig_capset_equal(const QmigCapSet *a, const QmigCapSet *b)
{
    for (unsigned i = 0; i < CAPSET_WORDS; i++) {
        if (a->bits[i] != b->bits[i]) {
            return false;
        }
    }
    return true;
}

void qmig_capset_intersect(QmigCapSet *dst, const QmigCapSet *other)
{
    for (unsigned i = 0; i < CAPSET_WORDS; i++) {
        dst->bits[i] &= other->bits[i];
    }
}

void qmig_capset_union(QmigCapSet *dst, const QmigCapSet *other)
{
    for (unsigned i = 0; i < CAPSET_WORDS; i++) {
        dst->bits[i] |= other->bits[i];
    }
}
