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

Besides the random configurations, the configurations of the crash
recipes (crash-recipes.py) and random variants of them run too
(--crash-configs).  After QEMU's answer, error or success, QEMU must
still answer: a source that migrates is polled with query-migrate until
the migration settles, then query-status must reply.  A QEMU that dies
then counts as a crash of that configuration.  --no-known-crashes makes
every crash a failure, known recipe or not (a fixed QEMU: the patched
one).

With --reference-qemu UNPATCHED, the mode of the QEMU patch series:
each configuration runs on both binaries, --qemu being the patched one,
and qmig-validate is not asked.  Where the unpatched QEMU survives, the
patched one must survive with the same decision at the same command and
the same error text, or the unpatched text followed by APPEND_SEPARATOR
and more text (the patched QEMU may say more after QEMU's first
message).  Where the unpatched QEMU crashes, the patched one must answer
and keep running.

With channels (--migrate-channels; auto: on in the reference mode, and
against qmig-validate when it takes the "migrate-channels" key), some
cpr-transfer sources migrate through migrate's channel list (a main
channel on the transport's address, usually a cpr channel on a unix
socket the harness listens on) and qmig-validate is given
"migrate-channels".

Exit status: 0 when every configuration agrees or diverges as
documented, 1 otherwise, 2 on usage or setup errors.
"""

import argparse
import collections
import concurrent.futures
import importlib.util
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
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


def transport_address(transport, side, workdir, fd):
    """The MigrationAddress of @transport_uri's URI, for a channel."""
    incoming = side == 'destination'
    port = '0' if incoming else '1'
    if transport == 'tcp':
        return {'transport': 'socket', 'type': 'inet',
                'host': '127.0.0.1', 'port': port}
    if transport == 'unix':
        return {'transport': 'socket', 'type': 'unix',
                'path': '%s/%s.sock' % (workdir, side)}
    if transport == 'vsock':
        return {'transport': 'socket', 'type': 'vsock',
                'cid': '4294967295' if incoming else '1',
                'port': str(next(VSOCK_PORTS))}
    if transport == 'fd':
        return {'transport': 'socket', 'type': 'fd', 'str': fd}
    if transport == 'exec':
        return {'transport': 'exec',
                'args': ['/bin/sh', '-c', 'cat /dev/null' if incoming
                         else 'cat >/dev/null']}
    if transport == 'rdma':
        return {'transport': 'rdma', 'host': '127.0.0.1', 'port': port}
    if transport == 'file':
        return {'transport': 'file',
                'filename': '%s/stream.mig' % workdir, 'offset': 0}
    raise ValueError(transport)


def migrate_arguments(config, workdir, fd):
    """migrate's or migrate-incoming's address: a URI, or the channel
    list of the configuration's "migrate-channels".  The cpr channel is
    a unix socket CPR_SOCKET of @workdir."""
    side, transport = config['side'], config['transport']
    types = config.get('migrate-channels')
    if types is None:
        return {'uri': transport_uri(transport, side, workdir, fd)}
    channels = []
    for kind in types:
        if kind == 'cpr':
            addr = {'transport': 'socket', 'type': 'unix',
                    'path': os.path.join(workdir, CPR_SOCKET)}
        else:
            addr = transport_address(transport, side, workdir, fd)
        channels.append({'channel-type': kind, 'addr': addr})
    return {'channels': channels}


CPR_SOCKET = 'cpr.sock'

# Migration states that move on by themselves; a source is polled until
# its migration leaves them (or SETTLE_TIMEOUT passes: with return-path,
# a migration waits in device for a peer this harness does not run).
MOVING_STATES = {'setup', 'active', 'device', 'wait-unplug', 'cancelling',
                 'postcopy-active', 'postcopy-device'}
SETTLE_TIMEOUT = 1.0


class QemuOutcome:
    """QEMU's decision (accepted, or the first error @message and the
    command, @stage, that gave it).  @crash: how QEMU died, during a
    command or after its answer (@stage then names the command that
    found it dead).  @status: the run state query-status replied after
    the answer, and the migration status a source settled in."""

    def __init__(self, accepted, message=None, stage=None, crash=None,
                 status=None):
        self.accepted = accepted
        self.message = message
        self.stage = stage
        self.crash = crash
        self.status = status

    def answer(self):
        if self.crash:
            return 'CRASH (%s)' % ' | '.join(self.crash.splitlines())
        if self.accepted:
            return 'accepted [%s]' % self.status
        return 'rejected at %s: %r [%s]' % (self.stage, self.message,
                                            self.status)


