/*
 * qmig/handshake.h - the migration handshake as a sans-IO engine.
 *
 * The protocol is specified in docs/handshake-protocol.rst.  This
 * header offers three layers, none of which does any I/O, owns a
 * socket, a thread or a timer:
 *
 * - frames: the 12-byte frame header (magic "QMHS", version, type,
 *   length) and the JSON payload bound to QMIG_HS_FRAME_MAX;
 * - the engine (QmigHs): the caller feeds it the bytes received on the
 *   main channel, sends the bytes it produces, and queries its state,
 *   the agreed configuration, the negotiated version, the session id,
 *   the channel plan and, on failure, every reason;
 * - named channels: the fixed 64-byte channel header that starts every
 *   additional connection, and the destination's map from channel
 *   names to the plan (QmigChannelMap).
 *
 * The engine is driven by the schema's handshake feature table
 * (QmigSchemaDesc.features): items are sent by their stable wire id,
 * with their treatment (adopt, intersect; local items never cross).
 *
 * Errors follow qmig/error.h.  Ownership is stated per function; in
 * short, the engine borrows its options and the local configuration
 * (both must outlive it) and owns everything it returns pointers to,
 * which stay valid until qmig_hs_free() unless said otherwise.
 */
#ifndef QMIG_HANDSHAKE_H
#define QMIG_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#include "qmig/config.h"
#include "qmig/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- frames ------------------------------------------------------------ */

#define QMIG_HS_MAGIC 0x514d4853u        /* "QMHS" */
#define QMIG_HS_LEGACY_MAGIC 0x5145564du /* QEMU_VM_FILE_MAGIC, "QEVM" */
#define QMIG_HS_MULTIFD_MAGIC 0x11223344u
#define QMIG_HS_FRAME_HEADER_SIZE 12
/* Largest payload a frame may carry; larger lengths are rejected. */
#define QMIG_HS_FRAME_MAX (1u << 20)

/* Protocol versions this library speaks. */
#define QMIG_HS_VERSION_MIN 1
#define QMIG_HS_VERSION_MAX 2

typedef enum QmigHsMessage {
    QMIG_HS_MSG_HELLO = 1,   /* source -> destination */
    QMIG_HS_MSG_ACCEPT = 2,  /* destination -> source */
    QMIG_HS_MSG_REJECT = 3,  /* destination -> source */
    QMIG_HS_MSG_CONFIRM = 4, /* source -> destination */
    QMIG_HS_MSG_ABORT = 5,   /* source -> destination */
} QmigHsMessage;

/* A decoded frame; payload points into the decoded buffer. */
typedef struct QmigHsFrame {
    uint16_t version;
    uint16_t type;
    uint32_t length;
    const uint8_t *payload;
} QmigHsFrame;

/*
 * Decode one frame at the start of @buf (@len bytes).  Returns the
 * size of the frame (header and payload) when it is complete, 0 when
 * the bytes so far are a valid prefix and more are needed, and -1 with
 * an error when they cannot start a valid frame (wrong magic, length
 * above QMIG_HS_FRAME_MAX).  Checks as early as the bytes allow: a
 * wrong first byte fails at once.  Allocates nothing.
 */
long qmig_hs_frame_decode(const uint8_t *buf, size_t len, QmigHsFrame *out,
                          QmigError **errp);

/*
 * Encode a frame into a new buffer (caller frees with free()) and store
 * its size in *out_len.  Fails when @len exceeds QMIG_HS_FRAME_MAX.
 */
uint8_t *qmig_hs_frame_encode(uint16_t version, uint16_t type,
                              const void *payload, size_t len,
                              size_t *out_len, QmigError **errp);

/* "hello", "accept", ...; NULL for unknown types. */
const char *qmig_hs_message_name(unsigned type);

/* --- the engine -------------------------------------------------------- */

