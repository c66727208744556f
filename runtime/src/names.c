/*
 * names.c - names of sides, handshake treatments and transports, as
 * they appear in metadata, JSON documents and reports.
 */
#include "internal.h"

#include <string.h>

static const char *const side_names[] = {
    [QMIG_SIDE_SOURCE] = "source",
    [QMIG_SIDE_DESTINATION] = "destination",
    [QMIG_SIDE_BOTH] = "both",
    [QMIG_SIDE_MATCH] = "match",
};

static const char *const handshake_names[] = {
    [QMIG_HANDSHAKE_ADOPT] = "adopt",
    [QMIG_HANDSHAKE_INTERSECT] = "intersect",
    [QMIG_HANDSHAKE_LOCAL] = "local",
};

static const char *const transport_names[] = {
    [QMIG_TRANSPORT_TCP] = "tcp",     [QMIG_TRANSPORT_UNIX] = "unix",
    [QMIG_TRANSPORT_VSOCK] = "vsock", [QMIG_TRANSPORT_FD] = "fd",
    [QMIG_TRANSPORT_EXEC] = "exec",   [QMIG_TRANSPORT_RDMA] = "rdma",
    [QMIG_TRANSPORT_FILE] = "file",
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Enum values may come from anywhere (casts, uninitialised memory of a
 * caller): compare as unsigned so that negative values are rejected too.
 */
static const char *name_of(const char *const *names, size_t n, int value)
{
    return (unsigned)value < n ? names[value] : NULL;
}

static bool parse_name(const char *const *names, size_t n, const char *name,
                       int *out)
{
    if (!name) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            *out = (int)i;
            return true;
        }
    }
    return false;
}

const char *qmig_side_name(QmigSide side)
{
    return name_of(side_names, N_ELEMS(side_names), (int)side);
}

const char *qmig_handshake_name(QmigHandshake handshake)
{
    return name_of(handshake_names, N_ELEMS(handshake_names), (int)handshake);
}

const char *qmig_transport_name(QmigTransport transport)
{
    return name_of(transport_names, N_ELEMS(transport_names), (int)transport);
}

bool qmig_transport_parse(const char *name, QmigTransport *out)
{
    int v;
    if (!parse_name(transport_names, N_ELEMS(transport_names), name, &v)) {
        return false;
    }
    if (out) {
        *out = (QmigTransport)v;
    }
    return true;
}

bool qmig_side_parse(const char *name, QmigSide *out)
{
    int v;
    if (!parse_name(side_names, N_ELEMS(side_names), name, &v)) {
        return false;
    }
    if (out) {
        *out = (QmigSide)v;
    }
    return true;
}
