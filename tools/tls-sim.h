/*
 * tls-sim.h - a simulated TLS record layer, for qmig-handshake --tls-sim.
 *
 * A testing aid, NOT security: it reproduces what matters to channel
 * identification under TLS (the first bytes on the wire are record
 * headers and encrypted bytes, so the destination cannot recognise a
 * channel by peeking at them; the layer returns data only after
 * decoding whole records, and may hold decoded bytes the socket no
 * longer shows as readable), with none of TLS's cryptography.
 *
 * Wire format (every integer big-endian):
 *
 * - record: type (1 byte), version 0x03 0x03, body length (2 bytes),
 *   body;
 * - the client (connect side) first sends a "ClientHello", a record of
 *   type 0x16 whose body is 32 random bytes (its nonce); the server
 *   answers with a "ServerHello" of the same shape and its own nonce;
 * - then all data travels in application-data records (type 0x17, a
 *   body of 1 to 16384 bytes), XORed with a keystream per direction
 *   derived from both nonces.  The writer cuts the data into records of
 *   random sizes, so frames and channel headers straddle records.
 *
 * Anything else where a record header is expected fails with "peer does
 * not speak the simulated TLS: ...".
 */
#ifndef QMIG_TOOLS_TLS_SIM_H
#define QMIG_TOOLS_TLS_SIM_H

#include <stdbool.h>

#include "qmig/handshake.h"

/* The client waits up to this long before each channel's handshake. */
#define TLS_SIM_CHANNEL_DELAY_MS 20

typedef struct TlsSim TlsSim;

/*
 * Run the simulated TLS handshake on the connected socket @fd, as the
 * client (after a random delay of 0 to @max_delay_ms milliseconds) or
 * as the server, within @timeout_ms.  Returns the layer (free with
 * tls_sim_free()), or NULL with an error.  A server that fails makes a
 * short, bounded effort to let the peer see a clean end of stream
 * rather than a reset.  Never closes @fd.
 */
TlsSim *tls_sim_client(int fd, unsigned max_delay_ms, int timeout_ms,
                       QmigError **errp);
TlsSim *tls_sim_server(int fd, int timeout_ms, QmigError **errp);

/* The layer as a transport of the handshake driver; valid until
 * tls_sim_free(). */
QmigHsIo tls_sim_io(TlsSim *t);

/* Free the layer (not the fd); NULL is fine. */
void tls_sim_free(TlsSim *t);

/*
 * One connection of qmig-handshake: the plain fd, or the simulated TLS
 * over it when @tls.  tls_sim_conn_open() runs the handshake (as
 * @server or the client, see above) and fills @c; on failure @c is
 * still safe to give to tls_sim_conn_close(), which frees the layer but
 * does not close the fd.
 */
typedef struct TlsSimConn {
    QmigHsIo io;
    TlsSim *tls;
} TlsSimConn;

bool tls_sim_conn_open(TlsSimConn *c, int fd, bool tls, bool server,
                       unsigned max_delay_ms, int timeout_ms, QmigError **errp);
void tls_sim_conn_close(TlsSimConn *c);

#endif /* QMIG_TOOLS_TLS_SIM_H */
