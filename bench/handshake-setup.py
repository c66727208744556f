#!/usr/bin/python3
"""Migration setup time with and without the handshake, real QEMU.

Measures what the migration handshake of the patched QEMU adds to the
start of a migration on loopback TCP.  A proxy between source and
destination forwards every connection (main and multifd channels, all to
the destination's port) and timestamps with time.perf_counter_ns():

  * the accept of the main connection (the one that starts with the
    handshake magic "QMHS" or the stream magic "QEVM");
  * the moment the 4 bytes "QEVM" (0x5145564d) have first passed source
    -> destination on it: the start of the migration stream, which is
    the same from there on in both modes (the first RAM page follows).

The interval is the setup time.  It is measured --runs times for a plain
migration and for one with the `handshake` capability on both sides
(runs interleaved), and reported as median, min and max, with the
difference of the medians (target: at most 1000 us added; printed, not
enforced).  The proxy also counts the handshake frames the destination
sends before "QEVM" (one ACCEPT: one round trip) and, with multifd on (4
channels, --multifd-runs), whether any byte flows destination -> source
on a multifd channel before the source's first data after the channel
header (per-channel round trips; the handshake adds none).  The proxy's
own forwarding cost is in both figures.  The proxy writes with
TCP_NODELAY but acknowledges like any socket (no TCP_QUICKACK), as a
destination QEMU does, so the source's own Nagle and delayed-ACK waits
show as they would on a direct connection.  A line per mode splits the
handshake's setup time into phases at the frames the proxy saw.

Exit status: 0 (a benchmark: figures, not verdicts), 1 when a migration
does not complete or the proxy sees no stream magic, 77 (skip) when the
binary is missing.
"""

import argparse
import os
import socket
import statistics
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'qmp'))
from qmp import Qemu, QemuDied  # noqa: E402

MACHINE = ['-M', 'pc', '-m', '64']
HS_MAGIC = b'QMHS'
VM_MAGIC = b'QEVM'
CH_MAGIC = b'QMCH'                      # handshake channel header
MULTIFD_MAGIC = struct.pack('>I', 0x11223344)   # legacy multifd packet
CH_HEADER_SIZE = 64
MULTIFD_CHANNELS = 4
TARGET_US = 1000


def complete_frames(buf):
    """The whole handshake frames at the start of @buf: (count, the rest)."""
    count = 0
    while len(buf) >= 12 and buf[:4] == HS_MAGIC:
        length = struct.unpack('>I', buf[8:12])[0]
        if len(buf) < 12 + length:
            break
        count += 1
        buf = buf[12 + length:]
    return count, buf


class Conn:
    """What the proxy saw on one connection."""

    def __init__(self, t_accept):
        self.t_accept = t_accept
        self.kind = None            # 'main', 'multifd', 'other'
        self.s2d = b''              # first source bytes (classification)
        self.s2d_bytes = 0
        self.t_vm_magic = None      # main: "QEVM" passed
        self.hs_frames_s2d = 0
        self.t_frames_s2d = []      # main: when each source frame was whole
        self.t_frames_d2s = []      # main: when each destination frame was
        self.d2s_frames_before_vm = 0
        self.d2s_bytes_before_vm = 0
        self.d2s_buf = b''
        self.d2s_bytes = 0
        self.data_started = False   # multifd: source data after header
        self.d2s_before_data = 0    # multifd: dst->src bytes before it


