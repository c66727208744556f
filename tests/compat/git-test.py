#!/usr/bin/env python3
"""qmig-gen compat with git:REF:PATH inputs (suite 'compat').

  git-test.py --qmig-gen BIN

Builds a throw-away repository: a root schema in qapi/ that includes
sub/types.json, which includes ../common.json; commits it, changes it and
commits again.  Then compares git:HEAD~1 with git:HEAD, git:HEAD~1 with
the working tree (also with a ./-relative PATH from qapi/), and checks
the input errors (unknown ref, missing path, missing include: exit 2 with
a precise message), that locations name git:REF:PATH and that no
temporary copy is left behind.  A git that fails halfway through the
files (a stand-in that ends after the root schema) is reported with
what git said, or how it ended, and how far the reading got.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = """\
# The root schema.
{ 'include': 'sub/types.json' }
{ 'command': 'set-thing', 'data': { 'x': 'int', '*y': 'str', 'c': 'Color' } }
"""
TYPES = """\
{ 'include': '../common.json' }
{ 'struct': 'Thing', 'data': { 'x': 'int' } }
"""
COMMON = """\
{ 'enum': 'Color', 'data': [ 'red', 'blue' ] }
"""

# A stand-in for git: `cat-file` is relayed to the real one (REAL_GIT)
# until the request batch number DIE_AT_FLUSH, where it ends as MODE
# says; every other command is the real git's.
FAKE_GIT = """\
#!/usr/bin/python3
import os, signal, subprocess, sys
REAL_GIT, DIE_AT_FLUSH, MODE = %r, %d, %r
if sys.argv[1:2] != ['cat-file']:
    os.execv(REAL_GIT, [REAL_GIT] + sys.argv[1:])
real = subprocess.Popen([REAL_GIT] + sys.argv[1:], stdin=subprocess.PIPE)
flushes = 0
for line in sys.stdin.buffer:
    if line == b'flush\\n':
        flushes += 1
        if flushes == DIE_AT_FLUSH:
            if MODE == 'fatal':
                sys.stderr.write('fatal: unable to read tree (simulated)\\n')
                sys.stderr.flush()
                os._exit(128)  # the batch's requests never reach git
            os.kill(os.getpid(), signal.SIGKILL)
    real.stdin.write(line)
    if line == b'flush\\n':
        real.stdin.flush()
