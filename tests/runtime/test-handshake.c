/*
 * test-handshake.c - the sans-IO handshake engine, frames and named
 * channels (qmig/handshake.h).
 *
 * The test schema's feature table has one feature; these tests use a
 * copy of the schema with a table covering every treatment:
 *
 *   id  item                kind        treatment
 *    1  multifd             capability  intersect
 *    2  postcopy-ram        capability  adopt
 *    3  return-path         capability  adopt
 *   10  multifd-channels    parameter   adopt
 *   11  downtime-limit      parameter   intersect
 *   12  compression         parameter   adopt
 *   20  zero-copy-send      capability  local (never sent)
 */
#include "test-schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const QmigHandshakeFeature hs_features[] = {
    {1, "multifd", QMIG_FEATURE_CAPABILITY, CAP_MULTIFD,
     QMIG_HANDSHAKE_INTERSECT, "4.0"},
    {2, "postcopy-ram", QMIG_FEATURE_CAPABILITY, CAP_POSTCOPY,
     QMIG_HANDSHAKE_ADOPT, "2.6"},
    {3, "return-path", QMIG_FEATURE_CAPABILITY, CAP_RETURN_PATH,
     QMIG_HANDSHAKE_ADOPT, NULL},
    {10, "multifd-channels", QMIG_FEATURE_PARAMETER, P_CHANNELS,
     QMIG_HANDSHAKE_ADOPT, NULL},
    {11, "downtime-limit", QMIG_FEATURE_PARAMETER, P_DOWNTIME,
     QMIG_HANDSHAKE_INTERSECT, NULL},
    {12, "compression", QMIG_FEATURE_PARAMETER, P_COMPRESS,
     QMIG_HANDSHAKE_ADOPT, NULL},
    {20, "zero-copy-send", QMIG_FEATURE_CAPABILITY, CAP_ZERO_COPY,
     QMIG_HANDSHAKE_LOCAL, "7.1"},
};

static QmigSchemaDesc hs_schema;

static const QmigHsDevice devs_a[] = {
    {"ram", 0, 4, 4},
    {"0000:00:02.0/virtio-net", 0, 11, 1},
    {"timer", 0, 2, 1},
};

typedef struct Side {
    TestConfig cfg;
    QmigHsOptions opts;
} Side;

static void side_init(Side *s, QmigSide side)
{
    memset(s, 0, sizeof(*s));
    qmig_config_init(&hs_schema, &s->cfg);
    s->cfg.header.has_side = true;
    s->cfg.header.side = side;
    s->opts.side = side;
    s->opts.machine = "pc-q35-10.0";
    s->opts.target_page_size = 4096;
    s->opts.host_page_size = 4096;
    s->opts.devices = devs_a;
    s->opts.n_devices = 3;
    s->opts.plan = test_channel_plan;
    for (int i = 0; i < 16; i++) {
        s->opts.session[i] = (uint8_t)(0xa0 + i);
        s->opts.uuid[i] = (uint8_t)i;
    }
    s->opts.has_uuid = true;
}

static void pair_init(Side *src, Side *dst)
{
    side_init(src, QMIG_SIDE_SOURCE);
    side_init(dst, QMIG_SIDE_DESTINATION);
}

static void pair_clear(Side *src, Side *dst)
{
    qmig_config_clear(&src->cfg);
    qmig_config_clear(&dst->cfg);
}

static void set_cap(Side *s, unsigned cap, bool on)
{
    if (on) {
        qmig_capset_add(&s->cfg.header.caps, cap);
    } else {
        qmig_capset_remove(&s->cfg.header.caps, cap);
    }
}

static void set_uint(Side *s, unsigned param, uint64_t v)
{
    assert_true(qmig_config_set_uint(&s->cfg, param, v, NULL));
}

/* Move the output of @from into @to, @chunk bytes at a time (0: all). */
static bool pump(QmigHs *from, QmigHs *to, size_t chunk)
{
    size_t len;
    const uint8_t *out = qmig_hs_output(from, &len);
    bool moved = len > 0;
    uint8_t *copy = len ? malloc(len) : NULL;
    if (len) {
        memcpy(copy, out, len);
    }
    qmig_hs_output_consume(from, len);
    for (size_t off = 0; off < len;) {
        size_t n = chunk && chunk < len - off ? chunk : len - off;
        qmig_hs_feed(to, copy + off, n, NULL);
        off += n;
    }
    free(copy);
    return moved;
}

typedef struct Run {
    QmigHs *src, *dst;
} Run;

static Run run(Side *src, Side *dst, size_t chunk)
{
    Run r;
    r.src = qmig_hs_new(&src->opts, &src->cfg, NULL);
    r.dst = qmig_hs_new(&dst->opts, &dst->cfg, NULL);
    assert_non_null(r.src);
    assert_non_null(r.dst);
    for (int i = 0; i < 10; i++) {
        bool a = pump(r.src, r.dst, chunk);
        bool b = pump(r.dst, r.src, chunk);
        if (!a && !b) {
            break;
        }
    }
    return r;
}

static void run_free(Run *r, Side *src, Side *dst)
{
    qmig_hs_free(r->src);
    qmig_hs_free(r->dst);
    pair_clear(src, dst);
}

static bool has_reason(const QmigHs *hs, const char *part)
{
    for (size_t i = 0; i < qmig_hs_n_reasons(hs); i++) {
        if (strstr(qmig_hs_reason(hs, i), part)) {
            return true;
        }
    }
    return false;
}

static void dump_reasons(const QmigHs *hs, const char *who)
{
    for (size_t i = 0; i < qmig_hs_n_reasons(hs); i++) {
        print_message("%s: %s\n", who, qmig_hs_reason(hs, i));
    }
}

static void expect_done(const Run *r)
{
    if (qmig_hs_state(r->src) != QMIG_HS_DONE ||
        qmig_hs_state(r->dst) != QMIG_HS_DONE) {
        dump_reasons(r->src, "source");
        dump_reasons(r->dst, "destination");
        fail_msg("handshake not done: source %s, destination %s",
                 qmig_hs_state_name(qmig_hs_state(r->src)),
                 qmig_hs_state_name(qmig_hs_state(r->dst)));
    }
    assert_int_equal(qmig_hs_digest(r->src), qmig_hs_digest(r->dst));
    assert_memory_equal(qmig_hs_session(r->src), qmig_hs_session(r->dst), 16);
    assert_int_equal(qmig_hs_version(r->src), qmig_hs_version(r->dst));
}

/* --- agreement ----------------------------------------------------------- */

static void test_agree_all_treatments(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    set_cap(&src, CAP_MULTIFD, true);   /* intersect, both allow */
    set_cap(&dst, CAP_MULTIFD, true);
    set_cap(&src, CAP_POSTCOPY, true);  /* adopt: dst does not set it */
    set_cap(&src, CAP_ZERO_COPY, true); /* local */
    set_uint(&src, P_CHANNELS, 3);      /* adopt */
    set_uint(&dst, P_CHANNELS, 8);      /* overridden by the source */
    set_uint(&src, P_DOWNTIME, 500);    /* intersect parameter */
    assert_true(qmig_config_set_enum(&src.cfg, P_COMPRESS, "zstd", NULL));
    assert_true(qmig_config_set_str(&dst.cfg, P_TLS_CREDS, "tls0", NULL));

    Run r = run(&src, &dst, 0);
    expect_done(&r);
    assert_int_equal(qmig_hs_version(r.src), QMIG_HS_VERSION_MAX);
    for (int side = 0; side < 2; side++) {
        const QmigHs *hs = side ? r.dst : r.src;
        const TestConfig *a = qmig_hs_agreed(hs);
        assert_non_null(a);
        assert_true(qmig_capset_has(&a->header.caps, CAP_MULTIFD));
        assert_true(qmig_capset_has(&a->header.caps, CAP_POSTCOPY));
        assert_int_equal(qmig_config_get_uint(a, P_CHANNELS), 3);
        assert_int_equal(qmig_config_get_uint(a, P_DOWNTIME), 500);
        assert_string_equal(qmig_config_get_enum(a, P_COMPRESS), "zstd");
        assert_int_equal(qmig_hs_n_channels(hs), 3);
        assert_string_equal(qmig_hs_channel(hs, 0), "multifd/0");
        assert_string_equal(qmig_hs_channel(hs, 2), "multifd/2");
        assert_null(qmig_hs_channel(hs, 3));
    }
    /* Local items stay local, each side keeps its own. */
    const TestConfig *sa = qmig_hs_agreed(r.src);
    const TestConfig *da = qmig_hs_agreed(r.dst);
    assert_true(qmig_capset_has(&sa->header.caps, CAP_ZERO_COPY));
    assert_false(qmig_capset_has(&da->header.caps, CAP_ZERO_COPY));
    assert_string_equal(qmig_config_get_str(da, P_TLS_CREDS), "tls0");
    assert_false(qmig_config_param_present(sa, P_TLS_CREDS));
    /* Nothing left to send, nothing unconsumed. */
    size_t len;
    qmig_hs_output(r.src, &len);
    assert_int_equal(len, 0);
    qmig_hs_unconsumed(r.dst, &len);
    assert_int_equal(len, 0);
    run_free(&r, &src, &dst);
}

