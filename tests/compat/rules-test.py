#!/usr/bin/env python3
"""The rule catalogue of qmig-gen compat (suite 'compat').

  rules-test.py --qmig-gen BIN --docs docs/compat.rst --pairs DIR

Checks that `qmig-gen compat --list-rules` prints well-formed
ID SEVERITY DESCRIPTION lines, that the rule table of docs/compat.rst
lists exactly those ids with the same severities, and that every id is
exercised by some synthetic pair (appears in a pairs/*/expected.txt).
"""
import argparse
import glob
import os
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--qmig-gen', required=True)
    ap.add_argument('--docs', required=True)
    ap.add_argument('--pairs', required=True)
    a = ap.parse_args()
    p = subprocess.run([a.qmig_gen, 'compat', '--list-rules'],
                       capture_output=True, text=True)
    errors = []
    if p.returncode != 0 or p.stderr:
        errors.append('--list-rules: exit %d, stderr %r'
                      % (p.returncode, p.stderr))
    listed = {}
    for line in p.stdout.splitlines():
        m = re.fullmatch(r'([a-z0-9-]+) +(safe|risky|breaking) +(\S.*)', line)
        if not m:
            errors.append('--list-rules: bad line %r' % line)
            continue
        if m.group(1) in listed:
            errors.append('--list-rules: %s twice' % m.group(1))
        listed[m.group(1)] = m.group(2)
    if not listed:
        errors.append('--list-rules printed no rule')

    documented = {}
    with open(a.docs) as f:
        for line in f:
            m = re.match(r'``([a-z0-9-]+)``\s+(safe|risky|breaking)\s', line)
            if m:
                documented[m.group(1)] = m.group(2)
    for rule in sorted(set(listed) - set(documented)):
        errors.append('%s: rule %s is not in the table' % (a.docs, rule))
    for rule in sorted(set(documented) - set(listed)):
        errors.append('%s: table lists unknown rule %s' % (a.docs, rule))
    for rule in sorted(set(listed) & set(documented)):
        if listed[rule] != documented[rule]:
            errors.append('%s: %s is %s, the tool says %s'
                          % (a.docs, rule, documented[rule], listed[rule]))

    goldens = ''
    for path in glob.glob(os.path.join(a.pairs, '*', 'expected.txt')):
        with open(path) as f:
            goldens += f.read()
    for rule in sorted(listed):
        if not re.search(r'(^|[\s"])%s[\s"]' % re.escape(rule), goldens):
            errors.append('rule %s is exercised by no pair' % rule)

    for e in errors:
        print(e)
    print('%d rules listed, %d documented' % (len(listed), len(documented)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