/* One device state section, as each side supplies it. */
typedef struct QmigHsDevice {
    /* Section id, e.g. "ram" or "0000:00:02.0/virtio-net": 1 to 256
     * printable ASCII characters, as QEMU's are. */
    const char *section;
    uint32_t instance;
    uint32_t version;     /* the version this side writes (and can load) */
    uint32_t min_version; /* the oldest version this side can load */
} QmigHsDevice;

/*
 * Options of one handshake.  The engine borrows them and everything
 * they point to until qmig_hs_free().
 */
typedef struct QmigHsOptions {
    QmigSide side; /* QMIG_SIDE_SOURCE or QMIG_SIDE_DESTINATION */
    /* Versions this side accepts; 0 means QMIG_HS_VERSION_MIN / _MAX. */
    unsigned min_version, max_version;
    const char *machine; /* QEMU machine type; NULL: not checked here */
    uint64_t target_page_size; /* 0: not checked here */
    uint64_t host_page_size;   /* compared when postcopy-ram is agreed */
    /* Source: send the UUID, to have it checked; destination: check a
     * UUID the source sent against this one. */
    bool has_uuid;
    uint8_t uuid[16];
    /* Source: the session id, 16 random bytes from the caller. */
    uint8_t session[16];
    /* Device sections (protocol version 2 and later). */
    const QmigHsDevice *devices;
    size_t n_devices;
    /*
     * Wire ids of the features this side must never enable: not built,
     * not possible on this host, or forbidden by management.  Ids not
     * in the schema's feature table are unsupported too.
     */
    const uint16_t *unsupported;
    size_t n_unsupported;
    /* Destination: a legacy stream (QEMU_VM_FILE_MAGIC) ends the
     * handshake in QMIG_HS_LEGACY instead of failing. */
    bool allow_legacy;
    /*
     * A unidirectional transport (file:, exec:, snapshots): nobody
     * answers.  A source engine writes a one-way header (a HELLO
     * carrying the final configuration and its digest) and is DONE at
     * once, or FAILED when its own configuration breaks a rule; a
     * destination engine (the loader) checks such a header like a
     * HELLO, adopting every item, sends nothing, and is DONE or FAILED
     * after it.  A one-way header is written in max_version only.
     * Both sides must agree on this flag: a one-way header on a two-way
     * channel, or the reverse, fails.
     */
    bool oneway;
    /*
     * The schema's channel plan (the generated *_channel_plan()); NULL:
     * no channels beyond the main one.
     */
    unsigned (*plan)(const void *config, QmigChannelRef *out, unsigned max);
    /*
     * Destination: the application's own say on the agreed
     * configuration, for what the schema's rules cannot know (what
     * this host and this build can do right now).  Called once the
     * agreed configuration passes every check of the engine, before
     * the ACCEPT is queued (or, one-way, before DONE); returning false
     * with an error turns the answer into a REJECT whose reason is the
     * error's message.  @agreed is the engine's, valid during the call.
     * NULL: no further check.
     */
    bool (*check_agreed)(void *opaque, const void *agreed, QmigError **errp);
    void *check_opaque; /* passed to check_agreed */
} QmigHsOptions;

typedef enum QmigHsState {
    QMIG_HS_WAITING, /* wants input (after sending its output) */
    QMIG_HS_DONE,    /* agreed; migration data may flow */
    QMIG_HS_FAILED,  /* see qmig_hs_reasons(); send the output, close */
    QMIG_HS_LEGACY,  /* destination: the peer speaks the legacy stream */
} QmigHsState;

typedef struct QmigHs QmigHs;

/*
 * A new handshake for @opts and the local configuration @config (an
 * initialised configuration of a schema with a feature table), which
 * the engine borrows.  A source engine has its HELLO ready in the
 * output at once.  Fails on invalid options.  Free with qmig_hs_free().
 */
QmigHs *qmig_hs_new(const QmigHsOptions *opts, const void *config,
                    QmigError **errp);
void qmig_hs_free(QmigHs *hs);

