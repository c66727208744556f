#!/usr/bin/env python3
"""Stage the docs with generated pages and run Sphinx, warnings as errors.

usage: build-docs.py SPHINX_BUILD SRCDIR STAGEDIR OUTDIR BUILDER
                     [GENERATED_FILE...]

Copies SRCDIR to STAGEDIR (replacing it), copies each generated file into
STAGEDIR/generated/, then runs SPHINX_BUILD -W --keep-going -b BUILDER.

Warnings point at the schema: Sphinx's messages (stderr) are read line
by line, and one located in a staged generated page
(.../generated/NAME.rst:LINE) is printed with the location of the
nearest preceding ``.. qmig-source: FILE:LINE`` comment of that page,
the schema or metadata definition the text comes from, followed by the
generated location:

    schema/migration.json:423: WARNING: ... (generated/NAME.rst:81)

Other lines are passed through.  The exit status is Sphinx's (non-zero
when there was any warning, -W), and 1 if Sphinx exited 0 although it
printed a warning or error.
Sphinx is an external program found by meson; this script does not
import it, so any Python can run it.  The qmig Sphinx extension is found
through QMIG_SPHINX_EXT (docs/conf.py), which defaults to sphinx-ext/
next to this script's directory.
"""
import os
import re
import shutil
import subprocess
import sys

# "PATH:LINE: LEVEL: message" where PATH is a staged generated page;
# Sphinx may also print "PATH:LINE:<something>: ..." (docstring-like
# sub-locations), which are left alone.
_LOCATION = re.compile(
    r'^(?P<path>(?:[^:\n]*[/\\])?generated[/\\][^/\\:\n]+):'
    r'(?P<line>\d+): (?P<rest>.*)$', re.S)
_SOURCE = re.compile(r'^\.\.\s+qmig-source:\s*(?P<where>\S+:\d+)\s*$')
_PROBLEM = re.compile(r'(^|: )(WARNING|ERROR|SEVERE|CRITICAL):')


class SourceMap:
    """Maps LINE of a staged generated page to the qmig-source location
    in effect there."""

    def __init__(self, gen_dir):
        self.gen_dir = os.path.realpath(gen_dir)
        self.cache = {}

    def sources(self, path):
        if path not in self.cache:
            found = []
            try:
                with open(path, encoding='utf-8') as f:
                    for number, line in enumerate(f, 1):
                        m = _SOURCE.match(line.strip())
                        if m:
                            found.append((number, m.group('where')))
            except OSError:
                pass
            self.cache[path] = found
        return self.cache[path]

    def rewrite(self, text):
        """TEXT (one line of Sphinx's stderr, with its newline) with the
        location mapped to the schema, or unchanged."""
        m = _LOCATION.match(text)
        if not m:
            return text
        path = os.path.realpath(m.group('path'))
        if os.path.dirname(path) != self.gen_dir:
            return text
        line = int(m.group('line'))
        where = None
        for number, source in self.sources(path):
            if number > line:
                break
            where = source
        if where is None:
            return text
        rest = m.group('rest')
        newline = '\n' if rest.endswith('\n') else ''
        return '%s: %s (generated/%s:%d)%s' % (
            where, rest.rstrip('\n'), os.path.basename(path), line, newline)


def run_sphinx(argv, gen_dir):
    """Run ARGV, rewriting its stderr through SourceMap(GEN_DIR);
    return its exit status."""
    smap = SourceMap(gen_dir)
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE,
                            universal_newlines=True, encoding='utf-8',
                            errors='replace', bufsize=1)
    problems = 0
    for text in proc.stderr:
        if _PROBLEM.search(text):
            problems += 1
        sys.stderr.write(smap.rewrite(text))
        sys.stderr.flush()
    rc = proc.wait()
    if rc == 0 and problems:
        return 1
    return rc


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
    return run_sphinx(argv, gen_dir)


if __name__ == '__main__':
    sys.exit(main())
