/*
 * frame.c - handshake frames and named channel headers; see
 * qmig/handshake.h and docs/handshake-protocol.rst.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

const char *qmig_hs_message_name(unsigned type)
{
    switch (type) {
    case QMIG_HS_MSG_HELLO:
        return "hello";
    case QMIG_HS_MSG_ACCEPT:
        return "accept";
    case QMIG_HS_MSG_REJECT:
        return "reject";
    case QMIG_HS_MSG_CONFIRM:
        return "confirm";
    case QMIG_HS_MSG_ABORT:
        return "abort";
    default:
        return NULL;
    }
}

long qmig_hs_frame_decode(const uint8_t *buf, size_t len, QmigHsFrame *out,
                          QmigError **errp)
{
    static const uint8_t magic[4] = {'Q', 'M', 'H', 'S'};
    if (!buf && len) {
        qmig_error_setg(errp, "no buffer");
        return -1;
    }
    size_t n = len < 4 ? len : 4;
    /* memcmp() on a NULL buffer is undefined even for zero bytes. */
    if (n > 0 && memcmp(buf, magic, n) != 0) {
        uint8_t got[4] = {0};
        memcpy(got, buf, n);
        qmig_error_setg(errp,
                        "not a handshake frame: magic 0x%08x (%zu bytes), "
                        "expected 0x%08x",
                        (unsigned)get_be32(got), n, QMIG_HS_MAGIC);
        return -1;
    }
    if (len >= 12) {
        uint32_t length = get_be32(buf + 8);
        if (length > QMIG_HS_FRAME_MAX) {
            qmig_error_setg(errp,
                            "handshake frame of %u bytes exceeds the "
                            "maximum of %u",
                            (unsigned)length, QMIG_HS_FRAME_MAX);
            return -1;
        }
        if (len - 12 >= length) {
            if (out) {
                out->version = get_be16(buf + 4);
                out->type = get_be16(buf + 6);
                out->length = length;
                out->payload = buf + 12;
            }
            return (long)(12 + length);
        }
    }
    return 0;
}

void qmig__hs_frame_header(uint8_t *out, uint16_t version, uint16_t type,
                           uint32_t len)
{
    put_be32(out, QMIG_HS_MAGIC);
    put_be16(out + 4, version);
    put_be16(out + 6, type);
    put_be32(out + 8, len);
}

