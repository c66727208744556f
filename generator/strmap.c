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

/*
 * Eight bytes per step (after strlen(), which libc does a vector at a
 * time): names are 15 to 20 bytes on average and every type reference
 * is looked up, so a byte-at-a-time hash such as FNV-1a showed in the
 * profile.  The final mix spreads the bits into the low ones that the
 * slot mask keeps.
 */
static uint32_t hash_str(const char *s)
{
    const uint64_t mul = 0xff51afd7ed558ccdu;
    size_t n = strlen(s);
    uint64_t h = 0x9e3779b97f4a7c15u ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * mul;
        h ^= h >> 32;
    }
    if (n) {
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++) {
            w |= (uint64_t)(unsigned char)s[i] << (8 * i);
        }
        h = (h ^ w) * mul;
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 29;
    return (uint32_t)h;
}

QmigStrMap *qmig_strmap_new_sized(QmigArena *arena, size_t n)
{
    QmigStrMap *map = QMIG_NEW(arena, QmigStrMap);
    map->arena = arena;
    map->cap = 16;
    /* The load factor stays under 3/4 (see qmig_strmap_put()). */
    while (map->cap / 4 * 3 < n) {
        map->cap *= 2;
    }
    map->slots = qmig_arena_alloc(arena, map->cap * sizeof(Slot));
    return map;
}

QmigStrMap *qmig_strmap_new(QmigArena *arena)
{
    return qmig_strmap_new_sized(arena, 0);
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
