#!/usr/bin/env python3
#
# Run ONE qmig schema test case and report a unified diff on failure.
#
# Usage:
#   schema-test.py --qmig-gen EXE own [--update] [--input-dir D]
#                  [--golden-dir D] [--make SCRIPT --workdir D] CASE
#   schema-test.py --qmig-gen EXE meta [--update] [--schema SCHEMA]
#                  DIR/NAME          (metadata case: NAME.json checked
#                                     with SCHEMA, default schema.json)
#   schema-test.py --qmig-gen EXE backport [--update] --pragma FILE
#                  --features DIR --golden FILE --src-dir D --qemu-dir D
#                  SCHEMA            (qmig-gen check --legacy of an old
#                                     schema with today's metadata)
#   schema-test.py --qmig-gen EXE qemu DIR/NAME.json
#   schema-test.py --qmig-gen EXE qemu-accept [--pragma FILE]
#                  [--expect-error FILE:LINE[:COL]] SCHEMA
#   schema-test.py list-qemu DIR      (print QEMU case file names)
#   schema-test.py list-own DIR       (print our case names)
#
# Exit status: 0 pass, 1 fail, 77 skip (meson's convention).
#
# Copyright (c) the qmig authors.  GPL-2.0-or-later.

import argparse
import difflib
import os
import re
import subprocess
import sys

TIMEOUT = 60
PASS, FAIL, SKIP = 0, 1, 77

# Files in QEMU's tests/qapi-schema that are only included by other cases.
QEMU_INCLUDED_ONLY = re.compile(
    r'^(include-cycle-[bc]|.*-sub|sub-sub-module)\.json$')


def decode(data):
    # Show control characters (except newline and tab) as \xNN so that
    # differences in NUL bytes and the like are visible.
    text = data.decode('utf-8', errors='backslashreplace')
    return ''.join(c if c in '\n\t' or ord(c) >= 32 else '\\x%02x' % ord(c)
                   for c in text)


def diff(case, what, expected, actual):
    exp = decode(expected).splitlines(True)
    act = decode(actual).splitlines(True)
    lines = difflib.unified_diff(exp, act,
                                 fromfile='%s %s (expected)' % (case, what),
                                 tofile='%s %s (actual)' % (case, what))
    out = []
    for line in lines:
        if not line.endswith('\n'):
            line += '\n\\ No newline at end of file\n'
        out.append(line)
    return ''.join(out)


def run(argv, cwd=None):
    """Run argv; return (exit status, stdout bytes, stderr bytes).
    The status is None on timeout."""
    try:
        proc = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as err:
        return None, err.stdout or b'', err.stderr or b''
    except OSError as err:
        return 'not run', b'', ('cannot run %s: %s\n' % (argv[0], err)).encode()
    return proc.returncode, proc.stdout, proc.stderr


def describe_status(status):
    if status is None:
        return 'timed out after %d s' % TIMEOUT
    if isinstance(status, str):
        return status
    if status < 0:
        return 'killed by signal %d' % -status
    return 'exit status %d' % status