static void test_local_never_sent(void **state)
{
    (void)state;
    Side src;
    side_init(&src, QMIG_SIDE_SOURCE);
    set_cap(&src, CAP_ZERO_COPY, true);
    set_cap(&src, CAP_X_OLD, true);
    assert_true(qmig_config_set_str(&src.cfg, P_TLS_HOST, "secret", NULL));
    QmigHs *hs = qmig_hs_new(&src.opts, &src.cfg, NULL);
    size_t len;
    const uint8_t *out = qmig_hs_output(hs, &len);
    char *text = calloc(1, len + 1);
    memcpy(text, out, len);
    assert_null(strstr(text + 12, "zero-copy"));
    assert_null(strstr(text + 12, "x-old"));
    assert_null(strstr(text + 12, "secret"));
    assert_non_null(strstr(text + 12, "\"postcopy-ram\""));
    free(text);
    qmig_hs_free(hs);
    qmig_config_clear(&src.cfg);
}

static void test_intersect(void **state)
{
    (void)state;
    Side src, dst;
    /* The destination does not allow multifd: off on both sides. */
    pair_init(&src, &dst);
    set_cap(&src, CAP_MULTIFD, true);
    set_uint(&src, P_CHANNELS, 4);
    set_uint(&src, P_DOWNTIME, 700);
    uint16_t unsup[] = {11};
    dst.opts.unsupported = unsup;
    dst.opts.n_unsupported = 1;
    Run r = run(&src, &dst, 0);
    expect_done(&r);
    for (int side = 0; side < 2; side++) {
        const TestConfig *a = qmig_hs_agreed(side ? r.dst : r.src);
        assert_false(qmig_capset_has(&a->header.caps, CAP_MULTIFD));
        /* Unsupported intersect parameter: the default on both sides. */
        assert_false(qmig_config_param_present(a, P_DOWNTIME));
        assert_int_equal(qmig_hs_n_channels(side ? r.dst : r.src), 0);
    }
    run_free(&r, &src, &dst);

    /* The destination allows it but the source does not want it. */
    pair_init(&src, &dst);
    set_cap(&dst, CAP_MULTIFD, true);
    r = run(&src, &dst, 0);
    expect_done(&r);
    const TestConfig *a = qmig_hs_agreed(r.dst);
    assert_false(qmig_capset_has(&a->header.caps, CAP_MULTIFD));
    run_free(&r, &src, &dst);

    /* Allowed by management but not supported by the build. */
    pair_init(&src, &dst);
    set_cap(&src, CAP_MULTIFD, true);
    set_cap(&dst, CAP_MULTIFD, true);
    uint16_t unsup1[] = {1};
    dst.opts.unsupported = unsup1;
    dst.opts.n_unsupported = 1;
    r = run(&src, &dst, 0);
    expect_done(&r);
    a = qmig_hs_agreed(r.src);
    assert_false(qmig_capset_has(&a->header.caps, CAP_MULTIFD));
    run_free(&r, &src, &dst);
}

static void test_adopt_unsupported(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    set_cap(&src, CAP_POSTCOPY, true);
    set_cap(&src, CAP_RETURN_PATH, true);
    set_uint(&src, P_CHANNELS, 4);
    uint16_t unsup[] = {2, 3, 10};
    dst.opts.unsupported = unsup;
    dst.opts.n_unsupported = 3;
    Run r = run(&src, &dst, 0);
    assert_int_equal(qmig_hs_state(r.src), QMIG_HS_FAILED);
    assert_int_equal(qmig_hs_state(r.dst), QMIG_HS_FAILED);
    /* Every unsupported item, on both sides. */
    assert_int_equal(qmig_hs_n_reasons(r.dst), 3);
    assert_int_equal(qmig_hs_n_reasons(r.src), 3);
    assert_true(has_reason(r.src, "'postcopy-ram' (id 2)"));
    assert_true(has_reason(r.src, "'return-path' (id 3)"));
    assert_true(has_reason(r.src, "'multifd-channels' (id 10)"));
    assert_null(qmig_hs_agreed(r.src));
    assert_null(qmig_hs_agreed(r.dst));
    QmigError *err = NULL;
    assert_false(qmig_hs_feed(r.src, "", 0, &err));
    assert_non_null(strstr(qmig_error_message(err), "handshake failed: "));
    qmig_error_free(err);
    run_free(&r, &src, &dst);

    /* An unsupported adopt item that is off is no problem. */
    pair_init(&src, &dst);
    dst.opts.unsupported = unsup;
    dst.opts.n_unsupported = 2;
    r = run(&src, &dst, 0);
    expect_done(&r);
    run_free(&r, &src, &dst);
}

/* A source that sends no UUID asks for no check; one that does gets it. */
static void test_uuid_only_when_sent(void **state)
{
    (void)state;
    Side src, dst;

    pair_init(&src, &dst);
    src.opts.has_uuid = false;
    dst.opts.uuid[0] = 0xff;
    Run r = run(&src, &dst, 0);
    expect_done(&r);
    run_free(&r, &src, &dst);

    pair_init(&src, &dst);
    dst.opts.uuid[0] = 0xff;
    r = run(&src, &dst, 0);
    assert_int_equal(qmig_hs_state(r.dst), QMIG_HS_FAILED);
    assert_true(has_reason(r.dst, "VM UUID: the source has "));
    run_free(&r, &src, &dst);
}

/* The destination's veto: postcopy is not possible on this host. */
static bool refuse_postcopy(void *opaque, const void *agreed, QmigError **errp)
{
    unsigned *calls = opaque;
    const QmigConfigHeader *h = agreed;

    (*calls)++;
    if (qmig_capset_has(&h->caps, CAP_POSTCOPY)) {
        qmig_error_setg(errp, "Postcopy is not supported: no userfaultfd");
        return false;
    }
    return true;
}

static void test_check_agreed(void **state)
{
    (void)state;
    Side src, dst;
    unsigned calls = 0;

    pair_init(&src, &dst);
    set_cap(&src, CAP_POSTCOPY, true);
    dst.opts.check_agreed = refuse_postcopy;
    dst.opts.check_opaque = &calls;
    Run r = run(&src, &dst, 0);
    assert_int_equal(calls, 1);
    assert_int_equal(qmig_hs_state(r.src), QMIG_HS_FAILED);
    assert_int_equal(qmig_hs_state(r.dst), QMIG_HS_FAILED);
    /* The veto is the only reason, and the source hears it too. */
    assert_int_equal(qmig_hs_n_reasons(r.dst), 1);
    assert_true(has_reason(r.dst, "Postcopy is not supported: no userfaultfd"));
    assert_true(has_reason(r.src, "Postcopy is not supported: no userfaultfd"));
    run_free(&r, &src, &dst);

    /* A configuration the caller accepts goes through. */
    calls = 0;
    pair_init(&src, &dst);
    dst.opts.check_agreed = refuse_postcopy;
    dst.opts.check_opaque = &calls;
    r = run(&src, &dst, 0);
    expect_done(&r);
    assert_int_equal(calls, 1);
    run_free(&r, &src, &dst);

    /* Not asked when the engine already refuses. */
    calls = 0;
    pair_init(&src, &dst);
    dst.opts.machine = "pc-i440fx-10.0";
    dst.opts.check_agreed = refuse_postcopy;
    dst.opts.check_opaque = &calls;
    r = run(&src, &dst, 0);
    assert_int_equal(qmig_hs_state(r.dst), QMIG_HS_FAILED);
    assert_int_equal(calls, 0);
    run_free(&r, &src, &dst);
}

/* --- checks -------------------------------------------------------------- */

static void test_mismatches_all_listed(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    static const QmigHsDevice devs_b[] = {
        {"ram", 0, 3, 3},                     /* too old for the source's 4 */
        {"0000:00:02.0/virtio-net", 0, 11, 1}, /* fine */
        {"usb", 0, 1, 1},                     /* missing on the source */
    };
    dst.opts.machine = "pc-q35-9.2";
    dst.opts.target_page_size = 65536;
    dst.opts.host_page_size = 65536;
    dst.opts.uuid[0] = 0xff;
    dst.opts.devices = devs_b;
    set_cap(&src, CAP_POSTCOPY, true);
    set_uint(&src, P_DOWNTIME, 5000); /* breaks downtime-limit-range */
    Run r = run(&src, &dst, 0);
    assert_int_equal(qmig_hs_state(r.dst), QMIG_HS_FAILED);
    assert_int_equal(qmig_hs_state(r.src), QMIG_HS_FAILED);
    const char *expect[] = {
        "machine type: the source runs 'pc-q35-10.0', the destination "
        "'pc-q35-9.2'",
        "target page size: 4096 bytes on the source, 65536",
        "VM UUID",
        "host page size",
        "rule downtime-limit-range",
        "device 'ram' instance 0: the source writes version 4, the "
        "destination loads versions 3 to 3",
        "device 'timer' instance 0: not present on the destination",
        "device 'usb' instance 0: present on the destination but not on "
        "the source",
    };
    size_t n = sizeof(expect) / sizeof(expect[0]);
    if (qmig_hs_n_reasons(r.dst) != n) {
        dump_reasons(r.dst, "destination");
    }
    assert_int_equal(qmig_hs_n_reasons(r.dst), n);
    assert_int_equal(qmig_hs_n_reasons(r.src), n);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(strstr(qmig_hs_reason(r.dst, i), expect[i]));
        assert_non_null(strstr(qmig_hs_reason(r.src, i), expect[i]));
        assert_non_null(strstr(qmig_hs_reason(r.src, i), "destination: "));
    }
    run_free(&r, &src, &dst);

    /* Host page sizes matter only with postcopy. */
    pair_init(&src, &dst);
    dst.opts.host_page_size = 65536;
    r = run(&src, &dst, 0);
    expect_done(&r);
    run_free(&r, &src, &dst);

    /* The source's own rules on the agreed configuration. */
    pair_init(&src, &dst);
    set_cap(&src, CAP_MULTIFD, true);
    set_cap(&src, CAP_ZERO_COPY, true); /* needs multifd, which dst denies */
    r = run(&src, &dst, 0);
    assert_int_equal(qmig_hs_state(r.src), QMIG_HS_FAILED);
    assert_int_equal(qmig_hs_state(r.dst), QMIG_HS_FAILED);
    assert_true(has_reason(r.src, "rule zero-copy-needs-multifd"));
    assert_true(has_reason(r.dst, "source: rule zero-copy-needs-multifd"));
    run_free(&r, &src, &dst);
}

