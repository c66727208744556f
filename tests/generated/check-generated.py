#!/usr/bin/env python3
"""Tests of qmig-gen generate's output, one mode per test.

  golden      generate into a scratch directory and compare every file with
              the committed goldens (QMIG_TEST_REGENERATE=1 or --update
              rewrites them)
  idempotent  generate twice into one directory: the second run must leave
              every file untouched (same bytes, same mtime)
  compile     compile every generated .c file with CC at
              -std=c11 -Wall -Wextra -Werror -pedantic
  outputs     `--list-outputs` must name exactly the files generate writes
              (and the given list, when --expect is used)
  error       generate must fail with exit status --status, write nothing
              and print --expect-error (a line of its stderr)
  run         compile every generated .c file with the given --source
              files (a test harness and its stubs), with -I for each
              --include, link them and run the program: it must exit 0

--link NAME=PATH runs qmig-gen in a scratch directory holding symbolic
links NAME -> PATH, so that output naming its inputs (banners, source
locations) does not depend on where they are: e.g. QEMU's qapi directory.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

PASS, FAIL, SKIP = 0, 1, 77


def run(argv, cwd=None):
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), \
        p.stderr.decode('utf-8', 'replace')


def generate(args, outdir, extra=()):
    argv = [args.qmig_gen, 'generate', '-o', outdir] + list(args.gen_args) \
        + list(extra)
    if args.link:
        with tempfile.TemporaryDirectory() as cwd:
            for link in args.link:
                name, _, target = link.partition('=')
                os.symlink(os.path.abspath(target), os.path.join(cwd, name))
            status, out, err = run(argv, cwd=cwd)
    else:
        status, out, err = run(argv, cwd=args.cwd)
    if status != 0:
        print('qmig-gen generate failed (%d):\n%s%s' % (status, out, err))
        return False
    return True


def files_under(d):
    result = {}
    for root, _, names in os.walk(d):
        for n in names:
            path = os.path.join(root, n)
            result[os.path.relpath(path, d)] = path
    return result


def mode_golden(args):
    update = args.update or os.environ.get('QMIG_TEST_REGENERATE', '') \
        not in ('', '0')
    with tempfile.TemporaryDirectory() as tmp:
        if not generate(args, tmp):
            return FAIL
        got = files_under(tmp)
        if update:
            if os.path.isdir(args.golden):
                shutil.rmtree(args.golden)
            shutil.copytree(tmp, args.golden)
            print('%s: regenerated (%d files)' % (args.golden, len(got)))
            return PASS
        want = files_under(args.golden) if os.path.isdir(args.golden) else {}
        problems = []
        for name in sorted(set(got) | set(want)):
            if name not in want:
                problems.append('%s: generated but not in the goldens' % name)
            elif name not in got:
                problems.append('%s: in the goldens but not generated' % name)
            else:
                with open(got[name], 'rb') as a, open(want[name], 'rb') as b:
                    if a.read() != b.read():
                        d = subprocess.run(['diff', '-u', want[name],
                                            got[name]],
                                           stdout=subprocess.PIPE)
                        problems.append('%s differs:\n%s' % (
                            name, d.stdout.decode('utf-8', 'replace')[:4000]))
        for p in problems:
            print(p)
        return FAIL if problems else PASS


def mode_idempotent(args):
    with tempfile.TemporaryDirectory() as tmp:
        if not generate(args, tmp):
            return FAIL
        before = {n: (os.stat(p).st_mtime_ns, open(p, 'rb').read())
                  for n, p in files_under(tmp).items()}
        # Age the files so that a rewrite, even within the same
        # timestamp granule, shows as a changed mtime.
        for p in files_under(tmp).values():
            os.utime(p, ns=(1_000_000_000, 1_000_000_000))
        before = {n: (1_000_000_000, c) for n, (_, c) in before.items()}
        if not generate(args, tmp):
            return FAIL
        after = {n: (os.stat(p).st_mtime_ns, open(p, 'rb').read())
                 for n, p in files_under(tmp).items()}
        bad = [n for n in sorted(set(before) | set(after))
               if before.get(n) != after.get(n)]
        for n in bad:
            print('%s: rewritten or changed by the second run' % n)
        return FAIL if bad else PASS


def mode_compile(args):
    cc = shutil.which(args.cc)
    if not cc:
        print('SKIP: compiler %s not found' % args.cc)
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        if not generate(args, tmp):
            return FAIL
        failed = False
        for name, path in sorted(files_under(tmp).items()):
            if not name.endswith('.c'):
                continue
            argv = [cc, '-std=c11', '-Wall', '-Wextra', '-Werror',
                    '-pedantic', '-c', '-o', os.devnull, '-I', tmp,
                    '-I', args.runtime_include, path]
            status, out, err = run(argv)
            if status != 0:
                print('%s: %s failed:\n%s%s' % (name, args.cc, out, err))
                failed = True
        return FAIL if failed else PASS


def mode_error(args):
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = os.path.join(tmp, 'out')
        argv = [args.qmig_gen, 'generate', '-o', out_dir] + list(args.gen_args)
        status, out, err = run(argv, cwd=args.cwd)
        problems = []
        if status != args.status:
            problems.append('exit status %d, expected %d' % (status,
                                                            args.status))
        if args.expect_error not in err.splitlines():
            problems.append('stderr lacks the line %r' % args.expect_error)
        if os.path.exists(out_dir) and os.listdir(out_dir):
            problems.append('wrote %s' % sorted(os.listdir(out_dir)))
        for p in problems:
            print(p)
        if problems:
            print('--- stdout ---\n%s--- stderr ---\n%s' % (out, err))
        return FAIL if problems else PASS


def mode_run(args):
    cc = shutil.which(args.cc)
    if not cc:
        print('SKIP: compiler %s not found' % args.cc)
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        gen_dir = os.path.join(tmp, 'gen')
        if not generate(args, gen_dir):
            return FAIL
        generated = [p for n, p in sorted(files_under(gen_dir).items())
                     if n.endswith('.c')]
        exe = os.path.join(tmp, 'harness')
        argv = [cc] + args.cflags + ['-o', exe, '-I', gen_dir]
        for d in args.include:
            argv += ['-I', d]
        argv += generated + args.source
        status, out, err = run(argv)
        if status != 0:
            print('%s failed:\n%s\n%s%s' % (args.cc, ' '.join(argv), out,
                                              err))
            return FAIL
        status, out, err = run([exe])
        sys.stdout.write(out + err)
        if status != 0:
            print('harness failed (exit status %d)' % status)
            return FAIL
        return PASS


def mode_outputs(args):
    with tempfile.TemporaryDirectory() as tmp:
        status, out, err = run([args.qmig_gen, 'generate', '-o', tmp,
                                '--list-outputs'] + list(args.gen_args),
                               cwd=args.cwd)
        if status != 0:
            print('--list-outputs failed (%d): %s' % (status, err))
            return FAIL
        listed = sorted(os.path.relpath(line, tmp)
                        for line in out.splitlines())
        if os.listdir(tmp):
            print('--list-outputs wrote files: %s' % os.listdir(tmp))
            return FAIL
        if not generate(args, tmp):
            return FAIL
        written = sorted(files_under(tmp))
        problems = []
        if listed != written:
            problems.append('--list-outputs %s != written %s'
                            % (listed, written))
        if args.expect and sorted(args.expect) != written:
            problems.append('the build lists %s but generate writes %s'
                            % (sorted(args.expect), written))
        for p in problems:
            print(p)
        return FAIL if problems else PASS


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['golden', 'idempotent', 'compile',
                                     'outputs', 'error', 'run'])
    ap.add_argument('--qmig-gen', required=True)
    ap.add_argument('--cwd', help='directory to run qmig-gen in')
    ap.add_argument('--golden', help='golden directory (golden mode)')
    ap.add_argument('--cc', default='cc', help='compiler (compile mode)')
    ap.add_argument('--runtime-include', help='libqmig include directory')
    ap.add_argument('--expect', action='append', default=[],
                    help='an output the build expects (outputs mode)')
    ap.add_argument('--status', type=int, default=1,
                    help='the expected exit status (error mode)')
    ap.add_argument('--expect-error', help='a line of stderr (error mode)')
    ap.add_argument('--link', action='append', default=[],
                    metavar='NAME=PATH',
                    help='run qmig-gen in a scratch directory with this link')
    ap.add_argument('--include', action='append', default=[],
                    help='an include directory (run mode)')
    ap.add_argument('--source', action='append', default=[],
                    help='a C file to build with the output (run mode)')
    ap.add_argument('--cflag', action='append', default=[], dest='cflags',
                    help='a compiler flag (run mode)')
    ap.add_argument('-u', '--update', action='store_true')
    # Everything after '--' is for qmig-gen generate.
    argv = sys.argv[1:]
    gen_args = []
    if '--' in argv:
        cut = argv.index('--')
        argv, gen_args = argv[:cut], argv[cut + 1:]
    args = ap.parse_args(argv)
    args.gen_args = gen_args
    args.qmig_gen = os.path.abspath(args.qmig_gen)
    return {'golden': mode_golden, 'idempotent': mode_idempotent,
            'compile': mode_compile, 'outputs': mode_outputs,
            'error': mode_error, 'run': mode_run}[args.mode](args)


if __name__ == '__main__':
    sys.exit(main())