def read_bytes(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        return None


def write_bytes(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def fail(case, msg):
    print('%s: FAIL: %s' % (case, msg))
    return FAIL


def show_output(out, err):
    if out:
        print('--- stdout ---')
        sys.stdout.write(decode(out[:4000]))
        print()
    if err:
        print('--- stderr ---')
        sys.stdout.write(decode(err[:4000]))
        print()


# ---------------------------------------------------------------------------
# Mode 'own': our cases, compared byte for byte with NAME.err / NAME.out

def mode_own(args):
    case = args.case
    if case.endswith('.json'):
        case = case[:-5]
    input_dir = args.input_dir or os.path.dirname(case) or '.'
    name = os.path.basename(case)
    golden_dir = args.golden_dir or input_dir
    update = args.update or os.environ.get('QMIG_TEST_REGENERATE', '') \
        not in ('', '0')

    if args.make:
        # Generate the input (and any helper files) at test time.
        if not args.workdir:
            print('%s: --make needs --workdir' % name)
            return FAIL
        os.makedirs(args.workdir, exist_ok=True)
        status, out, err = run([sys.executable, args.make, name,
                                args.workdir])
        if status == SKIP:
            print('%s: SKIP: %s' % (name, decode(out + err).strip()))
            return SKIP
        if status != 0:
            show_output(out, err)
            return fail(name, 'generator %s failed (%s)'
                        % (args.make, describe_status(status)))
        input_dir = args.workdir

    err_path = os.path.join(golden_dir, name + '.err')
    out_path = os.path.join(golden_dir, name + '.out')
    argv = [args.qmig_gen, 'dump']
    if args.features:
        argv += ['--features', os.path.abspath(args.features)]
    status, out, err = run(argv + [name + '.json'], cwd=input_dir)
    if args.model_only and status == 0:
        # The documentation blocks come last.  Third-party schemas' doc
        # text is not ours to keep in a golden: compare the model only.
        cut = out.find(b'\ndoc ')
        if cut >= 0:
            out = out[:cut + 1]
    return check_goldens(name, status, out, err, err_path, out_path, update)


def check_goldens(name, status, out, err, err_path, out_path, update):
    """Compare a run with NAME.err (exit status 1, or 2 for an
    unreadable input) or NAME.out (exit status 0), or rewrite them."""
    if update:
        if status == 0:
            write_bytes(out_path, out)
            remove(err_path)
        elif status in (1, 2):
            write_bytes(err_path, err)
            remove(out_path)
        else:
            show_output(out, err)
            return fail(name, 'cannot regenerate: %s'
                        % describe_status(status))
        print('%s: regenerated' % name)
        return PASS

    exp_err = read_bytes(err_path)
    exp_out = read_bytes(out_path)
    if exp_err is None and exp_out is None:
        return fail(name, 'neither %s nor %s exists (run with --update '
                    'to create one)' % (err_path, out_path))

    problems = []
    if exp_err is not None:
        # Unreadable root schema or metadata: exit 2; any other error: 1.
        want = 2 if exp_err.startswith((b"qmig-gen: error: can't read schema",
                                        b"qmig-gen: error: can't read metadata")) \
            else 1
        if status != want:
            problems.append('expected exit status %d, got %s'
                            % (want, describe_status(status)))
        if err != exp_err:
            problems.append(diff(name, 'stderr', exp_err, err))
        if out:
            problems.append(diff(name, 'stdout', b'', out))
    else:
        if status != 0:
            problems.append('expected exit status 0, got %s'
                            % describe_status(status))
        if err:
            problems.append(diff(name, 'stderr', b'', err))
        if out != exp_out:
            problems.append(diff(name, 'stdout', exp_out, out))
    if problems:
        print('%s: FAIL' % name)
        for p in problems:
            print(p.rstrip('\n'))
        return FAIL
    return PASS


# ---------------------------------------------------------------------------
# Mode 'meta': metadata cases (tests/features).  In DIR, run
#   qmig-gen dump --features NAME.json SCHEMA
# and compare with NAME.err / NAME.out as in mode 'own'.

def mode_meta(args):
    case = args.case
    if case.endswith('.json'):
        case = case[:-5]
    directory = os.path.dirname(case) or '.'
    name = os.path.basename(case)
    update = args.update or os.environ.get('QMIG_TEST_REGENERATE', '') \
        not in ('', '0')
    status, out, err = run([args.qmig_gen, 'dump', '--features',
                            name + '.json', args.schema or 'schema.json'],
                           cwd=directory)
    return check_goldens(name, status, out, err,
                         os.path.join(directory, name + '.err'),
                         os.path.join(directory, name + '.out'), update)


# ---------------------------------------------------------------------------
# Mode 'backport': check an older QEMU schema (legacy mode) with our
# metadata; stderr, with the source and QEMU directories replaced by $SRC
# and $QEMU, must equal the golden.  An empty golden means a clean check
# (exit status 0); otherwise the exit status must be 1.

def mode_backport(args):
    name = os.path.basename(args.golden)
    update = args.update or os.environ.get('QMIG_TEST_REGENERATE', '') \
        not in ('', '0')
    # Normalised absolute paths, so that the prefixes below match
    # however meson spells the directories.
    argv = [args.qmig_gen, 'check', '--legacy']
    if args.pragma:
        argv += ['--pragma', os.path.abspath(args.pragma)]
    argv += ['--features', os.path.abspath(args.features),
             os.path.abspath(args.case)]
    status, out, err = run(argv)
    for directory, var in ((args.src_dir, b'$SRC'), (args.qemu_dir, b'$QEMU')):
        if directory:
            prefix = os.path.abspath(directory).rstrip('/').encode()
            err = err.replace(prefix + b'/', var + b'/')
    if update:
        if status not in (0, 1) or out:
            show_output(out, err)
            return fail(name, 'cannot regenerate: %s'
                        % describe_status(status))
        write_bytes(args.golden, err)
        print('%s: regenerated' % name)
        return PASS
    expected = read_bytes(args.golden)
    if expected is None:
        return fail(name, '%s does not exist (run with --update to create '
                    'it)' % args.golden)
    problems = []
    want = 1 if expected else 0
    if status != want:
        problems.append('expected exit status %d, got %s'
                        % (want, describe_status(status)))
    if err != expected:
        problems.append(diff(name, 'stderr', expected, err))
    if out:
        problems.append(diff(name, 'stdout', b'', out))
    if problems:
        print('%s: FAIL' % name)
        for p in problems:
            print(p.rstrip('\n'))
        return FAIL
    return PASS


# ---------------------------------------------------------------------------
# Mode 'qemu': QEMU's own parser test cases

QEMU_LOC = re.compile(rb'^(.+?):(\d+)(?::(\d+))?: ')
OUR_LOC = re.compile(rb'^(.+?):(\d+)(?::(\d+))?: error: ')


def first_loc(regex, text):
    for line in text.splitlines():
        if line.startswith(b'In file included from '):
            continue
        m = regex.match(line)
        if m:
            return m.group(1), m.group(2), m.group(3), line
    return None


def mode_qemu(args):
    path = args.case
    directory = os.path.dirname(path) or '.'
    fname = os.path.basename(path)
    name = fname[:-5] if fname.endswith('.json') else fname

    if fname == 'missing-schema.json':
        status, out, err = run([args.qmig_gen, 'dump', fname],
                               cwd=directory)
        want = b"can't read schema file 'missing-schema.json': " \
            b"No such file or directory"
        if status != 2:
            show_output(out, err)
            return fail(name, 'expected exit status 2, got %s'
                        % describe_status(status))
        if want not in err or out:
            show_output(out, err)
            return fail(name, 'expected "%s" on stderr and nothing on stdout'
                        % decode(want))
        return PASS

    if QEMU_INCLUDED_ONLY.match(fname):
        print('%s: SKIP: only included by other cases' % name)
        return SKIP
    exp_err = read_bytes(os.path.join(directory, name + '.err')) or b''
    exp_out = read_bytes(os.path.join(directory, name + '.out')) or b''
    if not exp_err and not exp_out:
        print('%s: SKIP: neither .err nor .out (an included file)' % name)
        return SKIP

    status, out, err = run([args.qmig_gen, 'dump', fname], cwd=directory)

    if exp_err:
        want = first_loc(QEMU_LOC, exp_err)
        if want is None:
            return fail(name, 'no FILE:LINE: line in QEMU\'s %s.err' % name)
        if status != 1:
            show_output(out, err)
            return fail(name, 'expected exit status 1, got %s'
                        % describe_status(status))
        if out:
            show_output(out, err)
            return fail(name, 'stdout is not empty on error')
        got = first_loc(OUR_LOC, err)
        if got is None:
            show_output(out, err)
            return fail(name, 'no "FILE:LINE[:COL]: error:" line on stderr')
        wfile, wline, wcol, wtext = want
        gfile, gline, gcol, gtext = got
        ok = (wfile == gfile and wline == gline
              and (wcol is None or wcol == gcol))
        if not ok:
            print('%s: FAIL: error location differs' % name)
            print('QEMU:  %s' % decode(wtext))
            print('qmig:  %s' % decode(gtext))
            print('--- full qmig stderr ---')
            sys.stdout.write(decode(err))
            return FAIL
        return PASS

    problems = []
    if status != 0:
        problems.append('expected exit status 0, got %s'
                        % describe_status(status))
    if err:
        problems.append(diff(name, 'stderr', b'', err))
    if out != exp_out:
        problems.append(diff(name, 'stdout', exp_out, out))
    if problems:
        print('%s: FAIL' % name)
        for p in problems:
            print(p.rstrip('\n'))
        return FAIL
    return PASS


# ---------------------------------------------------------------------------
# Mode 'qemu-accept': a real schema must check cleanly

def mode_qemu_accept(args):
    argv = [args.qmig_gen, 'check']
    if args.pragma:
        argv += ['--pragma', args.pragma]
    if args.legacy:
        argv.append('--legacy')
    argv.append(args.case)
    status, out, err = run(argv)
    name = args.case
    if args.expect_error:
        # A schema that QEMU's current checker rejects too: expect that
        # the first error is at the given FILE:LINE[:COL] (a path suffix).
        got = first_loc(OUR_LOC, err)
        where = None
        if got:
            where = got[0] + b':' + got[1] + (b':' + got[2] if got[2] else b'')
            where = decode(where)
        want = args.expect_error
        if status != 1 or out or not where or \
                not (where == want or where.endswith('/' + want)):
            show_output(out, err)
            return fail(name, 'expected exit status 1 and a first error at '
                        '%s, got %s at %s'
                        % (want, describe_status(status), where))
        return PASS
    if status != 0 or out or err:
        show_output(out, err)
        return fail(name, 'expected exit status 0 and no output, got %s'
                    % describe_status(status))
    return PASS


# ---------------------------------------------------------------------------
# Listing helpers, used by meson at configure time

def mode_list_qemu(args):
    names = sorted(f for f in os.listdir(args.case) if f.endswith('.json'))
    if 'missing-schema.json' not in names:
        names.append('missing-schema.json')
    for n in names:
        print(n)
    return PASS


def mode_list_own(args):
    for f in sorted(os.listdir(args.case)):
        if not f.endswith('.json'):
            continue
        base = os.path.join(args.case, f[:-5])
        if os.path.exists(base + '.err') or os.path.exists(base + '.out'):
            print(f[:-5])
    return PASS


def main():
    ap = argparse.ArgumentParser(description='Run one qmig schema test')
    ap.add_argument('--qmig-gen', help='path of the qmig-gen executable')
    ap.add_argument('mode', choices=['own', 'meta', 'backport', 'qemu',
                                     'qemu-accept',
                                     'list-qemu', 'list-own'])
    ap.add_argument('case', help='the schema file (or directory to list)')
    ap.add_argument('-u', '--update', action='store_true',
                    help='rewrite the expected output (own mode)')
    ap.add_argument('--input-dir', help='directory holding CASE.json')
    ap.add_argument('--golden-dir', help='directory holding CASE.err/.out')
    ap.add_argument('--make', help='script generating CASE.json at test time')
    ap.add_argument('--workdir', help='where --make writes its files')
    ap.add_argument('--pragma', help='pragma file (qemu-accept and '
                    'backport modes)')
    ap.add_argument('--golden', help='backport mode: the expected stderr')
    ap.add_argument('--src-dir', help='backport mode: shown as $SRC')
    ap.add_argument('--qemu-dir', help='backport mode: shown as $QEMU')
    ap.add_argument('--schema', help='meta mode: the schema to check the '
                    'case with, relative to its directory (default '
                    'schema.json)')
    ap.add_argument('--features', help='metadata to check with the schema '
                    '(own and backport modes)')
    ap.add_argument('--legacy', action='store_true',
                    help='qemu-accept mode: check with qmig-gen --legacy')
    ap.add_argument('--model-only', action='store_true',
                    help='own mode: compare the model, not the doc blocks')
    ap.add_argument('--expect-error', metavar='FILE:LINE[:COL]',
                    help='qemu-accept mode: expect rejection, first error '
                    'at this location (a path suffix)')
    args = ap.parse_args()

    if args.mode == 'list-qemu':
        return mode_list_qemu(args)
    if args.mode == 'list-own':
        return mode_list_own(args)
    if not args.qmig_gen:
        ap.error('--qmig-gen is required')
    args.qmig_gen = os.path.abspath(args.qmig_gen)
    return {'own': mode_own, 'meta': mode_meta, 'backport': mode_backport,
            'qemu': mode_qemu,
            'qemu-accept': mode_qemu_accept}[args.mode](args)


if __name__ == '__main__':
    sys.exit(main())
