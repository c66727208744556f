#!/usr/bin/env python3
"""Stage the docs with generated pages and run Sphinx, warnings as errors.

usage: build-docs.py SPHINX_BUILD SRCDIR STAGEDIR OUTDIR BUILDER
                     [GENERATED_FILE...]

Copies SRCDIR to STAGEDIR (replacing it), copies each generated file into
STAGEDIR/generated/, then runs SPHINX_BUILD -W --keep-going -b BUILDER.
Sphinx is an external program found by meson; this script does not
import it, so any Python can run it.  The qmig Sphinx extension is found
through QMIG_SPHINX_EXT (docs/conf.py), which defaults to sphinx-ext/
next to this script's directory.
"""
import os
import shutil
import subprocess
import sys


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    sphinx, src, stage, out, builder = sys.argv[1:6]
    generated = sys.argv[6:]
    if os.path.isdir(stage):
        shutil.rmtree(stage)
    shutil.copytree(src, stage,
                    ignore=shutil.ignore_patterns('meson.build', '*.pyc',
                                                  '__pycache__'))
    gen_dir = os.path.join(stage, 'generated')
    os.makedirs(gen_dir, exist_ok=True)
    for path in generated:
        shutil.copy(path, gen_dir)
    doctrees = os.path.join(stage, '.doctrees')
    os.environ.setdefault('QMIG_SPHINX_EXT', os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        'sphinx-ext'))
    argv = [sphinx, '-W', '--keep-going', '-q', '-b', builder,
            '-d', doctrees, stage, out]
    return subprocess.call(argv)


if __name__ == '__main__':
    sys.exit(main())
