#!/usr/bin/python3
"""The series carries this project's metadata: after the last patch,
qapi/migration-features/ of the patched QEMU tree must equal
schema/features/ (each file with QEMU's SPDX line first).

usage: metadata-in-sync.py SCHEMA_FEATURES_DIR PATCHED_QEMU_TREE

Allowed differences, and only they: the comment of mapped-ram.json that
names this project's QMP differential (QEMU's copy cannot point at
tests/qmp); and the handshake capabilities, which the series adds to
QEMU's schema and which therefore exist only there: their file
handshake.json and their rules in the checks of qemu-checks.json.
Exit 0 in sync, 1 with a unified diff per file otherwise.
"""
import difflib
import os
import sys

SPDX = '# SPDX-License-Identifier: GPL-2.0-or-later\n'
# File: [(ours, theirs), ...], each replaced once, in order.
ALLOWED = {
    'mapped-ram.json': [
        ("# compression.  The QMP differential (tests/qmp) checks both.\n",
         "# compression.  qmig's QMP differential test checks both.\n")],
    'qemu-checks.json': [
        # The caps check, then the transport check.
        ("             'rdma-no-postcopy-ram' ] }\n",
         "             'rdma-no-postcopy-ram',\n"
         "             'handshake-no-rdma',\n"
         "             'handshake-allow-legacy-requires-handshake' ] }\n"),
        ("             'rdma-no-postcopy-ram' ] }\n",
         "             'rdma-no-postcopy-ram',\n"
         "             'handshake-no-rdma' ] }\n")],
}
# Metadata of capabilities only the patched schema has.
QEMU_ONLY = {'handshake.json'}


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    ours, tree = sys.argv[1], os.path.join(sys.argv[2], 'qapi',
                                           'migration-features')
    names = sorted(n for n in os.listdir(ours) if n.endswith('.json'))
    theirs = sorted(n for n in os.listdir(tree) if n.endswith('.json'))
    failed = False
    for name in sorted((set(names) ^ set(theirs)) - QEMU_ONLY):
        print('%s: only in %s' % (name, ours if name in names else tree))
        failed = True
    for name in sorted(set(names) & set(theirs)):
        with open(os.path.join(ours, name), encoding='utf-8') as f:
            want = SPDX + f.read()
        for mine, qemus in ALLOWED.get(name, []):
            want = want.replace(mine, qemus, 1)
        with open(os.path.join(tree, name), encoding='utf-8') as f:
            got = f.read()
        if got != want:
            failed = True
            sys.stdout.writelines(difflib.unified_diff(
                want.splitlines(True), got.splitlines(True),
                'schema/features/' + name, 'qapi/migration-features/' + name))
    print('metadata of the series: %s (%d files)'
          % ('OUT OF SYNC' if failed else 'in sync', len(names)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
