#!/usr/bin/env python3
#
# Run ONE command-line test case of qmig-gen (and the input limit of
# qmig-validate) and say which case failed and why.
#
# Usage:
#   cli-test.py --qmig-gen EXE --qmig-validate EXE --src DIR --build DIR CASE
#   cli-test.py ... list             (print the case names)
#
# Exit status: 0 pass, 1 fail, 77 skip (meson's convention).
#
# Copyright (c) the qmig authors.  GPL-2.0-or-later.

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TIMEOUT = 120
PASS, FAIL, SKIP = 0, 1, 77

CASES = {}


def case(name):
    def register(fn):
        CASES[name] = fn
        return fn
    return register


class Failure(Exception):
    pass


def run(argv, cwd=None, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
        preexec_fn=None, env=None):
    proc = subprocess.run(argv, cwd=cwd, stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=TIMEOUT,
                          check=False, preexec_fn=preexec_fn, env=env)
    out = proc.stdout.decode('utf-8', 'replace') if proc.stdout else ''
    return proc.returncode, out, proc.stderr.decode('utf-8', 'replace')


def expect(cond, what, err=None):
    if not cond:
        raise Failure(what + ('\n--- stderr ---\n' + err if err else ''))


class Env:
    def __init__(self, args, tmp):
        self.gen = os.path.abspath(args.qmig_gen)
        self.validate = os.path.abspath(args.qmig_validate)
        self.src = os.path.abspath(args.src)
        self.build = os.path.abspath(args.build)
        self.tmp = tmp
        self.schema = os.path.join(self.src, 'schema', 'migration.json')
        self.features = os.path.join(self.src, 'schema', 'features')
        self.inputs = ['--features', self.features, self.schema]

    def qmig_gen(self, *argv, **kw):
        return run([self.gen] + list(argv), **kw)


def listing(d):
    return sorted(os.listdir(d))


def snapshot(d):
    """name -> (bytes, mtime_ns) of every entry under d (files only)."""
    out = {}
    for name in listing(d):
        p = os.path.join(d, name)
        if os.path.isfile(p):
            with open(p, 'rb') as f:
                out[name] = (f.read(), os.stat(p).st_mtime_ns)
        else:
            out[name] = ('<dir>', None)
    return out


