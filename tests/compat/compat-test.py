#!/usr/bin/env python3
"""Run one qmig-gen compat case and compare its report with a golden.

  compat-test.py --qmig-gen BIN pair DIR
      DIR holds old.json, new.json and expected.txt; optionally
      old-features.json + new-features.json (--features-old/--features-new),
      waivers.json (--waivers) and args (more options, one line).  Runs in
      DIR, so that locations in the report are relative.
  compat-test.py --qmig-gen BIN history --qapi-dir D --golden G OLD NEW
      compares D/OLD with D/NEW with D's current pragma.json (compat reads
      any release's language, and doc comments never stop it).
  compat-test.py --qmig-gen BIN release --qapi-dir D --golden G OLD NEW
      compares release OLD with release NEW (D/releases/R/qapi, whole
      root schemas with their own pragmas), module migration only.

The golden is the report followed by 'exit status: N'.  Set
QMIG_TEST_REGENERATE=1 to rewrite it (review the diff).
"""
import argparse
import os
import subprocess
import sys


def run(cmd, cwd):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return proc.stdout + proc.stderr + 'exit status: %d\n' % proc.returncode


def check(actual, golden):
    if os.environ.get('QMIG_TEST_REGENERATE'):
        with open(golden, 'w') as f:
            f.write(actual)
        return 0
    try:
        with open(golden) as f:
            expected = f.read()
    except FileNotFoundError:
        expected = ''
    if actual == expected:
        return 0
    import difflib
    sys.stdout.writelines(difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True),
        golden, 'actual'))
    return 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--qmig-gen', required=True)
    ap.add_argument('mode', choices=['pair', 'history', 'release'])
    ap.add_argument('--qapi-dir')
    ap.add_argument('--golden')
    ap.add_argument('paths', nargs='+')
    a = ap.parse_args()
    qmig_gen = os.path.abspath(a.qmig_gen)
    if a.mode == 'pair':
        d = a.paths[0]
        cmd = [qmig_gen, 'compat', 'old.json', 'new.json']
        if os.path.exists(os.path.join(d, 'old-features.json')):
            cmd += ['--features-old', 'old-features.json',
                    '--features-new', 'new-features.json']
        if os.path.exists(os.path.join(d, 'waivers.json')):
            cmd += ['--waivers', 'waivers.json']
        if os.path.exists(os.path.join(d, 'args')):
            with open(os.path.join(d, 'args')) as f:
                cmd += f.read().split()
        return check(run(cmd, d), os.path.join(d, 'expected.txt'))
    old, new = a.paths
    if a.mode == 'release':
        cmd = [qmig_gen, 'compat', '--module', 'migration',
               'releases/%s/qapi/qapi-schema.json' % old,
               'releases/%s/qapi/qapi-schema.json' % new]
    else:
        cmd = [qmig_gen, 'compat', '--pragma', 'current/qapi/pragma.json',
               old, new]
    return check(run(cmd, a.qapi_dir), a.golden)


if __name__ == '__main__':
    sys.exit(main())
