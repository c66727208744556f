#!/usr/bin/python3
"""Differential test: qmig-validate against a real QEMU over QMP.

Each seeded random configuration (confgen.py) goes to a fresh QEMU the
way management applies it: migrate-set-capabilities, then
migrate-set-parameters (each only when it has something to set), then
migrate (source) or migrate-incoming (destination, started with
-incoming defer) on a URI of the configuration's transport.  QEMU's
decision is the first error of those commands, or acceptance.  The same
configuration goes to qmig-validate with the binary's query-qmp-schema
and the host facts probed from the same binary.

The decisions must agree; for a rejected configuration qmig must report
QEMU's error text (as a violation, or in its input error).  A QEMU that
dies is reported apart with its configuration and never counts as
agreement.  Documented divergences (DIVERGENCES) are counted apart and
must stay under 0.5 %.

Exit status: 0 when every configuration agrees or diverges as
documented, 1 otherwise, 2 on usage or setup errors.
"""

import argparse
import collections
import concurrent.futures
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import confgen  # noqa: E402
import qmp  # noqa: E402


# --- applying a configuration to QEMU ------------------------------------

# vsock listeners bind a port of the whole host: one per configuration.
VSOCK_PORTS = itertools.count(20000)


def transport_uri(transport, side, workdir, fd):
    """A URI of @transport that QEMU accepts without a peer."""
    incoming = side == 'destination'
    if transport == 'tcp':
        return 'tcp:127.0.0.1:0' if incoming else 'tcp:127.0.0.1:1'
    if transport == 'unix':
        return 'unix:%s/%s.sock' % (workdir, side)
    if transport == 'vsock':
        # Any CID for a listener; the local one (1) for a client.
        port = next(VSOCK_PORTS)
        return 'vsock:%d:%d' % (4294967295 if incoming else 1, port)
    if transport == 'fd':
        return 'fd:%s' % fd
    if transport == 'exec':
        return 'exec:cat /dev/null' if incoming else 'exec:cat >/dev/null'
    if transport == 'rdma':
        return 'rdma:127.0.0.1:0' if incoming else 'rdma:127.0.0.1:1'
    if transport == 'file':
        return 'file:%s/stream.mig' % workdir
    raise ValueError(transport)


class QemuOutcome:
    def __init__(self, accepted, message=None, stage=None, crash=None):
        self.accepted = accepted
        self.message = message
        self.stage = stage
        self.crash = crash


def run_qemu(binary, config):
    """Apply @config to a fresh QEMU; a QemuOutcome."""
    side = config['side']
    with tempfile.TemporaryDirectory(prefix='qmig-qmp-') as workdir:
        # A connected socket for fd:, handed over with getfd.
        channel, peer = socket.socketpair()
        # An existing, empty stream for a destination reading file:.
        open(os.path.join(workdir, 'stream.mig'), 'wb').close()
        extra = ['-incoming', 'defer'] if side == 'destination' else []
        try:
            with qmp.Qemu(binary, extra) as qemu:
                steps = []
                if config['transport'] == 'fd':
                    ok, result = qemu.execute('getfd', {'fdname': 'mig'},
                                              fd=channel.fileno())
                    if not ok:
                        raise RuntimeError('getfd: %s' % result)
                if config['capabilities']:
                    steps.append(('migrate-set-capabilities',
                                  {'capabilities': config['capabilities']}))
                if config['parameters']:
                    steps.append(('migrate-set-parameters',
                                  config['parameters']))
                uri = transport_uri(config['transport'], side, workdir,
                                    'mig')
                if side == 'destination':
                    steps.append(('migrate-incoming',
                                  {'uri': uri, 'exit-on-error': False}))
                else:
                    steps.append(('migrate', {'uri': uri}))
                for command, arguments in steps:
                    ok, result = qemu.execute(command, arguments)
                    if not ok:
                        return QemuOutcome(False, result, command)
                return QemuOutcome(True)
        except qmp.QemuDied as died:
            return QemuOutcome(False, crash=str(died), stage=died.command)
        finally:
            channel.close()
            peer.close()


# --- asking qmig ---------------------------------------------------------

class QmigOutcome:
    def __init__(self, accepted, messages, input_error=None):
        self.accepted = accepted
        self.messages = messages
        self.input_error = input_error


