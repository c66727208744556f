#!/usr/bin/env python3
"""Check how the built documentation renders what qmig generates.

usage: check-rendering.py HTML_DIR [--rst FILE_OR_DIR]...
                          [--reference PAGE] [--body-width PX]

Standard library only.  On every HTML page under HTML_DIR:

* names: no name the build defines (a capability, parameter, channel,
  rule, type, command or event with a qmig anchor, or a type linked
  externally) is shown as an unresolved reference, i.e. in italics
  (``<cite>``, or ``<em>`` without a class);
* returns: no qmig command says "Returns" twice (a Returns fact and a
  Returns paragraph), and none has a definition list made from a
  "Returns:" text's continuation line;
* hex dumps: no literal block highlighted as Python (highlight-python,
  -python3, -default) holds a hex dump line;
* graphs: every graphviz SVG, shown at most BODY_WIDTH pixels wide
  (default 800, the body of Sphinx's basic themes), shows its smallest
  text at 10 px or more;
* rules: a table of class qmig-rules exists on some page, its rule ids
  and the names in its "Invalid when" column are styled unbroken
  (qmig.css), and if an origin cell starts with an R-number the page
  explains R-numbers above the table;
* legend: on the reference page (PAGE, default reference.html) every
  value of a Side or Handshake fact links to its meaning on that page
  (#qmig-side-VALUE, #qmig-handshake-VALUE, which must exist there).

With --rst (generated reference pages), every node of a graphviz graph
of channels is labelled with its name once.

Each problem is printed; the exit status is 1 if there is any.
"""
import argparse
import html.parser
import os
import re
import sys

DEFINED = re.compile(r'^qmig-(capability|parameter|channel|rule|type|command|'
                     r'event)-(.+)$')
HEX_LINE = re.compile(r'^\s*(?:[0-9a-fA-F]{2}\s+){4,}[0-9a-fA-F]{2}\b', re.M)
PYTHON_BLOCK = ('highlight-python', 'highlight-python3', 'highlight-default')


class Page(html.parser.HTMLParser):
    """Collects ids, italics, code blocks, command descriptions, facts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.italics = []           # (tag, text, line)
        self.blocks = []            # (classes, text, line)
        self.images = []            # (src, line)
        self.external = set()       # names linked to other sites
        self.facts = []             # (label, [hrefs], text, line)
        self.commands = {}          # name -> text of its description
        self.tables = []            # classes of each table
        self.text_before_rules = None
        self._stack = []            # open elements: (tag, attrs)
        self._italic = None
        self._block = None
        self._a = None
        self._dt = None
        self._dd = None
        self._command = None
        self._all_text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get('class') or '').split()
        if attrs.get('id'):
            self.ids.add(attrs['id'])
        if tag in ('cite', 'em') and self._italic is None:
            if tag == 'cite' or not classes:
                self._italic = [tag, '', self.getpos()[0], len(self._stack)]
        if tag == 'div' and self._block is None and any(
                c.startswith('highlight-') for c in classes):
            self._block = [classes, '', self.getpos()[0], len(self._stack)]
        if tag in ('object', 'img'):
            src = attrs.get('data') or attrs.get('src')
            if src and 'graphviz' in ' '.join(classes) + src:
                self.images.append((src, self.getpos()[0]))
        if tag == 'a':
            self._a = [attrs.get('href') or '', '']
            if self._dd is not None:
                self._dd[1].append(self._a[0])
        if tag == 'dt' and 'sig' in classes and (attrs.get('id') or '') \
                .startswith('qmig-command-'):
            self._command = [attrs['id'][len('qmig-command-'):], '',
                             len(self._stack)]
        if tag == 'dt' and any(c.startswith('field-') for c in classes):
            self._dt = ''
        if tag == 'dd' and any(c.startswith('field-') for c in classes):
            self._dd = [self._dt_label, [], '', self.getpos()[0],
                        len(self._stack)]
        if tag == 'table':
            self.tables.append(classes)
            if 'qmig-rules' in classes and self.text_before_rules is None:
                self.text_before_rules = ''.join(self._all_text)
        if tag not in ('br', 'img', 'hr', 'meta', 'link', 'input', 'col'):
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ('br', 'img', 'hr', 'meta', 'link', 'input', 'col'):
            return
        while self._stack:
            open_tag = self._stack.pop()
            depth = len(self._stack)
            if self._italic and depth == self._italic[3]:
                self.italics.append(tuple(self._italic[:3]))
                self._italic = None
            if self._block and depth == self._block[3]:
                self.blocks.append(tuple(self._block[:3]))
                self._block = None
            if self._dd and depth == self._dd[4]:
                label, hrefs, text, line, _ = self._dd
                self.facts.append((label, hrefs, text.strip(), line))
                self._dd = None
            if open_tag == 'a' and self._a is not None:
                href, text = self._a
                if href.startswith(('http://', 'https://')):
                    self.external.add(text.strip())
                self._a = None
            if open_tag == 'dt' and self._dt is not None:
                self._dt_label = self._dt.strip().rstrip(':').strip()
                self._dt = None
            if open_tag == 'dd' and self._command and \
                    depth == self._command[2]:
                self._command = None
            if open_tag == tag:
                break

    _dt_label = ''

    def handle_data(self, data):
        self._all_text.append(data)
        if self._italic is not None:
            self._italic[1] += data
        if self._block is not None:
            self._block[1] += data
        if self._a is not None:
            self._a[1] += data
        if self._dt is not None:
            self._dt += data
        if self._dd is not None:
            self._dd[2] += data


class CommandParser(html.parser.HTMLParser):
    """The HTML of each qmig command description, by name."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.commands = {}
        starts = [(m.start(), m.group(1)) for m in re.finditer(
            r'<dt [^>]*id="qmig-command-([^"]+)"', text)]
        for i, (start, name) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
            chunk = text[start:end]
            # Up to the end of the command's own <dd>: the next object of
            # another kind starts with <dl class="qmig ...">.
            m = re.search(r'<dl class="qmig (?!member)', chunk[1:])
            self.commands[name] = chunk[:m.start() + 1] if m else chunk


