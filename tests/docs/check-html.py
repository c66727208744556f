#!/usr/bin/env python3
"""Check the anchors and internal links of a Sphinx HTML build.

usage: check-html.py HTML_DIR [--expect-anchor ID]...
                     [--expect-anchors-from FILE_OR_DIR]...
                     [--included-by SRCDIR]

Parses every .html file under HTML_DIR (html.parser, standard library
only) and checks that

* each expected anchor is the id of an element in some page;
* every internal link ('#frag', 'page.html', 'page.html#frag', relative
  to the linking page) names an existing page and an existing id in it;
* no page defines the same id twice.

--expect-anchors-from reads reStructuredText (a file, or every *.rst in
a directory) and expects the anchors it defines:

* ``.. _label:`` gives the docutils id of the label (lowercase, runs of
  other characters become '-');
* ``.. qmig:KIND:: NAME`` gives ``qmig-KIND-NAME``, a member
  ``qmig-member-PARENT-NAME`` (PARENT from :parent:, else from the
  enclosing qmig:type / qmig:command / qmig:event); see
  sphinx-ext/qmig_sphinx/anchors.py, of which anchor() is a copy;
  directives with :noindex: and qmig:external-type define none.

--included-by SRCDIR restricts --expect-anchors-from to the files that a
page under SRCDIR includes (``.. include::``): a generated page no
hand-written page includes is not built, so defines no anchor.

Missing anchors and broken links are reported by name; the exit status
is 1 if there is any.
"""
import argparse
import html.parser
import os
import re
import sys
import unicodedata
import urllib.parse

QMIG_KINDS = ('capability', 'parameter', 'rule', 'channel', 'type', 'member',
              'command', 'event')
PARENT_KINDS = ('type', 'command', 'event')

_UNSAFE = re.compile(r'[^A-Za-z0-9_-]')


def sanitize(name):
    return _UNSAFE.sub('-', name.strip())


def anchor(kind, name, parent=None):
    """Copy of qmig_sphinx.anchors.anchor()."""
    if kind == 'member':
        if parent is None:
            parent, _, name = name.partition('.')
        return 'qmig-member-%s-%s' % (sanitize(parent), sanitize(name))
    return 'qmig-%s-%s' % (kind, sanitize(name))


def docutils_id(label):
    """docutils.nodes.make_id() for the ASCII labels of generated pages."""
    text = unicodedata.normalize('NFKD', label.lower())
    text = text.encode('ascii', 'ignore').decode('ascii')
    text = re.sub('[^a-z0-9]+', '-', ' '.join(text.split()))
    return re.sub('^[-0-9]+|-+$', '', text)


_LABEL = re.compile(r'^(\s*)\.\.\s+_([^:`][^:]*|`[^`]+`):\s*$')
_DIRECTIVE = re.compile(r'^(\s*)\.\.\s+qmig:([a-z-]+)::\s*(\S*)\s*$')
_OPTION = re.compile(r'^(\s*):([a-zA-Z-]+):(?:\s+(.*))?$')
_LIST_ITEM = re.compile(r'^(\s*)(?:[*+-]|\d+\.|#\.)\s+(.*)$')


def anchors_from_rst(path):
    """[(anchor, 'file:line')] defined by the rST file PATH."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    found = []
    stack = []                  # (indent, kind, name) of open qmig directives
    i = 0
    while i < len(lines):
        line = lines[i]
        where = '%s:%d' % (path, i + 1)
        # A label or directive may follow a list-table bullet: '* - .. _x:'
        text = line
        while True:
            m = _LIST_ITEM.match(text)
            if not m:
                break
            text = ' ' * (len(text) - len(m.group(2))) + m.group(2)
        if text.strip():
            indent = len(text) - len(text.lstrip())
            while stack and stack[-1][0] >= indent:
                stack.pop()
        m = _LABEL.match(text)
        if m:
            label = m.group(2).strip('`')
            if label != '_':
                found.append((docutils_id(label), where))
            i += 1
            continue
        m = _DIRECTIVE.match(text)
        if not m:
            i += 1
            continue
        indent, kind, name = len(m.group(1)), m.group(2), m.group(3)
        options = {}
        j = i + 1
        while j < len(lines):
            om = _OPTION.match(lines[j])
            if not om or len(om.group(1)) <= indent:
                break
            options[om.group(2)] = (om.group(3) or '').strip()
            j += 1
        if kind in QMIG_KINDS and name and 'noindex' not in options:
            if kind == 'member':
                parent = options.get('parent')
                if not parent:
                    parents = [s for s in stack if s[1] in PARENT_KINDS]
                    parent = parents[-1][2] if parents else None
                if parent:
                    found.append((anchor('member', name, parent), where))
            else:
                found.append((anchor(kind, name), where))
        stack.append((indent, kind, name))
        i = j
    return found


_INCLUDE = re.compile(r'^\s*\.\.\s+include::\s*(\S+)\s*$')


def included_files(srcdir):
    """Real paths of the files included by the .rst files under SRCDIR."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(srcdir):
        for name in filenames:
            if not name.endswith('.rst'):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding='utf-8') as f:
                for line in f:
                    m = _INCLUDE.match(line)
                    if m:
                        target = m.group(1)
                        if target.startswith('/'):
                            target = os.path.join(srcdir, target[1:])
                        else:
                            target = os.path.join(dirpath, target)
                        found.add(os.path.realpath(target))
    return found


class PageParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = {}           # id -> count
        self.hrefs = []         # (href, line)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        ident = attrs.get('id')
        if ident is not None:
            self.ids[ident] = self.ids.get(ident, 0) + 1
        if tag == 'a':
            if attrs.get('name') and attrs.get('name') != ident:
                self.ids.setdefault(attrs['name'], 1)
            if attrs.get('href') is not None:
                self.hrefs.append((attrs['href'], self.getpos()[0]))

    handle_startendtag = handle_starttag


def is_internal(href):
    parsed = urllib.parse.urlsplit(href)
    return not parsed.scheme and not parsed.netloc


def parse_pages(root, parser_class=None):
    """Every HTML page under @root (Sphinx's _sources, _static and
    _images left out), fed to a new @parser_class (default PageParser):
    {path relative to @root, '/'-separated: parser}."""
    parser_class = parser_class or PageParser
    pages = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ('_sources', '_static', '_images'))
        for name in sorted(filenames):
            if name.endswith('.html'):
                path = os.path.join(dirpath, name)
                parser = parser_class()
                with open(path, encoding='utf-8') as f:
                    parser.feed(f.read())
                parser.close()
                pages[os.path.relpath(path, root).replace(os.sep, '/')] = \
                    parser
    return pages


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('html_dir')
    ap.add_argument('--expect-anchor', action='append', default=[],
                    metavar='ID')
    ap.add_argument('--expect-anchors-from', action='append', default=[],
                    metavar='FILE')
    ap.add_argument('--included-by', metavar='SRCDIR')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args(argv)

    root = os.path.abspath(args.html_dir)
    if not os.path.isdir(root):
        print('check-html: %s: not a directory' % args.html_dir,
              file=sys.stderr)
        return 1

    pages = parse_pages(root)
    if not pages:
        print('check-html: no HTML pages in %s' % args.html_dir,
              file=sys.stderr)
        return 1

    errors = []
    expected = [(ident, 'command line') for ident in args.expect_anchor]
    included = included_files(args.included_by) if args.included_by else None
    for source in args.expect_anchors_from:
        if os.path.isdir(source):
            files = sorted(os.path.join(source, n) for n in os.listdir(source)
                           if n.endswith('.rst'))
        else:
            files = [source]
        for path in files:
            if included is not None and os.path.realpath(path) not in included:
                if args.verbose:
                    print('%s: not included by %s, skipped'
                          % (path, args.included_by))
                continue
            expected.extend(anchors_from_rst(path))

    all_ids = {}
    for page, parser in pages.items():
        for ident, count in parser.ids.items():
            all_ids.setdefault(ident, []).append(page)
            if count > 1:
                errors.append('%s: id "%s" defined %d times'
                              % (page, ident, count))

    missing = 0
    for ident, where in expected:
        if ident not in all_ids:
            missing += 1
            errors.append('missing anchor "%s" (expected from %s)'
                          % (ident, where))
        elif args.verbose:
            print('anchor %s: %s' % (ident, ', '.join(all_ids[ident])))

    nlinks = 0
    for page, parser in sorted(pages.items()):
        for href, line in parser.hrefs:
            if not is_internal(href):
                continue
            nlinks += 1
            path, _, frag = href.partition('#')
            path = urllib.parse.unquote(path.partition('?')[0])
            frag = urllib.parse.unquote(frag)
            if path:
                target = os.path.normpath(
                    os.path.join(os.path.dirname(page), path))
                if path.endswith('/'):
                    target = os.path.join(target, 'index.html')
            else:
                target = page
            full = os.path.join(root, target)
            if not os.path.exists(full):
                errors.append('%s:%d: link "%s": no page %s'
                              % (page, line, href, target))
                continue
            if not frag or not target.endswith('.html'):
                continue
            target_page = pages.get(target)
            if target_page is None or frag not in target_page.ids:
                errors.append('%s:%d: link "%s": no id "%s" in %s'
                              % (page, line, href, frag, target))

    for error in errors:
        print('check-html: ' + error, file=sys.stderr)
    print('check-html: %d pages, %d internal links, %d expected anchors '
          '(%d missing), %d errors'
          % (len(pages), nlinks, len(expected), missing, len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
