#!/usr/bin/python3
"""A source that dies during the migration handshake never hurts the
destination.

Proves, against the patched QEMU, that a destination waiting in the
handshake survives the death of its source at any byte of it: a TCP
proxy sits between source and destination on the main channel (and
forwards any other connection, e.g. multifd channels, untouched).  At a
kill point it stops forwarding, SIGKILLs the source QEMU's process
group and closes its sockets.  Kill points are drawn at random
(--points, --seed), in turn from five phases (HELLO header, HELLO
payload, ACCEPT held, CONFIRM header, CONFIRM payload):

  HELLO k / CONFIRM k   after exactly k bytes of the HELLO frame (or of
                        the CONFIRM frame, the HELLO and the ACCEPT having
                        passed) went source -> destination; frame sizes are
                        learnt by parsing the 12-byte frame headers;
  ACCEPT held +Nms      the whole HELLO passed, the destination's answer is
                        held by the proxy (never reaches the source), and
                        the source dies N ms after the proxy has it whole.

Half of the points use a source with multifd on (4 channels), which the
destination (only `handshake` set) adopts.  For every point the
destination (migrate-incoming exit-on-error false) must reach status
`failed` with a non-empty error-desc within 15 s, answer query-status,
and still be running; at HELLO and ACCEPT-held points the proxy must
have seen no connection but the main one (the source learns the channel
plan from the ACCEPT), and a held answer must be an ACCEPT.  --exit-points more points run with
exit-on-error true: the destination must exit with status 1 (not a
signal) within 15 s.  --stall-points more points (default 1) kill the
source but keep the proxy's connection to the destination open and
silent, so that only the destination's handshake deadline (10 s) can
end the wait: it must still fail within 15 s.

Before the points, one calibration migration per source configuration
goes through the proxy untouched and must complete on both sides; it
gives the frame sizes.

Exit status: 0 all points passed, 1 some failed, 77 (skip) when the
binary is missing.
"""

import argparse
import os
import random
import signal
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'qmp'))
from qmp import Qemu, QemuDied  # noqa: E402

MACHINE = ['-M', 'pc', '-m', '64']
HS_MAGIC = 0x514d4853
FRAME_NAMES = {1: 'HELLO', 2: 'ACCEPT', 3: 'REJECT', 4: 'CONFIRM', 5: 'ABORT'}
DEST_LIMIT = 15.0       # seconds for the destination to fail (or exit)
KILL_POINT_WAIT = 10.0  # seconds for the proxy to reach the kill point
MULTIFD_CHANNELS = 4
CONFIGS = {
    'plain': dict(caps=['handshake'], params={}),
    'multifd4': dict(caps=['handshake', 'multifd'],
                     params={'multifd-channels': MULTIFD_CHANNELS}),
}


class FrameParser:
    """Splits a byte stream into handshake frames (as long as it holds
    handshake frames): frames is a list of (type, total size)."""

    def __init__(self):
        self.buf = b''
        self.frames = []
        self.other = False      # the stream left the handshake framing

    def feed(self, data):
        if self.other:
            return
        self.buf += data
        while len(self.buf) >= 12:
            magic, _ver, ftype, length = struct.unpack('>IHHI', self.buf[:12])
            if magic != HS_MAGIC:
                self.other = True
                return
            if len(self.buf) < 12 + length:
                return
            self.frames.append((ftype, 12 + length))
            self.buf = self.buf[12 + length:]