/*
 * Feed @len received bytes.  Returns false, with an error summing up
 * every reason, when the handshake has failed (now or before); true
 * otherwise (check qmig_hs_state()).  Even after a failure, send the
 * output: it may hold a REJECT or ABORT for the peer.  Bytes after the
 * last handshake frame are kept (qmig_hs_unconsumed()).
 */
bool qmig_hs_feed(QmigHs *hs, const void *data, size_t len,
                  QmigError **errp);

/* The peer closed the channel: fails unless the handshake is over. */
bool qmig_hs_feed_eof(QmigHs *hs, QmigError **errp);

/*
 * The bytes to send: valid until the next call on @hs.  Tell the engine
 * how many were sent with qmig_hs_output_consume().
 */
const uint8_t *qmig_hs_output(const QmigHs *hs, size_t *len);
void qmig_hs_output_consume(QmigHs *hs, size_t n);

QmigHsState qmig_hs_state(const QmigHs *hs);
/* "waiting", "done", "failed", "legacy". */
const char *qmig_hs_state_name(QmigHsState state);

/*
 * Received bytes the handshake did not consume (the start of the
 * migration stream after DONE, or of the legacy stream after LEGACY);
 * valid until the next call on @hs.
 */
const uint8_t *qmig_hs_unconsumed(const QmigHs *hs, size_t *len);

/* The negotiated version; 0 until known. */
unsigned qmig_hs_version(const QmigHs *hs);

/* The session id (the source's; the destination's once HELLO arrived). */
const uint8_t *qmig_hs_session(const QmigHs *hs);

/*
 * The agreed configuration (same schema as the local one), owned by
 * the engine; NULL until the handshake is DONE.
 */
const void *qmig_hs_agreed(const QmigHs *hs);

/*
 * The digest both sides confirm (64-bit FNV-1a of the canonical agreed
 * configuration); 0 until computed.
 */
uint64_t qmig_hs_digest(const QmigHs *hs);

/*
 * Handshake frames queued for sending and received so far.  The round
 * trips a side waited for are the smaller of the two (the exchange
 * alternates): 1 for both sides of a successful handshake.
 */
unsigned qmig_hs_messages_sent(const QmigHs *hs);
unsigned qmig_hs_messages_received(const QmigHs *hs);

/*
 * Every reason of a failure, in the order found (the same list on both
 * sides when the destination rejects).
 */
size_t qmig_hs_n_reasons(const QmigHs *hs);
const char *qmig_hs_reason(const QmigHs *hs, size_t i);

/*
 * The names of the additional channels of the agreed plan (every plan
 * entry except "main", which carries the handshake, and "cpr", which
 * precedes it), in plan order; valid once DONE.
 */
size_t qmig_hs_n_channels(const QmigHs *hs);
const char *qmig_hs_channel(const QmigHs *hs, size_t i);

/* --- named channels ---------------------------------------------------- */

#define QMIG_CHANNEL_MAGIC 0x514d4348u /* "QMCH" */
#define QMIG_CHANNEL_HEADER_SIZE 64
/* Longest channel name (the header holds it NUL-padded in 40 bytes). */
#define QMIG_CHANNEL_NAME_MAX 39

/*
 * Write the channel header of channel @name for the session @session
 * at protocol @version into @out.  Fails when the name is empty, too
 * long or not printable ASCII.
 */
bool qmig_channel_header_encode(unsigned version, const uint8_t session[16],
                                const char *name,
                                uint8_t out[QMIG_CHANNEL_HEADER_SIZE],
                                QmigError **errp);

/*
 * Decode a channel header from @len bytes (at least
 * QMIG_CHANNEL_HEADER_SIZE are needed): magic, reserved bytes, name
 * padding and characters are checked.  @name receives the NUL-terminated
 * name.
 */
bool qmig_channel_header_decode(const uint8_t *buf, size_t len,
                                unsigned *version, uint8_t session[16],
                                char name[QMIG_CHANNEL_NAME_MAX + 1],
                                QmigError **errp);