def old_outputs(env, d, depfile):
    """Outputs of a good run under d, each then replaced by an old text
    (so that a new run must rewrite every one), except one left as the
    run wrote it, with an old mtime: unchanged, it must keep its mtime.
    Returns (names in list order, the unchanged name)."""
    status, out, err = env.qmig_gen('generate', '-o', d, '--depfile',
                                    depfile, *env.inputs)
    expect(status == 0, 'a first generate failed (%d)' % status, err)
    names = [os.path.basename(p) for p in out.split()] or \
        [os.path.basename(p) for p in env.qmig_gen(
            'generate', '-o', d, '--list-outputs', *env.inputs)[1].split()]
    unchanged = names[0]
    for name in names + [os.path.basename(depfile)]:
        p = os.path.join(d, name)
        if name != unchanged:
            with open(p, 'w') as f:
                f.write('old %s\n' % name)
        os.utime(p, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    return names, unchanged


def expect_untouched(before, d, what):
    after = snapshot(d)
    expect(set(after) == set(before),
           '%s: files changed: before %s, after %s (temporaries left?)'
           % (what, sorted(before), sorted(after)))
    for name, (data, mtime) in before.items():
        expect(after[name] == (data, mtime),
               '%s: %s was modified (content or mtime)' % (what, name))


# --- 1. generate is all or nothing ----------------------------------------

@case('generate-atomic-directory')
def generate_atomic_directory(env):
    """An output name taken by a directory: exit 2, a message naming it,
    and every old output (and the depfile) as it was; no temporaries."""
    d = os.path.join(env.tmp, 'out')
    depfile = os.path.join(d, 'qmig.d')
    names, unchanged = old_outputs(env, d, depfile)
    victim = names[-2]  # late in the list: earlier outputs come first
    os.unlink(os.path.join(d, victim))
    os.mkdir(os.path.join(d, victim))
    before = snapshot(d)
    status, _, err = env.qmig_gen('generate', '-o', d, '--depfile', depfile,
                                  *env.inputs)
    expect(status == 2, 'exit status %d, expected 2' % status, err)
    expect_untouched(before, d, 'after the failed run')
    want = "qmig-gen: error: cannot write output '%s': Is a directory" \
        % os.path.join(d, victim)
    expect(want in err.splitlines(), 'stderr lacks %r' % want, err)
    # Without the obstacle, everything is written; the unchanged output
    # keeps its mtime.
    os.rmdir(os.path.join(d, victim))
    status, _, err = env.qmig_gen('generate', '-o', d, '--depfile', depfile,
                                  *env.inputs)
    expect(status == 0, 'rerun: exit status %d' % status, err)
    after = snapshot(d)
    expect(after[unchanged] == before[unchanged],
           'the unchanged output %s was rewritten' % unchanged)
    for name in names:
        expect(not after[name][0].startswith(b'old '),
               'rerun left the old %s' % name)
    expect(set(after) == set(names) | {'qmig.d'},
           'rerun left extra files: %s' % sorted(after))


def fsize_limit(limit, ignore_xfsz):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        if ignore_xfsz:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return apply


@case('generate-atomic-full-disk')
def generate_atomic_full_disk(env):
    """A full disk, as RLIMIT_FSIZE (write() fails with EFBIG past it):
    the largest output cannot be written, every smaller one could.
    Exit 2, a message, old outputs untouched, no temporaries.  Once with
    SIGXFSZ ignored by the caller, once with its default action (qmig-gen
    must ignore it itself rather than die half-way)."""
    probe = os.path.join(env.tmp, 'probe')
    status, _, err = env.qmig_gen('generate', '-o', probe, *env.inputs)
    expect(status == 0, 'probe run failed', err)
    names = [os.path.basename(p) for p in env.qmig_gen(
        'generate', '-o', probe, '--list-outputs', *env.inputs)[1].split()]
    sizes = {n: os.path.getsize(os.path.join(probe, n)) for n in names}
    largest = max(names, key=lambda n: sizes[n])
    limit = sizes[largest] - 1
    before_largest = names[:names.index(largest)]
    expect(before_largest, 'the largest output is the first; the test '
           'needs a complete output before the failing one')
    for ignore in (True, False):
        d = os.path.join(env.tmp, 'out-%s' % ignore)
        depfile = os.path.join(d, 'qmig.d')
        old_outputs(env, d, depfile)
        before = snapshot(d)
        status, _, err = env.qmig_gen(
            'generate', '-o', d, '--depfile', depfile, *env.inputs,
            preexec_fn=fsize_limit(limit, ignore))
        what = 'SIGXFSZ %s' % ('ignored' if ignore else 'default')
        expect(status == 2, '%s: exit status %d, expected 2'
               % (what, status), err)
        expect_untouched(before, d, what)
        want = "qmig-gen: error: cannot write output '%s': File too large" \
            % os.path.join(d, largest)
        expect(want in err.splitlines(), '%s: stderr lacks %r'
               % (what, want), err)


# --- 2. stdout write errors -----------------------------------------------

def stdout_full(env, argv, cwd=None):
    if not os.path.exists('/dev/full'):
        raise SkipCase('no /dev/full')
    with open('/dev/full', 'w') as full:
        status, _, err = env.qmig_gen(*argv, stdout=full, cwd=cwd)
    want = 'qmig-gen: error: cannot write standard output: ' \
        'No space left on device'
    expect(status == 2, '%s >/dev/full: exit status %d, expected 2'
           % (' '.join(argv), status), err)
    expect(err.splitlines()[-1:] == [want],
           '%s >/dev/full: last stderr line is not %r'
           % (' '.join(argv), want), err)


class SkipCase(Exception):
    pass


STDOUT_CASES = {
    'list-outputs': lambda e: ['generate', '-o', 'out', '--list-outputs']
    + e.inputs,
    'dump': lambda e: ['dump'] + e.inputs,
    'help': lambda e: ['--help'],
    'version': lambda e: ['--version'],
    'compat-list-rules': lambda e: ['compat', '--list-rules'],
    'compat': lambda e: ['compat', e.schema, e.schema],
    'compat-json': lambda e: ['compat', '--format', 'json', e.schema,
                              e.schema],
}

for _name, _argv in STDOUT_CASES.items():
    def _make(argv):
        return lambda env: stdout_full(env, argv(env), cwd=env.tmp)
    CASES['stdout-full-' + _name] = _make(_argv)


@case('stdout-full-check')
def stdout_full_check(env):
    """check prints nothing: a full stdout is no error."""
    with open('/dev/full', 'w') as full:
        status, _, err = env.qmig_gen('check', *env.inputs, stdout=full)
    expect(status == 0 and not err, 'check >/dev/full: exit status %d'
           % status, err)


# --- 3. depfile escaping --------------------------------------------------

def weird_tree(env):
    """The schema and metadata under a directory whose name has '$', a
    space and '#'; returns (input dir, output dir)."""
    ind = os.path.join(env.tmp, 'in $x #y')
    shutil.copytree(os.path.join(env.src, 'schema'),
                    os.path.join(ind, 'schema'),
                    ignore=shutil.ignore_patterns('meson.build'))
    return ind, os.path.join(env.tmp, 'o $a #b')


def weird_inputs(ind):
    return ['--features', os.path.join(ind, 'schema', 'features'),
            os.path.join(ind, 'schema', 'migration.json')]


def all_inputs(ind):
    files = [os.path.join(ind, 'schema', n)
             for n in ('migration.json', 'common.json')]
    fdir = os.path.join(ind, 'schema', 'features')
    files += [os.path.join(fdir, n) for n in sorted(os.listdir(fdir))
              if n.endswith('.json')]
    return files


@case('depfile-escape-make')
def depfile_escape_make(env):
    """GNU make reads the depfile back: every target and prerequisite with
    '$', ' ' and '#' in its name is the real file."""
    make = shutil.which('make')
    if not make:
        raise SkipCase('no make')
    # A make of our own, not a sub-make of the `make check` that may run
    # us: that one's flags would add "Entering directory" lines.
    make_env = {k: v for k, v in os.environ.items()
                if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL',
                             'MAKEOVERRIDES', 'GNUMAKEFLAGS')}
    ind, outd = weird_tree(env)
    depfile = os.path.join(env.tmp, 'qmig.d')
    status, _, err = env.qmig_gen('generate', '-o', outd, '--depfile',
                                  depfile, *weird_inputs(ind))
    expect(status == 0, 'generate: exit status %d' % status, err)
    with open(os.path.join(env.tmp, 'Makefile'), 'w') as f:
        f.write("include qmig.d\n%.h: ; @echo 'remake $@'\n")
    status, out, err = run([make, '-q'], cwd=env.tmp, env=make_env)
    expect(status == 0, 'make -q right after generate: status %d (2: it '
           'read a prerequisite name that is no file)' % status, err)
    status, out, err = run([make, '-pq'], cwd=env.tmp, env=make_env)
    first = os.path.join(outd, 'qmig-migration-types.h')
    rule = [line for line in out.splitlines()
            if line.startswith(first + ':')]
    expect(rule, 'make read no rule for %r' % first, out[-2000:])
    for path in all_inputs(ind):
        expect(' ' + path + ' ' in rule[0] + ' ',
               'make did not read the prerequisite %r' % path, rule[0])
    now = time.time()
    for name in os.listdir(outd):
        os.utime(os.path.join(outd, name), (now - 100, now - 100))
    os.utime(os.path.join(ind, 'schema', 'common.json'), (now - 50, now - 50))
    status, out, err = run([make], cwd=env.tmp, env=make_env)
    expect(status == 0 and out == 'remake %s\n' % first,
           'make after touching an input: status %d, stdout %r'
           % (status, out), err)