static void test_versions(void **state)
{
    (void)state;
    Side src, dst;
    /* An older source: version 1, which has no device check. */
    pair_init(&src, &dst);
    src.opts.max_version = 1;
    dst.opts.n_devices = 1;
    Run r = run(&src, &dst, 0);
    expect_done(&r);
    assert_int_equal(qmig_hs_version(r.dst), 1);
    run_free(&r, &src, &dst);

    /* An older destination. */
    pair_init(&src, &dst);
    dst.opts.max_version = 1;
    r = run(&src, &dst, 0);
    expect_done(&r);
    assert_int_equal(qmig_hs_version(r.src), 1);
    run_free(&r, &src, &dst);

    /* No common version. */
    pair_init(&src, &dst);
    src.opts.max_version = 1;
    dst.opts.min_version = 2;
    r = run(&src, &dst, 0);
    assert_int_equal(qmig_hs_state(r.src), QMIG_HS_FAILED);
    assert_int_equal(qmig_hs_n_reasons(r.src), 1);
    assert_true(has_reason(r.src, "no common protocol version: the source "
                                  "offers [1], the destination speaks 2 to "
                                  "2"));
    run_free(&r, &src, &dst);

    /* Invalid ranges are refused. */
    Side s;
    side_init(&s, QMIG_SIDE_SOURCE);
    s.opts.min_version = 2;
    s.opts.max_version = 1;
    QmigError *err = NULL;
    assert_null(qmig_hs_new(&s.opts, &s.cfg, &err));
    assert_non_null(err);
    qmig_error_free(err);
    err = NULL;
    s.opts.min_version = 0;
    s.opts.max_version = QMIG_HS_VERSION_MAX + 1;
    assert_null(qmig_hs_new(&s.opts, &s.cfg, &err));
    qmig_error_free(err);
    s.opts.max_version = 0;
    s.opts.side = QMIG_SIDE_BOTH;
    assert_null(qmig_hs_new(&s.opts, &s.cfg, NULL));
    qmig_config_clear(&s.cfg);
}

static void test_legacy(void **state)
{
    (void)state;
    static const uint8_t stream[] = {0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3, 5};
    for (int allow = 0; allow < 2; allow++) {
        for (size_t chunk = 1; chunk <= sizeof(stream); chunk++) {
            Side dst;
            side_init(&dst, QMIG_SIDE_DESTINATION);
            dst.opts.allow_legacy = allow;
            QmigHs *hs = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
            bool ok = true;
            for (size_t off = 0; off < sizeof(stream); off += chunk) {
                size_t n = sizeof(stream) - off < chunk ? sizeof(stream) - off
                                                        : chunk;
                ok = qmig_hs_feed(hs, stream + off, n, NULL);
                if (off + n < 4) {
                    assert_true(ok);
                    assert_int_equal(qmig_hs_state(hs), QMIG_HS_WAITING);
                }
            }
            if (allow) {
                assert_true(ok);
                assert_int_equal(qmig_hs_state(hs), QMIG_HS_LEGACY);
                size_t len;
                const uint8_t *rest = qmig_hs_unconsumed(hs, &len);
                assert_int_equal(len, sizeof(stream));
                assert_memory_equal(rest, stream, len);
            } else {
                assert_false(ok);
                assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
                assert_true(has_reason(hs, "legacy migration stream"));
            }
            qmig_hs_free(hs);
            qmig_config_clear(&dst.cfg);
        }
    }
    /* A multifd channel on the main channel: refused at once. */
    Side dst;
    side_init(&dst, QMIG_SIDE_DESTINATION);
    QmigHs *hs = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    static const uint8_t mfd[] = {0x11, 0x22, 0x33, 0x44};
    assert_false(qmig_hs_feed(hs, mfd, 1, NULL));
    assert_true(has_reason(hs, "not a handshake frame"));
    qmig_hs_free(hs);
    /* An old destination closes the connection: a clear source error. */
    Side src;
    side_init(&src, QMIG_SIDE_SOURCE);
    hs = qmig_hs_new(&src.opts, &src.cfg, NULL);
    QmigError *err = NULL;
    assert_false(qmig_hs_feed_eof(hs, &err));
    assert_non_null(strstr(qmig_error_message(err), "unknown channel magic"));
    qmig_error_free(err);
    qmig_hs_free(hs);
    pair_clear(&src, &dst);
}

