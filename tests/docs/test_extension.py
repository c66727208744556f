#!/usr/bin/env python3
"""Tests of the qmig Sphinx extension (sphinx-ext/qmig_sphinx).

Run with a Python that has Sphinx (meson picks it: see docs/meson.build):

    /usr/bin/python3 tests/docs/test_extension.py [-v] [TestCase.test_name]

Builds tests/docs/fixture (every directive, option and role) with the text
builder and compares the output with tests/docs/golden/; set
QMIG_TEST_REGENERATE=1 to rewrite the golden files.  Also: the parallel
(-j 2) build, the HTML build checked by check-html.py, the domain indices,
the 'dot' fallback, incremental rebuilds, and tests/docs/fixture-unresolved,
which must warn about each unresolved reference.

Sphinx runs in a subprocess (sys.executable -m sphinx) so that each build
is independent; QMIG_SPHINX_EXT names the extension directory.
"""
import filecmp
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, 'fixture')
UNRESOLVED = os.path.join(HERE, 'fixture-unresolved')
GOLDEN = os.path.join(HERE, 'golden')
CHECK_HTML = os.path.join(HERE, 'check-html.py')
EXT_DIR = os.environ.get('QMIG_SPHINX_EXT') or os.path.normpath(
    os.path.join(HERE, '..', '..', 'sphinx-ext'))
REGENERATE = os.environ.get('QMIG_TEST_REGENERATE') == '1'


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sphinx(srcdir, outdir, builder='text', *options, doctrees=None):
    """Run sphinx-build; return (returncode, stderr)."""
    env = dict(os.environ, QMIG_SPHINX_EXT=EXT_DIR, PYTHONDONTWRITEBYTECODE='1')
    argv = [sys.executable, '-m', 'sphinx', '-q', '-b', builder,
            '-d', doctrees or os.path.join(outdir, '.doctrees')]
    argv += list(options) + [srcdir, outdir]
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    return proc.returncode, proc.stderr


def text_files(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith('.txt'))


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