def settle(qemu, config, migrating):
    """After QEMU's answer: wait for a started outgoing migration to
    settle, then require a reply to query-status.  A description of
    where QEMU stands; raises QemuDied when it does not answer."""
    status = []
    if migrating:
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            ok, info = qemu.execute('query-migrate')
            state = info.get('status') if ok else None
            # A cpr-transfer source waits in setup for the cpr peer to
            # hang up, which this harness never does.
            if (state not in MOVING_STATES or time.monotonic() > deadline or
                    (state == 'setup' and 'migrate-channels' in config and
                     'cpr' in config['migrate-channels'])):
                status.append('migration %s' % state)
                break
            time.sleep(0.01)
    ok, info = qemu.execute('query-status')
    status.append('run state %s' % (info.get('status') if ok else info))
    return ', '.join(status)


def run_qemu(binary, config):
    """Apply @config to a fresh QEMU; a QemuOutcome."""
    side = config['side']
    with tempfile.TemporaryDirectory(prefix='qmig-qmp-') as workdir:
        # A connected socket for fd:, handed over with getfd.
        channel, peer = socket.socketpair()
        # An existing, empty stream for a destination reading file:.
        open(os.path.join(workdir, 'stream.mig'), 'wb').close()
        # The peer of a cpr channel: connections wait in the backlog.
        cpr_peer = None
        if 'cpr' in config.get('migrate-channels', ()):
            cpr_peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            cpr_peer.bind(os.path.join(workdir, CPR_SOCKET))
            cpr_peer.listen(4)
        extra = ['-incoming', 'defer'] if side == 'destination' else []
        outcome = None
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
                address = migrate_arguments(config, workdir, 'mig')
                if side == 'destination':
                    steps.append(('migrate-incoming',
                                  dict(address, **{'exit-on-error': False})))
                else:
                    steps.append(('migrate', address))
                for command, arguments in steps:
                    ok, result = qemu.execute(command, arguments)
                    if not ok:
                        outcome = QemuOutcome(False, result, command)
                        break
                else:
                    outcome = QemuOutcome(True)
                outcome.status = settle(qemu, config, side == 'source' and
                                        outcome.accepted)
                return outcome
        except qmp.QemuDied as died:
            if outcome is None:
                return QemuOutcome(False, crash=str(died), stage=died.command)
            # Died after answering: the answer stays, the crash counts.
            outcome.crash = str(died)
            outcome.stage = outcome.stage or died.command
            return outcome
        finally:
            channel.close()
            peer.close()
            if cpr_peer is not None:
                cpr_peer.close()


# --- asking qmig ---------------------------------------------------------

class QmigOutcome:
    def __init__(self, accepted, messages, input_error=None):
        self.accepted = accepted
        self.messages = messages
        self.input_error = input_error


def qmig_document(config):
    document = {'capabilities': config['capabilities'],
                'parameters': config['parameters'],
                'transport': config['transport'],
                'side': config['side']}
    if 'migrate-channels' in config:
        document['migrate-channels'] = config['migrate-channels']
    return json.dumps(document)


def qmig_takes_channels(validate):
    """Whether qmig-validate's configuration has "migrate-channels"."""
    proc = subprocess.run([validate, '--format', 'json', '-'],
                          input=qmig_document({
                              'capabilities': [],
                              'parameters': {'mode': 'cpr-transfer'},
                              'transport': 'unix', 'side': 'source',
                              'migrate-channels': ['main', 'cpr']}).encode(),
                          capture_output=True, timeout=30)
    return proc.returncode in (0, 1)


def run_qmig(validate, config, options):
    document = qmig_document(config)
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


