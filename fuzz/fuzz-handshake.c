/*
 * fuzz-handshake.c - libFuzzer targets for the migration handshake
 * (qmig/handshake.h), built twice:
 *
 * - fuzz-hs-frame (-DQMIG_FUZZ_HS_FRAME): the input is raw bytes from
 *   the peer.  Checks qmig_hs_frame_decode()'s contract (error on -1,
 *   0 only for a valid prefix, a complete frame re-encodes to the same
 *   bytes), the channel header decoder and channel map, and feeds the
 *   bytes, split at an input-chosen offset, to a destination engine and
 *   to a source engine: they end in a defined state, never crash.
 * - fuzz-hs-message (-DQMIG_FUZZ_HS_MESSAGE): the input is a message
 *   payload.  Byte 0 picks the message type and the receiving side; the
 *   rest is wrapped in a well-formed frame, so the fuzzer works on the
 *   JSON decoding and the checks of HELLO, ACCEPT, REJECT, CONFIRM and
 *   ABORT (the engine uses the generated migration schema).  Bit 5 of
 *   byte 0 makes the engine one-way (a loader of file: or exec:
 *   streams, or a writer).
 *
 * Built with -DQMIG_FUZZ_REPLAY it gets a main() that replays files or
 * directories (the seed corpora, as tests in suite 'fuzz').
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmig-migration-channels.h"
#include "qmig-migration-types.h"
#include "qmig/handshake.h"

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz-handshake: contract violated: %s\n",       \
                    #cond);                                                   \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int last_status;

static const QmigHsDevice devices[] = {
    {"ram", 0, 4, 4},
    {"0000:00:02.0/virtio-net", 0, 11, 1},
};

static unsigned plan(const void *config, QmigChannelRef *out, unsigned max)
{
    return qmig_migration_channel_plan(config, out, max);
}

static void options(QmigHsOptions *o, QmigSide side)
{
    memset(o, 0, sizeof(*o));
    o->side = side;
    o->machine = "pc-q35-10.0";
    o->target_page_size = 4096;
    o->host_page_size = 4096;
    o->devices = devices;
    o->n_devices = 2;
    o->plan = plan;
    o->allow_legacy = side == QMIG_SIDE_DESTINATION;
    for (int i = 0; i < 16; i++) {
        o->session[i] = (uint8_t)(0x10 + i);
    }
}

static void config_init(QmigMigrationConfig *c, QmigSide side)
{
    qmig_migration_config_init(c);
    c->header.has_side = true;
    c->header.side = side;
    qmig_capset_add(&c->header.caps, QMIG_MIGRATION_CAP_MULTIFD);
}

/* Check the engine's observable state after it was fed. */
static void check_engine(QmigHs *hs, bool fed_ok)
{
    QmigHsState st = qmig_hs_state(hs);
    FUZZ_CHECK(qmig_hs_state_name(st) != NULL);
    FUZZ_CHECK(fed_ok == (st != QMIG_HS_FAILED));
    if (st == QMIG_HS_FAILED) {
        FUZZ_CHECK(qmig_hs_n_reasons(hs) > 0);
        for (size_t i = 0; i < qmig_hs_n_reasons(hs); i++) {
            FUZZ_CHECK(qmig_hs_reason(hs, i) != NULL);
        }
    }
    if (st == QMIG_HS_DONE) {
        FUZZ_CHECK(qmig_hs_agreed(hs) != NULL);
        for (size_t i = 0; i < qmig_hs_n_channels(hs); i++) {
            FUZZ_CHECK(qmig_hs_channel(hs, i) != NULL);
        }
    } else {
        FUZZ_CHECK(qmig_hs_agreed(hs) == NULL);
    }
    size_t len;
    const uint8_t *out = qmig_hs_output(hs, &len);
    FUZZ_CHECK(len == 0 || out != NULL);
    /* Whatever it sends must itself be well-formed frames. */
    size_t off = 0;
    while (off < len) {
        QmigHsFrame fr;
        long n = qmig_hs_frame_decode(out + off, len - off, &fr, NULL);
        FUZZ_CHECK(n > 0);
        off += (size_t)n;
    }
    qmig_hs_output_consume(hs, len);
    QmigError *err = NULL;
    bool eof = qmig_hs_feed_eof(hs, &err);
    FUZZ_CHECK(eof || err != NULL);
    qmig_error_free(err);
}

static QmigHs *engine(QmigSide side, bool oneway, QmigMigrationConfig *cfg,
                      QmigHsOptions *o)
{
    config_init(cfg, side);
    options(o, side);
    o->oneway = oneway;
    QmigHs *hs = qmig_hs_new(o, cfg, NULL);
    FUZZ_CHECK(hs != NULL);
    if (side == QMIG_SIDE_SOURCE) {
        size_t len;
        qmig_hs_output(hs, &len);
        FUZZ_CHECK(len > 0); /* HELLO */
        qmig_hs_output_consume(hs, len);
    }
    return hs;
}

