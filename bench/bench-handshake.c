/*
 * bench-handshake - the migration handshake engine, in process.
 *
 * Both sides run in memory (no sockets): the figures are the engine's
 * cost, what a loopback handshake adds on top is a few system calls.
 * Reports, for the full reference feature set (every handshake
 * feature of the migration schema that a valid configuration can
 * enable) and 1,000 device sections:
 * - the median time of a whole handshake (both engines created, HELLO,
 *   ACCEPT, CONFIRM, both DONE, engines freed), over batches;
 * - the messages exchanged and the round trips to agreement;
 * - the sizes of HELLO, ACCEPT and CONFIRM.
 * Targets: <= 1 ms median; one round trip (HELLO, ACCEPT) plus the
 * one-way CONFIRM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qmig-migration-channels.h"
#include "qmig-migration-types.h"
#include "qmig/handshake.h"

#define N_DEVICES 1000
#define BATCHES 15
#define PER_BATCH 20

static const char src_config[] =
    "{\"capabilities\": {\"multifd\": true, \"postcopy-ram\": true,"
    " \"postcopy-preempt\": true, \"return-path\": true,"
    " \"switchover-ack\": true, \"dirty-bitmaps\": true},"
    " \"parameters\": {\"multifd-channels\": 8,"
    " \"multifd-compression\": \"none\", \"mode\": \"normal\"}}";
static const char dst_config[] =
    "{\"capabilities\": {\"dirty-bitmaps\": true}, \"parameters\": {}}";

static QmigHsDevice devices[N_DEVICES];
static char names[N_DEVICES][48];

static unsigned plan(const void *config, QmigChannelRef *out, unsigned max)
{
    return qmig_migration_channel_plan(config, out, max);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct Stats {
    unsigned messages, round_trips;
    size_t sizes[8]; /* by message type */
} Stats;

/* Move @from's output to @to; count the frames by type. */
static bool pump(QmigHs *from, QmigHs *to, Stats *st)
{
    size_t len;
    const uint8_t *out = qmig_hs_output(from, &len);
    if (!len) {
        return false;
    }
    if (st) {
        for (size_t off = 0; off < len;) {
            QmigHsFrame fr;
            long n = qmig_hs_frame_decode(out + off, len - off, &fr, NULL);
            if (n <= 0) {
                break;
            }
            st->messages++;
            if (fr.type < 8) {
                st->sizes[fr.type] = (size_t)n;
            }
            off += (size_t)n;
        }
    }
    uint8_t *copy = malloc(len);
    memcpy(copy, out, len);
    qmig_hs_output_consume(from, len);
    qmig_hs_feed(to, copy, len, NULL);
    free(copy);
    return true;
}

static bool one(QmigMigrationConfig *src, QmigMigrationConfig *dst,
                const QmigHsOptions *so, const QmigHsOptions *dopt, Stats *st)
{
    QmigHs *s = qmig_hs_new(so, src, NULL);
    QmigHs *d = qmig_hs_new(dopt, dst, NULL);
    /* A round trip: source sends, destination answers. */
    for (int i = 0; i < 10; i++) {
        bool a = pump(s, d, st);
        bool b = pump(d, s, st);
        if (st && a && b) {
            st->round_trips++;
        }
        if (!a && !b) {
            break;
        }
    }
    bool ok = qmig_hs_state(s) == QMIG_HS_DONE &&
              qmig_hs_state(d) == QMIG_HS_DONE;
    if (!ok && st) {
        for (size_t i = 0; i < qmig_hs_n_reasons(d); i++) {
            fprintf(stderr, "destination: %s\n", qmig_hs_reason(d, i));
        }
        for (size_t i = 0; i < qmig_hs_n_reasons(s); i++) {
            fprintf(stderr, "source: %s\n", qmig_hs_reason(s, i));
        }
    }
    if (st) {
        printf("channels in the agreed plan: %zu\n", qmig_hs_n_channels(s));
    }
    qmig_hs_free(s);
    qmig_hs_free(d);
    return ok;
}

int main(void)
{
    for (unsigned i = 0; i < N_DEVICES; i++) {
        snprintf(names[i], sizeof(names[i]), "0000:%02x:%02x.0/dev-%u",
                 i / 32, i % 32, i);
        devices[i] = (QmigHsDevice){names[i], i % 4, 1 + i % 7, 1};
    }
    QmigMigrationConfig src, dst;
    qmig_migration_config_init(&src);
    qmig_migration_config_init(&dst);
    if (!qmig_config_from_json(&src, src_config, strlen(src_config), NULL) ||
        !qmig_config_from_json(&dst, dst_config, strlen(dst_config), NULL)) {
        fprintf(stderr, "bench-handshake: bad built-in configuration\n");
        return 1;
    }
    src.header.has_side = dst.header.has_side = true;
    src.header.side = QMIG_SIDE_SOURCE;
    dst.header.side = QMIG_SIDE_DESTINATION;
    QmigHsOptions so = {
        .side = QMIG_SIDE_SOURCE, .machine = "pc-q35-10.0",
        .target_page_size = 4096, .host_page_size = 4096, .has_uuid = true,
        .devices = devices, .n_devices = N_DEVICES, .plan = plan,
    };
    for (int i = 0; i < 16; i++) {
        so.session[i] = (uint8_t)(i * 17 + 3);
        so.uuid[i] = (uint8_t)i;
    }
    QmigHsOptions dopt = so;
    dopt.side = QMIG_SIDE_DESTINATION;

    Stats st = {0};
    if (!one(&src, &dst, &so, &dopt, &st)) {
        fprintf(stderr, "bench-handshake: the handshake failed\n");
        return 1;
    }
    printf("messages exchanged: %u (hello %zu B, accept %zu B, confirm "
           "%zu B)\n", st.messages, st.sizes[QMIG_HS_MSG_HELLO],
           st.sizes[QMIG_HS_MSG_ACCEPT], st.sizes[QMIG_HS_MSG_CONFIRM]);
    printf("round trips to agreement: %u plus the one-way confirm "
           "(target: 1 plus confirm)\n", st.round_trips);

    double med[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_s();
        for (int k = 0; k < PER_BATCH; k++) {
            if (!one(&src, &dst, &so, &dopt, NULL)) {
                return 1;
            }
        }
        med[b] = (now_s() - t0) / PER_BATCH;
    }
    qsort(med, BATCHES, sizeof(med[0]), cmp);
    printf("handshake, %u device sections, engine only: median %.1f us "
           "(target <= 1000 us)\n", N_DEVICES, med[BATCHES / 2] * 1e6);
    int status = st.round_trips == 1 && st.messages == 3 &&
                 med[BATCHES / 2] <= 1e-3 ? 0 : 1;
    printf("%s\n", status ? "TARGET MISSED" : "targets met");
    qmig_config_clear(&src);
    qmig_config_clear(&dst);
    return status;
}