def run_qmig(validate, config, options):
    document = json.dumps({'capabilities': config['capabilities'],
                           'parameters': config['parameters'],
                           'transport': config['transport'],
                           'side': config['side']})
    proc = subprocess.run([validate, '--format', 'json'] + options + ['-'],
                          input=document.encode(), capture_output=True,
                          timeout=30)
    if proc.returncode == 0:
        return QmigOutcome(True, [])
    if proc.returncode == 1:
        report = json.loads(proc.stdout)
        return QmigOutcome(False, [v['message']
                                   for v in report['violations']])
    if proc.returncode == 2:
        error = proc.stderr.decode('utf-8', 'replace').strip()
        return QmigOutcome(False, [], input_error=error)
    raise RuntimeError('qmig-validate: exit %d: %s'
                       % (proc.returncode, proc.stderr.decode()))


# --- host facts ----------------------------------------------------------

def first_error(binary, side, capabilities=(), parameters=None, uri=None):
    """QEMU's error for setting @capabilities then @parameters, then
    migrating to @uri, or None."""
    extra = ['-incoming', 'defer'] if side == 'destination' else []
    with qmp.Qemu(binary, extra) as qemu:
        if capabilities:
            ok, msg = qemu.execute('migrate-set-capabilities', {
                'capabilities': [{'capability': c, 'state': True}
                                 for c in capabilities]})
            if not ok:
                return msg
        if parameters:
            ok, msg = qemu.execute('migrate-set-parameters', parameters)
            if not ok:
                return msg
        if uri:
            ok, msg = qemu.execute('migrate', {'uri': uri})
            if not ok:
                return msg
    return None


# Facts of the host and build that introspection does not show, each
# probed the way a management tool would: try the feature alone on a
# fresh QEMU.  (name, side, capabilities, parameters, uri)
FACT_PROBES = [
    ('kvm-dirty-ring', 'source', ['dirty-limit'], None, None),
    ('uffd-wp', 'source', ['background-snapshot'], None, None),
    ('replication', 'source', ['x-colo'], None, None),
    ('direct-io', 'source', [], {'direct-io': True}, None),
    ('postcopy-host-support', 'destination', ['postcopy-ram'], None, None),
    # The schema lists rdma in every build; only a try tells.
    ('rdma', 'source', [], None, 'rdma:127.0.0.1:1'),
]


def probe_host_lacks(binary):
    lacks = []
    for fact, side, caps, params, uri in FACT_PROBES:
        error = first_error(binary, side, caps, params, uri)
        if error is not None:
            lacks.append((fact, error))
    return lacks


# --- known QEMU crashes --------------------------------------------------

# Crashes of the reference commit, each a named test in crash-recipes.py:
# (recipe, predicate(config, crash text)).  Any other crash fails the run.
KNOWN_CRASHES = [
    ('zero-copy-null-tls-creds',
     lambda c, text: 'SIGSEGV during migrate-set-parameters' in text and
     {'zero-copy-send', 'multifd'} <= enabled(c) and
     'tls-creds' not in c['parameters']),
    ('cpr-transfer-uri',
     lambda c, text: 'cpr_state_save: assertion failed' in text and
     c['parameters'].get('mode') == 'cpr-transfer'),
    ('background-snapshot-prelaunch',
     lambda c, text: "invalid runstate transition: 'prelaunch'" in text and
     'background-snapshot' in enabled(c)),
]


def enabled(config):
    return {c['capability'] for c in config['capabilities'] if c['state']}


def known_crash(config, text):
    for recipe, predicate in KNOWN_CRASHES:
        if predicate(config, text):
            return recipe
    return None


# --- documented divergences ----------------------------------------------

# Each: (id, QEMU source reference, why, predicate(config, qemu, qmig)).
DIVERGENCES = []


def divergence_of(config, qemu, qmig):
    for ident, _ref, _why, predicate in DIVERGENCES:
        if predicate(config, qemu, qmig):
            return ident
    return None


# --- comparison ----------------------------------------------------------

def message_class(message):
    """A QEMU message with its variable parts elided, for the table."""
    message = re.sub(r"'[^']*'", "'…'", message)
    message = re.sub(r'\d+', 'N', message)
    return message[:90]