/* Data after the final frame belongs to the migration stream. */
static void test_trailing_data(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    QmigHs *s = qmig_hs_new(&src.opts, &src.cfg, NULL);
    QmigHs *d = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    pump(s, d, 0);
    pump(d, s, 0);
    size_t len;
    const uint8_t *out = qmig_hs_output(s, &len);
    uint8_t *buf = malloc(len + 4);
    memcpy(buf, out, len);
    memcpy(buf + len, "QEVM", 4);
    assert_true(qmig_hs_feed(d, buf, len + 4, NULL));
    assert_int_equal(qmig_hs_state(d), QMIG_HS_DONE);
    assert_true(qmig_hs_feed(d, "!", 1, NULL));
    const uint8_t *rest = qmig_hs_unconsumed(d, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(rest, "QEVM!", 5);
    free(buf);
    qmig_hs_free(s);
    qmig_hs_free(d);
    pair_clear(&src, &dst);
}

/* --- truncation and garbage ---------------------------------------------- */

typedef struct Msg {
    uint8_t *data;
    size_t len;
} Msg;

static Msg take(QmigHs *hs)
{
    Msg m;
    const uint8_t *out = qmig_hs_output(hs, &m.len);
    m.data = malloc(m.len ? m.len : 1);
    memcpy(m.data, out, m.len);
    qmig_hs_output_consume(hs, m.len);
    return m;
}

/*
 * A receiver in the state to receive message @which of an exchange:
 * 0 HELLO (destination), 1 ACCEPT/REJECT (source), 2 CONFIRM
 * (destination).  @reject makes the destination reject.
 */
static QmigHs *receiver(Side *src, Side *dst, int which, bool reject,
                        Msg *msg)
{
    QmigHs *s = qmig_hs_new(&src->opts, &src->cfg, NULL);
    QmigHs *d = qmig_hs_new(&dst->opts, &dst->cfg, NULL);
    Msg hello = take(s);
    assert_true(hello.len > 0);
    if (which == 0) {
        *msg = hello;
        qmig_hs_free(s);
        return d;
    }
    qmig_hs_feed(d, hello.data, hello.len, NULL);
    free(hello.data);
    Msg reply = take(d);
    assert_int_equal(qmig_hs_state(d),
                     reject ? QMIG_HS_FAILED : QMIG_HS_WAITING);
    if (which == 1) {
        *msg = reply;
        qmig_hs_free(d);
        return s;
    }
    qmig_hs_feed(s, reply.data, reply.len, NULL);
    free(reply.data);
    *msg = take(s);
    qmig_hs_free(s);
    return d;
}

static void test_truncation_exhaustive(void **state)
{
    (void)state;
    for (int which = 0; which < 4; which++) {
        bool reject = which == 3;
        int stage = reject ? 1 : which;
        Side src, dst;
        pair_init(&src, &dst);
        set_cap(&src, CAP_MULTIFD, true);
        set_cap(&dst, CAP_MULTIFD, true);
        set_uint(&src, P_CHANNELS, 2);
        if (reject) {
            dst.opts.machine = "other";
        }
        Msg msg;
        QmigHs *probe = receiver(&src, &dst, stage, reject, &msg);
        qmig_hs_free(probe);
        assert_true(msg.len > QMIG_HS_FRAME_HEADER_SIZE);
        /* Every proper prefix: wait, then a clean failure at EOF. */
        for (size_t k = 0; k < msg.len; k++) {
            Msg dummy;
            QmigHs *hs = receiver(&src, &dst, stage, reject, &dummy);
            free(dummy.data);
            assert_true(qmig_hs_feed(hs, msg.data, k, NULL));
            assert_int_equal(qmig_hs_state(hs), QMIG_HS_WAITING);
            QmigError *err = NULL;
            assert_false(qmig_hs_feed_eof(hs, &err));
            assert_non_null(err);
            qmig_error_free(err);
            assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
            qmig_hs_free(hs);
        }
        /* Byte by byte: waiting until the last byte, then a result. */
        Msg dummy;
        QmigHs *hs = receiver(&src, &dst, stage, reject, &dummy);
        free(dummy.data);
        for (size_t k = 0; k < msg.len; k++) {
            qmig_hs_feed(hs, msg.data + k, 1, NULL);
            if (k + 1 < msg.len) {
                assert_int_equal(qmig_hs_state(hs), QMIG_HS_WAITING);
            }
        }
        assert_int_equal(qmig_hs_state(hs),
                         reject ? QMIG_HS_FAILED
                         : which == 1 ? QMIG_HS_DONE
                         : which == 2 ? QMIG_HS_DONE
                                      : QMIG_HS_WAITING);
        qmig_hs_free(hs);
        free(msg.data);
        qmig_config_clear(&src.cfg);
        qmig_config_clear(&dst.cfg);
    }
}

static void test_whole_exchange_byte_by_byte(void **state)
{
    (void)state;
    for (size_t chunk = 1; chunk <= 7; chunk += 3) {
        Side src, dst;
        pair_init(&src, &dst);
        set_cap(&src, CAP_MULTIFD, true);
        set_cap(&dst, CAP_MULTIFD, true);
        Run r = run(&src, &dst, chunk);
        expect_done(&r);
        assert_int_equal(qmig_hs_n_channels(r.dst), 2);
        run_free(&r, &src, &dst);
    }
}

static void test_frames(void **state)
{
    (void)state;
    QmigError *err = NULL;
    size_t len;
    uint8_t *f = qmig_hs_frame_encode(1, QMIG_HS_MSG_HELLO, "{}", 2, &len,
                                      &err);
    static const uint8_t expect[] = {'Q', 'M', 'H', 'S', 0, 1, 0, 1,
                                     0,   0,   0,   2,   '{', '}'};
    assert_int_equal(len, sizeof(expect));
    assert_memory_equal(f, expect, len);
    QmigHsFrame fr;
    assert_int_equal(qmig_hs_frame_decode(f, len, &fr, NULL), (long)len);
    assert_int_equal(fr.version, 1);
    assert_int_equal(fr.type, QMIG_HS_MSG_HELLO);
    assert_int_equal(fr.length, 2);
    for (size_t k = 0; k < len; k++) {
        assert_int_equal(qmig_hs_frame_decode(f, k, &fr, NULL), 0);
    }
    free(f);
    assert_null(qmig_hs_frame_encode(1, 1, "", QMIG_HS_FRAME_MAX + 1, &len,
                                     &err));
    qmig_error_free(err);
    err = NULL;
    /* Oversized: refused from the header alone. */
    uint8_t big[12] = {'Q', 'M', 'H', 'S', 0, 1, 0, 1, 0, 0x10, 0, 1};
    assert_int_equal(qmig_hs_frame_decode(big, 12, &fr, &err), -1);
    assert_non_null(strstr(qmig_error_message(err), "exceeds the maximum"));
    qmig_error_free(err);
    err = NULL;
    /* Exactly the maximum is fine (prefix only: waits). */
    big[9] = 0x10;
    big[11] = 0;
    assert_int_equal(qmig_hs_frame_decode(big, 12, &fr, NULL), 0);
    /* Garbage: every wrong first byte fails at once. */
    for (unsigned b = 0; b < 256; b++) {
        uint8_t g = (uint8_t)b;
        long r = qmig_hs_frame_decode(&g, 1, &fr, NULL);
        assert_int_equal(r, b == 'Q' ? 0 : -1);
    }
    assert_string_equal(qmig_hs_message_name(QMIG_HS_MSG_CONFIRM), "confirm");
    assert_null(qmig_hs_message_name(99));
}

/* Engines given garbage: never a crash, always a clean failure. */
static void test_garbage(void **state)
{
    (void)state;
    Side dst, src;
    pair_init(&src, &dst);
    const char *payloads[] = {
        "", "null", "[]", "{", "{\"versions\":[1]}", "\"x\"",
        "{\"versions\":[],\"machine\":\"m\"}",
        "{\"versions\":[1],\"machine\":\"m\",\"session\":\"zz\","
        "\"target-page-size\":1,\"host-page-size\":1,\"features\":[],"
        "\"devices\":[]}",
        "{\"versions\":[1],\"machine\":\"pc-q35-10.0\",\"session\":"
        "\"00112233445566778899aabbccddeeff\",\"target-page-size\":4096,"
        "\"host-page-size\":4096,\"uuid\":\"000102030405060708090a0b0c0d0e0f\","
        "\"features\":[{\"id\":2,\"name\":\"postcopy-ram\",\"treatment\":"
        "\"adopt\",\"value\":7},{\"id\":10,\"name\":\"c\",\"treatment\":"
        "\"adopt\",\"value\":\"x\"},{\"id\":10,\"name\":\"c\",\"treatment\":"
        "\"adopt\",\"value\":1},{\"id\":99,\"name\":\"n\",\"treatment\":"
        "\"local\",\"value\":1},{\"id\":1,\"name\":\"multifd\",\"treatment\":"
        "\"adopt\",\"value\":true}],\"devices\":[1,{}]}",
    };
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        for (unsigned type = 0; type < 7; type++) {
            QmigHs *hs = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
            size_t len;
            uint8_t *f = qmig_hs_frame_encode(1, (uint16_t)type, payloads[i],
                                              strlen(payloads[i]), &len,
                                              NULL);
            QmigError *err = NULL;
            assert_false(qmig_hs_feed(hs, f, len, &err));
            assert_non_null(err);
            qmig_error_free(err);
            assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
            assert_true(qmig_hs_n_reasons(hs) > 0);
            /* Fed again after failure: still failed, no crash. */
            assert_false(qmig_hs_feed(hs, f, len, NULL));
            free(f);
            qmig_hs_free(hs);

            /* The same at the source, as a reply. */
            hs = qmig_hs_new(&src.opts, &src.cfg, NULL);
            f = qmig_hs_frame_encode(2, (uint16_t)type, payloads[i],
                                     strlen(payloads[i]), &len, NULL);
            assert_false(qmig_hs_feed(hs, f, len, NULL));
            assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
            free(f);
            qmig_hs_free(hs);
        }
    }
    /* A destination that changes an adopted value or invents one. */
    const char *accepts[] = {
        "{\"version\":2,\"features\":[],\"channels\":[]}",
        "{\"version\":7,\"features\":[],\"channels\":[]}",
        "{\"version\":2,\"features\":[{\"id\":2,\"value\":true},"
        "{\"id\":3,\"value\":false},{\"id\":1,\"value\":true},"
        "{\"id\":99,\"value\":1}],\"channels\":[]}",
    };
    for (size_t i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
        QmigHs *hs = qmig_hs_new(&src.opts, &src.cfg, NULL);
        size_t len;
        uint8_t *f = qmig_hs_frame_encode(2, QMIG_HS_MSG_ACCEPT, accepts[i],
                                          strlen(accepts[i]), &len, NULL);
        assert_false(qmig_hs_feed(hs, f, len, NULL));
        free(f);
        /* The source tells the destination why (ABORT). */
        Msg abort_msg = take(hs);
        QmigHsFrame fr;
        /* Skip the HELLO still queued at the start. */
        long n = qmig_hs_frame_decode(abort_msg.data, abort_msg.len, &fr,
                                      NULL);
        assert_true(n > 0);
        assert_int_equal(qmig_hs_frame_decode(abort_msg.data + n,
                                              abort_msg.len - (size_t)n, &fr,
                                              NULL),
                         (long)(abort_msg.len - (size_t)n));
        assert_int_equal(fr.type, QMIG_HS_MSG_ABORT);
        free(abort_msg.data);
        qmig_hs_free(hs);
    }
    pair_clear(&src, &dst);
}

/* Feed @payload as a frame of @type to a new engine of @s; it fails. */
static QmigHs *feed_frame(Side *s, unsigned version, unsigned type,
                          const char *payload)
{
    QmigHs *hs = qmig_hs_new(&s->opts, &s->cfg, NULL);
    size_t len;
    uint8_t *f = qmig_hs_frame_encode((uint16_t)version, (uint16_t)type,
                                      payload, strlen(payload), &len, NULL);
    assert_non_null(f);
    qmig_hs_feed(hs, f, len, NULL);
    free(f);
    return hs;
}

/* No control character, DEL or C1 control in any reason. */
static void expect_printable_reasons(const QmigHs *hs)
{
    for (size_t i = 0; i < qmig_hs_n_reasons(hs); i++) {
        const unsigned char *r = (const unsigned char *)qmig_hs_reason(hs, i);
        for (size_t k = 0; r[k]; k++) {
            if (r[k] < 0x20 || r[k] == 0x7f ||
                (r[k] == 0xc2 && r[k + 1] >= 0x80 && r[k + 1] < 0xa0)) {
                fail_msg("reason %zu has byte 0x%02x raw: %s", i, r[k],
                         (const char *)r);
            }
        }
    }
}

#define HELLO_HEAD "{\"versions\":[2],\"features\":[],\"devices\":[],"
#define HELLO_TAIL "\"session\":\"00112233445566778899aabbccddeeff\"," \
                   "\"target-page-size\":4096,\"host-page-size\":4096"

/* A malformed HELLO says which member is wrong, and why. */
static void test_hello_malformed_members(void **state)
{
    (void)state;
    static const struct {
        const char *payload, *reason;
    } cases[] = {
        {"[]", "not a JSON object (got an array)"},
        {"{", "invalid JSON at line 1, column 2: unexpected end of input"},
        {"{\"machine\":\"m\"}", "member 'versions' is missing"},
        {"{\"versions\":2}", "member 'versions' is not an array (got an "
                             "integer)"},
        {"{\"versions\":[]}", "member 'versions' is an empty array"},
        {"{\"versions\":[1],\"devices\":[]}", "member 'features' is missing"},
        {"{\"versions\":[1],\"features\":{},\"devices\":[]}",
         "member 'features' is not an array (got an object)"},
        {HELLO_HEAD "\"machine\":5," HELLO_TAIL "}",
         "member 'machine' is not a string (got an integer)"},
        {HELLO_HEAD HELLO_TAIL "}", "member 'machine' is missing"},
        {HELLO_HEAD "\"machine\":\"a\\u0000b\"," HELLO_TAIL "}",
         "invalid JSON at line 1, column 56: string contains a NUL "
         "character (\\u0000)"},
        {HELLO_HEAD "\"machine\":\"m\",\"session\":\"zz\","
                    "\"target-page-size\":1,\"host-page-size\":1}",
         "member 'session' is not 32 lowercase hexadecimal digits"},
        {HELLO_HEAD "\"machine\":\"m\",\"session\":\"00112233445566778899a"
                    "abbccddeeff\",\"target-page-size\":-1,"
                    "\"host-page-size\":1}",
         "member 'target-page-size' is out of range (negative or above "
         "9223372036854775807)"},
        {HELLO_HEAD "\"machine\":\"m\",\"session\":\"00112233445566778899a"
                    "abbccddeeff\",\"target-page-size\":1,"
                    "\"host-page-size\":\"4096\"}",
         "member 'host-page-size' is not an integer (got a string)"},
        {HELLO_HEAD "\"machine\":\"m\"," HELLO_TAIL ",\"uuid\":5}",
         "member 'uuid' is not a string (got an integer)"},
    };
    Side dst;
    side_init(&dst, QMIG_SIDE_DESTINATION);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        QmigHs *hs = feed_frame(&dst, 2, QMIG_HS_MSG_HELLO, cases[i].payload);
        assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
        assert_int_equal(qmig_hs_n_reasons(hs), 1);
        char want[512];
        snprintf(want, sizeof(want), "malformed HELLO message: %s",
                 cases[i].reason);
        assert_string_equal(qmig_hs_reason(hs, 0), want);
        qmig_hs_free(hs);
    }
    qmig_config_clear(&dst.cfg);
}

