"""A QEMU process driven over QMP on one end of a socket pair.

A socket rather than standard input lets the harness pass file
descriptors with SCM_RIGHTS (getfd), which the fd: transport needs.

One process per configuration: the differential applies each
configuration to a fresh QEMU, as management would to a new guest.
QMP replies are parsed with Python's json module, which keeps integers
of any size exact (QEMU prints uint64 values above 2^63 as such).
"""

import json
import array
import os
import signal
import socket
import subprocess
import threading

# How long one QMP command may take before the QEMU is declared hung.
COMMAND_TIMEOUT = 10.0

QEMU_ARGS = ['-M', 'none', '-display', 'none', '-nodefaults', '-S']


class QemuDied(Exception):
    """The QEMU process ended while a command was outstanding."""

    def __init__(self, command, returncode, stderr):
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        if returncode is not None and returncode < 0:
            what = 'killed by %s' % signal.Signals(-returncode).name
        else:
            what = 'exited with status %s' % returncode
        super().__init__('QEMU %s during %s: %s'
                         % (what, command, stderr.strip()[-400:]))


class Qemu:
    """A QEMU under QMP.  Use as a context manager."""

    def __init__(self, binary, extra_args=(), cwd=None):
        self.args = [binary] + QEMU_ARGS + list(extra_args)
        self.cwd = cwd
        self.proc = None
        self.sock = None
        self.reader = None
        self.timed_out = False

    def __enter__(self):
        ours, theirs = socket.socketpair()
        self.sock = ours
        self.reader = ours.makefile('rb')
        fd = theirs.fileno()
        monitor = ['-chardev', 'socket,id=qmp,fd=%d' % fd,
                   '-mon', 'chardev=qmp,mode=control']
        try:
            self.proc = subprocess.Popen(
                self.args + monitor, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                pass_fds=[fd], cwd=self.cwd, start_new_session=True)
        finally:
            theirs.close()
        self._read_message('greeting')
        self.execute('qmp_capabilities')
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc.stderr.close()
        self.reader.close()
        self.sock.close()
        self.proc = None

    def _died(self, command):
        self.proc.wait()
        stderr = self.proc.stderr.read().decode('utf-8', 'replace')
        if self.timed_out:
            stderr = 'no reply within %.0f s (hung)\n%s' % (COMMAND_TIMEOUT,
                                                            stderr)
        return QemuDied(command, self.proc.returncode, stderr)

    def _kill_hung(self):
        self.timed_out = True
        os.killpg(self.proc.pid, signal.SIGKILL)

    def _read_message(self, command):
        """The next QMP message that is not an event."""
        watchdog = threading.Timer(COMMAND_TIMEOUT, self._kill_hung)
        watchdog.start()
        try:
            while True:
                try:
                    line = self.reader.readline()
                except ConnectionResetError:
                    line = b''
                if not line:
                    raise self._died(command)
                message = json.loads(line)
                if 'event' not in message:
                    return message
        finally:
            watchdog.cancel()

    def execute(self, command, arguments=None, fd=None):
        """Run @command; returns (True, return-value) or (False, desc).

        With @fd, the descriptor travels with the command (getfd)."""
        request = {'execute': command}
        if arguments is not None:
            request['arguments'] = arguments
        data = json.dumps(request).encode() + b'\n'
        ancillary = []
        if fd is not None:
            ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                          array.array('i', [fd]))]
        try:
            self.sock.sendmsg([data], ancillary)
        except (BrokenPipeError, ConnectionResetError):
            raise self._died(command) from None
        reply = self._read_message(command)
        if 'error' in reply:
            return False, reply['error']['desc']
        return True, reply.get('return')


def query_qmp_schema(binary):
    """The reply of query-qmp-schema of @binary, as QEMU printed it."""
    with Qemu(binary) as qemu:
        ok, schema = qemu.execute('query-qmp-schema')
        if not ok:
            raise RuntimeError('query-qmp-schema failed: %s' % schema)
        return schema
