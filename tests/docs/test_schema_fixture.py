#!/usr/bin/env python3
"""Documentation of a small fixture schema, end to end.

usage: test_schema_fixture.py --qmig-gen QMIG_GEN [--sphinx-build PROG]
                              [unittest arguments]

Run with the Python that has Sphinx (docs/meson.build finds it).  From
tests/docs/schema-fixture (schema.json, which includes other.json, and
the metadata features.json) the test runs

    qmig-gen generate -o TMP --features features.json schema.json

(cwd: the fixture directory, so the generated locations are relative),
stages tests/docs/minimal-project with the generated reference and
rules pages through docs/build-docs.py and builds it:

* with the text builder, -W: the output must equal
  tests/docs/schema-fixture/golden/*.txt (QMIG_TEST_REGENERATE=1
  rewrites them);
* with the HTML builder, -W: check-facts.py (every fact of every
  capability and parameter, member anchors, other.json's types not
  documented but linked externally) and check-html.py must pass;
* doctored copies of that HTML must make check-facts.py fail, naming
  each broken object.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
FIXTURE = os.path.join(HERE, 'schema-fixture')
GOLDEN = os.path.join(FIXTURE, 'golden')
PROJECT = os.path.join(HERE, 'minimal-project')
BUILD_DOCS = os.path.join(SRC_ROOT, 'docs', 'build-docs.py')
CHECK_FACTS = os.path.join(HERE, 'check-facts.py')
CHECK_HTML = os.path.join(HERE, 'check-html.py')
CHECK_RENDERING = os.path.join(HERE, 'check-rendering.py')
EXT_DIR = os.environ.get('QMIG_SPHINX_EXT') or os.path.join(SRC_ROOT,
                                                            'sphinx-ext')
REGENERATE = os.environ.get('QMIG_TEST_REGENERATE') == '1'

QMIG_GEN = None
SPHINX_BUILD = None


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def write(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def run(argv, **kwargs):
    env = dict(os.environ, QMIG_SPHINX_EXT=EXT_DIR,
               PYTHONDONTWRITEBYTECODE='1')
    return subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          **kwargs)


def generate(outdir):
    proc = run([QMIG_GEN, 'generate', '-o', outdir,
                '--features', 'features.json', 'schema.json'], cwd=FIXTURE)
    if proc.returncode != 0:
        raise AssertionError('qmig-gen generate failed:\n' + proc.stderr)
    return [os.path.join(outdir, 'qmig-migration-reference.rst'),
            os.path.join(outdir, 'qmig-migration-rules.rst')]


def build(generated, stage, outdir, builder):
    """docs/build-docs.py on the minimal project; (rc, stderr)."""
    proc = run([sys.executable, BUILD_DOCS, SPHINX_BUILD, PROJECT, stage,
                outdir, builder] + generated)
    return proc.returncode, proc.stderr


class SchemaFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='qmig-schema-fixture-')
        cls.gen = os.path.join(cls.tmp, 'gen')
        cls.generated = generate(cls.gen)
        cls.html = None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def build_clean(self, builder):
        outdir = os.path.join(self.tmp, builder)
        if os.path.isdir(outdir):
            return outdir
        rc, stderr = build(self.generated, os.path.join(self.tmp,
                                                         'stage-' + builder),
                           outdir, builder)
        self.assertEqual(stderr, '', 'the %s build warned' % builder)
        self.assertEqual(rc, 0)
        return outdir

    def test_generated_sources(self):
        # Locations in the generated pages are relative to the fixture.
        for path in self.generated:
            sources = re.findall(r'^\.\. qmig-source: (\S+):\d+$', read(path),
                                 re.M)
            self.assertTrue(sources, '%s: no qmig-source comment' % path)
            for source in sources:
                self.assertIn(source, ('schema.json', 'other.json',
                                       'features.json'), path)

    def test_text_golden(self):
        outdir = self.build_clean('text')
        names = sorted(n for n in os.listdir(outdir) if n.endswith('.txt'))
        self.assertEqual(names, ['index.txt', 'reference.txt', 'rules.txt'])
        if REGENERATE:
            if os.path.isdir(GOLDEN):
                shutil.rmtree(GOLDEN)
            os.makedirs(GOLDEN)
            for name in names:
                shutil.copy(os.path.join(outdir, name), GOLDEN)
            print('regenerated %s' % GOLDEN, file=sys.stderr)
            return
        self.assertEqual(names, sorted(n for n in os.listdir(GOLDEN)
                                       if n.endswith('.txt')),
                         'pages differ from %s (QMIG_TEST_REGENERATE=1 '
                         'rewrites it)' % GOLDEN)
        for name in names:
            self.assertEqual(
                read(os.path.join(outdir, name)),
                read(os.path.join(GOLDEN, name)),
                'schema-fixture/golden/%s differs (QMIG_TEST_REGENERATE=1 '
                'rewrites it)' % name)

    def command_html(self, name):
        """The HTML of the description of command NAME."""
        page = read(os.path.join(self.build_clean('html'), 'reference.html'))
        m = re.search(r'<dt [^>]*id="qmig-command-%s".*?(?=<dl class="qmig '
                      r'(?!member))' % re.escape(name), page, re.S)
        self.assertTrue(m, 'no command %s in reference.html' % name)
        return m.group(0)

    def test_two_line_returns(self):
        # "Returns:" text continued on an indented line is one paragraph
        # of the Returns fact, not a definition list.
        chunk = self.command_html('query-fixture')
        self.assertNotIn('<dl class="simple">', chunk)
        self.assertNotRegex(chunk, r'<dt>[^<]*the settings of the fixture')
        self.assertRegex(
            chunk, r'>Returns<span class="colon">:</span></dt>\s*<dd[^>]*>'
            r'<p>.*?MigrationParameters.*? – the settings of the '
            r'fixture migration, which this\s+sentence continues on a second '
            r'line\.</p>')

    def test_returns_once(self):
        chunk = self.command_html('query-fixture')
        self.assertEqual(len(re.findall(r'Returns', chunk)), 1, chunk)
        text = read(os.path.join(self.build_clean('text'), 'reference.txt'))
        m = re.search(r'command query-fixture.*?(?=\nEvents)', text, re.S)
        self.assertEqual(len(re.findall(r'Returns', m.group(0))), 1,
                         m.group(0))

    def test_names_link(self):
        # `name` naming a definition links to it (or to QEMU's QMP
        # reference, with the anchor kind of QEMU's qapi domain).
        chunk = self.command_html('query-fixture')
        self.assertNotIn('<cite>', chunk)
        for name, href in (
                ('migrate-fixture', '#qmig-command-migrate-fixture'),
                ('FIXTURE_DONE', '#qmig-event-FIXTURE_DONE'),
                ('MigrationParameters', '#qmig-type-MigrationParameters'),
                ('Endpoint', 'qemu-qmp-ref.html#object-QMP-other.Endpoint'),
                ('Budget', 'qemu-qmp-ref.html#alternate-QMP-other.Budget')):
            self.assertRegex(chunk, r'<a [^>]*href="[^"]*%s"[^>]*>'
                             r'<code[^>]*><span class="pre">%s</span>'
                             % (re.escape(href), re.escape(name)))
        proc = run([sys.executable, CHECK_RENDERING,
                    self.build_clean('html'), '--rst', self.gen])
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        self.assertIn(' 0 in italics,', proc.stdout)

    def test_external_kind(self):
        # qmig:external-type gets the QEMU qapi object type of the type.
        text = read(self.generated[0])
        self.assertRegex(text, r'\.\. qmig:external-type:: Endpoint\n'
                         r'   :module: other\n   :kind: object\n')
        self.assertRegex(text, r'\.\. qmig:external-type:: Budget\n'
                         r'   :module: other\n   :kind: alternate\n')
        page = read(os.path.join(self.build_clean('html'), 'reference.html'))
        self.assertNotIn('#object-QMP-other.Budget', page)

    def test_channel_graph_labels(self):
        text = read(self.generated[0])
        labels = dict(re.findall(r'^       "([^"]+)" \[label="([^"]*)"\];$',
                                 re.search(r'digraph channels \{.*?\n   \}',
                                           text, re.S).group(0), re.M))
        self.assertTrue(labels)
        for name, label in labels.items():
            lines = label.split('\\n')
            self.assertEqual(
                sum(1 for l in lines if l == name or
                    l.startswith(name + '/')), 1,
                'channel %s labelled %r' % (name, label))

    def test_legend(self):
        # Every Side and Handshake value links to its meaning, on the page.
        page = read(os.path.join(self.build_clean('html'), 'reference.html'))
        values = re.findall(r'>(Side|Handshake)<span class="colon">:</span>'
                            r'</dt>\s*<dd[^>]*><p>(.*?)</p>', page)
        self.assertTrue(values)
        for fact, body in values:
            m = re.match(r'<a [^>]*href="#(qmig-%s-[a-z]+)"' % fact.lower(),
                         body)
            self.assertTrue(m, '%s: %s is not a link' % (fact, body))
            self.assertIn('id="%s"' % m.group(1), page)

    def check_facts(self, html):
        return run([sys.executable, CHECK_FACTS, html, '--rst', self.gen,
                    '--foreign-schema', os.path.join(FIXTURE, 'other.json'),
                    '--min-objects', '7'])

    def test_html_facts(self):
        html = self.build_clean('html')
        proc = self.check_facts(html)
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        self.assertIn('7 capabilities and parameters, 11 members, '
                      '2 foreign types, 0 foreign commands and events, '
                      '0 errors', proc.stdout)
        proc = run([sys.executable, CHECK_HTML, html,
                    '--expect-anchors-from', self.gen])
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)

    def doctored(self, name, edits):
        """A copy of the HTML build with EDITS [(regex, replacement)]
        applied to reference.html, each of which must match."""
        html = self.build_clean('html')
        copy = os.path.join(self.tmp, 'doctored-' + name)
        if os.path.isdir(copy):
            shutil.rmtree(copy)
        shutil.copytree(html, copy)
        page = os.path.join(copy, 'reference.html')
        text = read(page)
        for pattern, replacement in edits:
            text, n = re.subn(pattern, replacement, text, flags=re.S)
            self.assertTrue(n, 'doctoring %s: no match for %r'
                            % (name, pattern))
        write(page, text)
        return copy

    def assert_fails(self, name, edits, expected):
        proc = self.check_facts(self.doctored(name, edits))
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        for message in expected:
            self.assertIn('check-facts: ' + message, proc.stderr)

    @staticmethod
    def in_object(ident, pattern):
        """A regex matching PATTERN after id IDENT, before the next id of
        a qmig object signature."""
        return (r'(id="%s".*?)%s(?=.*?id="qmig-)' % (re.escape(ident),
                                                     pattern))

    def test_facts_can_fail(self):
        self.assert_fails('default', [
            (self.in_object('qmig-parameter-compress-level',
                            r'<span class="pre">1</span>'),
             r'\1<span class="pre">2</span>')],
            ["parameter compress-level: default: field \"Default\" shows "
             "'2', expected literal '1'"])
        self.assert_fails('range-unit', [
            (self.in_object('qmig-parameter-max-speed',
                            r'<dt class="field-[a-z]+">Range.*?</dd>\s*'),
             r'\1'),
            (self.in_object('qmig-parameter-max-speed',
                            r'bytes/s'), r'\1bytes')],
            ["parameter max-speed: range '1 to 1073741824' not shown "
             "(no field \"Range\")",
             "parameter max-speed: unit: field \"Unit\" shows 'bytes', "
             "expected 'bytes/s'"])
        self.assert_fails('side-handshake-since', [
            (self.in_object('qmig-capability-turbo',
                            r'(<span class="[^"]*qmig-side[^"]*">)source<'),
             r'\1\2both<'),
            (self.in_object('qmig-capability-compress',
                            r'<dt class="field-[a-z]+">Handshake.*?</dd>\s*'),
             r'\1'),
            (self.in_object('qmig-parameter-target', r'<p>1\.1</p>'),
             r'\1<p>1.0</p>')],
            ["capability turbo: side: field \"Side\" shows 'both', "
             "expected 'source'",
             "capability compress: handshake 'adopt' not shown",
             "parameter target: since: field \"Since\" shows '1.0', "
             "expected '1.1'"])
        self.assert_fails('links', [
            (self.in_object('qmig-capability-paranoid',
                            r'href="#qmig-capability-compress"'),
             r'\1href="#qmig-capability-turbo"'),
            (self.in_object('qmig-capability-turbo',
                            r'<dt class="field-[a-z]+">Conflicts with.*?'
                            r'</dd>\s*'), r'\1'),
            (self.in_object('qmig-capability-compress',
                            r'<a [^>]*href="#qmig-channel-compress"[^>]*>'
                            r'(.*?)</a>'), r'\1\2'),
            (self.in_object('qmig-capability-turbo',
                            r'<span class="pre">tcp</span>'),
             r'\1<span class="pre">unix</span>')],
            ["capability paranoid: requires: field \"Requires\": compress "
             "(links to #qmig-capability-turbo, not "
             "#qmig-capability-compress)",
             "capability turbo: conflicts 'compress' not shown",
             "capability compress: channels: field \"Channels\": compress "
             "(no link)",
             "capability turbo: transports: field \"Transports\" shows "
             "'unix', lacks tcp"])
        self.assert_fails('badge', [
            (self.in_object('qmig-capability-paranoid',
                            r'<span class="[^"]*qmig-badge-unstable[^"]*">'
                            r'<span class="pre">unstable</span></span>'),
             r'\1'),
            (r'(id="qmig-capability-turbo">.*?)</dt>',
             r'\1 <span class="qmig-badge qmig-badge-deprecated">'
             r'deprecated</span></dt>')],
            ["capability paranoid: status unstable but no \"unstable\" "
             "badge in the signature",
             "capability turbo: badge \"deprecated\" but status 'stable'"])
        self.assert_fails('anchors', [
            (r'id="qmig-parameter-compress-method"',
             'id="qmig-parameter-compress-methods"'),
            (r'id="qmig-member-CompressMethod-zlib"',
             'id="qmig-member-CompressMethod-zlb"'),
            (r'id="qmig-member-MigrationParameters-target"',
             'id="qmig-member-MigrationParameters-target-x"')],
            ["parameter compress-method: no element with id "
             "\"qmig-parameter-compress-method\"",
             "member CompressMethod.zlib: missing anchor "
             "\"qmig-member-CompressMethod-zlib\"",
             "member MigrationParameters.target: missing anchor"])
        self.assert_fails('member-outside-parent', [
            (r'(<dl class="qmig member">\s*<dt[^>]*'
             r'id="qmig-member-FIXTURE_DONE-ok".*?</dl>)(.*?)(</body>)',
             r'\2\1\3')],
            ["member FIXTURE_DONE.ok: anchor \"qmig-member-FIXTURE_DONE-ok\" "
             "(reference.html) is not inside the description of event "
             "FIXTURE_DONE"])
        self.assert_fails('foreign', [
            (r'(<body[^>]*>)',
             r'\1<dl><dt id="qmig-type-Endpoint">Endpoint</dt><dd>'
             r'<dl><dt id="qmig-member-Endpoint-host">host</dt></dl></dd>'
             r'</dl>'),
            (r'<a [^>]*href="https://[^"]*"[^>]*>'
             r'(<code class="[^"]*qmig-type[^"]*"><span class="pre">'
             r'Endpoint</span></code>)</a>', r'\1')],
            ['type Endpoint: documented as an object of reference.html '
             '(id "qmig-type-Endpoint")',
             'type Endpoint: members documented in reference.html '
             '(qmig-member-Endpoint-host)',
             'type Endpoint: reference in reference.html is not a link'])


def main():
    global QMIG_GEN, SPHINX_BUILD
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument('--qmig-gen', required=True)
    ap.add_argument('--sphinx-build', default=shutil.which('sphinx-build'))
    args, rest = ap.parse_known_args()
    QMIG_GEN = os.path.abspath(args.qmig_gen)
    SPHINX_BUILD = args.sphinx_build
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == '__main__':
    main()
