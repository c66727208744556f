#!/usr/bin/env python3
#
# Compare qmig's migration schema with QEMU's, item by item.
#
# Usage:
#   compare-migration-schema.py --qmig-gen EXE --ours schema/migration.json
#       --qemu QEMU/qapi/qapi-schema.json [--pragma QEMU/qapi/pragma.json]
#
# Runs `qmig-gen dump` on both schemas and compares, for every value of
# enum MigrationCapability and every member of struct MigrationParameters:
# the name, the type, optionality, the features (names, order and their
# 'if' conditions), the member's 'if' condition, and the "(since X.Y)"
# note of its documentation (the arg=NAME section of the type's doc
# block).  QEMU documents some members without a since note: the since
# versions are compared where both have one, and ours is required where
# QEMU has one.  Every difference is printed, naming the item; the exit
# status is 1 if there is any, 0 otherwise (2: a dump failed).
#
# Copyright (c) the qmig authors.  GPL-2.0-or-later.

import argparse
import re
import subprocess
import sys

ITEMS = (('enum', 'MigrationCapability', 'capability'),
         ('object', 'MigrationParameters', 'parameter'))
SINCE = re.compile(r'\(since\s+([0-9]+(?:\.[0-9]+)*)\s*\)', re.IGNORECASE)


def dump(qmig_gen, schema, pragma=None):
    argv = [qmig_gen, 'dump']
    if pragma:
        argv += ['--pragma', pragma]
    argv.append(schema)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit('error: %s failed with exit status %d'
                 % (' '.join(argv), proc.returncode))
    return proc.stdout.split('\n')


def parse_members(lines, meta, name):
    """The members of definition META NAME in a model dump, as an ordered
    dict name -> {'type', 'optional', 'if', 'features'}; None if absent."""
    header = '%s %s' % (meta, name)
    try:
        start = lines.index(header)
    except ValueError:
        return None
    members = {}
    cur = feature = None
    for line in lines[start + 1:]:
        if not line.startswith('    '):
            break
        if line.startswith('    member '):
            text = line[len('    member '):]
            m = re.match(r'^(\S+): (\S+) optional=(True|False)$', text)
            if m:
                cur = {'type': m.group(2), 'optional': m.group(3) == 'True'}
                mname = m.group(1)
            else:                       # an enum value
                cur = {'type': None, 'optional': None}
                mname = text
            cur.update({'if': None, 'features': []})
            members[mname] = cur
            feature = None
        elif cur is not None and line.startswith('        feature '):
            feature = [line[len('        feature '):], None]
            cur['features'].append(feature)
        elif cur is not None and line.startswith('            if ') \
                and feature is not None:
            feature[1] = line[len('            if '):]
        elif cur is not None and line.startswith('        if '):
            cur['if'] = line[len('        if '):]
    return members


def parse_docs(lines, symbol):
    """arg=NAME section texts of the doc block for SYMBOL."""
    args = {}
    inside = False
    cur = None
    for line in lines:
        if line.startswith('doc '):
            inside = line == 'doc symbol=%s' % symbol
            cur = None
            continue
        if not inside:
            continue
        m = re.match(r'^    (body|arg|feature|section)=(.*)$', line)
        if m:
            cur = None
            if m.group(1) == 'arg':
                cur = m.group(2)
                args[cur] = []
            continue
        if cur is not None:
            args[cur].append(line)
    return {k: ' '.join(v) for k, v in args.items()}


def since_of(text):
    if text is None:
        return None
    m = SINCE.search(text)
    return m.group(1) if m else None


def describe_features(features):
    return '[%s]' % ', '.join(f if cond is None else '%s (if %s)' % (f, cond)
                              for f, cond in features) or '[]'


def compare(ours_lines, qemu_lines):
    problems = []
    for meta, name, what in ITEMS:
        ours = parse_members(ours_lines, meta, name)
        qemu = parse_members(qemu_lines, meta, name)
        if ours is None or qemu is None:
            problems.append('%s %s: missing in %s' % (
                meta, name, 'our schema' if ours is None else "QEMU's schema"))
            continue
        ours_doc = parse_docs(ours_lines, name)
        qemu_doc = parse_docs(qemu_lines, name)
        for m in qemu:
            if m not in ours:
                problems.append('%s %s: missing in our schema' % (what, m))
        for m in ours:
            if m not in qemu:
                problems.append("%s %s: not in QEMU's schema" % (what, m))
        common = [m for m in qemu if m in ours]
        order_q = common
        order_o = [m for m in ours if m in qemu]
        if order_q != order_o:
            problems.append('%s %s: %ss in a different order: ours %s, '
                            "QEMU's %s" % (meta, name, what,
                                           ' '.join(order_o),
                                           ' '.join(order_q)))
        for m in common:
            o, q = ours[m], qemu[m]
            for key in ('type', 'optional', 'if'):
                if o[key] != q[key]:
                    problems.append("%s %s: %s %s in ours, %s in QEMU's"
                                    % (what, m, key, o[key], q[key]))
            if o['features'] != q['features']:
                problems.append("%s %s: features %s in ours, %s in QEMU's"
                                % (what, m, describe_features(o['features']),
                                   describe_features(q['features'])))
            os_, qs = since_of(ours_doc.get(m)), since_of(qemu_doc.get(m))
            if qs is not None and os_ is None:
                problems.append("%s %s: QEMU documents it as since %s, ours "
                                "has no since note" % (what, m, qs))
            elif qs is not None and os_ != qs:
                problems.append("%s %s: since %s in ours, %s in QEMU's"
                                % (what, m, os_, qs))
    return problems


def main():
    ap = argparse.ArgumentParser(
        description="Compare qmig's migration schema with QEMU's")
    ap.add_argument('--qmig-gen', required=True)
    ap.add_argument('--ours', required=True, help='our migration schema')
    ap.add_argument('--qemu', required=True, help="QEMU's qapi-schema.json")
    ap.add_argument('--pragma', help="QEMU's pragma.json")
    args = ap.parse_args()
    problems = compare(dump(args.qmig_gen, args.ours),
                       dump(args.qmig_gen, args.qemu, args.pragma))
    for p in problems:
        print(p)
    if problems:
        print('%d difference%s between %s and %s'
              % (len(problems), '' if len(problems) == 1 else 's',
                 args.ours, args.qemu))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