static __attribute__((unused)) void feed_engine(QmigSide side, const uint8_t *data, size_t size,
                        size_t split)
{
    QmigMigrationConfig cfg;
    QmigHsOptions o;
    QmigHs *hs = engine(side, false, &cfg, &o);
    QmigError *err = NULL;
    bool ok = qmig_hs_feed(hs, data, split, &err);
    if (ok) {
        ok = qmig_hs_feed(hs, data + split, size - split, &err);
    }
    FUZZ_CHECK(ok || err != NULL);
    qmig_error_free(err);
    check_engine(hs, ok);
    qmig_hs_free(hs);
    qmig_config_clear(&cfg);
}

#ifdef QMIG_FUZZ_HS_FRAME
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QmigHsFrame fr;
    QmigError *err = NULL;
    long n = qmig_hs_frame_decode(data, size, &fr, &err);
    last_status = n > 0 ? 0 : 1;
    if (n < 0) {
        FUZZ_CHECK(err != NULL && qmig_error_message(err)[0]);
        qmig_error_free(err);
        err = NULL;
    } else if (n == 0) {
        FUZZ_CHECK(err == NULL && size < QMIG_HS_FRAME_HEADER_SIZE +
                                             QMIG_HS_FRAME_MAX);
    } else {
        FUZZ_CHECK((size_t)n <= size);
        FUZZ_CHECK((size_t)n == QMIG_HS_FRAME_HEADER_SIZE + fr.length);
        size_t len;
        uint8_t *again = qmig_hs_frame_encode(fr.version, fr.type, fr.payload,
                                              fr.length, &len, NULL);
        FUZZ_CHECK(again && len == (size_t)n && !memcmp(again, data, len));
        free(again);
        /* Every prefix is a valid prefix. */
        FUZZ_CHECK(qmig_hs_frame_decode(data, (size_t)n - 1, &fr, NULL) == 0);
    }

    /* Channel headers, and a map expecting two channels. */
    unsigned version;
    uint8_t session[16];
    char name[QMIG_CHANNEL_NAME_MAX + 1];
    if (qmig_channel_header_decode(data, size, &version, session, name,
                                   NULL)) {
        uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE];
        FUZZ_CHECK(strlen(name) <= QMIG_CHANNEL_NAME_MAX);
        FUZZ_CHECK(qmig_channel_header_encode(version, session, name, hdr,
                                              NULL));
        FUZZ_CHECK(!memcmp(hdr, data, sizeof(hdr)));
    }
    static const uint8_t sess[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                     0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
                                     0x1c, 0x1d, 0x1e, 0x1f};
    static const char *const names[] = {"multifd/0", "postcopy-preempt"};
    QmigChannelMap *map = qmig_channel_map_new(2, sess, names, 2, NULL);
    FUZZ_CHECK(map != NULL);
    for (size_t off = 0; off + QMIG_CHANNEL_HEADER_SIZE <= size &&
                         off < 4 * QMIG_CHANNEL_HEADER_SIZE;
         off += QMIG_CHANNEL_HEADER_SIZE) {
        long idx = qmig_channel_map_accept(map, data + off,
                                           QMIG_CHANNEL_HEADER_SIZE, &err);
        FUZZ_CHECK(idx == -1 ? err != NULL : (idx == 0 || idx == 1));
        qmig_error_free(err);
        err = NULL;
    }
    qmig_channel_map_free(map);

    /* The byte stream into both engines, split somewhere. */
    size_t split = size ? data[size - 1] % (size + 1) : 0;
    feed_engine(QMIG_SIDE_DESTINATION, data, size, split);
    feed_engine(QMIG_SIDE_SOURCE, data, size, split);
    return 0;
}
#endif

#ifdef QMIG_FUZZ_HS_MESSAGE
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        last_status = 1;
        return 0;
    }
    /* Byte 0: bits 0-2 the type (0-7), bit 3 the version 1/2, bit 4 the
     * side: 0 destination (HELLO, then CONFIRM/ABORT), 1 source; bit 5
     * one-way. */
    unsigned type = data[0] & 7;
    unsigned version = data[0] & 8 ? 2 : 1;
    QmigSide side = data[0] & 16 ? QMIG_SIDE_SOURCE : QMIG_SIDE_DESTINATION;
    size_t len;
    uint8_t *frame = qmig_hs_frame_encode((uint16_t)version, (uint16_t)type,
                                          data + 1, size - 1, &len, NULL);
    FUZZ_CHECK(frame != NULL);
    QmigMigrationConfig cfg;
    QmigHsOptions o;
    QmigHs *hs = engine(side, data[0] & 32, &cfg, &o);
    QmigError *err = NULL;
    bool ok = qmig_hs_feed(hs, frame, len, &err);
    FUZZ_CHECK(ok || err != NULL);
    qmig_error_free(err);
    last_status = ok ? 0 : 1;
    check_engine(hs, ok);
    qmig_hs_free(hs);
    qmig_config_clear(&cfg);
    free(frame);
    return 0;
}
#endif

#ifdef QMIG_FUZZ_REPLAY
#include "replay.h"
#endif
