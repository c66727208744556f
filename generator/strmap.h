/*
 * strmap.h - string-keyed hash map in the arena (open addressing).
 *
 * Used for the schema's name space and for duplicate-key detection in
 * large objects, where a linear scan would make hostile input quadratic.
 * Keys are not copied: they must outlive the map (arena strings do).
 */
#ifndef QMIG_STRMAP_H
#define QMIG_STRMAP_H

#include <stddef.h>

#include "arena.h"

typedef struct QmigStrMap QmigStrMap;

QmigStrMap *qmig_strmap_new(QmigArena *arena);
/* A map with room for about @n keys before it grows. */
QmigStrMap *qmig_strmap_new_sized(QmigArena *arena, size_t n);
void *qmig_strmap_get(const QmigStrMap *map, const char *key);
/* Sets @key to @value, replacing an earlier value. */
void qmig_strmap_put(QmigStrMap *map, const char *key, void *value);
size_t qmig_strmap_len(const QmigStrMap *map);

#endif /* QMIG_STRMAP_H */
