#!/usr/bin/python3
"""The migration handshake interoperates with a QEMU that lacks it.

Proves, with real QEMU processes on both ends of a live migration, that
the patched QEMU's `handshake` capability (the patch series) fails fast
and clearly against a peer that does not speak the handshake, and that
`handshake-allow-legacy` lets an old source in:

  a  handshake source (patched, cap on) -> unpatched destination:
     both sides end failed (the destination may exit with status 1 instead),
     the source's error-desc says "does not speak the migration handshake";
  b  plain source (unpatched) -> patched destination with `handshake`,
     without `handshake-allow-legacy`: the destination fails saying "the
     source does not speak the migration handshake", the source fails;
  c  as b with `handshake-allow-legacy` on the destination: the migration
     completes on both sides;
  d  patched source without the capability -> patched destination with
     `handshake`: as b.

Destinations use migrate-incoming with exit-on-error false; a
destination that exits anyway counts as failed only with status 1.
Every case runs over TCP; a and c also over UNIX sockets.  For a, b and
d the time from issuing `migrate` until both sides are in a terminal
state must be under --max-seconds (2.0 s): a refused peer is detected at
once, not by the 10 s handshake deadline.  No QEMU may die from a signal,
and every QEMU still alive must answer query-status afterwards.

Exit status: 0 every case passed, 1 some case failed, 77 (skip) when a
binary is missing.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'qmp'))
from qmp import Qemu, QemuDied  # noqa: E402

MACHINE = ['-M', 'pc', '-m', '64']
TERMINAL = ('completed', 'failed', 'cancelled')
SRC_NO_HS = 'does not speak the migration handshake'
DST_NO_HS = 'the source does not speak the migration handshake'
WAIT_SECONDS = 30.0     # a side that is not terminal by then hangs
POLL_SECONDS = 0.002


def set_caps(qemu, caps):
    if not caps:
        return
    ok, r = qemu.execute('migrate-set-capabilities', {'capabilities': [
        {'capability': c, 'state': True} for c in caps]})
    if not ok:
        raise RuntimeError('migrate-set-capabilities %s: %s' % (caps, r))


class Side:
    """One end of the migration and what became of it."""

    def __init__(self, name, qemu):
        self.name = name
        self.qemu = qemu
        self.status = None      # last query-migrate status
        self.error = None       # error-desc
        self.exit = None        # process exit status when it ended
        self.t_end = None       # perf_counter when terminal

    def poll(self):
        if self.t_end is not None:
            return True
        try:
            ok, r = self.qemu.execute('query-migrate')
        except QemuDied as e:
            self.exit = e.returncode
            self.status = 'exited(%s)' % e.returncode
            self.error = e.stderr.strip()[-300:] or None
            self.t_end = time.perf_counter()
            return True
        if not ok:
            raise RuntimeError('%s: query-migrate: %s' % (self.name, r))
        self.status = r.get('status')
        self.error = r.get('error-desc')
        if self.status in TERMINAL:
            self.t_end = time.perf_counter()
            return True
        return False

    def failed(self):
        """Failed, or exited with status 1 (exit-on-error)."""
        return self.status == 'failed' or self.exit == 1

    def alive_check(self):
        """None when the process answers query-status or exited with a
        status; a problem text when it was killed by a signal or hangs."""
        if self.exit is not None:
            return None if self.exit >= 0 else \
                '%s killed by signal %d' % (self.name, -self.exit)
        try:
            ok, r = self.qemu.execute('query-status')
        except QemuDied as e:
            return '%s died: %s' % (self.name, e)
        return None if ok else '%s: query-status: %s' % (self.name, r)


def run_case(case, args, tmpdir):
    """Runs one case; returns (passed, elapsed seconds, problems, sides)."""
    src_bin = args.qemu if case['src'] == 'patched' else args.reference_qemu
    dst_bin = args.qemu if case['dst'] == 'patched' else args.reference_qemu
    problems = []
    with Qemu(src_bin, MACHINE) as sq, \
            Qemu(dst_bin, MACHINE + ['-incoming', 'defer']) as dq:
        set_caps(sq, case['src_caps'])
        set_caps(dq, case['dst_caps'])
        if case['transport'] == 'tcp':
            ok, r = dq.execute('migrate-incoming', {
                'uri': 'tcp:127.0.0.1:0', 'exit-on-error': False})
            if not ok:
                raise RuntimeError('migrate-incoming: %s' % r)
            ok, r = dq.execute('query-migrate')
            port = r['socket-address'][0]['port']
            uri = 'tcp:127.0.0.1:%s' % port
        else:
            path = os.path.join(tmpdir, '%s.sock' % case['name'])
            uri = 'unix:' + path
            ok, r = dq.execute('migrate-incoming', {
                'uri': uri, 'exit-on-error': False})
            if not ok:
                raise RuntimeError('migrate-incoming: %s' % r)
        src, dst = Side('source', sq), Side('destination', dq)
        t0 = time.perf_counter()
        ok, r = sq.execute('migrate', {'uri': uri})
        if not ok:
            raise RuntimeError('migrate: %s' % r)
        deadline = t0 + WAIT_SECONDS
        while True:
            done_s = src.poll()
            done_d = dst.poll()
            if done_s and done_d:
                break
            if time.perf_counter() > deadline:
                for side in (src, dst):
                    if side.t_end is None:
                        problems.append('%s not terminal after %.0f s '
                                        '(status %s): hang'
                                        % (side.name, WAIT_SECONDS,
                                           side.status))
                break
            time.sleep(POLL_SECONDS)
        ends = [s.t_end for s in (src, dst) if s.t_end is not None]
        elapsed = (max(ends) if len(ends) == 2 else time.perf_counter()) - t0

        if case['expect'] == 'completed':
            for side in (src, dst):
                if side.status != 'completed':
                    problems.append('%s ended %s (%s), expected completed'
                                    % (side.name, side.status, side.error))
        else:
            for side in (src, dst):
                if not side.failed():
                    problems.append('%s ended %s, expected failed'
                                    % (side.name, side.status))
            for side, want in ((src, case.get('src_error')),
                               (dst, case.get('dst_error'))):
                if want and want not in (side.error or ''):
                    problems.append('%s error-desc %r lacks %r'
                                    % (side.name, side.error, want))
            if elapsed >= args.max_seconds:
                problems.append('took %.3f s, limit %.1f s'
                                % (elapsed, args.max_seconds))
        for side in (src, dst):
            p = side.alive_check()
            if p:
                problems.append(p)
    return not problems, elapsed, problems, (src, dst)


CASES = [
    dict(name='a', what='handshake source -> unpatched destination',
         src='patched', src_caps=['handshake'],
         dst='reference', dst_caps=[],
         expect='failed', src_error=SRC_NO_HS, timed=True),
    dict(name='b', what='plain source (unpatched) -> handshake destination',
         src='reference', src_caps=[],
         dst='patched', dst_caps=['handshake'],
         expect='failed', dst_error=DST_NO_HS, timed=True),
    dict(name='c', what='plain source (unpatched) -> handshake destination '
                        'with handshake-allow-legacy',
         src='reference', src_caps=[],
         dst='patched', dst_caps=['handshake', 'handshake-allow-legacy'],
         expect='completed', timed=False),
    dict(name='d', what='patched source, capability off -> handshake '
                        'destination',
         src='patched', src_caps=[],
         dst='patched', dst_caps=['handshake'],
         expect='failed', dst_error=DST_NO_HS, timed=True),
]
UNIX_CASES = ('a', 'c')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--qemu', required=True,
                    help='patched qemu-system-x86_64 (with the handshake)')
    ap.add_argument('--reference-qemu', required=True,
                    help='unpatched qemu-system-x86_64 (no handshake)')
    ap.add_argument('--max-seconds', type=float, default=2.0,
                    help='limit for a refused migration to end on both '
                         'sides (default 2.0)')
    args = ap.parse_args()
    for b in (args.qemu, args.reference_qemu):
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            print('SKIP: %s not found or not executable' % b)
            return 77

    with Qemu(args.qemu) as q:
        ok, caps = q.execute('query-migrate-capabilities')
    names = {c['capability'] for c in caps} if ok else set()
    if not {'handshake', 'handshake-allow-legacy'} <= names:
        print('FAIL: %s has no handshake capability (not the patched QEMU?)'
              % args.qemu)
        return 1

    runs = [dict(c, transport='tcp') for c in CASES] + \
        [dict(c, transport='unix') for c in CASES if c['name'] in UNIX_CASES]
    failures = 0
    tmpdir = tempfile.mkdtemp(prefix='hs-interop-')
    try:
        for case in runs:
            label = '%s-%s' % (case['name'], case['transport'])
            case = dict(case, name=label)
            try:
                passed, elapsed, problems, sides = run_case(case, args, tmpdir)
            except (RuntimeError, QemuDied) as e:
                passed, elapsed, problems, sides = False, 0.0, [str(e)], ()
            failures += not passed
            timing = ('%.3f s (limit %.1f s)' % (elapsed, args.max_seconds)
                      if case['timed'] else '%.3f s' % elapsed)
            print('%s %-7s %s: %s' % ('PASS' if passed else 'FAIL', label,
                                      case['what'], timing))
            for side in sides:
                print('    %-11s %s: %s' % (
                    side.name, side.status,
                    (side.error or '-').replace('\n', ' ')[:200]))
            for p in problems:
                print('    problem: %s' % p)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    print('%d of %d cases passed' % (len(runs) - failures, len(runs)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