def ninja_escape(path):
    return path.replace('$', '$$').replace(' ', '$ ').replace(':', '$:')


@case('depfile-escape-ninja')
def depfile_escape_ninja(env):
    """ninja reads the depfile back (deps = gcc, then ninja -t deps)."""
    ninja = shutil.which('ninja')
    if not ninja:
        raise SkipCase('no ninja')
    ind, outd = weird_tree(env)
    _, out, _ = env.qmig_gen('generate', '-o', outd, '--list-outputs',
                             *weird_inputs(ind))
    outputs = out.splitlines()
    quoted = ["'%s'" % a.replace("'", "'\\''") for a in
              [env.gen, 'generate', '-o', outd, '--depfile', 'qmig.d']
              + weird_inputs(ind)]
    with open(os.path.join(env.tmp, 'build.ninja'), 'w') as f:
        f.write('rule gen\n  command = %s\n  depfile = qmig.d\n'
                '  deps = gcc\n' % ninja_escape(' '.join(quoted)))
        f.write('build %s: gen\n' % ' '.join(ninja_escape(o)
                                             for o in outputs))
    status, out, err = run([ninja], cwd=env.tmp)
    expect(status == 0, 'ninja: status %d' % status, out + err)
    status, out, err = run([ninja, '-t', 'deps', outputs[0]], cwd=env.tmp)
    lines = out.splitlines()
    expect(status == 0 and lines and lines[0].startswith(outputs[0] + ':')
           and '(VALID)' in lines[0], 'ninja -t deps: %r' % out, err)
    deps = [line.strip() for line in lines[1:] if line.strip()]
    for path in all_inputs(ind):
        expect(path in deps, 'ninja did not read the dependency %r; it read '
               '%r' % (path, deps))


