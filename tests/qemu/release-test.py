#!/usr/bin/env python3
"""
A QEMU release's root schema through `qmig-gen --legacy` and through that
release's own front end (scripts/qapi of the same release), compared.

The release's front end is the reference for what that era accepted:
it must accept the schema (or the test is meaningless), qmig-gen
--legacy must accept it too, and both must build the same interface:
the same definitions, with the same members, bases, tags, branches,
argument and return types.  Doc comments are not part of the
interface, but legacy mode must not lose them either: the same
definitions must be documented, each with the same members described
(a doc block the current rules reject would be dropped whole).

  release-test.py --qmig-gen QMIG_GEN --release-dir DIR
  release-test.py --list RELEASES  (the release directories in order)

DIR is one release of shared/qemu-qapi/releases (qapi/ and scripts/).
"""

import argparse
import difflib
import os
import subprocess
import sys

# Run inside the release's front end (its own Python package), printing
# the interface in the canonical form below and the documented symbols.
ERA_DRIVER = r'''
import sys
sys.path.insert(0, sys.argv[1])
try:
    from qapi.schema import QAPISchema
except ImportError:          # 4.2 kept everything in qapi.common
    from qapi.common import QAPISchema

def tname(t):
    return t.name if t is not None else 'None'

def branches(e):
    # 'variants' until 9.x, then 'branches' (objects) / 'alternatives'
    for attr in ('variants', 'branches', 'alternatives'):
        v = getattr(e, attr, None)
        if v is not None:
            return v
    return None

schema = QAPISchema(sys.argv[2])
for e in schema._entity_list:
    kind = type(e).__name__
    if kind == 'QAPISchemaObjectType':
        if e.name == 'q_empty':
            continue
        print('object', e.name)
        if e.base is not None:
            print('    base', e.base.name)
        for m in e.local_members:
            print('    member %s: %s optional=%s'
                  % (m.name, m.type.name, m.optional))
        v = branches(e)
        if v is not None:
            print('    tag', v.tag_member.name)
            for c in v.variants:
                print('    case %s: %s' % (c.name, c.type.name))
    elif kind == 'QAPISchemaEnumType':
        if e.name == 'QType':
            continue
        print('enum', e.name)
        for m in e.members:
            print('    member', getattr(m, 'name', m))
    elif kind == 'QAPISchemaAlternateType':
        print('alternate', e.name)
        v = branches(e)
        print('    tag', v.tag_member.name)
        for c in v.variants:
            print('    case %s: %s' % (c.name, c.type.name))
    elif kind == 'QAPISchemaCommand':
        print('command %s %s -> %s'
              % (e.name, tname(e.arg_type), tname(e.ret_type)))
    elif kind == 'QAPISchemaEvent':
        print('event %s %s' % (e.name, tname(e.arg_type)))
for doc in schema.docs:
    if doc.symbol:
        print('doc %s %s' % (doc.symbol, ','.join(sorted(doc.args))))
'''

KEEP = ('object ', 'enum ', 'alternate ', 'command ', 'event ')
KEEP_MEMBER = ('    base ', '    member ', '    tag ', '    case ')


def canonical(dump):
    """The interface lines of a `qmig-gen dump` (QEMU test-qapi format),
    and the documented symbols."""
    lines, docs = [], []
    skipping = True
    in_docs = False     # the documentation blocks come last
    for line in dump.splitlines():
        if line.startswith(('doc symbol=', 'doc freeform')):
            in_docs = True
        if in_docs:
            if line.startswith('doc symbol='):
                docs.append([line[len('doc symbol='):], []])
            elif line.startswith('    arg=') and docs:
                docs[-1][1].append(line[len('    arg='):])
            elif line.startswith('doc freeform'):
                docs.append(None)
        elif line.startswith(KEEP):
            skipping = line in ('object q_empty', 'enum QType')
            if not skipping:
                lines.append(line)
        elif line.startswith(KEEP_MEMBER) and not skipping:
            lines.append(line)
        elif not line.startswith(' '):
            skipping = True
    return lines, ['%s %s' % (sym, ','.join(sorted(args)))
                   for sym, args in filter(None, docs)]