def compare(config, qemu, qmig):
    """('agree'|'crash'|'divergence'|'disagree', class, detail)."""
    if qemu.crash:
        recipe = known_crash(config, qemu.crash)
        if recipe:
            return 'crash', 'QEMU crash: known recipe %s' % recipe, qemu.crash
        return 'crash', 'QEMU crash: UNKNOWN', qemu.crash
    if qemu.accepted:
        cls = 'accepted'
    else:
        cls = '%s: %s' % (qemu.stage, message_class(qemu.message))
    if qemu.accepted and qmig.accepted:
        return 'agree', cls, None
    if not qemu.accepted and not qmig.accepted:
        if qmig.input_error is not None:
            if qemu.message in qmig.input_error:
                return 'agree', cls, None
        elif qemu.message in qmig.messages:
            return 'agree', cls, None
    ident = divergence_of(config, qemu, qmig)
    if ident:
        return 'divergence', ident, None
    if qemu.accepted:
        detail = 'QEMU accepts; qmig rejects: %s' % (
            qmig.input_error or '; '.join(qmig.messages))
    elif qmig.accepted:
        detail = 'QEMU rejects (%s: %s); qmig accepts' % (qemu.stage,
                                                          qemu.message)
    else:
        detail = 'QEMU says (%s) %r; qmig says %s' % (
            qemu.stage, qemu.message,
            qmig.input_error or '; '.join(map(repr, qmig.messages)))
    return 'disagree', cls, detail


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--qemu', required=True)
    parser.add_argument('--validate', required=True)
    parser.add_argument('--count', type=int, default=3000)
    parser.add_argument('--seed', type=int, default=20261206)
    parser.add_argument('--jobs', type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument('--report', help='write every result as JSON lines')
    parser.add_argument('--show', type=int, default=20,
                        help='disagreements to print in full')
    parser.add_argument('--no-qmp-schema', action='store_true',
                        help="do not pass the binary's schema to qmig")
    args = parser.parse_args()

    started = time.monotonic()
    schema = qmp.query_qmp_schema(args.qemu)
    model = confgen.Model(schema)
    lacks = probe_host_lacks(args.qemu)
    with tempfile.NamedTemporaryFile('w', suffix='.json',
                                     prefix='qmp-schema-',
                                     delete=False) as f:
        json.dump({'return': schema}, f)
        schema_path = f.name
    options = []
    if not args.no_qmp_schema:
        options += ['--qmp-schema', schema_path]
    for fact, _ in lacks:
        options += ['--host-lacks', fact]
    print('qemu: %s' % args.qemu)
    print('host lacks: %s' % (', '.join('%s (%s)' % l for l in lacks)
                              or 'nothing'))
    print('configurations: %d, seed %d, %d jobs'
          % (args.count, args.seed, args.jobs))

    generator = confgen.Generator(model, args.seed)
    configs = [generator.config() for _ in range(args.count)]

    def one(config):
        qemu = run_qemu(args.qemu, config)
        qmig = run_qmig(args.validate, config, options)
        return config, qemu, qmig

    results = collections.Counter()
    classes = collections.defaultdict(collections.Counter)
    shown = 0
    report = open(args.report, 'w') if args.report else None
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for config, qemu, qmig in pool.map(one, configs):
            verdict, cls, detail = compare(config, qemu, qmig)
            results[verdict] += 1
            classes[cls][verdict] += 1
            if report:
                report.write(json.dumps({
                    'verdict': verdict, 'class': cls, 'detail': detail,
                    'config': config, 'qemu': qemu.message,
                    'qemu_stage': qemu.stage, 'crash': qemu.crash,
                    'qmig': qmig.messages,
                    'qmig_input_error': qmig.input_error}) + '\n')
            if (verdict == 'disagree' or cls == 'QEMU crash: UNKNOWN') and \
                    shown < args.show:
                shown += 1
                print('%s: %s\n  config: %s' % (
                    verdict.upper(), detail, json.dumps(config)))
    os.unlink(schema_path)
    elapsed = time.monotonic() - started

    print('\n%-8s %-8s %-6s %-6s  %s' % ('agree', 'disagree', 'diverge',
                                        'crash', 'class (QEMU outcome)'))
    for cls, counts in sorted(classes.items(),
                              key=lambda kv: -sum(kv[1].values())):
        print('%-8d %-8d %-6d %-6d  %s' % (
            counts['agree'], counts['disagree'], counts['divergence'],
            counts['crash'], cls))
    decided = args.count - results['crash']
    agreement = 100.0 * results['agree'] / decided if decided else 0.0
    divergence = 100.0 * results['divergence'] / decided if decided else 0.0
    print('\n%d configurations in %.1f s: %d agree (%.2f %% of %d decided), '
          '%d documented divergences (%.2f %%), %d disagree, %d QEMU crashes'
          % (args.count, elapsed, results['agree'], agreement, decided,
             results['divergence'], divergence, results['disagree'],
             results['crash']))
    unknown = classes['QEMU crash: UNKNOWN']['crash']
    if unknown:
        print('%d QEMU crashes match no known recipe (see above)' % unknown)
    ok = results['disagree'] == 0 and divergence < 0.5 and not unknown
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
