/*
 * strmap.c - string-keyed hash map; see strmap.h.
 */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

typedef struct Slot {
    const char *key;
    void *value;
    uint32_t hash;
} Slot;

struct QmigStrMap {
    QmigArena *arena;
    Slot *slots;
    size_t cap; /* a power of two */
    size_t len;
};

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

QmigStrMap *qmig_strmap_new(QmigArena *arena)
{
    QmigStrMap *map = QMIG_NEW(arena, QmigStrMap);
    map->arena = arena;
    map->cap = 16;
    map->slots = qmig_arena_alloc(arena, map->cap * sizeof(Slot));
    return map;
}

static Slot *find_slot(const QmigStrMap *map, const char *key, uint32_t hash)
{
    size_t mask = map->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        Slot *slot = &map->slots[i];
        if (!slot->key ||
            (slot->hash == hash && !strcmp(slot->key, key))) {
            return slot;
        }
    }
}

void *qmig_strmap_get(const QmigStrMap *map, const char *key)
{
    Slot *slot = find_slot(map, key, hash_str(key));
    return slot->key ? slot->value : NULL;
}

static void grow(QmigStrMap *map)
{
    Slot *old = map->slots;
    size_t old_cap = map->cap;
    map->cap *= 2;
    map->slots = qmig_arena_alloc(map->arena, map->cap * sizeof(Slot));
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key) {
            *find_slot(map, old[i].key, old[i].hash) = old[i];
        }
    }
}

void qmig_strmap_put(QmigStrMap *map, const char *key, void *value)
{
    if ((map->len + 1) * 4 > map->cap * 3) {
        grow(map);
    }
    uint32_t hash = hash_str(key);
    Slot *slot = find_slot(map, key, hash);
    if (!slot->key) {
        slot->key = key;
        slot->hash = hash;
        map->len++;
    }
    slot->value = value;
}

size_t qmig_strmap_len(const QmigStrMap *map)
{
    return map->len;
}