/* The destination's map of expected channels. */
typedef struct QmigChannelMap QmigChannelMap;

/*
 * A map expecting each of the @n channel @names (copied) once, for the
 * session @session at protocol @version.  Fails on duplicate names.
 */
QmigChannelMap *qmig_channel_map_new(unsigned version,
                                     const uint8_t session[16],
                                     const char *const *names, size_t n,
                                     QmigError **errp);

/* A map for the channels of a finished handshake @hs. */
QmigChannelMap *qmig_channel_map_from_hs(const QmigHs *hs, QmigError **errp);
void qmig_channel_map_free(QmigChannelMap *map);

/*
 * A new connection presented the header in @buf: returns the index of
 * its name in the map's list, or -1 with an error (malformed header,
 * wrong version, wrong session id, unknown name, name already mapped).
 * A rejected header changes nothing.
 */
long qmig_channel_map_accept(QmigChannelMap *map, const uint8_t *buf,
                             size_t len, QmigError **errp);

/* Whether every expected channel has arrived. */
bool qmig_channel_map_complete(const QmigChannelMap *map);

/*
 * The connection of channel @index (as returned by
 * qmig_channel_map_accept()) is gone: its name may connect again, as
 * when a paused postcopy migration recovers and the source reconnects
 * its channels with the same session id.  Fails when @index is not
 * connected.
 */
bool qmig_channel_map_release(QmigChannelMap *map, size_t index,
                              QmigError **errp);

/* --- a blocking driver over a transport -------------------------------- */

/*
 * For tools and tests; QEMU drives the engine from its own channels.
 * Each call takes a timeout in milliseconds (positive) that bounds the
 * whole call: every wait is a poll() limited by the time left, so a
 * silent or slow peer makes the call fail with a clean "timed out"
 * error, never hang.  Nothing here ever peeks: bytes are taken from the
 * transport only when they are consumed, so a transport that cannot
 * peek (TLS) works the same as a plain socket.
 *
 * The driver reads and writes through a QmigHsIo, a table of callbacks
 * over some non-blocking byte stream: a plain fd (qmig_io_fd()), or a
 * layer that encodes the bytes, such as TLS, whose records do not match
 * the driver's reads and which may hold decoded bytes the fd no longer
 * shows as readable.  The driver borrows the QmigHsIo for the call and
 * never closes or frees what it points to.
 */
typedef struct QmigHsIo {
    void *opaque; /* passed to every callback */
    /*
     * Read up to @len (> 0) bytes into @buf without blocking.  Returns
     * the number read (1 to @len), 0 at the end of the stream (the peer
     * closed it cleanly), or -1 with errno set: EAGAIN or EWOULDBLOCK
     * when nothing can be read yet (the driver then polls poll_fd for
     * POLLIN, unless pending() says bytes are buffered), EINTR to be
     * retried at once, anything else is a failure of the transport
     * (error() may describe it).  A layer that only has part of a
     * record answers EAGAIN, not 0.
     */
    ssize_t (*read)(void *opaque, void *buf, size_t len);
    /*
     * Write up to @len (> 0) bytes of @buf without blocking.  Returns
     * the number accepted (1 to @len) or -1 with errno set as for read
     * (EAGAIN: poll poll_fd for POLLOUT, then call again).  The bytes
     * counted must be handed to the operating system completely: a
     * layer that could send only part of a record answers EAGAIN and
     * keeps the rest, and the driver calls it again with the same
     * @buf and @len (as SSL_write() requires), never with other data.
     */
    ssize_t (*write)(void *opaque, const void *buf, size_t len);
    /* The fd to poll before reading or writing; negative: none (an
     * error). */
    int (*poll_fd)(void *opaque);
    /*
     * Bytes the layer has already received and decoded, which read()
     * returns without any new input on poll_fd.  The driver calls read()
     * without polling while this is non-zero: polling first would wait
     * for input the peer may never send (the classic TLS pitfall).  A
     * layer may also answer non-zero to have read() report an end of
     * stream or a failure it already knows of.  The deadline still
     * bounds the call if read() then delivers nothing.  NULL: the layer
     * buffers nothing (a plain fd).
     */
    size_t (*pending)(void *opaque);
    /*
     * Optional (may be NULL): a description of the last failure of read
     * or write, valid until the next call on the layer; NULL: the driver
     * uses strerror(errno).
     */
    const char *(*error)(void *opaque);
} QmigHsIo;