real.stdin.close()
sys.exit(real.wait())
"""

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL:', what)


def git(repo, *args):
    subprocess.run(['git', '-C', repo, *args], check=True,
                   capture_output=True)


def write(repo, rel, text):
    path = os.path.join(repo, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--qmig-gen', required=True)
    qmig_gen = os.path.abspath(ap.parse_args().qmig_gen)
    if not shutil.which('git'):
        print('git not found')
        return 77
    work = tempfile.mkdtemp(prefix='qmig-git-test-')
    try:
        repo = os.path.join(work, 'repo')
        tmp = os.path.join(work, 'tmp')   # TMPDIR of qmig-gen: must stay empty
        os.makedirs(repo)
        os.makedirs(tmp)
        env = dict(os.environ, TMPDIR=tmp, GIT_AUTHOR_NAME='t',
                   GIT_AUTHOR_EMAIL='t@example.org', GIT_COMMITTER_NAME='t',
                   GIT_COMMITTER_EMAIL='t@example.org',
                   GIT_CONFIG_NOSYSTEM='1', HOME=work,
                   GIT_CEILING_DIRECTORIES=os.path.dirname(work))
        os.environ.update(env)
        git(repo, 'init', '-q')
        write(repo, 'qapi/schema.json', ROOT)
        write(repo, 'qapi/sub/types.json', TYPES)
        write(repo, 'qapi/common.json', COMMON)
        git(repo, 'add', '-A')
        git(repo, 'commit', '-q', '-m', 'one')
        # Remove an optional argument and an enum value; add another value.
        write(repo, 'qapi/schema.json', ROOT.replace(", '*y': 'str'", ''))
        write(repo, 'qapi/common.json', COMMON.replace("'blue'", "'green'"))
        git(repo, 'commit', '-q', '-a', '-m', 'two')
        # Working tree: also remove the Color argument.
        write(repo, 'qapi/schema.json',
              ROOT.replace(", '*y': 'str', 'c': 'Color'", ''))

        def run(*args, cwd=repo):
            p = subprocess.run([qmig_gen, 'compat', *args], cwd=cwd,
                               capture_output=True, text=True)
            return p.returncode, p.stdout, p.stderr

        rc, out, err = run('git:HEAD~1:qapi/schema.json',
                           'git:HEAD:qapi/schema.json')
        print(out + err)
        expect(rc == 1, 'HEAD~1 -> HEAD: exit 1, got %d' % rc)
        expect(out.startswith('git:HEAD~1:qapi/schema.json -> '
                              'git:HEAD:qapi/schema.json: incompatible'),
               'HEAD~1 -> HEAD: report header')
        expect('input-member-removed set-thing.arguments.y' in out,
               'HEAD~1 -> HEAD: removed argument found')
        expect('input-enum-value-removed Color.blue' in out,
               'HEAD~1 -> HEAD: removed value (in a nested include) found')
        expect('old git:HEAD~1:qapi/schema.json:3, '
               'new git:HEAD:qapi/schema.json:3' in out,
               'HEAD~1 -> HEAD: locations name git:REF:PATH')
        expect('old git:HEAD~1:qapi/sub/../common.json:1' in out,
               'HEAD~1 -> HEAD: include locations name git:REF:PATH')

        rc, out, err = run('git:HEAD:qapi/schema.json', 'qapi/schema.json',
                           '--format', 'json')
        print(out + err)
        expect(rc == 1, 'HEAD -> working tree: exit 1, got %d' % rc)
        report = json.loads(out)
        rules = {(f['rule'], f['path']) for f in report['findings']}
        expect(rules == {('input-member-removed', 'set-thing.arguments.c')},
               'HEAD -> working tree: exactly the removed argument, got %s'
               % sorted(rules))
        files = {f['old']['file'] for f in report['findings']}
        expect(files == {'git:HEAD:qapi/schema.json'},
               'HEAD -> working tree: JSON old file, got %s' % files)

        # PATH with ./ is relative to the current directory, as in git.
        rc, out, err = run('git:HEAD:./schema.json', 'git:HEAD:qapi/schema.json',
                           cwd=os.path.join(repo, 'qapi'))
        print(out + err)
        expect(rc == 0 and 'compatible (0 breaking, 0 risky, 0 safe' in out,
               './PATH from a subdirectory: same file, compatible')

        rc, out, err = run('git:no-such-ref:qapi/schema.json',
                           'qapi/schema.json')
        print(out + err)
        expect(rc == 2, 'unknown ref: exit 2, got %d' % rc)
        expect("git:no-such-ref:qapi/schema.json: unknown revision "
               "'no-such-ref'" in err, 'unknown ref: message')
        expect(out == '', 'unknown ref: no report')

        rc, out, err = run('git:HEAD~1:qapi/missing.json', 'qapi/schema.json')
        print(out + err)
        expect(rc == 2, 'missing path: exit 2, got %d' % rc)
        expect("path 'qapi/missing.json' does not exist at 'HEAD~1'" in err,
               'missing path: message')

        write(repo, 'qapi/common.json',
              COMMON + "{ 'include': 'gone.json' }\n")
        git(repo, 'commit', '-q', '-a', '-m', 'three')
        rc, out, err = run('git:HEAD:qapi/schema.json', 'qapi/schema.json')
        print(out + err)
        expect(rc == 2, 'missing include: exit 2, got %d' % rc)
        expect('git:HEAD:qapi/gone.json (included by '
               'git:HEAD:qapi/common.json) does not exist' in err,
               'missing include: message')

        # A schema error at REF is an input error, named by git:REF:PATH.
        write(repo, 'qapi/common.json', "{ 'enum': 'color', 'data': [] }\n")
        git(repo, 'commit', '-q', '-a', '-m', 'four')
        rc, out, err = run('git:HEAD:qapi/schema.json', 'qapi/schema.json')
        print(out + err)
        expect(rc == 2, 'schema error at REF: exit 2, got %d' % rc)
        expect('git:HEAD:qapi/sub/../common.json:1: error:' in err,
               'schema error at REF: diagnostic names git:REF:PATH')

        # git fails after the root schema (the third batch: the commit,
        # the root, then its includes).
        fakebin = os.path.join(work, 'fakebin')
        os.makedirs(fakebin)
        saved_path = os.environ['PATH']
        for mode, reason in (('fatal', 'unable to read tree (simulated)'),
                             ('kill', 'git was killed by signal 9')):
            with open(os.path.join(fakebin, 'git'), 'w') as f:
                f.write(FAKE_GIT % (shutil.which('git'), 3, mode))
            os.chmod(os.path.join(fakebin, 'git'), 0o755)
            os.environ['PATH'] = fakebin + os.pathsep + saved_path
            try:
                rc, out, err = run('git:HEAD:qapi/schema.json',
                                   'qapi/schema.json')
            finally:
                os.environ['PATH'] = saved_path
            print(out + err)
            want = ("qmig-gen: error: git:HEAD:qapi/schema.json: git failed "
                    "while reading the files at 'HEAD' (1 read): %s\n"
                    % reason)
            expect(rc == 2 and out == '' and err == want,
                   'git failing halfway (%s): exit 2 and %r' % (mode, want))

        left = os.listdir(tmp)
        expect(left == [], 'temporary copies removed, left: %s' % left)

        rc, out, err = run('git:HEAD:qapi/schema.json', 'qapi/schema.json',
                           cwd=work)
        print(out + err)
        expect(rc == 2 and 'git:HEAD:qapi/schema.json:' in err,
               'outside a repository: exit 2 with a message')
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