uint8_t *qmig_hs_frame_encode(uint16_t version, uint16_t type,
                              const void *payload, size_t len,
                              size_t *out_len, QmigError **errp)
{
    if (len > QMIG_HS_FRAME_MAX || (len && !payload)) {
        qmig_error_setg(errp,
                        "handshake payload of %zu bytes exceeds the maximum "
                        "of %u",
                        len, QMIG_HS_FRAME_MAX);
        return NULL;
    }
    uint8_t *buf = malloc(QMIG_HS_FRAME_HEADER_SIZE + len);
    if (!buf) {
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    qmig__hs_frame_header(buf, version, type, (uint32_t)len);
    if (len) {
        memcpy(buf + QMIG_HS_FRAME_HEADER_SIZE, payload, len);
    }
    if (out_len) {
        *out_len = QMIG_HS_FRAME_HEADER_SIZE + len;
    }
    return buf;
}

/* --- channel headers --------------------------------------------------- */

/*
 * Layout: be32 magic, be16 version, be16 reserved (0), 16 bytes session
 * id, 40 bytes name, NUL-padded (at least one NUL).
 */
#define CH_SESSION 8
#define CH_NAME 24
#define CH_NAME_FIELD 40

static bool name_valid(const char *name, size_t len)
{
    if (len == 0 || len > QMIG_CHANNEL_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (name[i] <= ' ' || name[i] > '~') {
            return false;
        }
    }
    return true;
}

bool qmig_channel_header_encode(unsigned version, const uint8_t session[16],
                                const char *name,
                                uint8_t out[QMIG_CHANNEL_HEADER_SIZE],
                                QmigError **errp)
{
    size_t len = name ? strnlen(name, QMIG_CHANNEL_NAME_MAX + 1) : 0;
    if (!name_valid(name, len)) {
        qmig_error_setg(errp,
                        "invalid channel name: must be 1 to %d printable "
                        "characters without spaces",
                        QMIG_CHANNEL_NAME_MAX);
        return false;
    }
    if (!session || version == 0 || version > 0xffff) {
        qmig_error_setg(errp, "invalid channel header version or session");
        return false;
    }
    memset(out, 0, QMIG_CHANNEL_HEADER_SIZE);
    put_be32(out, QMIG_CHANNEL_MAGIC);
    put_be16(out + 4, (uint16_t)version);
    memcpy(out + CH_SESSION, session, 16);
    memcpy(out + CH_NAME, name, len);
    return true;
}

bool qmig_channel_header_decode(const uint8_t *buf, size_t len,
                                unsigned *version, uint8_t session[16],
                                char name[QMIG_CHANNEL_NAME_MAX + 1],
                                QmigError **errp)
{
    if (!buf || len < QMIG_CHANNEL_HEADER_SIZE) {
        qmig_error_setg(errp, "channel header truncated: %zu of %d bytes",
                        buf ? len : 0, QMIG_CHANNEL_HEADER_SIZE);
        return false;
    }
    if (get_be32(buf) != QMIG_CHANNEL_MAGIC) {
        qmig_error_setg(errp,
                        "not a channel header: magic 0x%08x, expected "
                        "0x%08x",
                        (unsigned)get_be32(buf), QMIG_CHANNEL_MAGIC);
        return false;
    }
    if (get_be16(buf + 4) == 0) {
        qmig_error_setg(errp, "channel header: protocol version 0 is "
                              "invalid");
        return false;
    }
    if (get_be16(buf + 6) != 0) {
        qmig_error_setg(errp, "channel header: reserved bytes are not zero");
        return false;
    }
    const char *field = (const char *)buf + CH_NAME;
    size_t n = strnlen(field, CH_NAME_FIELD);
    if (n == CH_NAME_FIELD || !name_valid(field, n)) {
        qmig_error_setg(errp, "channel header: invalid channel name");
        return false;
    }
    for (size_t i = n; i < CH_NAME_FIELD; i++) {
        if (field[i] != '\0') {
            qmig_error_setg(errp,
                            "channel header: name padding is not zero");
            return false;
        }
    }
    if (version) {
        *version = get_be16(buf + 4);
    }
    if (session) {
        memcpy(session, buf + CH_SESSION, 16);
    }
    if (name) {
        memcpy(name, field, n);
        name[n] = '\0';
    }
    return true;
}

/* --- channel map ------------------------------------------------------- */

struct QmigChannelMap {
    unsigned version;
    uint8_t session[16];
    char **names;
    bool *seen;
    size_t n, n_seen;
};

void qmig_channel_map_free(QmigChannelMap *map)
{
    if (!map) {
        return;
    }
    for (size_t i = 0; i < map->n; i++) {
        free(map->names[i]);
    }
    free(map->names);
    free(map->seen);
    free(map);
}

QmigChannelMap *qmig_channel_map_new(unsigned version,
                                     const uint8_t session[16],
                                     const char *const *names, size_t n,
                                     QmigError **errp)
{
    if (!session || (n && !names)) {
        qmig_error_setg(errp, "channel map: no session or names");
        return NULL;
    }
    QmigChannelMap *map = calloc(1, sizeof(*map));
    if (!map || !(map->names = calloc(n ? n : 1, sizeof(char *))) ||
        !(map->seen = calloc(n ? n : 1, sizeof(bool)))) {
        qmig_channel_map_free(map);
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    map->version = version;
    memcpy(map->session, session, 16);
    for (size_t i = 0; i < n; i++) {
        size_t len = names[i] ? strnlen(names[i], QMIG_CHANNEL_NAME_MAX + 1)
                              : 0;
        if (!name_valid(names[i], len)) {
            qmig_error_setg(errp, "channel map: invalid channel name");
            qmig_channel_map_free(map);
            return NULL;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(map->names[j], names[i]) == 0) {
                qmig_error_setg(errp, "channel map: channel '%s' listed twice",
                                names[i]);
                qmig_channel_map_free(map);
                return NULL;
            }
        }
        map->names[i] = strdup(names[i]);
        map->n = i + 1;
        if (!map->names[i]) {
            qmig_error_setg(errp, "out of memory");
            qmig_channel_map_free(map);
            return NULL;
        }
    }
    return map;
}

QmigChannelMap *qmig_channel_map_from_hs(const QmigHs *hs, QmigError **errp)
{
    if (!hs || qmig_hs_state(hs) != QMIG_HS_DONE) {
        qmig_error_setg(errp, "channel map: the handshake is not done");
        return NULL;
    }
    size_t n = qmig_hs_n_channels(hs);
    const char **names = calloc(n ? n : 1, sizeof(*names));
    if (!names) {
        qmig_error_setg(errp, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        names[i] = qmig_hs_channel(hs, i);
    }
    QmigChannelMap *map = qmig_channel_map_new(
        qmig_hs_version(hs), qmig_hs_session(hs), names, n, errp);
    free(names);
    return map;
}

long qmig_channel_map_accept(QmigChannelMap *map, const uint8_t *buf,
                             size_t len, QmigError **errp)
{
    unsigned version;
    uint8_t session[16];
    char name[QMIG_CHANNEL_NAME_MAX + 1];
    if (!map) {
        qmig_error_setg(errp, "no channel map");
        return -1;
    }
    if (!qmig_channel_header_decode(buf, len, &version, session, name,
                                    errp)) {
        return -1;
    }
    if (version != map->version) {
        qmig_error_setg(errp,
                        "channel '%s': protocol version %u, the handshake "
                        "agreed on %u",
                        name, version, map->version);
        return -1;
    }
    if (memcmp(session, map->session, 16) != 0) {
        qmig_error_setg(errp,
                        "channel '%s': wrong session id (not from this "
                        "migration's handshake)",
                        name);
        return -1;
    }
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->names[i], name) == 0) {
            if (map->seen[i]) {
                qmig_error_setg(errp, "channel '%s' connected twice", name);
                return -1;
            }
            map->seen[i] = true;
            map->n_seen++;
            return (long)i;
        }
    }
    qmig_error_setg(errp, "unknown channel '%s': not in the agreed plan",
                    name);
    return -1;
}

bool qmig_channel_map_complete(const QmigChannelMap *map)
{
    return map && map->n_seen == map->n;
}

bool qmig_channel_map_release(QmigChannelMap *map, size_t index,
                              QmigError **errp)
{
    if (!map || index >= map->n || !map->seen[index]) {
        qmig_error_setg(errp, "channel %zu: not connected, cannot be "
                              "released", index);
        return false;
    }
    map->seen[index] = false;
    map->n_seen--;
    return true;
}