def by_definition(lines):
    """@lines with each definition's block in sorted order of headers."""
    blocks = []
    for line in lines:
        if line.startswith(' '):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return [line for block in sorted(blocks) for line in block]


def report_diff(title, release, want, got, context, limit):
    """The first @limit lines of the diff from @want (the release's own
    front end) to @got (qmig-gen), on stderr under @title."""
    print(title, file=sys.stderr)
    diff = difflib.unified_diff(want, got, '%s front end' % release,
                                'qmig-gen --legacy', lineterm='', n=context)
    for n, line in enumerate(diff):
        if n == limit:
            print('...', file=sys.stderr)
            break
        print(line, file=sys.stderr)


def release_key(name):
    """'v10.2' -> [10, 2]; other names after the releases, by name."""
    try:
        return (0, [int(x) for x in name.lstrip('v').split('.')], name)
    except ValueError:
        return (1, [], name)


def split_era(out):
    lines, docs = [], []
    for line in out.splitlines():
        if line.startswith('doc '):
            docs.append(line[4:])
        else:
            lines.append(line)
    return lines, docs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--qmig-gen')
    ap.add_argument('--release-dir')
    ap.add_argument('--list', metavar='RELEASES')
    args = ap.parse_args()
    if args.list:
        releases = [r for r in os.listdir(args.list)
                    if os.path.isdir(os.path.join(args.list, r, 'qapi'))]
        # In release order: v10.0 follows v9.2.
        for r in sorted(releases, key=release_key):
            print(r)
        return 0
    if not args.qmig_gen or not args.release_dir:
        ap.error('--qmig-gen and --release-dir are required')

    release = os.path.basename(os.path.normpath(args.release_dir))
    root = os.path.join(args.release_dir, 'qapi', 'qapi-schema.json')
    scripts = os.path.join(args.release_dir, 'scripts')
    if not os.path.isfile(root) or not os.path.isdir(scripts):
        print('SKIP: %s lacks qapi/qapi-schema.json or scripts/' % release)
        return 77

    # The reference: the release's own front end, under Debian's Python.
    era = subprocess.run([sys.executable, '-c', ERA_DRIVER, scripts, root],
                         capture_output=True, text=True)
    if era.returncode != 0:
        print('%s: its own front end failed, nothing to compare with:\n%s'
              % (release, era.stderr), file=sys.stderr)
        return 1
    era_lines, era_docs = split_era(era.stdout)

    ours = subprocess.run([args.qmig_gen, 'dump', '--legacy', root],
                          capture_output=True, text=True)
    if ours.returncode != 0:
        print('%s: qmig-gen --legacy rejects what %s accepted:\n%s'
              % (release, release, ours.stderr), file=sys.stderr)
        return 1
    our_lines, our_docs = canonical(ours.stdout)

    # Definition order is not part of the interface (QEMU's own order
    # follows its include walk); compare the definitions sorted.
    era_lines, our_lines = by_definition(era_lines), by_definition(our_lines)
    if era_lines != our_lines:
        report_diff('%s: the interfaces differ:' % release, release,
                    era_lines, our_lines, context=2, limit=60)
        return 1

    # Every definition documentation block, with the members it
    # describes (QEMU adds a stub for each undocumented member; so do we).
    if sorted(era_docs) != sorted(our_docs):
        report_diff('%s: the documentation differs (SYMBOL MEMBERS):'
                    % release, release, sorted(era_docs), sorted(our_docs),
                    context=0, limit=40)
        return 1
    print('%s: same %d definitions and %d definition documentation blocks'
          % (release, sum(not l.startswith(' ') for l in our_lines),
             len(our_docs)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