def svg_scale_check(path, body_width):
    """(effective smallest font px, width px) of the SVG at PATH."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    m = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px)?"', text)
    if not m:
        return None, None
    width = float(m.group(1)) * (4.0 / 3 if m.group(2) in (None, 'pt')
                                 else 1.0)
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', text)]
    if not sizes:
        return None, width
    # SVG user units are pt here (viewBox in pt): 1pt = 4/3 px.
    scale = min(1.0, body_width / width)
    return min(sizes) * 4.0 / 3 * scale, width


def parse(root):
    pages = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ('_sources', '_static', '_images'))
        for name in sorted(filenames):
            if not name.endswith('.html'):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding='utf-8') as f:
                text = f.read()
            page = Page()
            page.feed(text)
            page.close()
            page.raw = text
            pages[os.path.relpath(path, root).replace(os.sep, '/')] = page
    return pages


def check_channel_graphs(path, errors):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for graph in re.findall(r'digraph channels \{(.*?)\n\s*\}', text, re.S):
        for name, label in re.findall(r'"([^"]+)" \[label="([^"]*)"\]',
                                      graph):
            lines = label.split('\\n')
            said = sum(1 for line in lines
                       if line == name or line.startswith(name + '/'))
            if said != 1:
                errors.append('%s: channel %s labelled %r: its name %d '
                              'times, not once' % (path, name, label, said))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('html_dir')
    ap.add_argument('--rst', action='append', default=[])
    ap.add_argument('--reference', default='reference.html')
    ap.add_argument('--body-width', type=float, default=800)
    args = ap.parse_args(argv)
    root = os.path.abspath(args.html_dir)
    pages = parse(root)
    errors = []
    if not pages:
        errors.append('no HTML pages in %s' % root)

    defined = set()
    for page in pages.values():
        for ident in page.ids:
            m = DEFINED.match(ident)
            if m:
                defined.add(m.group(2))
        defined |= page.external
    # Anchors sanitize names; the names of the schema have no other
    # characters than these.
    nitalic = 0
    for name, page in sorted(pages.items()):
        for tag, text, line in page.italics:
            if text.strip() in defined:
                nitalic += 1
                errors.append('%s:%d: <%s>%s</%s>: a defined name in '
                              'italics, not a link'
                              % (name, line, tag, text.strip(), tag))
        for classes, text, line in page.blocks:
            if set(classes) & set(PYTHON_BLOCK) and HEX_LINE.search(text):
                errors.append('%s:%d: hex dump highlighted as Python (%s)'
                              % (name, line, ' '.join(classes)))
        for src, line in page.images:
            path = os.path.normpath(os.path.join(root, os.path.dirname(name),
                                                 src))
            if not path.endswith('.svg') or not os.path.exists(path):
                continue
            px, width = svg_scale_check(path, args.body_width)
            if px is not None and px < 10:
                errors.append('%s:%d: graph %s is %.0f px wide: its '
                              'smallest text shows at %.1f px (< 10)'
                              % (name, line, src, width, px))
        for command, chunk in CommandParser(page.raw).commands.items():
            said = len(re.findall(r'>Returns<span class="colon">:', chunk))
            said += len(re.findall(r'<strong>Returns:?</strong>', chunk))
            if said > 1:
                errors.append('%s: command %s says "Returns" %d times'
                              % (name, command, said))
            if re.search(r'<dl class="simple">\s*<dt>', chunk):
                errors.append('%s: command %s has an accidental '
                              'definition list' % (name, command))

    rules_pages = [n for n, p in pages.items()
                   if any('qmig-rules' in c for c in p.tables)]
    if pages and not rules_pages:
        errors.append('no table of class qmig-rules')
    for name in rules_pages:
        page = pages[name]
        cells = re.findall(r'<td><p>(R\d+)[:,]', page.raw)
        if cells and not re.search(r'R-number', page.text_before_rules or ''):
            errors.append('%s: origins have R-numbers (%s) but nothing '
                          'above the table explains them' % (name, cells[0]))
    css = os.path.join(root, '_static', 'qmig.css')
    if os.path.exists(css):
        with open(css, encoding='utf-8') as f:
            style = f.read()
        if not re.search(r'table\.qmig-rules[^{]*code\.qmig-rule[^{]*\{'
                         r'[^}]*white-space:\s*nowrap', style):
            errors.append('_static/qmig.css: rule ids of table.qmig-rules '
                          'are not white-space: nowrap')
        if not re.search(r'table\.qmig-rules\s+td:nth-child\(2\)\s+'
                         r'span\.pre\s*\{[^}]*white-space:\s*nowrap', style):
            errors.append('_static/qmig.css: names in the "Invalid when" '
                          'column of table.qmig-rules can break at hyphens '
                          '(not white-space: nowrap)')
    elif pages:
        errors.append('no _static/qmig.css')

    ref = pages.get(args.reference)
    nlegend = 0
    if ref is None:
        errors.append('no page %s' % args.reference)
    else:
        for label, hrefs, text, line in ref.facts:
            if label not in ('Side', 'Handshake'):
                continue
            nlegend += 1
            want = '#qmig-%s-%s' % (label.lower(), text)
            if want not in hrefs:
                errors.append('%s:%d: %s "%s" does not link to %s'
                              % (args.reference, line, label, text, want))
            elif want[1:] not in ref.ids:
                errors.append('%s:%d: %s "%s": no id %s on the page'
                              % (args.reference, line, label, text,
                                 want[1:]))
        if not nlegend:
            errors.append('%s: no Side or Handshake fact' % args.reference)

    for source in args.rst:
        files = ([os.path.join(source, n) for n in sorted(os.listdir(source))
                  if n.endswith('.rst')] if os.path.isdir(source)
                 else [source])
        for path in files:
            check_channel_graphs(path, errors)

    for error in errors:
        print('check-rendering: ' + error, file=sys.stderr)
    print('check-rendering: %d pages, %d defined names, %d in italics, '
          '%d side/handshake facts, %d errors'
          % (len(pages), len(defined), nitalic, nlegend, len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