#define ACCEPT_OK "\"version\":2,\"features\":[],\"channels\":[]"

/* A malformed ACCEPT says which member is wrong, and why. */
static void test_accept_malformed_members(void **state)
{
    (void)state;
    static const struct {
        const char *payload, *reason;
    } cases[] = {
        {"[]", "not a JSON object (got an array)"},
        {"{", "invalid JSON at line 1, column 2: unexpected end of input"},
        {"{\"features\":[],\"channels\":[]}",
         "member 'version' is missing"},
        {"{\"version\":\"2\",\"features\":[],\"channels\":[]}",
         "member 'version' is not an integer (got a string)"},
        {"{\"version\":65536,\"features\":[],\"channels\":[]}",
         "member 'version' is out of range (negative or above 65535)"},
        {"{\"version\":-2,\"features\":[],\"channels\":[]}",
         "member 'version' is out of range (negative or above 65535)"},
        {"{\"version\":2,\"channels\":[]}", "member 'features' is missing"},
        {"{\"version\":2,\"features\":{},\"channels\":[]}",
         "member 'features' is not an array (got an object)"},
        {"{\"version\":2,\"features\":[]}", "member 'channels' is missing"},
        {"{\"version\":2,\"features\":[],\"channels\":null}",
         "member 'channels' is not an array (got null)"},
    };
    Side src;
    side_init(&src, QMIG_SIDE_SOURCE);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        QmigHs *hs = feed_frame(&src, 2, QMIG_HS_MSG_ACCEPT,
                                cases[i].payload);
        assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
        assert_int_equal(qmig_hs_n_reasons(hs), 1);
        char want[512];
        snprintf(want, sizeof(want), "malformed ACCEPT message: %s",
                 cases[i].reason);
        assert_string_equal(qmig_hs_reason(hs, 0), want);
        qmig_hs_free(hs);
    }
    /* A bad feature entry: named by its index, with what is wrong. */
    static const struct {
        const char *entries, *reason;
    } entries[] = {
        {"[5]", "feature entry 0: not a JSON object (got an integer)"},
        {"[{\"value\":true}]", "feature entry 0: member 'id' is missing"},
        {"[{\"id\":\"1\",\"value\":true}]",
         "feature entry 0: member 'id' is not an integer (got a string)"},
        {"[{\"id\":70000,\"value\":true}]",
         "feature entry 0: member 'id' is out of range (negative or above "
         "65535)"},
        {"[{\"id\":1,\"value\":true},{\"id\":2}]",
         "feature entry 1: member 'value' is missing"},
    };
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        char payload[256], want[512];
        snprintf(payload, sizeof(payload),
                 "{\"version\":2,\"features\":%s,\"channels\":[]}",
                 entries[i].entries);
        QmigHs *hs = feed_frame(&src, 2, QMIG_HS_MSG_ACCEPT, payload);
        assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
        snprintf(want, sizeof(want), "malformed ACCEPT message: %s",
                 entries[i].reason);
        if (!has_reason(hs, want)) {
            dump_reasons(hs, "source");
            fail_msg("entries %s: no '%s'", entries[i].entries, want);
        }
        qmig_hs_free(hs);
    }
    /* The well-formed skeleton is not called malformed. */
    QmigHs *hs = feed_frame(&src, 2, QMIG_HS_MSG_ACCEPT, "{" ACCEPT_OK "}");
    assert_false(has_reason(hs, "malformed"));
    qmig_hs_free(hs);
    qmig_config_clear(&src.cfg);
}