class FaultProxy:
    """Listens on a free loopback port and forwards every connection to
    the destination's port; on the first (main) connection applies the
    kill point @point:

      {'kind': 's2d', 'offset': N}  forward N bytes source -> destination,
                                    kill when the source sends more;
      {'kind': 'hold', 'delay': S}  hold every byte destination -> source,
                                    kill S seconds after a whole frame is
                                    held;
      {'kind': 'none'}              forward everything (calibration).

    With stall, the destination-side sockets stay open after the kill."""

    def __init__(self, dst_port, point, stall=False):
        self.dst_port = dst_port
        self.point = point
        self.stall = stall
        self.source_pid = None
        self.lock = threading.Lock()
        self.socks_src = []
        self.socks_dst = []
        self.connections = 0
        self.killed = threading.Event()
        self.t_kill = None
        self.s2d = FrameParser()
        self.d2s = FrameParser()
        self.s2d_forwarded = 0
        self.held_frame = None
        self.conns_at_kill = None
        self.errors = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.closing = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self):
        while True:
            try:
                a, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.killed.is_set() or self.closing:
                    a.close()
                    continue
                main = self.connections == 0
                self.connections += 1
                try:
                    b = socket.create_connection(('127.0.0.1',
                                                  self.dst_port))
                except OSError as e:
                    self.errors.append('connecting to the destination: %s'
                                       % e)
                    a.close()
                    continue
                for s in (a, b):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.socks_src.append(a)
                self.socks_dst.append(b)
            if main:
                threading.Thread(target=self._main_s2d, args=(a, b),
                                 daemon=True).start()
                threading.Thread(target=self._main_d2s, args=(b, a),
                                 daemon=True).start()
            else:
                for x, y in ((a, b), (b, a)):
                    threading.Thread(target=self._pump, args=(x, y),
                                     daemon=True).start()

    def _pump(self, x, y):
        try:
            while not self.killed.is_set():
                data = x.recv(65536)
                if not data:
                    if not self.killed.is_set():
                        y.shutdown(socket.SHUT_WR)
                    return
                y.sendall(data)
        except OSError:
            pass

    def _main_s2d(self, a, b):
        try:
            while not self.killed.is_set():
                data = a.recv(65536)
                if not data:
                    if not self.killed.is_set():
                        b.shutdown(socket.SHUT_WR)
                    return
                if self.point['kind'] == 's2d':
                    room = self.point['offset'] - self.s2d_forwarded
                    if len(data) > room:
                        if room > 0:
                            b.sendall(data[:room])
                            self.s2d.feed(data[:room])
                            self.s2d_forwarded += room
                        self.kill()
                        return
                b.sendall(data)
                self.s2d.feed(data)
                self.s2d_forwarded += len(data)
        except OSError as e:
            if not self.killed.is_set():
                self.errors.append('main s2d: %s' % e)

    def _main_d2s(self, b, a):
        hold = self.point['kind'] == 'hold'
        try:
            while not self.killed.is_set():
                data = b.recv(65536)
                if not data:
                    if not self.killed.is_set():
                        a.shutdown(socket.SHUT_WR)
                    return
                before = len(self.d2s.frames)
                self.d2s.feed(data)
                if hold:
                    if before == 0 and self.d2s.frames:
                        self.held_frame = self.d2s.frames[0][0]
                        threading.Timer(self.point['delay'],
                                        self.kill).start()
                    continue
                a.sendall(data)
        except OSError as e:
            if not self.killed.is_set():
                self.errors.append('main d2s: %s' % e)

    def kill(self):
        with self.lock:
            if self.killed.is_set():
                return
            self.t_kill = time.perf_counter()
            self.conns_at_kill = self.connections
            self.killed.set()
            if self.source_pid is not None:
                try:
                    os.killpg(self.source_pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            socks = self.socks_src + ([] if self.stall else self.socks_dst)
            for s in socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self):
        with self.lock:
            self.closing = True
            try:
                self.listener.shutdown(socket.SHUT_RDWR)   # wakes accept()
            except OSError:
                pass
            try:
                self.listener.close()
            except OSError:
                pass
            for s in self.socks_src + self.socks_dst:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def setup_pair(binary, config, exit_on_error):
    """Starts source and destination; returns (src, dst, dst_port)."""
    src = Qemu(binary, MACHINE).__enter__()
    try:
        dst = Qemu(binary, MACHINE + ['-incoming', 'defer']).__enter__()
    except BaseException:
        src.close()
        raise
    try:
        for q, caps in ((src, CONFIGS[config]['caps']), (dst, ['handshake'])):
            ok, r = q.execute('migrate-set-capabilities', {'capabilities': [
                {'capability': c, 'state': True} for c in caps]})
            if not ok:
                raise RuntimeError('migrate-set-capabilities: %s' % r)
        if CONFIGS[config]['params']:
            ok, r = src.execute('migrate-set-parameters',
                                CONFIGS[config]['params'])
            if not ok:
                raise RuntimeError('migrate-set-parameters: %s' % r)
        ok, r = dst.execute('migrate-incoming', {
            'uri': 'tcp:127.0.0.1:0', 'exit-on-error': exit_on_error})
        if not ok:
            raise RuntimeError('migrate-incoming: %s' % r)
        ok, r = dst.execute('query-migrate')
        port = int(r['socket-address'][0]['port'])
    except BaseException:
        src.close()
        dst.close()
        raise
    return src, dst, port


def wait_status(q, limit, want=('completed', 'failed', 'cancelled')):
    end = time.perf_counter() + limit
    while True:
        ok, r = q.execute('query-migrate')
        if r.get('status') in want or time.perf_counter() > end:
            return r
        time.sleep(0.01)