def crash_seeds():
    """The configurations of crash-recipes.py's recipes, in confgen's
    form: [(recipe, config)]."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'crash-recipes.py')
    spec = importlib.util.spec_from_file_location('crash_recipes', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seeds = []
    for name, recipe in sorted(module.RECIPES.items()):
        config = recipe['config']
        seeds.append((name, {
            'side': config['side'], 'transport': config['transport'],
            'capabilities': [{'capability': c, 'state': state}
                             for c, state in
                             config.get('capabilities', {}).items()],
            'parameters': dict(config.get('parameters', {}))}))
    return seeds


def configurations(generator, count, crash_configs):
    """@count random configurations, then every crash recipe's own
    configuration and @crash_configs random variants of them (in turn):
    [(origin, config)], origin 'random' or 'recipe:NAME' or
    'variant:NAME'."""
    configs = [('random', generator.config()) for _ in range(count)]
    seeds = crash_seeds()
    configs += [('recipe:' + name, seed) for name, seed in seeds]
    for i in range(crash_configs):
        name, seed = seeds[i % len(seeds)]
        configs.append(('variant:' + name, generator.variant(seed)))
    return configs


def enabled(config):
    return {c['capability'] for c in config['capabilities'] if c['state']}


def known_crash(config, text):
    for recipe, predicate in KNOWN_CRASHES:
        if predicate(config, text):
            return recipe
    return None


# --- documented divergences ----------------------------------------------

# Each: (id, QEMU source reference, why, predicate(config, qemu, qmig)).
DIVERGENCES = [
    ('cpr-transfer-deferred-rdma',
     'migration/migration.c:2060 qmp_migrate, migration/channel.c:66',
     'In mode cpr-transfer, migrate connects the main channel only once '
     'the cpr peer hangs up, so a build without RDMA answers an rdma main '
     'channel with success and fails the migration later ("uri is not a '
     'valid migration protocol" in query-migrate); qmig-validate reports '
     'the missing rdma host fact up front.',
     lambda c, qemu, qmig: (
         c['side'] == 'source' and c['transport'] == 'rdma' and
         c['parameters'].get('mode') == 'cpr-transfer' and
         'cpr' in c.get('migrate-channels', ()) and
         qemu.accepted and qmig.input_error is None and
         qmig.messages == ['uri is not a valid migration protocol'])),
]


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


def compare(config, qemu, qmig, known_crashes=True):
    """('agree'|'crash'|'divergence'|'disagree', class, detail).  A
    crash's class names its recipe, UNKNOWN, or with not
    @known_crashes says it fails the run."""
    if qemu.crash:
        if not known_crashes:
            return 'crash', 'QEMU crash: FAILURE', qemu.crash
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


# --- patched against unpatched QEMU -------------------------------------

# The patched QEMU may say more than the unpatched one: its text is the
# unpatched text, or that text, this separator and more (never empty).
APPEND_SEPARATOR = '; '


def same_text(reference, patched):
    if patched == reference:
        return True
    prefix = reference + APPEND_SEPARATOR
    return patched.startswith(prefix) and len(patched) > len(prefix)


def compare_qemus(config, ref, new):
    """('agree'|'answered'|'disagree', class, detail): the patched
    QEMU's outcome @new against the unpatched one's, @ref."""
    if ref.crash:
        recipe = known_crash(config, ref.crash) or 'UNKNOWN'
        if new.crash:
            return ('disagree', 'unpatched crash (%s); patched crashes too'
                    % recipe, 'patched QEMU crashes too')
        return ('answered', 'unpatched crash (%s); patched answers'
                % recipe, None)
    cls = ('accepted' if ref.accepted else
           '%s: %s' % (ref.stage, message_class(ref.message)))
    if new.crash:
        return 'disagree', cls, 'patched QEMU crashes; unpatched survives'
    if ref.accepted != new.accepted:
        return 'disagree', cls, 'decisions differ'
    if ref.accepted:
        return 'agree', cls, None
    if ref.stage != new.stage:
        return 'disagree', cls, 'rejected at different commands'
    if not same_text(ref.message, new.message):
        return 'disagree', cls, 'error texts differ'
    return 'agree', cls, None


def main_reference(args, started):
    """--reference-qemu: the patched QEMU (--qemu) against the unpatched
    one on every configuration; 0 when it agrees everywhere the
    unpatched one survives and answers everywhere it crashes."""
    schema = qmp.query_qmp_schema(args.qemu)
    ref_schema = qmp.query_qmp_schema(args.reference_qemu)
    channels = args.migrate_channels != 'off'
    print('patched qemu: %s' % args.qemu)
    print('unpatched qemu: %s' % args.reference_qemu)
    print('query-qmp-schema: %s' % ('identical' if schema == ref_schema
                                    else 'differs'))
    print('error texts: equal, or the unpatched text + %r + more'
          % APPEND_SEPARATOR)
    # Only what both know can be compared: the series adds capabilities.
    model = confgen.Model(schema)
    only_patched = model.common_with(confgen.Model(ref_schema))
    print('only in the patched QEMU, not generated: %s'
          % (', '.join(only_patched) or 'nothing'))
    generator = confgen.Generator(model, args.seed, channels=channels)
    configs = configurations(generator, args.count, args.crash_configs)
    print('configurations: %d random + %d crash-recipe ones, seed %d, '
          '%d jobs, migrate channels %s'
          % (args.count, len(configs) - args.count, args.seed, args.jobs,
             'on' if channels else 'off'))

    def one(item):
        origin, config = item
        return (origin, config, run_qemu(args.reference_qemu, config),
                run_qemu(args.qemu, config))

    results = collections.Counter()
    classes = collections.defaultdict(collections.Counter)
    origins = collections.defaultdict(collections.Counter)
    show = args.show if args.show is not None else len(configs)
    shown = 0
    report = open(args.report, 'w') if args.report else None
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for origin, config, ref, new in pool.map(one, configs):
            verdict, cls, detail = compare_qemus(config, ref, new)
            results[verdict] += 1
            classes[cls][verdict] += 1
            origins[origin.split(':')[0]]['crash' if ref.crash
                                          else 'survive'] += 1
            if 'migrate-channels' in config:
                origins['channels'][verdict] += 1
            if report:
                report.write(json.dumps({
                    'verdict': verdict, 'class': cls, 'detail': detail,
                    'origin': origin, 'config': config,
                    'unpatched': vars(ref), 'patched': vars(new)}) + '\n')
            if verdict == 'disagree' and shown < show:
                shown += 1
                print('DISAGREE (%s, %s): %s\n  config: %s\n'
                      '  unpatched: %s\n  patched:   %s'
                      % (origin, cls, detail, json.dumps(config),
                         ref.answer(), new.answer()))
    if report:
        report.close()
    elapsed = time.monotonic() - started

    print('\n%-6s %-8s %-8s  %s' % ('agree', 'answered', 'disagree',
                                    'class (unpatched QEMU outcome)'))
    for cls, counts in sorted(classes.items(),
                              key=lambda kv: -sum(kv[1].values())):
        print('%-6d %-8d %-8d  %s' % (counts['agree'], counts['answered'],
                                      counts['disagree'], cls))
    crashed = {o: c['crash'] for o, c in origins.items() if o != 'channels'}
    print('\nunpatched QEMU crashes: %d (%s)' % (
        sum(crashed.values()), ', '.join(
            '%d of %d %s configurations'
            % (crashed[o], sum(origins[o].values()), o)
            for o in ('random', 'recipe', 'variant') if o in origins)))
    if origins['channels']:
        print('configurations migrating through channels: %d'
              % sum(origins['channels'].values()))
    both_crash = sum(c['disagree'] for cls, c in classes.items()
                     if cls.endswith('patched crashes too'))
    print('\n%d configurations in %.1f s: %d agree, %d '
          'crash-on-unpatched-and-patched-answered, %d disagree (%d of '
          'them crash on both)'
          % (len(configs), elapsed, results['agree'], results['answered'],
             results['disagree'], both_crash))
    return 1 if results['disagree'] else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--qemu', required=True,
                        help='the QEMU under test (with --reference-qemu: '
                        'the patched one)')
    parser.add_argument('--validate',
                        help='qmig-validate (not with --reference-qemu)')
    parser.add_argument('--reference-qemu', metavar='UNPATCHED',
                        help='compare --qemu with this QEMU rather than '
                        'with qmig-validate')
    parser.add_argument('--common-with', metavar='QEMU',
                        help='generate only capabilities and parameters '
                        'this QEMU has too (qmig-validate against a '
                        'patched QEMU: its schema is the unpatched one)')
    parser.add_argument('--count', type=int, default=3000,
                        help='random configurations')
    parser.add_argument('--crash-configs', type=int, default=300,
                        help='random variants of the crash recipes, on top '
                        'of the recipes themselves and of --count')
    parser.add_argument('--no-known-crashes', action='store_true',
                        help='every QEMU crash fails the run (a fixed QEMU)')
    parser.add_argument('--migrate-channels', choices=['auto', 'on', 'off'],
                        default='auto',
                        help='apply some cpr-transfer configurations through '
                        "migrate's channel list (auto: on with "
                        '--reference-qemu, else when qmig-validate takes '
                        '"migrate-channels")')
    parser.add_argument('--seed', type=int, default=20261206)
    parser.add_argument('--jobs', type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument('--report', help='write every result as JSON lines')
    parser.add_argument('--show', type=int,
                        help='disagreements to print in full (default 20; '
                        'all with --reference-qemu)')
    parser.add_argument('--no-qmp-schema', action='store_true',
                        help="do not pass the binary's schema to qmig")
    args = parser.parse_args()

    started = time.monotonic()
    if args.reference_qemu:
        if args.validate:
            parser.error('--validate and --reference-qemu are two modes')
        return main_reference(args, started)
    if not args.validate:
        parser.error('--validate or --reference-qemu is required')
    if args.show is None:
        args.show = 20
    channels = (args.migrate_channels == 'on' or
                (args.migrate_channels == 'auto' and
                 qmig_takes_channels(args.validate)))
    schema = qmp.query_qmp_schema(args.qemu)
    model = confgen.Model(schema)
    if args.common_with:
        # What only the patched QEMU has is outside qmig's own schema.
        only = model.common_with(
            confgen.Model(qmp.query_qmp_schema(args.common_with)))
        print('not in %s, not generated: %s'
              % (args.common_with, ', '.join(only) or 'nothing'))
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
    generator = confgen.Generator(model, args.seed, channels=channels)
    configs = configurations(generator, args.count, args.crash_configs)
    print('configurations: %d random + %d crash-recipe ones, seed %d, '
          '%d jobs, migrate channels %s%s'
          % (args.count, len(configs) - args.count, args.seed, args.jobs,
             'on' if channels else 'off',
             ', every crash fails' if args.no_known_crashes else ''))

    def one(item):
        origin, config = item
        qemu = run_qemu(args.qemu, config)
        qmig = run_qmig(args.validate, config, options)
        return origin, config, qemu, qmig

    results = collections.Counter()
    classes = collections.defaultdict(collections.Counter)
    crash_origin = collections.Counter()
    channel_configs = 0
    shown = 0
    report = open(args.report, 'w') if args.report else None
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for origin, config, qemu, qmig in pool.map(one, configs):
            verdict, cls, detail = compare(config, qemu, qmig,
                                           not args.no_known_crashes)
            results[verdict] += 1
            classes[cls][verdict] += 1
            if origin != 'random':
                crash_origin[verdict] += 1
            if 'migrate-channels' in config:
                channel_configs += 1
            if report:
                report.write(json.dumps({
                    'verdict': verdict, 'class': cls, 'detail': detail,
                    'origin': origin, 'config': config,
                    'qemu': qemu.message, 'qemu_stage': qemu.stage,
                    'qemu_status': qemu.status, 'crash': qemu.crash,
                    'qmig': qmig.messages,
                    'qmig_input_error': qmig.input_error}) + '\n')
            if (verdict == 'disagree' or
                    cls in ('QEMU crash: UNKNOWN', 'QEMU crash: FAILURE')) \
                    and shown < args.show:
                shown += 1
                print('%s (%s): %s\n  config: %s' % (
                    verdict.upper(), origin, detail, json.dumps(config)))
    if report:
        report.close()
    os.unlink(schema_path)
    elapsed = time.monotonic() - started

    print('\n%-8s %-8s %-6s %-6s  %s' % ('agree', 'disagree', 'diverge',
                                        'crash', 'class (QEMU outcome)'))
    for cls, counts in sorted(classes.items(),
                              key=lambda kv: -sum(kv[1].values())):
        print('%-8d %-8d %-6d %-6d  %s' % (
            counts['agree'], counts['disagree'], counts['divergence'],
            counts['crash'], cls))
    total = len(configs)
    print('\ncrash-recipe configurations: %d (%s)' % (
        sum(crash_origin.values()),
        ', '.join('%d %s' % (n, v) for v, n in sorted(crash_origin.items()))))
    if channel_configs:
        print('configurations migrating through channels: %d'
              % channel_configs)
    decided = total - results['crash']
    agreement = 100.0 * results['agree'] / decided if decided else 0.0
    divergence = 100.0 * results['divergence'] / decided if decided else 0.0
    print('\n%d configurations in %.1f s: %d agree (%.2f %% of %d decided), '
          '%d documented divergences (%.2f %%), %d disagree, %d QEMU crashes'
          % (total, elapsed, results['agree'], agreement, decided,
             results['divergence'], divergence, results['disagree'],
             results['crash']))
    unknown = classes['QEMU crash: UNKNOWN']['crash']
    if unknown:
        print('%d QEMU crashes match no known recipe (see above)' % unknown)
    failed_crashes = classes['QEMU crash: FAILURE']['crash']
    if failed_crashes:
        print('%d QEMU crashes fail the run (--no-known-crashes)'
              % failed_crashes)
    ok = (results['disagree'] == 0 and divergence < 0.5 and not unknown and
          not failed_crashes)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