/* A malformed CONFIRM says what is wrong with its digest. */
static void test_confirm_malformed_members(void **state)
{
    (void)state;
    static const struct {
        const char *payload, *reason;
    } cases[] = {
        {"[]", "not a JSON object (got an array)"},
        {"{\"digest\":\"0000000000000000\"",
         "invalid JSON at line 1, column 29: unexpected end of input"},
        {"{}", "member 'digest' is missing"},
        {"{\"digest\":5}", "member 'digest' is not a string (got an "
                          "integer)"},
        {"{\"digest\":\"00\"}", "member 'digest' is not 16 lowercase "
                                "hexadecimal digits"},
        {"{\"digest\":\"000000000000000G\"}", "member 'digest' is not 16 "
                                              "lowercase hexadecimal digits"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Side src, dst;
        pair_init(&src, &dst);
        Msg hello;
        QmigHs *d = receiver(&src, &dst, 0, false, &hello);
        qmig_hs_feed(d, hello.data, hello.len, NULL);
        free(hello.data);
        Msg accept = take(d);
        free(accept.data);
        assert_int_equal(qmig_hs_state(d), QMIG_HS_WAITING);
        size_t len;
        uint8_t *f = qmig_hs_frame_encode(2, QMIG_HS_MSG_CONFIRM,
                                          cases[i].payload,
                                          strlen(cases[i].payload), &len,
                                          NULL);
        assert_false(qmig_hs_feed(d, f, len, NULL));
        free(f);
        assert_int_equal(qmig_hs_state(d), QMIG_HS_FAILED);
        assert_int_equal(qmig_hs_n_reasons(d), 1);
        char want[512];
        snprintf(want, sizeof(want), "malformed CONFIRM message: %s",
                 cases[i].reason);
        assert_string_equal(qmig_hs_reason(d, 0), want);
        qmig_hs_free(d);
        pair_clear(&src, &dst);
    }
}

/*
 * The peer's text in reasons is escaped: a REJECT reason or a HELLO
 * machine type with a newline or an escape sequence cannot fake a line
 * or drive the terminal of whoever prints the reasons.
 */
static void test_peer_text_escaped(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    QmigHs *hs = feed_frame(
        &src, 2, QMIG_HS_MSG_REJECT,
        "{\"reasons\":[\"x\\nqmig-handshake: handshake succeeded\","
        "\"\\u001b[2J\\u001b]0;t\\u0007\",\"del\\u007f c1\\u009b ok \\u00fc\"]}");
    assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
    assert_int_equal(qmig_hs_n_reasons(hs), 3);
    assert_string_equal(qmig_hs_reason(hs, 0),
                        "destination: x\\nqmig-handshake: handshake "
                        "succeeded");
    assert_string_equal(qmig_hs_reason(hs, 1),
                        "destination: \\x1b[2J\\x1b]0;t\\x07");
    assert_string_equal(qmig_hs_reason(hs, 2),
                        "destination: del\\x7f c1\\xc2\\x9b ok \xc3\xbc");
    expect_printable_reasons(hs);
    /* The error the engine gives carries the escaped reasons too. */
    QmigError *err = NULL;
    assert_false(qmig_hs_feed(hs, NULL, 0, &err));
    assert_null(strchr(qmig_error_message(err), '\n'));
    assert_null(strchr(qmig_error_message(err), '\x1b'));
    qmig_error_free(err);
    qmig_hs_free(hs);

    hs = feed_frame(&dst, 2, QMIG_HS_MSG_HELLO,
                    HELLO_HEAD "\"machine\":\"evil\\n\\u001b[2J\","
                    HELLO_TAIL "}");
    assert_int_equal(qmig_hs_state(hs), QMIG_HS_FAILED);
    assert_true(has_reason(hs, "machine type: the source runs "
                               "'evil\\n\\x1b[2J', the destination "
                               "'pc-q35-10.0'"));
    expect_printable_reasons(hs);
    qmig_hs_free(hs);
    pair_clear(&src, &dst);
}

static void test_confirm_mismatch(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    Msg hello;
    QmigHs *d = receiver(&src, &dst, 0, false, &hello);
    qmig_hs_feed(d, hello.data, hello.len, NULL);
    free(hello.data);
    const char *p = "{\"digest\":\"0000000000000000\"}";
    size_t len;
    uint8_t *f = qmig_hs_frame_encode(2, QMIG_HS_MSG_CONFIRM, p, strlen(p),
                                      &len, NULL);
    assert_false(qmig_hs_feed(d, f, len, NULL));
    assert_true(has_reason(d, "different agreed configuration"));
    free(f);
    qmig_hs_free(d);
    pair_clear(&src, &dst);
}

/* --- named channels ------------------------------------------------------ */

static const uint8_t session_a[16] = {1, 2, 3, 4, 5, 6, 7, 8,
                                      9, 10, 11, 12, 13, 14, 15, 16};

static void test_channel_header(void **state)
{
    (void)state;
    uint8_t h[QMIG_CHANNEL_HEADER_SIZE];
    assert_true(qmig_channel_header_encode(2, session_a, "multifd/3", h,
                                           NULL));
    static const uint8_t start[] = {'Q', 'M', 'C', 'H', 0, 2, 0, 0, 1, 2};
    assert_memory_equal(h, start, sizeof(start));
    assert_memory_equal(h + 24, "multifd/3\0", 10);
    unsigned version;
    uint8_t session[16];
    char name[QMIG_CHANNEL_NAME_MAX + 1];
    assert_true(qmig_channel_header_decode(h, sizeof(h), &version, session,
                                           name, NULL));
    assert_int_equal(version, 2);
    assert_memory_equal(session, session_a, 16);
    assert_string_equal(name, "multifd/3");
    /* Every truncation fails cleanly. */
    for (size_t k = 0; k < sizeof(h); k++) {
        QmigError *err = NULL;
        assert_false(qmig_channel_header_decode(h, k, &version, session,
                                                name, &err));
        qmig_error_free(err);
    }
    /* Corruptions. */
    uint8_t bad[QMIG_CHANNEL_HEADER_SIZE];
    int offsets[] = {0, 3, 6, 7, 24, 40, 63};
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        memcpy(bad, h, sizeof(h));
        bad[offsets[i]] = offsets[i] == 24 ? 0 : 'x';
        assert_false(qmig_channel_header_decode(bad, sizeof(bad), &version,
                                                session, name, NULL));
    }
    /* Names: empty, too long, spaces. */
    char longname[QMIG_CHANNEL_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_false(qmig_channel_header_encode(1, session_a, longname, h, NULL));
    longname[QMIG_CHANNEL_NAME_MAX] = '\0';
    assert_true(qmig_channel_header_encode(1, session_a, longname, h, NULL));
    assert_true(qmig_channel_header_decode(h, sizeof(h), NULL, NULL, name,
                                           NULL));
    assert_string_equal(name, longname);
    assert_false(qmig_channel_header_encode(1, session_a, "", h, NULL));
    assert_false(qmig_channel_header_encode(1, session_a, "a b", h, NULL));
    assert_false(qmig_channel_header_encode(1, session_a, NULL, h, NULL));
}

static void test_channel_map(void **state)
{
    (void)state;
    const char *names[] = {"multifd/0", "multifd/1", "multifd/2",
                           "multifd/3", "postcopy-preempt"};
    enum { N = 5 };
    srand(6);
    for (int round = 0; round < 50; round++) {
        QmigChannelMap *map = qmig_channel_map_new(2, session_a, names, N,
                                                   NULL);
        assert_non_null(map);
        unsigned order[N] = {0, 1, 2, 3, 4};
        for (int i = N - 1; i > 0; i--) {
            int j = rand() % (i + 1);
            unsigned t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < N; i++) {
            uint8_t h[QMIG_CHANNEL_HEADER_SIZE];
            assert_false(qmig_channel_map_complete(map));
            assert_true(qmig_channel_header_encode(2, session_a,
                                                   names[order[i]], h, NULL));
            assert_int_equal(qmig_channel_map_accept(map, h, sizeof(h), NULL),
                             order[i]);
            /* A second connection with the same name is refused. */
            QmigError *err = NULL;
            assert_int_equal(qmig_channel_map_accept(map, h, sizeof(h), &err),
                             -1);
            char msg[64];
            snprintf(msg, sizeof(msg), "channel '%s' connected twice",
                     names[order[i]]);
            test_expect_error(&err, msg);
        }
        assert_true(qmig_channel_map_complete(map));
        qmig_channel_map_free(map);
    }
    QmigChannelMap *map = qmig_channel_map_new(2, session_a, names, N, NULL);
    uint8_t h[QMIG_CHANNEL_HEADER_SIZE];
    QmigError *err = NULL;
    assert_true(qmig_channel_header_encode(2, session_a, "multifd/9", h,
                                           NULL));
    assert_int_equal(qmig_channel_map_accept(map, h, sizeof(h), &err), -1);
    test_expect_error(&err,
                      "unknown channel 'multifd/9': not in the agreed plan");
    uint8_t other[16] = {0};
    assert_true(qmig_channel_header_encode(2, other, "multifd/0", h, NULL));
    assert_int_equal(qmig_channel_map_accept(map, h, sizeof(h), &err), -1);
    test_expect_error(&err, "channel 'multifd/0': wrong session id (not "
                            "from this migration's handshake)");
    assert_true(qmig_channel_header_encode(1, session_a, "multifd/0", h,
                                           NULL));
    assert_int_equal(qmig_channel_map_accept(map, h, sizeof(h), &err), -1);
    test_expect_error(&err, "channel 'multifd/0': protocol version 1, the "
                            "handshake agreed on 2");
    /* A multifd packet or legacy stream is not a channel header. */
    uint8_t mfd[QMIG_CHANNEL_HEADER_SIZE] = {0x11, 0x22, 0x33, 0x44};
    assert_int_equal(qmig_channel_map_accept(map, mfd, sizeof(mfd), NULL),
                     -1);
    assert_false(qmig_channel_map_complete(map));
    /* Reconnection (postcopy recovery): a released name may come back,
     * once; a name not connected cannot be released. */
    assert_true(qmig_channel_header_encode(2, session_a, "multifd/0", h,
                                           NULL));
    long idx = qmig_channel_map_accept(map, h, sizeof(h), NULL);
    assert_true(idx >= 0);
    assert_int_equal(qmig_channel_map_accept(map, h, sizeof(h), NULL), -1);
    assert_true(qmig_channel_map_release(map, (size_t)idx, NULL));
    assert_false(qmig_channel_map_release(map, (size_t)idx, &err));
    test_expect_error(&err, "channel 0: not connected, cannot be released");
    assert_int_equal(qmig_channel_map_accept(map, h, sizeof(h), NULL), idx);
    assert_false(qmig_channel_map_release(map, 9999, NULL));
    qmig_channel_map_free(map);
    /* Duplicate names in the plan. */
    const char *dup[] = {"a", "b", "a"};
    assert_null(qmig_channel_map_new(1, session_a, dup, 3, &err));
    test_expect_error(&err, "channel map: channel 'a' listed twice");
    /* An empty plan is complete at once. */
    map = qmig_channel_map_new(1, session_a, NULL, 0, NULL);
    assert_true(qmig_channel_map_complete(map));
    qmig_channel_map_free(map);
}

static void test_channel_map_from_hs(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    set_cap(&src, CAP_MULTIFD, true);
    set_cap(&dst, CAP_MULTIFD, true);
    set_uint(&src, P_CHANNELS, 4);
    Run r = run(&src, &dst, 0);
    expect_done(&r);
    QmigChannelMap *map = qmig_channel_map_from_hs(r.dst, NULL);
    assert_non_null(map);
    /* The source opens its channels in reverse order. */
    for (size_t i = qmig_hs_n_channels(r.src); i-- > 0;) {
        uint8_t h[QMIG_CHANNEL_HEADER_SIZE];
        assert_true(qmig_channel_header_encode(
            qmig_hs_version(r.src), qmig_hs_session(r.src),
            qmig_hs_channel(r.src, i), h, NULL));
        assert_int_equal(qmig_channel_map_accept(map, h, sizeof(h), NULL),
                         (long)i);
    }
    assert_true(qmig_channel_map_complete(map));
    qmig_channel_map_free(map);
    run_free(&r, &src, &dst);

    /* Not before the handshake is done. */
    side_init(&dst, QMIG_SIDE_DESTINATION);
    QmigHs *hs = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    QmigError *err = NULL;
    assert_null(qmig_channel_map_from_hs(hs, &err));
    test_expect_error(&err, "channel map: the handshake is not done");
    qmig_hs_free(hs);
    qmig_config_clear(&dst.cfg);
}

/* --- the blocking fd driver ---------------------------------------------- */

typedef struct DriverArg {
    QmigHs *hs;
    int fd;
    bool ok;
} DriverArg;

static void *driver_thread(void *opaque)
{
    DriverArg *a = opaque;
    a->ok = qmig_hs_run_fd(a->hs, a->fd, 5000, NULL);
    return NULL;
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_driver_agree(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    set_cap(&src, CAP_MULTIFD, true);
    set_cap(&dst, CAP_MULTIFD, true);
    set_uint(&src, P_CHANNELS, 3);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    QmigHs *s = qmig_hs_new(&src.opts, &src.cfg, NULL);
    QmigHs *d = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    assert_non_null(s);
    assert_non_null(d);
    DriverArg a = {s, sv[0], false};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, driver_thread, &a), 0);
    QmigError *err = NULL;
    bool ok = qmig_hs_run_fd(d, sv[1], 5000, &err);
    pthread_join(th, NULL);
    if (!ok) {
        fail_msg("%s", qmig_error_message(err));
    }
    assert_true(a.ok);
    assert_int_equal(qmig_hs_state(s), QMIG_HS_DONE);
    assert_int_equal(qmig_hs_state(d), QMIG_HS_DONE);
    assert_int_equal(qmig_hs_digest(s), qmig_hs_digest(d));
    assert_int_equal(qmig_hs_n_channels(s), 3);

    /* Channel headers through the fd helpers, into the map. */
    QmigChannelMap *map = qmig_channel_map_from_hs(d, NULL);
    assert_non_null(map);
    for (size_t i = qmig_hs_n_channels(s); i-- > 0;) {
        assert_true(qmig_channel_send_header_fd(sv[0], qmig_hs_version(s),
                                                qmig_hs_session(s),
                                                qmig_hs_channel(s, i), 1000,
                                                NULL));
        uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE];
        assert_true(qmig_channel_recv_header_fd(sv[1], hdr, 1000, NULL));
        assert_int_equal(qmig_channel_map_accept(map, hdr, sizeof(hdr), NULL),
                         (long)i);
    }
    assert_true(qmig_channel_map_complete(map));
    qmig_channel_map_free(map);
    close(sv[0]);
    close(sv[1]);
    qmig_hs_free(s);
    qmig_hs_free(d);
    pair_clear(&src, &dst);
}

