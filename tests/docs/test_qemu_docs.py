#!/usr/bin/env python3
"""The reference documentation of QEMU's real migration schema.

usage: test_qemu_docs.py --qmig-gen QMIG_GEN --sphinx-build PROG
                         --qemu-qapi-dir DIR --workdir WORKDIR

Generates, from the source root (so that metadata locations read
schema/features/...),

    qmig-gen generate -o WORKDIR/gen --module migration
        --pragma DIR/current/qapi/pragma.json --features schema/features
        DIR/current/qapi/qapi-schema.json

stages tests/docs/minimal-project with the generated reference and
rules pages and builds it with Sphinx's HTML builder through
docs/build-docs.py (-W; warnings are printed at their schema location),
then runs on the result

* check-facts.py: every fact of every capability and parameter shown,
  every member anchored inside its parent, and nothing that another
  module of QEMU's schema defines (every DIR/current/qapi/*.json but
  migration.json) documented as an object of the pages: no
  qmig-type-SocketAddress, qmig-type-StrOrNull, etc.; references to
  those types are external links;
* check-html.py: anchors of the generated pages, internal links;
* check-rendering.py: no defined name left unlinked (in italics), the
  Returns of each command said once, Side/Handshake values linked to
  their meaning, channels labelled once.

Every step runs even if an earlier one failed, so that one run reports
all problems; the exit status is 1 if any step failed.  Any Python can
run this script (Sphinx is the external program PROG).
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
PROJECT = os.path.join(HERE, 'minimal-project')
BUILD_DOCS = os.path.join(SRC_ROOT, 'docs', 'build-docs.py')
CHECK_FACTS = os.path.join(HERE, 'check-facts.py')
CHECK_HTML = os.path.join(HERE, 'check-html.py')
CHECK_RENDERING = os.path.join(HERE, 'check-rendering.py')


def step(name, argv, cwd=None):
    command = ' '.join(argv)
    if len(command) > 400:
        command = command[:400] + ' ...'
    print('== %s: %s' % (name, command), flush=True)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1')
    env.setdefault('QMIG_SPHINX_EXT', os.path.join(SRC_ROOT, 'sphinx-ext'))
    rc = subprocess.call(argv, cwd=cwd, env=env)
    print('== %s: %s' % (name, 'ok' if rc == 0 else 'FAILED (exit %d)' % rc),
          flush=True)
    return rc == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--qmig-gen', required=True)
    ap.add_argument('--sphinx-build', required=True)
    ap.add_argument('--qemu-qapi-dir', required=True)
    ap.add_argument('--workdir', required=True)
    args = ap.parse_args()

    qapi = os.path.join(os.path.abspath(args.qemu_qapi_dir), 'current', 'qapi')
    work = os.path.abspath(args.workdir)
    gen = os.path.join(work, 'gen')
    html = os.path.join(work, 'html')
    for path in (gen, html):
        if os.path.isdir(path):
            shutil.rmtree(path)
    os.makedirs(work, exist_ok=True)

    if not step('generate', [
            os.path.abspath(args.qmig_gen), 'generate', '-o', gen,
            '--module', 'migration',
            '--pragma', os.path.join(qapi, 'pragma.json'),
            '--features', 'schema/features',
            os.path.join(qapi, 'qapi-schema.json')], cwd=SRC_ROOT):
        return 1
    pages = [os.path.join(gen, 'qmig-migration-reference.rst'),
             os.path.join(gen, 'qmig-migration-rules.rst')]

    ok = step('sphinx-html', [sys.executable, BUILD_DOCS, args.sphinx_build,
                              PROJECT, os.path.join(work, 'stage'), html,
                              'html'] + pages)
    if not os.path.isfile(os.path.join(html, 'reference.html')):
        print('no reference.html: nothing to check')
        return 1

    foreign = []
    for path in sorted(glob.glob(os.path.join(qapi, '*.json'))):
        if os.path.basename(path) != 'migration.json':
            foreign += ['--foreign-schema', path]
    ok &= step('check-facts', [sys.executable, CHECK_FACTS, html,
                               '--min-objects', '40']
               + sum((['--rst', p] for p in pages), []) + foreign)
    ok &= step('check-html', [sys.executable, CHECK_HTML, html]
               + sum((['--expect-anchors-from', p] for p in pages), []))
    ok &= step('check-rendering', [sys.executable, CHECK_RENDERING, html]
               + sum((['--rst', p] for p in pages), []))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