def schema_copy(env, dirname):
    ind = os.path.join(env.tmp, dirname)
    shutil.copytree(os.path.join(env.src, 'schema'),
                    os.path.join(ind, 'schema'),
                    ignore=shutil.ignore_patterns('meson.build'))
    return weird_inputs(ind)


@case('depfile-unrepresentable')
def depfile_unrepresentable(env):
    """Input names make and ninja cannot both read (a newline, a tab, a
    backslash before '#'): exit 2, a message, nothing written."""
    for i, dirname in enumerate(['new\nline', 'a\tb', 'p\\#q']):
        d = os.path.join(env.tmp, 'out')
        depfile = os.path.join(env.tmp, 'x.d')
        status, _, err = env.qmig_gen('generate', '-o', d, '--depfile',
                                      depfile, *schema_copy(env, dirname))
        expect(status == 2 and "qmig-gen: error: cannot write dependency "
               "file '%s': make and ninja cannot both read" % depfile in err,
               '%r: exit status %d' % (dirname, status), err)
        expect(not os.path.exists(d) and not os.path.exists(depfile),
               '%r: wrote outputs' % dirname)


# --- 4. --prefix ----------------------------------------------------------

BAD_PREFIXES = ['', '.', '.hidden-', '-x', '1x', '_x', 'a/b', '../x', 'a.b-',
                'a b', 'qmig-', 'qmig', 'QMIG_', 'caf\u00e9-']
GOOD_PREFIXES = {'x': 'xtypes.h', 'qemu-migration-': 'qemu-migration-types.h',
                 'Q_m-2-': 'Q_m-2-types.h', 'qmig-x-': 'qmig-x-types.h'}


@case('prefix-validation')
def prefix_validation(env):
    for bad in BAD_PREFIXES:
        d = os.path.join(env.tmp, 'out')
        status, out, err = env.qmig_gen('generate', '-o', d, '--prefix', bad,
                                        *env.inputs)
        expect(status == 2, '--prefix %r: exit status %d, expected 2'
               % (bad, status), err)
        want = "qmig-gen: error: --prefix '%s': " % bad
        expect(err.startswith(want), '--prefix %r: stderr does not start '
               'with %r' % (bad, want), err)
        expect(not os.path.exists(d), '--prefix %r: wrote %s' % (bad, d))
    for good, first in GOOD_PREFIXES.items():
        status, out, err = env.qmig_gen('generate', '-o', '.', '--prefix',
                                        good, '--list-outputs', *env.inputs)
        expect(status == 0 and out.splitlines()[0] == first,
               '--prefix %r: status %d, outputs %r' % (good, status, out),
               err)


# --- 5. qmig-validate's input limit ---------------------------------------

@case('validate-input-limit')
def validate_input_limit(env):
    """The limit in the message is the one applied: a file of exactly
    that many bytes is read, one byte more is refused."""
    path = os.path.join(env.tmp, 'big.json')

    def write(size):
        with open(path, 'wb') as f:
            f.write(b'{}')
            f.truncate(size)  # NULs would be bad JSON: fill with blanks
            f.seek(2)
            f.write(b' ' * (size - 2))

    write((16 << 20) + 1)
    status, _, err = run([env.validate, path])
    m = re.search(r"^qmig-validate: error: '%s' is larger than (\d+) bytes "
                  r"\((\d+) MiB\)$" % re.escape(path), err, re.M)
    expect(status == 2 and m, 'limit+1 bytes: exit status %d, no "larger '
           'than N bytes (M MiB)" message' % status, err)
    limit = int(m.group(1))
    expect(limit == int(m.group(2)) << 20, 'the message\'s bytes and MiB '
           'differ', err)
    expect(limit == 16 << 20, 'the limit is %d, not 16 MiB' % limit)
    write(limit)
    status, out, err = run([env.validate, path])
    expect(status == 0, 'exactly %d bytes: exit status %d, expected 0'
           % (limit, status), err)
    write(limit + 1)
    with open(path, 'rb') as f:
        status, _, err = run([env.validate, '-'], stdin=f)
    expect(status == 2 and 'larger than %d bytes' % limit in err,
           'limit+1 bytes on stdin: exit status %d' % status, err)


