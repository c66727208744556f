#!/usr/bin/env python3
"""Run qmig-validate on one case and compare with its golden.

usage: run-validate.py QMIG_VALIDATE CASE_DIR NAME [--update]

CASE_DIR/NAME.json is the configuration (given as NAME.json, or on stdin
when NAME.args says '-'); NAME.args holds extra arguments, one per line;
NAME.expected is the golden:
    exit N
    --- stdout
    ...
    --- stderr
    ...
QMIG_TEST_REGENERATE=1 (or --update) rewrites the golden.
"""
import os
import subprocess
import sys


def main():
    qv, case_dir, name = sys.argv[1:4]
    update = '--update' in sys.argv[4:] or \
        os.environ.get('QMIG_TEST_REGENERATE', '') not in ('', '0')
    args_path = os.path.join(case_dir, name + '.args')
    args = []
    if os.path.exists(args_path):
        with open(args_path) as f:
            args = [line.rstrip('\n') for line in f if line.strip()]
    config = name + '.json'
    stdin = None
    if '-' in args:
        with open(os.path.join(case_dir, config), 'rb') as f:
            stdin = f.read()
    else:
        args.append(config)
    p = subprocess.run([os.path.abspath(qv)] + args, cwd=case_dir,
                       input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    got = 'exit %d\n--- stdout\n%s--- stderr\n%s' % (
        p.returncode, p.stdout.decode('utf-8', 'replace'),
        p.stderr.decode('utf-8', 'replace'))
    golden = os.path.join(case_dir, name + '.expected')
    if update:
        with open(golden, 'w') as f:
            f.write(got)
        print('%s: regenerated' % name)
        return 0
    with open(golden) as f:
        want = f.read()
    if got != want:
        print('%s: FAIL\n--- expected\n%s--- got\n%s' % (name, want, got))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