static void test_driver_reject(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    dst.opts.machine = "pc-i440fx-9.0";
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    QmigHs *s = qmig_hs_new(&src.opts, &src.cfg, NULL);
    QmigHs *d = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    DriverArg a = {s, sv[0], true};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, driver_thread, &a), 0);
    QmigError *err = NULL;
    assert_false(qmig_hs_run_fd(d, sv[1], 5000, &err));
    pthread_join(th, NULL);
    assert_non_null(err);
    assert_non_null(strstr(qmig_error_message(err), "machine"));
    qmig_error_free(err);
    assert_false(a.ok);
    assert_int_equal(qmig_hs_state(s), QMIG_HS_FAILED);
    assert_true(has_reason(s, "machine"));
    close(sv[0]);
    close(sv[1]);
    qmig_hs_free(s);
    qmig_hs_free(d);
    pair_clear(&src, &dst);
}

static void test_driver_deadlines(void **state)
{
    (void)state;
    Side src;
    side_init(&src, QMIG_SIDE_SOURCE);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);

    /* A silent peer: the wait for ACCEPT ends at the deadline. */
    QmigHs *s = qmig_hs_new(&src.opts, &src.cfg, NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    QmigError *err = NULL;
    assert_false(qmig_hs_run_fd(s, sv[0], 200, &err));
    long ms = elapsed_ms(&t0);
    assert_true(ms >= 190 && ms < 3000);
    assert_non_null(strstr(qmig_error_message(err), "timed out after 200 ms"));
    qmig_error_free(err);
    err = NULL;
    assert_int_equal(qmig_hs_state(s), QMIG_HS_WAITING);
    qmig_hs_free(s);

    /* A peer that stalls inside its first message: the error says so,
     * with how much of it arrived. */
    s = qmig_hs_new(&src.opts, &src.cfg, NULL);
    assert_int_equal(write(sv[1], "QMHS\0", 5), 5);
    assert_false(qmig_hs_run_fd(s, sv[0], 200, &err));
    assert_string_equal(qmig_error_message(err),
                        "handshake: timed out after 200 ms in the middle of "
                        "the peer's first message (5 bytes of it received)");
    qmig_error_free(err);
    err = NULL;
    qmig_hs_free(s);

    /* Reading a header from a silent peer, and a short header. */
    uint8_t hdr[QMIG_CHANNEL_HEADER_SIZE], junk[4096];
    while (read(sv[1], junk, sizeof(junk)) == (ssize_t)sizeof(junk)) {
    }
    assert_false(qmig_channel_recv_header_fd(sv[1], hdr, 100, &err));
    assert_non_null(strstr(qmig_error_message(err), "timed out"));
    qmig_error_free(err);
    err = NULL;
    assert_int_equal(write(sv[0], "QMCH", 4), 4);
    assert_false(qmig_channel_recv_header_fd(sv[1], hdr, 100, &err));
    assert_non_null(strstr(qmig_error_message(err), "4 of 64"));
    qmig_error_free(err);
    err = NULL;

    /* EOF during the handshake. */
    s = qmig_hs_new(&src.opts, &src.cfg, NULL);
    close(sv[1]);
    assert_false(qmig_hs_run_fd(s, sv[0], 1000, &err));
    assert_non_null(err);
    qmig_error_free(err);
    err = NULL;
    qmig_hs_free(s);

    /* A full send buffer: writes are bounded too. */
    int sv2[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
    static uint8_t big[8 << 20];
    assert_false(qmig_fd_write_full(sv2[0], big, sizeof(big), 100, &err));
    assert_non_null(strstr(qmig_error_message(err), "timed out"));
    qmig_error_free(err);
    err = NULL;

    /* Bad arguments. */
    assert_false(qmig_hs_run_fd(NULL, 0, 100, NULL));
    s = qmig_hs_new(&src.opts, &src.cfg, NULL);
    assert_false(qmig_hs_run_fd(s, -1, 100, NULL));
    assert_false(qmig_hs_run_fd(s, sv2[0], 0, &err));
    assert_non_null(strstr(qmig_error_message(err), "positive"));
    qmig_error_free(err);
    assert_false(qmig_fd_read_full(sv2[1], NULL, 1, 100, NULL));
    qmig_hs_free(s);
    close(sv[0]);
    close(sv2[0]);
    close(sv2[1]);
    qmig_config_clear(&src.cfg);
}

/* --- one-way headers (file:, exec:) ------------------------------------- */

/* Write a one-way header for @src; the writer must be DONE at once. */
static QmigHs *oneway_writer(Side *src)
{
    src->opts.oneway = true;
    QmigHs *w = qmig_hs_new(&src->opts, &src->cfg, NULL);
    assert_non_null(w);
    return w;
}

/* Feed @w's header and @tail to a new loader for @dst. */
static QmigHs *oneway_load(QmigHs *w, Side *dst, const char *tail)
{
    dst->opts.oneway = true;
    QmigHs *l = qmig_hs_new(&dst->opts, &dst->cfg, NULL);
    assert_non_null(l);
    pump(w, l, 7); /* in pieces that straddle the frame header */
    qmig_hs_feed(l, tail, strlen(tail), NULL);
    size_t len;
    qmig_hs_output(l, &len);
    assert_int_equal(len, 0); /* a loader never answers */
    return l;
}

static void test_oneway_agree(void **state)
{
    (void)state;
    Side src, dst;
    pair_init(&src, &dst);
    /* Intersect items are final too: the loader adopts multifd although
     * its own configuration does not enable it. */
    set_cap(&src, CAP_MULTIFD, true);
    set_cap(&src, CAP_POSTCOPY, true);
    set_uint(&src, P_CHANNELS, 3);
    set_uint(&src, P_DOWNTIME, 500);
    QmigHs *w = oneway_writer(&src);
    assert_int_equal(qmig_hs_state(w), QMIG_HS_DONE);
    assert_int_equal(qmig_hs_version(w), QMIG_HS_VERSION_MAX);
    assert_int_equal(qmig_hs_messages_sent(w), 1);
    QmigHs *l = oneway_load(w, &dst, "QEVM...");
    if (qmig_hs_state(l) != QMIG_HS_DONE) {
        dump_reasons(l, "loader");
        fail_msg("loader not done");
    }
    assert_int_equal(qmig_hs_digest(w), qmig_hs_digest(l));
    assert_int_equal(qmig_hs_version(l), QMIG_HS_VERSION_MAX);
    assert_memory_equal(qmig_hs_session(w), qmig_hs_session(l), 16);
    const QmigConfigHeader *a = qmig_hs_agreed(l);
    assert_true(qmig_capset_has(&a->caps, CAP_MULTIFD));
    assert_true(qmig_capset_has(&a->caps, CAP_POSTCOPY));
    assert_int_equal(qmig_config_effective_uint(a, P_DOWNTIME), 500);
    assert_int_equal(qmig_hs_n_channels(l), 3);
    assert_string_equal(qmig_hs_channel(l, 2), "multifd/2");
    /* The migration stream follows the header. */
    size_t n;
    const uint8_t *rest = qmig_hs_unconsumed(l, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(rest, "QEVM...", 7);
    qmig_hs_free(w);
    qmig_hs_free(l);
    pair_clear(&src, &dst);
}

static void test_oneway_failures(void **state)
{
    (void)state;
    Side src, dst;

    /* The loader lists every item it cannot load, and every check. */
    pair_init(&src, &dst);
    set_cap(&src, CAP_MULTIFD, true);
    set_cap(&src, CAP_POSTCOPY, true);
    uint16_t unsup[] = {1, 2};
    dst.opts.unsupported = unsup;
    dst.opts.n_unsupported = 2;
    dst.opts.machine = "pc-i440fx-9.0";
    dst.opts.n_devices = 2;
    QmigHs *w = oneway_writer(&src);
    QmigHs *l = oneway_load(w, &dst, "");
    assert_int_equal(qmig_hs_state(l), QMIG_HS_FAILED);
    assert_true(has_reason(l, "'multifd' (id 1)"));
    assert_true(has_reason(l, "'postcopy-ram' (id 2)"));
    assert_true(has_reason(l, "machine type"));
    assert_true(has_reason(l, "device 'timer' instance 0: not present"));
    qmig_hs_free(w);
    qmig_hs_free(l);
    pair_clear(&src, &dst);

    /* A writer whose own configuration breaks a rule writes nothing. */
    pair_init(&src, &dst);
    set_cap(&src, CAP_ZERO_COPY, true); /* needs multifd */
    w = oneway_writer(&src);
    assert_int_equal(qmig_hs_state(w), QMIG_HS_FAILED);
    assert_true(has_reason(w, "rule zero-copy-needs-multifd"));
    size_t len;
    qmig_hs_output(w, &len);
    assert_int_equal(len, 0);
    qmig_hs_free(w);
    pair_clear(&src, &dst);

    /* One version only: a loader that does not speak it refuses. */
    pair_init(&src, &dst);
    dst.opts.max_version = 1;
    w = oneway_writer(&src);
    l = oneway_load(w, &dst, "");
    assert_int_equal(qmig_hs_state(l), QMIG_HS_FAILED);
    assert_true(has_reason(l, "no common protocol version"));
    qmig_hs_free(w);
    qmig_hs_free(l);
    pair_clear(&src, &dst);

    /* The stream ends inside the header. */
    pair_init(&src, &dst);
    w = oneway_writer(&src);
    dst.opts.oneway = true;
    l = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    const uint8_t *out = qmig_hs_output(w, &len);
    assert_true(qmig_hs_feed(l, out, len - 1, NULL));
    assert_false(qmig_hs_feed_eof(l, NULL));
    assert_true(has_reason(l, "the stream ended inside the one-way header"));
    qmig_hs_free(w);
    qmig_hs_free(l);
    pair_clear(&src, &dst);
}

static void test_oneway_mixups(void **state)
{
    (void)state;
    Side src, dst;

    /* A one-way header on a two-way channel: REJECTed. */
    pair_init(&src, &dst);
    QmigHs *w = oneway_writer(&src);
    QmigHs *d = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    pump(w, d, 0);
    assert_int_equal(qmig_hs_state(d), QMIG_HS_FAILED);
    assert_true(has_reason(d, "one-way header"));
    size_t len;
    qmig_hs_output(d, &len);
    assert_true(len > 0);
    qmig_hs_free(w);
    qmig_hs_free(d);

    /* A two-way HELLO where a one-way header is loaded: no answer. */
    src.opts.oneway = false;
    QmigHs *s = qmig_hs_new(&src.opts, &src.cfg, NULL);
    dst.opts.oneway = true;
    QmigHs *l = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    pump(s, l, 0);
    assert_int_equal(qmig_hs_state(l), QMIG_HS_FAILED);
    assert_true(has_reason(l, "expected a one-way header"));
    qmig_hs_output(l, &len);
    assert_int_equal(len, 0);
    qmig_hs_free(s);
    qmig_hs_free(l);

    /* A header whose digest does not describe its configuration. */
    src.opts.oneway = true;
    w = qmig_hs_new(&src.opts, &src.cfg, NULL);
    const uint8_t *out = qmig_hs_output(w, &len);
    uint8_t *copy = malloc(len);
    memcpy(copy, out, len);
    char *dg = strstr((char *)copy + QMIG_HS_FRAME_HEADER_SIZE,
                      "\"digest\":\"");
    assert_non_null(dg);
    dg[10] = dg[10] == '0' ? '1' : '0';
    l = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
    qmig_hs_feed(l, copy, len, NULL);
    assert_int_equal(qmig_hs_state(l), QMIG_HS_FAILED);
    assert_true(has_reason(l, "describes another configuration"));
    free(copy);
    qmig_hs_free(w);
    qmig_hs_free(l);
    pair_clear(&src, &dst);
}

static void test_hello_too_big(void **state)
{
    (void)state;
    /* 20,000 sections of 60 characters cannot fit a 1 MiB HELLO: the
     * source says so instead of sending a frame the peer must refuse. */
    enum { N = 20000 };
    static char names[N][64];
    static QmigHsDevice devs[N];
    for (unsigned i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]),
                 "0000:00:%02x.%u/a-rather-long-device-path/section-%05u",
                 i % 32, i % 8, i);
        devs[i] = (QmigHsDevice){names[i], i, 1, 1};
    }
    Side src;
    side_init(&src, QMIG_SIDE_SOURCE);
    src.opts.devices = devs;
    src.opts.n_devices = N;
    QmigError *err = NULL;
    assert_null(qmig_hs_new(&src.opts, &src.cfg, &err));
    assert_non_null(strstr(qmig_error_message(err),
                           "exceeds the frame maximum of 1048576 bytes"));
    qmig_error_free(err);
    qmig_config_clear(&src.cfg);
}