# --- 6. message prefixes --------------------------------------------------

ERROR_FORMS = [re.compile(r'^qmig-gen: error: \S'),
               re.compile(r'^[^\s:][^:]*:\d+(:\d+)?: error: \S')]
CONTEXT_FORMS = [re.compile(r"^Try 'qmig-gen --help' for more information\.$"),
                 re.compile(r'^In file included from .+:\d+:$'),
                 re.compile(r"^[^\s:][^:]*: In [a-z ]+ '[^']*':$"),
                 re.compile(r'^[^\s:][^:]*:\d+: note: \S')]


def failing_invocations(env):
    t = env.tmp
    bad = os.path.join(t, 'bad.json')
    with open(bad, 'w') as f:
        f.write("{ 'struct': 'S', 'data': { 'm': 'Nope' } }\n")
    afile = os.path.join(t, 'a-file')
    open(afile, 'w').close()
    outdir = os.path.join(t, 'out')
    os.makedirs(os.path.join(outdir, 'qmig-migration-types.h'))
    features = os.path.join(env.src, 'tests', 'features')
    gen = ['generate', '-o', outdir]
    return [
        [],
        ['--bogus'],
        ['frob', env.schema],
        ['check'],
        ['check', env.schema, 'extra'],
        ['check', '--pragma'],
        ['check', os.path.join(t, 'nosuch.json')],
        ['check', t],
        ['check', bad],
        ['check', '--features', os.path.join(t, 'nosuch'), env.schema],
        ['check', '--features', '/dev/zero', env.schema],
        ['check', '--pragma', '/dev/zero', env.schema],
        ['check', '--features', os.path.join(features, 'names-disagree.json'),
         os.path.join(features, 'schema.json')],
        ['dump', '-o', 'x', env.schema],
        ['check', '--format', 'json', env.schema],
        ['generate', env.schema],
        ['generate', '-o', outdir, env.schema],
        gen + ['--prefix', ''] + env.inputs,
        gen + ['--prefix', '.'] + env.inputs,
        gen + ['--target', 'c'] + env.inputs,
        gen + ['--module', 'nosuch'] + env.inputs,
        gen + env.inputs,
        ['generate', '-o', afile] + env.inputs,
        ['generate', '-o', os.path.join(t, 'o2'), '--depfile',
         os.path.join(t, 'x.d')] + schema_copy(env, 'tab\there'),
        ['compat', env.schema],
        ['compat', '--format', 'xml', env.schema, env.schema],
        ['compat', '--features-old', env.features, env.schema, env.schema],
        ['compat', '--waivers', '/dev/zero', env.schema, env.schema],
        ['compat', '--waivers', os.path.join(t, 'nosuch'), env.schema,
         env.schema],
        ['compat', bad, env.schema],
        ['compat', '--module', 'nosuch', env.schema, env.schema],
        ['compat', 'git:', env.schema],
    ]


@case('error-prefixes')
def error_prefixes(env):
    """Every stderr line of a failing qmig-gen is an error in one of the
    two forms, or context (include chain, definition, note, --help)."""
    problems = []
    for argv in failing_invocations(env):
        status, _, err = env.qmig_gen(*argv, cwd=env.tmp)
        cmd = 'qmig-gen ' + ' '.join(repr(a) if ' ' in a or not a else a
                                     for a in argv)
        if status == 0:
            problems.append('%s: exit status 0, expected an error' % cmd)
            continue
        lines = err.splitlines()
        if not any(f.match(line) for line in lines for f in ERROR_FORMS):
            problems.append('%s: no error line in %r' % (cmd, err))
        for line in lines:
            if not any(f.match(line) for f in ERROR_FORMS + CONTEXT_FORMS):
                problems.append('%s: stray stderr line %r' % (cmd, line))
    expect(not problems, '\n'.join(problems))