class TimingProxy:
    """Forwards every accepted connection to the destination's port."""

    def __init__(self, dst_port):
        self.dst_port = dst_port
        self.conns = []
        self.lock = threading.Lock()
        self.socks = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self):
        while True:
            try:
                a, _ = self.listener.accept()
            except OSError:
                return
            t = time.perf_counter_ns()
            conn = Conn(t)
            try:
                b = socket.create_connection(('127.0.0.1', self.dst_port))
            except OSError:
                a.close()
                continue
            for s in (a, b):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.conns.append(conn)
                self.socks += [a, b]
            threading.Thread(target=self._pump,
                             args=(conn, a, b, self._observe_s2d),
                             daemon=True).start()
            threading.Thread(target=self._pump,
                             args=(conn, b, a, self._observe_d2s),
                             daemon=True).start()

    def _pump(self, conn, src, dst, observe):
        """Forward @src to @dst, letting @observe see each chunk first."""
        try:
            while True:
                data = src.recv(262144)
                now = time.perf_counter_ns()
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                with self.lock:
                    observe(conn, data, now)
                dst.sendall(data)
        except OSError:
            pass

    def _observe_s2d(self, conn, data, now):
        conn.s2d_bytes += len(data)
        if conn.kind is None or (conn.kind == 'main' and
                                 conn.t_vm_magic is None):
            conn.s2d += data
        if conn.kind is None and len(conn.s2d) >= 4:
            magic = conn.s2d[:4]
            conn.kind = ('main' if magic in (HS_MAGIC, VM_MAGIC) else
                         'multifd' if magic in (CH_MAGIC, MULTIFD_MAGIC)
                         else 'other')
            if conn.kind != 'main':
                conn.header = CH_HEADER_SIZE if magic == CH_MAGIC else 0
        if conn.kind == 'main' and conn.t_vm_magic is None:
            # skip whole handshake frames, then expect the stream magic
            frames, buf = complete_frames(conn.s2d)
            conn.hs_frames_s2d += frames
            conn.t_frames_s2d += [now] * frames
            conn.s2d = buf
            if len(buf) >= 4 and buf[:4] != HS_MAGIC:
                if buf[:4] == VM_MAGIC:
                    conn.t_vm_magic = now
                else:
                    conn.kind = 'other'
        elif conn.kind == 'multifd' and not conn.data_started:
            # data: any byte past the channel header (the legacy
            # multifd channel has none: its first packet is data)
            if conn.s2d_bytes > conn.header:
                conn.data_started = True

    def _observe_d2s(self, conn, data, now):
        conn.d2s_bytes += len(data)
        if conn.kind in (None, 'multifd') and not conn.data_started:
            conn.d2s_before_data += len(data)
        if conn.t_vm_magic is None:
            conn.d2s_bytes_before_vm += len(data)
            frames, conn.d2s_buf = complete_frames(conn.d2s_buf + data)
            conn.d2s_frames_before_vm += frames
            conn.t_frames_d2s += [now] * frames

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)   # wakes accept()
        except OSError:
            pass
        try:
            self.listener.close()
        except OSError:
            pass
        with self.lock:
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def set_caps(q, caps):
    if caps:
        ok, r = q.execute('migrate-set-capabilities', {'capabilities': [
            {'capability': c, 'state': True} for c in caps]})
        if not ok:
            raise RuntimeError('migrate-set-capabilities %s: %s' % (caps, r))


def wait_done(q, limit):
    end = time.perf_counter() + limit
    while True:
        ok, r = q.execute('query-migrate')
        if r.get('status') in ('completed', 'failed', 'cancelled') or \
                time.perf_counter() > end:
            return r
        time.sleep(0.005)


def one_run(binary, handshake, multifd):
    """One migration through the proxy; returns the proxy's Conn list."""
    src_caps = (['handshake'] if handshake else []) + \
        (['multifd'] if multifd else [])
    # the handshake destination adopts multifd from the source
    dst_caps = ['handshake'] if handshake else src_caps
    with Qemu(binary, MACHINE) as src, \
            Qemu(binary, MACHINE + ['-incoming', 'defer']) as dst:
        set_caps(src, src_caps)
        set_caps(dst, dst_caps)
        params = {'multifd-channels': MULTIFD_CHANNELS} if multifd else {}
        for q in ((src, dst) if multifd and not handshake else
                  (src,) if multifd else ()):
            ok, r = q.execute('migrate-set-parameters', params)
            if not ok:
                raise RuntimeError('migrate-set-parameters: %s' % r)
        ok, r = dst.execute('migrate-incoming', {
            'uri': 'tcp:127.0.0.1:0', 'exit-on-error': False})
        if not ok:
            raise RuntimeError('migrate-incoming: %s' % r)
        port = int(dst.execute('query-migrate')[1]['socket-address'][0]
                   ['port'])
        proxy = TimingProxy(port)
        try:
            ok, r = src.execute('migrate',
                                {'uri': 'tcp:127.0.0.1:%d' % proxy.port})
            if not ok:
                raise RuntimeError('migrate: %s' % r)
            rs = wait_done(src, 30)
            rd = wait_done(dst, 10)
            if rs.get('status') != 'completed' or \
                    rd.get('status') != 'completed':
                raise RuntimeError('migration did not complete: source %s '
                                   '(%s), destination %s (%s)'
                                   % (rs.get('status'), rs.get('error-desc'),
                                      rd.get('status'), rd.get('error-desc')))
        finally:
            proxy.close()
        with proxy.lock:
            conns = list(proxy.conns)
    mains = [c for c in conns if c.kind == 'main']
    if len(mains) != 1 or mains[0].t_vm_magic is None:
        raise RuntimeError('proxy saw %d main connection(s), stream magic %s'
                           % (len(mains), 'seen' if mains and
                              mains[0].t_vm_magic else 'not seen'))
    return conns