class FixtureBuilds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='qmig-sphinx-test-')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, name)

    def build_clean(self, name, builder='text', *options):
        outdir = self.out(name)
        rc, stderr = sphinx(FIXTURE, outdir, builder, '-W', '--keep-going',
                            *options)
        self.assertEqual(stderr, '', 'fixture build warned')
        self.assertEqual(rc, 0)
        return outdir

    def test_text_golden(self):
        outdir = self.build_clean('text')
        names = text_files(outdir)
        self.assertIn('index.txt', names)
        if REGENERATE:
            if os.path.isdir(GOLDEN):
                shutil.rmtree(GOLDEN)
            os.makedirs(GOLDEN)
            for name in names:
                shutil.copy(os.path.join(outdir, name), GOLDEN)
            print('regenerated %s' % GOLDEN, file=sys.stderr)
            return
        self.assertEqual(names, text_files(GOLDEN),
                         'pages differ from golden/ (QMIG_TEST_REGENERATE=1 '
                         'rewrites it)')
        for name in names:
            self.assertEqual(
                read(os.path.join(outdir, name)),
                read(os.path.join(GOLDEN, name)),
                'golden/%s differs (QMIG_TEST_REGENERATE=1 rewrites it)' % name)

    def test_parallel_build(self):
        serial = self.build_clean('text-serial')
        parallel = self.build_clean('text-parallel', 'text', '-j', '2')
        names = text_files(serial)
        self.assertEqual(names, text_files(parallel))
        match, mismatch, errors = filecmp.cmpfiles(serial, parallel, names,
                                                   shallow=False)
        self.assertEqual((mismatch, errors), ([], []))
        parallel_html = self.build_clean('html-parallel', 'html', '-j', '2')
        self.run_check_html(parallel_html)

    def run_check_html(self, htmldir, *extra):
        proc = subprocess.run(
            [sys.executable, CHECK_HTML, htmldir,
             '--expect-anchors-from', FIXTURE] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True)
        return proc

    def test_html(self):
        htmldir = self.build_clean('html', 'html')
        proc = self.run_check_html(htmldir)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertIn('0 missing', proc.stdout)
        # The anchors check-html derives from the fixture are exactly the
        # qmig object ids of the HTML pages.
        check = load_module('check_html', CHECK_HTML)
        derived = set()
        for name in os.listdir(FIXTURE):
            if name.endswith('.rst'):
                derived.update(a for a, _ in check.anchors_from_rst(
                    os.path.join(FIXTURE, name)))
        ids = set()
        for name in os.listdir(htmldir):
            if name.endswith('.html'):
                ids.update(re.findall(
                    r'id="(qmig-(?:%s)-[^"]*)"' % '|'.join(check.QMIG_KINDS),
                    read(os.path.join(htmldir, name))))
        self.assertEqual(derived, ids)
        self.assertGreater(len(ids), 30)

        # A missing anchor is reported by name.
        proc = self.run_check_html(htmldir, '--expect-anchor',
                                   'qmig-capability-nonexistent')
        self.assertEqual(proc.returncode, 1)
        self.assertIn('missing anchor "qmig-capability-nonexistent"',
                      proc.stdout)

        types = read(os.path.join(htmldir, 'types.html'))
        for ident in ('qmig-type-MigrationCapability',
                      'qmig-member-MigrationCapability-multifd',
                      'qmig-member-MultiFDCompression-none',
                      'qmig-member-MigrationParameters-multifd-channels'):
            self.assertIn('id="%s"' % ident, types)
        # Badges.
        for word in ('deprecated', 'unstable'):
            self.assertRegex(types, r'<span class="qmig-badge qmig-badge-%s">'
                             r'(<span class="pre">)?%s</span>' % (word, word))
        # External types: the configured URL and the qmig_external_url
        # pattern.
        self.assertIn('href="https://example.org/qmp.html#BlockdevOptions"',
                      types)
        self.assertIn('href="https://example.org/qmp-ref.html'
                      '#object-QMP-sockets.InetSocketAddress"', types)
        # Cross-document references.
        caps = read(os.path.join(htmldir, 'capabilities.html'))
        self.assertIn('href="rules.html#qmig-rule-multifd-conflicts-xbzrle"',
                      caps)
        self.assertIn('href="channels.html#qmig-channel-multifd-N"', caps)
        # The style sheet.
        self.assertTrue(os.path.exists(
            os.path.join(htmldir, '_static', 'qmig.css')))
        self.assertIn('_static/qmig.css', types)

        # Domain indices, linked from the fixture with :ref:.
        index = read(os.path.join(htmldir, 'index.html'))
        for name, title, entries in (
                ('qmig-capindex', 'Capability index',
                 ['capabilities.html#qmig-capability-multifd',
                  'capabilities.html#qmig-capability-x-colo']),
                ('qmig-paramindex', 'Parameter index',
                 ['parameters.html#qmig-parameter-multifd-channels']),
                ('qmig-ruleindex', 'Rule index',
                 ['rules.html#qmig-rule-multifd-conflicts-xbzrle',
                  'Multifd is not compatible with xbzrle'])):
            self.assertIn('href="%s.html"' % name, index)
            page = read(os.path.join(htmldir, name + '.html'))
            self.assertIn('<h1>%s</h1>' % title, page)
            for entry in entries:
                self.assertIn(entry, page)
        # General index entries.
        genindex = read(os.path.join(htmldir, 'genindex.html'))
        self.assertIn('href="capabilities.html#qmig-capability-multifd">'
                      '(migration capability)', genindex)
        self.assertIn('multifd-conflicts-xbzrle (validation rule)', genindex)
        self.assertIn('multifd (member of MigrationCapability)', genindex)

    def test_dot_missing(self):
        outdir = self.out('html-nodot')
        rc, stderr = sphinx(FIXTURE, outdir, 'html',
                            '-D', 'graphviz_dot=/nonexistent/dot')
        self.assertEqual(rc, 0, stderr)
        warnings = [l for l in stderr.splitlines() if 'WARNING' in l]
        self.assertEqual(len(warnings), 1, stderr)
        self.assertIn('dot not found: showing DOT source', warnings[0])
        index = read(os.path.join(outdir, 'index.html'))
        self.assertIn('qmig-dot-source', index)
        self.assertIn('multifd-N', index)
        self.assertNotIn('graphviz', index.split('<body')[1])
        channels = read(os.path.join(outdir, 'channels.html'))
        self.assertIn('qmig-dot-source', channels)
        # -W makes it fatal.
        rc, stderr = sphinx(FIXTURE, self.out('html-nodot-W'), 'html', '-W',
                            '-D', 'graphviz_dot=/nonexistent/dot')
        self.assertNotEqual(rc, 0)

    def test_incremental(self):
        """clear_doc: removing an object from one page of an existing
        environment makes references to it from other pages fail."""
        src = self.out('incremental-src')
        shutil.copytree(FIXTURE, src)
        outdir = self.out('incremental')
        doctrees = self.out('incremental-doctrees')
        rc, stderr = sphinx(src, outdir, 'text', '-W', doctrees=doctrees)
        self.assertEqual((rc, stderr), (0, ''))
        path = os.path.join(src, 'channels.rst')
        text = read(path).replace('.. qmig:channel:: main\n',
                                  '.. qmig:channel:: primary\n')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        rc, stderr = sphinx(src, outdir, 'text', doctrees=doctrees)
        self.assertEqual(rc, 0)
        self.assertIn('qmig:chan reference target not found: main', stderr)