# --- 7. messages name the kind of file ------------------------------------

@case('input-kinds')
def input_kinds(env):
    """A bad --waivers, --pragma or metadata file is not a 'schema file'."""
    t = env.tmp
    fdir = os.path.join(t, 'features')
    os.makedirs(os.path.join(fdir, 'sub.json'))
    checks = [
        (['compat', '--waivers', '/dev/zero', env.schema, env.schema],
         "can't read waivers file '/dev/zero': not a regular file"),
        (['compat', '--waivers', t, env.schema, env.schema],
         "can't read waivers file '%s': Is a directory" % t),
        (['check', '--pragma', '/dev/zero', env.schema],
         "can't read pragma file '/dev/zero': not a regular file"),
        (['compat', '--pragma', '/dev/zero', env.schema, env.schema],
         "can't read pragma file '/dev/zero': not a regular file"),
        (['check', '--features', '/dev/zero', env.schema],
         "can't read metadata file '/dev/zero': not a regular file"),
        (['check', '--features', fdir, env.schema],
         "can't read metadata file '%s/sub.json': Is a directory" % fdir),
        (['compat', '--features-old', '/dev/zero', '--features-new',
          env.features, env.schema, env.schema],
         "can't read metadata file '/dev/zero': not a regular file"),
        (['check', '/dev/zero'],
         "can't read schema file '/dev/zero': not a regular file"),
    ]
    for argv, want in checks:
        status, _, err = env.qmig_gen(*argv)
        line = 'qmig-gen: error: ' + want
        expect(status == 2 and line in err.splitlines(),
               '%s: exit status %d, stderr lacks %r'
               % (' '.join(argv), status, line), err)


# --- 8. What --legacy reads as plain comments -----------------------------

LEGACY_ROOT = """\
{ 'include': 'sub.json' }
##
# @Good:
#
# A fine enum.
##
{ 'enum': 'Good', 'data': [ 'a' ] }
"""

LEGACY_SUB = """\
##
# @Bad:
#
# Junk follows the end of this block.
## junk
{ 'enum': 'Bad', 'data': [ 'b' ] }
"""


@case('legacy-doc-notes')
def legacy_doc_notes(env):
    """--legacy reads a doc block it still rejects as a plain comment, and
    says so in a note, with the include chain and the rule it broke; it
    stays a success.  compat, which always reads this way, says nothing:
    it compares interfaces, not documentation."""
    with open(os.path.join(env.tmp, 'root.json'), 'w') as f:
        f.write(LEGACY_ROOT)
    with open(os.path.join(env.tmp, 'sub.json'), 'w') as f:
        f.write(LEGACY_SUB)
    note = ("In file included from root.json:1:\n"
            "sub.json:5:1: note: documentation comment read as a plain "
            "comment: junk after '##' at end of documentation comment\n")
    for command in ('check', 'dump'):
        status, out, err = env.qmig_gen(command, '--legacy', 'root.json',
                                        cwd=env.tmp)
        expect(status == 0 and err == note,
               '%s --legacy: exit status %d, stderr is not the note %r'
               % (command, status, note), err)
        expect(command != 'dump' or 'enum Bad' in out,
               'dump --legacy: the definition after the comment is missing',
               out)
    status, _, err = env.qmig_gen('check', 'root.json', cwd=env.tmp)
    expect(status == 1 and err == note.replace(
        'note: documentation comment read as a plain comment',
        'error'), 'check without --legacy: exit status %d, not the error'
           % status, err)
    status, _, err = env.qmig_gen('compat', 'root.json', 'root.json',
                                  cwd=env.tmp)
    expect(status == 0 and 'note:' not in err,
           'compat: exit status %d, or a note on stderr' % status, err)


LEGACY_DROPPED = """\
##
# @Point:
#
# A point.
#
# @x: the abscissa
#
# @gone: removed long ago
#
# @gone2: removed too
#
# Features:
# @old: never was
##
{ 'struct': 'Point', 'data': { 'x': 'int' } }
"""


