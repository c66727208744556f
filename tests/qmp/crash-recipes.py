#!/usr/bin/python3
"""Two configurations that crash the reference QEMU, as named tests.

Each recipe is applied to a fresh QEMU over QMP.  The test records what
the binary does and checks it against the expectation given on the
command line: --expect crash (the reference commit: the recipe kills
QEMU with the named signal) or --expect survives (a fixed QEMU answers,
with success or an error, and still answers query-status afterwards).
It also checks qmig-validate's answer for the same configuration.

zero-copy-null-tls-creds
    With zero-copy-send and multifd on, migrate-set-parameters without
    tls-creds makes migrate_params_check() dereference the NULL
    tls_creds that migrate_params_test_apply() left for the absent
    member (migration/options.c).  SIGSEGV.
cpr-transfer-uri
    With mode cpr-transfer, migrate given a uri (no channels list)
    never sets the cpr channel; cpr_state_save(NULL) then fails
    g_assert(channel) (migration/cpr.c).  SIGABRT.
background-snapshot-prelaunch
    Found by the differential: with background-snapshot on, migrate to
    file: from a QEMU started with -S (run state prelaunch, as
    management starts guests) stops the VM for the snapshot with a
    prelaunch -> paused transition that runstate_set() refuses with
    "invalid runstate transition" and abort().  SIGABRT.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import qmp  # noqa: E402

RECIPES = {
    'zero-copy-null-tls-creds': {
        'signal': signal.SIGSEGV,
        'steps': [
            ('migrate-set-capabilities', {'capabilities': [
                {'capability': 'zero-copy-send', 'state': True},
                {'capability': 'multifd', 'state': True}]}),
            ('migrate-set-parameters', {'downtime-limit': 300}),
        ],
        'config': {'capabilities': {'zero-copy-send': True,
                                    'multifd': True},
                   'parameters': {'downtime-limit': 300},
                   'transport': 'tcp', 'side': 'source'},
        # QEMU's intent: an absent tls-creds is the one in force ("").
        'qmig_valid': True,
    },
    'background-snapshot-prelaunch': {
        'signal': signal.SIGABRT,
        'steps': [
            ('migrate-set-capabilities', {'capabilities': [
                {'capability': 'background-snapshot', 'state': True}]}),
            ('migrate', {'uri': 'file:{workdir}/snapshot.mig'}),
            # The abort comes from the migration thread: wait for it.
            ('wait-for-migration', None),
        ],
        'config': {'capabilities': {'background-snapshot': True},
                   'transport': 'file', 'side': 'source'},
        'qmig_valid': True,
    },
    'cpr-transfer-uri': {
        'signal': signal.SIGABRT,
        'steps': [
            ('migrate-set-parameters', {'mode': 'cpr-transfer'}),
            ('migrate', {'uri': 'unix:{workdir}/main.sock'}),
        ],
        'config': {'parameters': {'mode': 'cpr-transfer'},
                   'transport': 'unix', 'side': 'source'},
        # A 'uri' names no cpr channel: rule cpr-transfer-requires-cpr-channel.
        'qmig_valid': False,
    },
}


def substitute(value, workdir):
    if isinstance(value, str):
        return value.replace('{workdir}', workdir)
    if isinstance(value, dict):
        return {k: substitute(v, workdir) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, workdir) for v in value]
    return value


def wait_for_migration(qemu, timeout=5.0):
    """Poll query-migrate until the migration ends; its last status."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        ok, info = qemu.execute('query-migrate')
        status = info.get('status') if ok else info
        if status in ('completed', 'failed', 'cancelled'):
            break
        time.sleep(0.02)
    return status


def run_recipe(binary, recipe):
    """'crash SIGNAME' or 'survives: ...' after applying @recipe."""
    with tempfile.TemporaryDirectory(prefix='qmig-crash-') as workdir:
        try:
            with qmp.Qemu(binary) as qemu:
                answers = []
                for command, arguments in recipe['steps']:
                    if command == 'wait-for-migration':
                        answers.append('migration: %s'
                                       % wait_for_migration(qemu))
                        continue
                    ok, result = qemu.execute(command,
                                              substitute(arguments, workdir))
                    answers.append('%s: %s' % (command,
                                               'ok' if ok else result))
                ok, status = qemu.execute('query-status')
                answers.append('query-status: %s' % status.get('status'))
                return 'survives', '; '.join(answers)
        except qmp.QemuDied as died:
            if died.returncode is not None and died.returncode < 0:
                return 'crash', signal.Signals(-died.returncode).name
            return 'exit', str(died)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--qemu', required=True)
    parser.add_argument('--validate', required=True)
    parser.add_argument('--recipe', required=True, choices=sorted(RECIPES))
    parser.add_argument('--expect', required=True,
                        choices=['crash', 'survives'])
    args = parser.parse_args()
    recipe = RECIPES[args.recipe]

    outcome, detail = run_recipe(args.qemu, recipe)
    print('%s: QEMU %s (%s)' % (args.recipe, outcome, detail))
    failed = False
    if args.expect == 'crash':
        want = recipe['signal'].name
        if outcome != 'crash' or detail != want:
            print('FAIL: expected the reference QEMU to die of %s' % want)
            failed = True
    elif outcome != 'survives':
        print('FAIL: expected QEMU to answer and keep running')
        failed = True

    proc = subprocess.run([args.validate, '--format', 'json', '-'],
                          input=json.dumps(recipe['config']).encode(),
                          capture_output=True)
    print('qmig-validate: exit %d %s%s' % (
        proc.returncode, proc.stdout.decode().strip(),
        proc.stderr.decode().strip()))
    if (recipe['qmig_valid'] is not None and
            (proc.returncode == 0) != recipe['qmig_valid']):
        print('FAIL: qmig-validate should call it %s'
              % ('valid' if recipe['qmig_valid'] else 'invalid'))
        failed = True
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