def calibrate(binary, config):
    """One migration through the untouched proxy: (HELLO size, CONFIRM
    size, dst->src frames) or raises."""
    src, dst, port = setup_pair(binary, config, False)
    proxy = FaultProxy(port, {'kind': 'none'})
    try:
        proxy.source_pid = src.proc.pid
        ok, r = src.execute('migrate', {'uri': 'tcp:127.0.0.1:%d'
                                        % proxy.port})
        if not ok:
            raise RuntimeError('migrate: %s' % r)
        rs = wait_status(src, 30)
        rd = wait_status(dst, 10)
        if rs.get('status') != 'completed' or rd.get('status') != 'completed':
            raise RuntimeError('calibration migration through the proxy: '
                               'source %s (%s), destination %s (%s)'
                               % (rs.get('status'), rs.get('error-desc'),
                                  rd.get('status'), rd.get('error-desc')))
        frames = proxy.s2d.frames
        types = [t for t, _ in frames]
        if types != [1, 4]:
            raise RuntimeError('calibration: source frames %s, expected '
                               'HELLO, CONFIRM' % frames)
        return (frames[0][1], frames[1][1],
                [FRAME_NAMES.get(t, t) for t, _ in proxy.d2s.frames],
                proxy.connections)
    finally:
        proxy.close()
        src.close()
        dst.close()


def describe(point, sizes):
    hello, confirm = sizes
    if point['kind'] == 'hold':
        return 'ACCEPT held +%dms' % round(point['delay'] * 1000)
    off = point['offset']
    if off < hello:
        return 'HELLO %d/%d' % (off, hello)
    return 'CONFIRM %d/%d' % (off - hello, confirm)