static void test_oneway_every_cut(void **state)
{
    (void)state;
    /* A loader fed every prefix of a one-way header and then the end of
     * the stream fails with the same clear reason, and sends nothing;
     * fed the rest afterwards (no end), it is DONE. */
    Side src, dst;
    pair_init(&src, &dst);
    set_cap(&src, CAP_MULTIFD, true);
    QmigHs *w = oneway_writer(&src);
    size_t len;
    const uint8_t *hdr = qmig_hs_output(w, &len);
    dst.opts.oneway = true;
    for (size_t cut = 0; cut < len; cut++) {
        QmigHs *l = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
        assert_true(qmig_hs_feed(l, hdr, cut, NULL));
        assert_int_equal(qmig_hs_state(l), QMIG_HS_WAITING);
        QmigHs *l2 = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
        assert_true(qmig_hs_feed(l2, hdr, cut, NULL));
        assert_true(qmig_hs_feed(l2, hdr + cut, len - cut, NULL));
        assert_int_equal(qmig_hs_state(l2), QMIG_HS_DONE);
        assert_false(qmig_hs_feed_eof(l, NULL));
        assert_true(has_reason(l, "the stream ended inside the one-way "
                                  "header"));
        size_t out;
        qmig_hs_output(l, &out);
        assert_int_equal(out, 0);
        qmig_hs_free(l);
        qmig_hs_free(l2);
    }
    qmig_hs_free(w);
    pair_clear(&src, &dst);
}

/* A HELLO of @src with its "devices" member replaced by @devices. */
static uint8_t *hello_with_devices(Side *src, const char *devices,
                                   size_t *len)
{
    QmigHs *s = qmig_hs_new(&src->opts, &src->cfg, NULL);
    size_t n;
    const uint8_t *out = qmig_hs_output(s, &n);
    char *text = strndup((const char *)out + QMIG_HS_FRAME_HEADER_SIZE,
                         n - QMIG_HS_FRAME_HEADER_SIZE);
    char *d = strstr(text, "\"devices\":[");
    char *end = strchr(d, ']');
    size_t plen = (size_t)(d - text) + strlen("\"devices\":") +
                  strlen(devices) + strlen(end + 1);
    char *payload = malloc(plen + 1);
    snprintf(payload, plen + 1, "%.*s\"devices\":%s%s", (int)(d - text),
             text, devices, end + 1);
    uint8_t *f = qmig_hs_frame_encode(1, QMIG_HS_MSG_HELLO, payload,
                                      strlen(payload), len, NULL);
    free(payload);
    free(text);
    qmig_hs_free(s);
    return f;
}

static void test_device_encoding(void **state)
{
    (void)state;
    /* Front coding: shared prefixes, a section that is a prefix of the
     * previous one, one with spaces, and one of the longest length. */
    static char longest[257];
    memset(longest, 'x', 256);
    static const char *names[] = {
        "0000:00:02.0/virtio-net", "0000:00:02.0/virtio-net-ext",
        "0000:00:02.0/virtio", "0000:00:03.0/a b  c", "timer", longest,
        "0000:00:02.0/virtio-net"};
    QmigHsDevice devs[7];
    for (unsigned i = 0; i < 7; i++) {
        devs[i] = (QmigHsDevice){names[i], i == 6 ? 1 : 0, 3, 1};
    }
    Side src, dst;
    pair_init(&src, &dst);
    src.opts.devices = dst.opts.devices = devs;
    src.opts.n_devices = dst.opts.n_devices = 7;
    Run r = run(&src, &dst, 0);
    expect_done(&r);
    run_free(&r, &src, &dst);

    /* Malformed entries: each a clear reason, never a crash. */
    const char *bad[] = {
        "[\"0 3 1 1 ram\"]",          /* shares with nothing */
        "[\"0 3 1 0 ram\",\"0 3 1 4 x\"]", /* shares more than there is */
        "[\"0 3 1 0 \"]",             /* an empty section id */
        "[\"0 3 1 ram\"]",            /* a number missing */
        "[\"00 3 1 0 ram\"]",         /* a leading zero */
        "[\"4294967296 3 1 0 ram\"]", /* out of range */
        "[7]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pair_init(&src, &dst);
        size_t len;
        uint8_t *f = hello_with_devices(&src, bad[i], &len);
        QmigHs *d = qmig_hs_new(&dst.opts, &dst.cfg, NULL);
        qmig_hs_feed(d, f, len, NULL);
        if (!has_reason(d, "malformed device entry")) {
            dump_reasons(d, "destination");
            fail_msg("devices %s: no 'malformed device entry'", bad[i]);
        }
        free(f);
        qmig_hs_free(d);
        qmig_config_clear(&src.cfg);
        qmig_config_clear(&dst.cfg);
    }
}

static int setup(void **state)
{
    (void)state;
    hs_schema = test_schema;
    hs_schema.features = hs_features;
    hs_schema.n_features = sizeof(hs_features) / sizeof(hs_features[0]);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agree_all_treatments),
        cmocka_unit_test(test_local_never_sent),
        cmocka_unit_test(test_intersect),
        cmocka_unit_test(test_adopt_unsupported),
        cmocka_unit_test(test_check_agreed),
        cmocka_unit_test(test_uuid_only_when_sent),
        cmocka_unit_test(test_mismatches_all_listed),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_trailing_data),
        cmocka_unit_test(test_truncation_exhaustive),
        cmocka_unit_test(test_whole_exchange_byte_by_byte),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_confirm_mismatch),
        cmocka_unit_test(test_hello_malformed_members),
        cmocka_unit_test(test_accept_malformed_members),
        cmocka_unit_test(test_confirm_malformed_members),
        cmocka_unit_test(test_peer_text_escaped),
        cmocka_unit_test(test_channel_header),
        cmocka_unit_test(test_channel_map),
        cmocka_unit_test(test_channel_map_from_hs),
        cmocka_unit_test(test_hello_too_big),
        cmocka_unit_test(test_device_encoding),
        cmocka_unit_test(test_oneway_agree),
        cmocka_unit_test(test_oneway_every_cut),
        cmocka_unit_test(test_oneway_failures),
        cmocka_unit_test(test_oneway_mixups),
        cmocka_unit_test(test_driver_agree),
        cmocka_unit_test(test_driver_reject),
        cmocka_unit_test(test_driver_deadlines),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