class Unresolved(unittest.TestCase):
    EXPECTED = [
        (4, 'qmig:cap reference target not found: no-such-capability'),
        (7, 'qmig:param reference target not found: no-such-parameter'),
        (9, 'qmig:type reference target not found: NoSuchBase'),
        (13, 'qmig: no capability or parameter no-such-name'),
        (16, 'qmig:member orphan: no parent'),
    ]

    def test_warnings(self):
        tmp = tempfile.mkdtemp(prefix='qmig-sphinx-test-')
        try:
            rc, stderr = sphinx(UNRESOLVED, os.path.join(tmp, 'text'))
            self.assertEqual(rc, 0, stderr)
            warnings = [l for l in stderr.splitlines() if 'WARNING' in l]
            for line, message in self.EXPECTED:
                self.assertTrue(
                    any(re.search(r'index\.rst:%d: WARNING: ' % line, w)
                        and message in w for w in warnings),
                    'no warning "%s" at line %d in:\n%s'
                    % (message, line, stderr))
            self.assertEqual(len(warnings), len(self.EXPECTED), stderr)
            rc, _ = sphinx(UNRESOLVED, os.path.join(tmp, 'text-W'), 'text',
                           '-W')
            self.assertNotEqual(rc, 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class Anchors(unittest.TestCase):
    def test_check_html_copy(self):
        """check-html.py derives anchors with a copy of anchors.anchor()."""
        anchors = load_module('qmig_anchors', os.path.join(
            EXT_DIR, 'qmig_sphinx', 'anchors.py'))
        check = load_module('check_html', CHECK_HTML)
        for kind, name in (('capability', 'multifd'),
                           ('type', 'MigrationParameters'),
                           ('rule', 'x.y z/w'),
                           ('member', 'MigrationCapability.x-colo'),
                           ('member', 'migrate-set-capabilities.caps')):
            self.assertEqual(anchors.anchor(kind, name),
                             check.anchor(kind, name))
        self.assertEqual(check.anchor('member', 'm', 'T'),
                         'qmig-member-T-m')
        self.assertEqual(check.docutils_id('rule-Foo_bar'), 'rule-foo-bar')

    def test_anchors_from_rst(self):
        check = load_module('check_html', CHECK_HTML)
        with tempfile.NamedTemporaryFile('w', suffix='.rst',
                                         delete=False) as f:
            f.write('''\
.. _rule-A_b:

.. list-table::

   * - .. _rule-in-table:

       text

.. qmig:type:: T
   :kind: struct

   .. qmig:member:: a

   .. qmig:member:: b
      :parent: U

.. qmig:member:: c
   :parent: T

.. qmig:external-type:: X
   :module: m

.. qmig:rule:: r
   :noindex:
''')
        try:
            found = [a for a, _ in check.anchors_from_rst(f.name)]
        finally:
            os.unlink(f.name)
        self.assertEqual(found, ['rule-a-b', 'rule-in-table', 'qmig-type-T',
                                 'qmig-member-T-a', 'qmig-member-U-b',
                                 'qmig-member-T-c'])

    def test_included_by(self):
        check = load_module('check_html', CHECK_HTML)
        tmp = tempfile.mkdtemp(prefix='qmig-sphinx-test-')
        try:
            os.makedirs(os.path.join(tmp, 'generated'))
            for name, text in (
                    ('index.rst', '.. include:: generated/a.rst\n'),
                    ('generated/a.rst', '.. qmig:rule:: a\n'),
                    ('generated/b.rst', '.. qmig:rule:: b\n')):
                with open(os.path.join(tmp, name), 'w') as f:
                    f.write(text)
            self.assertEqual(check.included_files(tmp),
                             {os.path.realpath(os.path.join(tmp, 'generated',
                                                            'a.rst'))})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