def run_point(binary, point, sizes):
    """Returns a result dict: ok, outcome, error, secs, problems."""
    res = dict(ok=False, outcome='?', error='', secs=None, problems=[],
               conns=None)
    src, dst, port = setup_pair(binary, point['config'], point['eoe'])
    proxy = FaultProxy(port, point, stall=point.get('stall', False))
    try:
        proxy.source_pid = src.proc.pid
        ok, r = src.execute('migrate', {'uri': 'tcp:127.0.0.1:%d'
                                        % proxy.port})
        if not ok:
            raise RuntimeError('migrate: %s' % r)
        if not proxy.killed.wait(KILL_POINT_WAIT):
            ok, rs = src.execute('query-migrate')
            ok, rd = dst.execute('query-migrate')
            res['outcome'] = 'kill point not reached'
            res['problems'].append(
                'kill point not reached in %.0f s (forwarded %d bytes; '
                'source %s %s; destination %s %s)'
                % (KILL_POINT_WAIT, proxy.s2d_forwarded, rs.get('status'),
                   rs.get('error-desc'), rd.get('status'),
                   rd.get('error-desc')))
            return res
        t_kill = proxy.t_kill
        res['conns'] = proxy.conns_at_kill
        hello = sizes[0]
        if point['kind'] == 'hold' and proxy.held_frame != 2:
            res['problems'].append('held frame %s, expected ACCEPT'
                                   % FRAME_NAMES.get(proxy.held_frame,
                                                     proxy.held_frame))
        # Before the source has the ACCEPT it cannot know the channel
        # plan: only the main connection may exist.  (Once it sent the
        # CONFIRM, its channels may connect before the kill lands.)
        before_accept = point['kind'] == 'hold' or point['offset'] < hello
        if before_accept and proxy.conns_at_kill != 1:
            res['problems'].append('%d connections before the source had '
                                   'the ACCEPT, expected only the main one'
                                   % proxy.conns_at_kill)
        if proxy.s2d.frames and proxy.s2d.frames[0][1] != hello:
            res['problems'].append('HELLO size %d differs from the '
                                   'calibration (%d)'
                                   % (proxy.s2d.frames[0][1], hello))
        if point['eoe']:
            try:
                rc = dst.proc.wait(timeout=DEST_LIMIT)
            except Exception:
                rc = None
            res['secs'] = time.perf_counter() - t_kill
            err = dst.proc.stderr.read().decode('utf-8', 'replace') \
                if rc is not None else ''
            res['error'] = ' '.join(err.split())
            if rc is None:
                res['outcome'] = 'still running'
                res['problems'].append('destination did not exit within '
                                       '%.0f s' % DEST_LIMIT)
            elif rc < 0:
                res['outcome'] = 'killed by %s' % signal.Signals(-rc).name
                res['problems'].append('destination crashed: %s'
                                       % res['outcome'])
            else:
                res['outcome'] = 'exit %d' % rc
                if rc != 1:
                    res['problems'].append('destination exited with %d, '
                                           'expected 1' % rc)
        else:
            try:
                r = wait_status(dst, DEST_LIMIT)
                res['secs'] = time.perf_counter() - t_kill
                res['outcome'] = r.get('status')
                res['error'] = r.get('error-desc') or ''
                if r.get('status') != 'failed':
                    res['problems'].append('destination status %s after '
                                           '%.0f s, expected failed'
                                           % (r.get('status'), DEST_LIMIT))
                elif not res['error']:
                    res['problems'].append('failed without error-desc')
                ok, st = dst.execute('query-status')
                if not ok:
                    res['problems'].append('query-status: %s' % st)
                time.sleep(0.05)
                if dst.proc.poll() is not None:
                    res['problems'].append('destination ended (status %s)'
                                           % dst.proc.returncode)
            except QemuDied as e:
                res['secs'] = time.perf_counter() - t_kill
                res['outcome'] = ('killed by %s'
                                  % signal.Signals(-e.returncode).name
                                  if e.returncode < 0
                                  else 'exit %d' % e.returncode)
                res['error'] = ' '.join(e.stderr.split())
                res['problems'].append('destination died: %s' % e)
        res['problems'].extend(proxy.errors)
        res['ok'] = not res['problems']
        return res
    finally:
        proxy.close()
        src.close()
        dst.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--qemu', required=True,
                    help='patched qemu-system-x86_64 (with the handshake)')
    ap.add_argument('--points', type=int, default=24,
                    help='random kill points with exit-on-error false '
                         '(default 24)')
    ap.add_argument('--exit-points', type=int, default=3,
                    help='further points with exit-on-error true '
                         '(default 3)')
    ap.add_argument('--stall-points', type=int, default=1,
                    help='further points that keep the destination '
                         'connection open after the kill (default 1; each '
                         'takes the 10 s handshake deadline)')
    ap.add_argument('--seed', type=int, default=None,
                    help='random seed (default: from the clock, printed)')
    args = ap.parse_args()
    if not (os.path.isfile(args.qemu) and os.access(args.qemu, os.X_OK)):
        print('SKIP: %s not found or not executable' % args.qemu)
        return 77
    seed = args.seed if args.seed is not None else \
        int(time.time() * 1000) % 1000000
    rng = random.Random(seed)
    print('seed %d (rerun with --seed %d)' % (seed, seed))

    sizes = {}
    for config in CONFIGS:
        try:
            hello, confirm, d2s, conns = calibrate(args.qemu, config)
        except (RuntimeError, QemuDied) as e:
            print('FAIL calibration %s: %s' % (config, e))
            return 1
        sizes[config] = (hello, confirm)
        print('calibration %-8s: HELLO %d bytes, CONFIRM %d bytes, '
              'destination frames %s, %d connection(s): completed'
              % (config, hello, confirm, d2s, conns))

    # Kill phases, taken in turn per source configuration (the CONFIRM
    # and the frame headers are a few dozen of some 1800 bytes: a uniform
    # draw over all bytes would hardly ever hit them).
    phases = ['hello-header', 'hello-payload', 'hold', 'confirm-header',
              'confirm-payload', 'hello-payload']
    turn = {c: rng.randrange(len(phases)) for c in CONFIGS}

    def draw(config, eoe, stall=False):
        hello, confirm = sizes[config]
        point = dict(config=config, eoe=eoe, stall=stall)
        phase = phases[turn[config] % len(phases)]
        turn[config] += 1
        if phase == 'hold':
            point.update(kind='hold', delay=rng.choice((0, 0.001, 0.01,
                                                        0.05)))
        else:
            lo, hi = {'hello-header': (0, 12),
                      'hello-payload': (12, hello),
                      'confirm-header': (hello, hello + 12),
                      'confirm-payload': (hello + 12, hello + confirm)}[phase]
            point.update(kind='s2d', offset=rng.randrange(lo, hi))
        return point

    configs = list(CONFIGS)
    points = [draw(configs[i % 2], False) for i in range(args.points)]
    points += [draw(rng.choice(configs), True)
               for _ in range(args.exit_points)]
    points += [draw(rng.choice(configs), False, stall=True)
               for _ in range(args.stall_points)]

    print()
    print('%3s  %-8s %-4s %-5s %-18s %-5s %-14s %7s  %s' % (
        '#', 'source', 'eoe', 'stall', 'kill point', 'conns', 'destination',
        'secs', 'error-desc (first 100 chars)'))
    failures = 0
    for i, point in enumerate(points):
        try:
            res = run_point(args.qemu, point, sizes[point['config']])
        except (RuntimeError, QemuDied) as e:
            res = dict(ok=False, outcome='harness error', error='',
                       secs=None, problems=[str(e)], conns=None)
        failures += not res['ok']
        print('%3d  %-8s %-4s %-5s %-18s %-5s %-14s %7s  %s%s' % (
            i + 1, point['config'], 'on' if point['eoe'] else 'off',
            'yes' if point.get('stall') else 'no',
            describe(point, sizes[point['config']]),
            '-' if res['conns'] is None else res['conns'], res['outcome'],
            '-' if res['secs'] is None else '%.3f' % res['secs'],
            res['error'][:100], '' if res['ok'] else '  <-- FAIL'))
        for p in res['problems']:
            print('       problem: %s' % p)
    print()
    print('%d of %d kill points passed' % (len(points) - failures,
                                           len(points)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