def summary(values):
    return (statistics.median(values), min(values), max(values))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--qemu', required=True,
                    help='patched qemu-system-x86_64 (with the handshake)')
    ap.add_argument('--runs', type=int, default=20,
                    help='migrations per mode without multifd (default 20)')
    ap.add_argument('--multifd-runs', type=int, default=5,
                    help='migrations per mode with multifd, 4 channels '
                         '(default 5)')
    args = ap.parse_args()
    if not (os.path.isfile(args.qemu) and os.access(args.qemu, os.X_OK)):
        print('SKIP: %s not found or not executable' % args.qemu)
        return 77

    print('migration setup time through a loopback proxy: accept of the '
          'main connection -> "QEVM" passed source->destination')
    print('machine: %d cores; %s' % (os.cpu_count(),
                                     ' '.join(os.uname()[2:3])))
    results = {}
    try:
        for multifd, runs in ((False, args.runs), (True, args.multifd_runs)):
            if runs <= 0:
                continue
            for handshake in (False, True):     # warm-up, not counted
                one_run(args.qemu, handshake, multifd)
            for _ in range(runs):
                for handshake in (False, True):     # interleaved
                    conns = one_run(args.qemu, handshake, multifd)
                    results.setdefault((multifd, handshake), []).append(conns)
    except (RuntimeError, QemuDied) as e:
        print('ERROR: %s' % e)
        return 1

    def setup_us(conn_lists):
        out = []
        for conns in conn_lists:
            m = [c for c in conns if c.kind == 'main'][0]
            out.append((m.t_vm_magic - m.t_accept) / 1000.0)
        return out

    print()
    added = None
    for multifd in (False, True):
        if (multifd, False) not in results:
            continue
        plain = summary(setup_us(results[(multifd, False)]))
        hs = summary(setup_us(results[(multifd, True)]))
        n = len(results[(multifd, False)])
        label = 'setup-time' if not multifd else \
            'setup-time-multifd%d' % MULTIFD_CHANNELS
        print('%s plain median_us=%.0f handshake median_us=%.0f '
              'added_us=%.0f runs=%d' % (label, plain[0], hs[0],
                                         hs[0] - plain[0], n))
        print('    plain     min_us=%.0f max_us=%.0f' % plain[1:])
        print('    handshake min_us=%.0f max_us=%.0f' % hs[1:])
        if not multifd:
            added = hs[0] - plain[0]

    # where the handshake's time goes (medians over the handshake runs)
    for multifd in (False, True):
        if (multifd, True) not in results:
            continue
        spans = {}
        for conns in results[(multifd, True)]:
            m = [c for c in conns if c.kind == 'main'][0]
            if len(m.t_frames_s2d) != 2 or len(m.t_frames_d2s) != 1:
                continue
            hello, confirm = m.t_frames_s2d
            accept = m.t_frames_d2s[0]
            marks = [('accept->HELLO', m.t_accept, hello),
                     ('HELLO->ACCEPT', hello, accept),
                     ('ACCEPT->CONFIRM', accept, confirm),
                     ('CONFIRM->QEVM', confirm, m.t_vm_magic)]
            chans = [c for c in conns if c.kind == 'multifd']
            if chans:
                marks.append(('CONFIRM->last channel accepted', confirm,
                              max(c.t_accept for c in chans)))
            for name, t0, t1 in marks:
                spans.setdefault(name, []).append((t1 - t0) / 1000.0)
        if spans:
            print('    handshake%s phases (median us): %s' % (
                ' multifd%d' % MULTIFD_CHANNELS if multifd else '',
                ', '.join('%s %.0f' % (k, statistics.median(v))
                          for k, v in spans.items())))

    # round trips: handshake frames the destination sent on the main
    # channel before the stream magic passed, and multifd channels on
    # which the destination spoke before the source's first data
    main_rt = set()
    plain_d2s = set()
    channels = []
    for (multifd, handshake), conn_lists in results.items():
        for conns in conn_lists:
            m = [c for c in conns if c.kind == 'main'][0]
            if handshake:
                main_rt.add(m.d2s_frames_before_vm)
            else:
                plain_d2s.add(m.d2s_bytes_before_vm)
            if multifd and handshake:
                channels.append([c for c in conns if c.kind == 'multifd'])
    # a channel on which the destination spoke before the source's
    # data would be one round trip more on that channel
    per_channel = {max([1 if c.d2s_before_data else 0 for c in chans]
                       or [0]) for chans in channels}
    counts = {len(chans) for chans in channels}

    def fmt(values):
        return ','.join(str(x) for x in sorted(values)) if values else 'n/a'
    print()
    print('handshake round-trips main=%s per-channel=%s'
          % (fmt(main_rt), fmt(per_channel)))
    print('    destination frames before "QEVM" per handshake run: %s; '
          'plain runs: destination bytes before "QEVM": %s'
          % (fmt(main_rt), fmt(plain_d2s)))
    if channels:
        print('    multifd channels per handshake run: %s; '
              'destination->source bytes on them before data: %d'
              % (fmt(counts), sum(c.d2s_before_data for chans in channels
                                  for c in chans)))
    if added is not None:
        print('target: <=%d us added: %s' % (
            TARGET_US, 'met' if added <= TARGET_US else 'not met'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