/*
 * A QmigHsIo over the file descriptor @fd (a socket, pipe or terminal;
 * blocking or not: sockets are read with MSG_DONTWAIT, other fds only
 * after poll() reports them ready).  No state: opaque holds @fd, and
 * nothing needs freeing.  Sockets never raise SIGPIPE.
 */
QmigHsIo qmig_io_fd(int fd);

/*
 * Run the handshake @hs over @io until it is over: send the engine's
 * output, feed it what arrives (and EOF), and stop when it is DONE or
 * LEGACY (true) or FAILED (false, after a best-effort send of its
 * REJECT or ABORT, with every reason in the error; the reasons stay
 * available through qmig_hs_reason()).  (qmig_io_fd() reports a
 * connection reset by the peer as the end of the stream, so the engine
 * fails with a reason.)  Also false
 * on a deadline or an I/O error, with the engine's state WAITING, or
 * DONE when it was the final CONFIRM that could not be sent (the peer
 * cannot have finished): the return value, not the state, says whether
 * the handshake succeeded on this connection.  Bytes received
 * after the handshake are in qmig_hs_unconsumed(); bytes the layer
 * buffered beyond them stay in the layer.
 */
bool qmig_hs_run_io(QmigHs *hs, const QmigHsIo *io, int timeout_ms,
                    QmigError **errp);

/* Send the channel header of channel @name (see
 * qmig_channel_header_encode()) on @io within @timeout_ms. */
bool qmig_channel_send_header_io(const QmigHsIo *io, unsigned version,
                                 const uint8_t session[16], const char *name,
                                 int timeout_ms, QmigError **errp);

/*
 * Receive the QMIG_CHANNEL_HEADER_SIZE bytes of a channel header from
 * @io within @timeout_ms into @out (to give to
 * qmig_channel_map_accept()); fails on a deadline, EOF or I/O error.
 * Reads nothing beyond the header.
 */
bool qmig_channel_recv_header_io(const QmigHsIo *io,
                                 uint8_t out[QMIG_CHANNEL_HEADER_SIZE],
                                 int timeout_ms, QmigError **errp);

/* Write all @len bytes, or read exactly @len bytes, within @timeout_ms. */
bool qmig_io_write_full(const QmigHsIo *io, const void *data, size_t len,
                        int timeout_ms, QmigError **errp);
bool qmig_io_read_full(const QmigHsIo *io, void *data, size_t len,
                       int timeout_ms, QmigError **errp);

/*
 * The same over a file descriptor: each is its _io counterpart over
 * qmig_io_fd(@fd), after checking that @fd is not negative.  These
 * functions never close @fd.
 */
bool qmig_hs_run_fd(QmigHs *hs, int fd, int timeout_ms, QmigError **errp);
bool qmig_channel_send_header_fd(int fd, unsigned version,
                                 const uint8_t session[16], const char *name,
                                 int timeout_ms, QmigError **errp);
bool qmig_channel_recv_header_fd(int fd,
                                 uint8_t out[QMIG_CHANNEL_HEADER_SIZE],
                                 int timeout_ms, QmigError **errp);
bool qmig_fd_write_full(int fd, const void *data, size_t len,
                        int timeout_ms, QmigError **errp);
bool qmig_fd_read_full(int fd, void *data, size_t len, int timeout_ms,
                       QmigError **errp);

#ifdef __cplusplus
}
#endif

#endif /* QMIG_HANDSHAKE_H */