@case('legacy-dropped-descriptions')
def legacy_dropped_descriptions(env):
    """--legacy drops descriptions of members and features that do not
    exist, as older releases had them, and says so: one note per doc
    block and kind, in the words of the error it replaces.  The model
    keeps the descriptions that are connected."""
    with open(os.path.join(env.tmp, 'dropped.json'), 'w') as f:
        f.write(LEGACY_DROPPED)
    notes = ("dropped.json:8: note: descriptions dropped: documented "
             "members 'gone', 'gone2' do not exist\n"
             "dropped.json:13: note: description dropped: documented "
             "feature 'old' does not exist\n")
    status, out, err = env.qmig_gen('dump', '--legacy', 'dropped.json',
                                    cwd=env.tmp)
    expect(status == 0 and err == notes,
           'dump --legacy: exit status %d, stderr is not the notes %r'
           % (status, notes), err)
    expect('arg=x' in out and 'gone' not in out and 'old' not in out,
           'dump --legacy: the model keeps a dropped description, or lost '
           'the connected one', out)
    status, _, err = env.qmig_gen('check', 'dropped.json', cwd=env.tmp)
    expect(status == 1 and err == "dropped.json:8: error: documented "
           "members 'gone', 'gone2' do not exist\n",
           'check without --legacy: exit status %d, not the error' % status,
           err)


# --- 9. README ------------------------------------------------------------

def readme(env):
    with open(os.path.join(env.src, 'README.md'), encoding='utf-8') as f:
        return f.read()


def readme_outputs_table(text):
    """The backquoted names of README's table whose header is
    '| output | ...', in the qmig-gen section."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r'^\|\s*output\s*\|', line):
            names = []
            for row in lines[i + 2:]:
                if not row.startswith('|'):
                    break
                first = row.split('|')[1]
                names += re.findall(r'`([^`]+)`', first)
            return names
    return None


@case('readme-outputs')
def readme_outputs(env):
    """README's outputs table lists exactly what generate writes, for
    both targets (as PREFIXname)."""
    table = readme_outputs_table(readme(env))
    expect(table, "README.md has no table with the header '| output |'")
    listed = []
    for target in ('qmig', 'qemu'):
        status, out, err = env.qmig_gen('generate', '-o', '.', '--prefix',
                                        'PREFIX', '--target', target,
                                        '--list-outputs', *env.inputs)
        expect(status == 0, '--list-outputs --target %s failed' % target,
               err)
        listed += out.splitlines()
    expect(sorted(table) == sorted(listed),
           "README's outputs table %s != generate --list-outputs %s "
           '(missing from README: %s; not written: %s)'
           % (table, listed, sorted(set(listed) - set(table)),
              sorted(set(table) - set(listed))))


@case('readme-programs')
def readme_programs(env):
    """README summarises every installed program and qmig-gen command."""
    text = readme(env)
    intro = os.path.join(env.build, 'meson-info', 'intro-targets.json')
    with open(intro) as f:
        targets = json.load(f)
    programs = sorted({t['name'] for t in targets
                       if t.get('installed') and t['type'] == 'executable'})
    expect(programs, 'no installed programs in %s' % intro)
    missing = [p for p in programs
               if not re.search(r'^\* \*\*`%s`\*\*' % re.escape(p), text,
                                re.M)]
    expect(not missing, 'README.md does not summarise the installed '
           'programs %s (a "* **`NAME`**" item each)' % missing)
    status, out, _ = env.qmig_gen('--help')
    commands = re.findall(r'^  (\w+) ', out.split('Commands:\n')[1]
                          .split('\n\n')[0], re.M)
    expect(commands, 'no commands in qmig-gen --help')
    missing = [c for c in commands
               if not re.search(r'^qmig-gen %s\b' % c, text, re.M)]
    expect(not missing, "README.md's qmig-gen synopsis lacks the commands "
           '%s' % missing)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--qmig-gen', required=True)
    ap.add_argument('--qmig-validate', required=True)
    ap.add_argument('--src', required=True)
    ap.add_argument('--build', required=True)
    ap.add_argument('case')
    args = ap.parse_args()
    if args.case == 'list':
        print('\n'.join(sorted(CASES)))
        return PASS
    if args.case not in CASES:
        print('%s: FAIL: no such case' % args.case)
        return FAIL
    with tempfile.TemporaryDirectory(prefix='qmig-cli-') as tmp:
        try:
            CASES[args.case](Env(args, tmp))
        except SkipCase as err:
            print('%s: SKIP: %s' % (args.case, err))
            return SKIP
        except Failure as err:
            print('%s: FAIL: %s' % (args.case, err))
            return FAIL
    print('%s: PASS' % args.case)
    return PASS


if __name__ == '__main__':
    sys.exit(main())
