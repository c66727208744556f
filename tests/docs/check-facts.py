#!/usr/bin/env python3
"""Check that the HTML reference shows what the generated rST states.

usage: check-facts.py HTML_DIR --rst FILE_OR_DIR [--rst ...]
                      [--foreign-schema QAPI_JSON]... [--foreign-type NAME]...
                      [--min-objects N] [-v]

HTML_DIR is a Sphinx HTML build; --rst names the generated reference
pages (files, or directories whose *.rst are all read) that the build
includes.  Standard library only (html.parser).

Checks, each failure reported by object name:

facts
    For every ``.. qmig:capability::`` and ``.. qmig:parameter::``
    directive, the element with id ``qmig-capability-NAME`` /
    ``qmig-parameter-NAME`` exists, and its description (the enclosing
    <dl>: the <dt> signature and its <dd>, whose facts field list is
    read by label) shows every fact the directive states: default,
    range, unit, side, handshake, since, status (and a status badge in
    the signature when the status is not 'stable'), type, values,
    transports, requires / conflicts / channels / capability / rules as
    links to the right anchors, condition.

members
    Every ``.. qmig:member::`` (parent from :parent:, else the enclosing
    type/command/event) has the anchor ``qmig-member-PARENT-NAME``,
    inside the description of its parent when the parent is documented.

foreign types
    Types declared with ``.. qmig:external-type::`` in the rST, named by
    --foreign-type, or defined (enum, struct, union, alternate) in a
    --foreign-schema file are not objects of the build: no id
    ``qmig-type-NAME`` nor ``qmig-member-NAME-*``, and every reference
    to them (<code class="... qmig-type">NAME</code>) is inside a link
    to an external URL.  Commands and events of a --foreign-schema file
    have no id ``qmig-command-NAME`` / ``qmig-event-NAME``.

The exit status is 1 if any check fails.
"""
import argparse
import html.parser
import importlib.util
import os
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_check_html():
    spec = importlib.util.spec_from_file_location(
        'check_html', os.path.join(HERE, 'check-html.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_html = _load_check_html()
anchor = check_html.anchor

# --------------------------------------------------------------------------
# rST side

_DIRECTIVE = re.compile(r'^(\s*)\.\.\s+qmig:([a-z-]+)::\s*(\S*)\s*$')
_OPTION = re.compile(r'^(\s*):([a-zA-Z-]+):(?:\s+(.*))?$')
PARENT_KINDS = ('type', 'command', 'event')


class Directive:
    def __init__(self, kind, name, options, where, parent):
        self.kind = kind
        self.name = name
        self.options = options
        self.where = where
        self.parent = parent        # (kind, name) of the enclosing object

    def __repr__(self):
        return '%s %s' % (self.kind, self.name)


def directives_from_rst(path):
    """[Directive] of the rST file PATH, in order."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    found = []
    stack = []                  # (indent, kind, name)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip():
            indent = len(line) - len(line.lstrip())
            while stack and stack[-1][0] >= indent:
                stack.pop()
        m = _DIRECTIVE.match(line)
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
        parents = [s for s in stack if s[1] in PARENT_KINDS]
        parent = (parents[-1][1], parents[-1][2]) if parents else None
        found.append(Directive(kind, name, options,
                               '%s:%d' % (path, i + 1), parent))
        stack.append((indent, kind, name))
        i = j
    return found


def rst_files(sources):
    files = []
    for source in sources:
        if os.path.isdir(source):
            files.extend(sorted(os.path.join(source, n)
                                for n in os.listdir(source)
                                if n.endswith('.rst')))
        else:
            files.append(source)
    return files


_QAPI_DEF = re.compile(
    r"""^\{\s*['"](enum|struct|union|alternate|command|event)['"]\s*:"""
    r"""\s*['"]([^'"]+)['"]""", re.M)


def definitions_of_schema(path):
    """[(kind, name)] of what a QAPI schema file defines (not its
    includes); kind is 'type', 'command' or 'event'."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    return [(m.group(1) if m.group(1) in ('command', 'event') else 'type',
             m.group(2)) for m in _QAPI_DEF.finditer(text)]


def plain_rst(text):
    """Inline reST TEXT as the words it renders to (roughly: roles and
    markup characters dropped)."""
    text = re.sub(r':[a-zA-Z:+-]+:`([^`<]*?)(?:\s*<[^>]*>)?`', r'\1', text)
    text = re.sub(r'`([^`<]*?)\s*<[^>]*>`_*', r'\1', text)
    text = re.sub(r'\\(.)', r'\1', text)
    text = text.replace('`', '').replace('*', '')
    text = re.sub(r'(?<=\w)_(?=\W|$)', '', text)
    return normalize(text)


def normalize(text):
    return ' '.join(text.replace('\u00a0', ' ').split())


# --------------------------------------------------------------------------
# HTML side: a minimal DOM

VOID = frozenset(('area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input',
                  'link', 'meta', 'source', 'track', 'wbr'))


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []      # Element or str

    @property
    def classes(self):
        return (self.attrs.get('class') or '').split()

    def elements(self):
        return [c for c in self.children if isinstance(c, Element)]

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def text(self):
        out = []
        for child in self.children:
            out.append(child if isinstance(child, str) else child.text())
        return ''.join(out)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element('#root', {}, None)
        self.cur = self.root
        self.by_id = {}

    def handle_starttag(self, tag, attrs):
        el = Element(tag, attrs, self.cur)
        self.cur.children.append(el)
        ident = el.attrs.get('id')
        if ident is not None:
            self.by_id.setdefault(ident, el)
        if tag not in VOID:
            self.cur = el

    def handle_startendtag(self, tag, attrs):
        el = Element(tag, attrs, self.cur)
        self.cur.children.append(el)
        ident = el.attrs.get('id')
        if ident is not None:
            self.by_id.setdefault(ident, el)

    def handle_endtag(self, tag):
        node = self.cur
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.cur = node.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def fragment(href):
    return urllib.parse.unquote(href.partition('#')[2])


def is_external(href):
    parsed = urllib.parse.urlsplit(href or '')
    return bool(parsed.scheme and parsed.netloc)


# --------------------------------------------------------------------------
# Checks

class Description:
    """The rendered description of one object: <dt id=...> and its <dd>."""

    def __init__(self, dt):
        self.dt = dt
        self.dl = dt.parent
        self.dd = None
        siblings = self.dl.elements() if self.dl is not None else []
        for i, el in enumerate(siblings):
            if el is dt:
                for after in siblings[i + 1:]:
                    if after.tag == 'dd':
                        self.dd = after
                        break
                    if after.tag == 'dt':
                        continue
                    break
                break
        self.fields = {}
        if self.dd is not None:
            for child in self.dd.elements():
                if child.tag == 'dl' and 'qmig-facts' in child.classes:
                    label = None
                    for item in child.elements():
                        if item.tag == 'dt':
                            label = normalize(item.text()).rstrip(':').strip()
                        elif item.tag == 'dd' and label is not None:
                            self.fields[label] = item
                            label = None
                    break

    def field_text(self, label):
        el = self.fields.get(label)
        return None if el is None else normalize(el.text())

    def badges(self):
        found = set()
        for el in self.dt.iter():
            for cls in el.classes:
                if cls.startswith('qmig-badge-'):
                    found.add(cls[len('qmig-badge-'):])
        return found


# option -> (field label, how it is shown)
#   'text': field text equals the value; 'rst': equals the value as inline
#   reST; 'code': field text equals the value, shown as a literal;
#   'words': each word a literal; ('links', KIND): each word a link to
#   anchor(KIND, word); 'type': type reference text.
FACTS = {
    'capability': [
        ('side', 'Side', 'text'),
        ('handshake', 'Handshake', 'text'),
        ('transports', 'Transports', 'words'),
        ('requires', 'Requires', ('links', 'capability')),
        ('conflicts', 'Conflicts with', ('links', 'capability')),
        ('channels', 'Channels', ('links', 'channel')),
        ('since', 'Since', 'text'),
        ('status', 'Status', 'text'),
        ('if', 'Condition', 'code'),
        ('rules', 'Rules', ('links', 'rule')),
    ],
    'parameter': [
        ('type', 'Type', 'type'),
        ('default', 'Default', 'code'),
        ('range', 'Range', 'rst'),
        ('unit', 'Unit', 'rst'),
        ('values', 'Values', 'words'),
        ('side', 'Side', 'text'),
        ('handshake', 'Handshake', 'text'),
        ('capability', 'Capability', ('links', 'capability')),
        ('since', 'Since', 'text'),
        ('status', 'Status', 'text'),
        ('if', 'Condition', 'code'),
        ('rules', 'Rules', ('links', 'rule')),
    ],
}
BADGE_STATUSES = ('unstable', 'deprecated')


def check_fact(desc, option, label, how, value):
    """Error message, or None."""
    field = desc.fields.get(label)
    if field is None:
        return '%s %r not shown (no field "%s")' % (option, value, label)
    shown = normalize(field.text())
    if how == 'text' or how == 'type':
        want = normalize(value)
        if how == 'type':
            want = want.replace(' ', '')
            shown = shown.replace(' ', '')
        if shown != want:
            return '%s: field "%s" shows %r, expected %r' % (option, label,
                                                             shown, want)
    elif how == 'rst':
        want = plain_rst(value)
        if shown != want:
            return '%s: field "%s" shows %r, expected %r' % (option, label,
                                                             shown, want)
    elif how == 'code':
        codes = [normalize(el.text()) for el in field.iter()
                 if el.tag == 'code']
        if normalize(value) not in codes:
            return '%s: field "%s" shows %r, expected literal %r' % (
                option, label, shown, normalize(value))
    elif how == 'words':
        codes = set(normalize(el.text()) for el in field.iter()
                    if el.tag == 'code')
        missing = [w for w in value.split() if w not in codes]
        if missing:
            return '%s: field "%s" shows %r, lacks %s' % (
                option, label, shown, ', '.join(missing))
    else:
        kind = how[1]
        links = {}
        for el in field.iter():
            if el.tag == 'a' and el.attrs.get('href'):
                links.setdefault(normalize(el.text()), []).append(
                    fragment(el.attrs['href']))
        problems = []
        for word in value.split():
            want = anchor(kind, word)
            if word not in links:
                problems.append('%s (no link)' % word)
            elif want not in links[word]:
                problems.append('%s (links to #%s, not #%s)'
                                % (word, links[word][0], want))
        if problems:
            return '%s: field "%s": %s' % (option, label, ', '.join(problems))
    return None


def find_id(pages, ident):
    """[(page, element)] with id IDENT."""
    return [(page, tree.by_id[ident]) for page, tree in sorted(pages.items())
            if ident in tree.by_id]


def check_facts(pages, directives, errors, verbose):
    count = 0
    for d in directives:
        if d.kind not in FACTS or not d.name or 'noindex' in d.options:
            continue
        count += 1
        ident = anchor(d.kind, d.name)
        hits = find_id(pages, ident)
        obj = '%s %s' % (d.kind, d.name)
        if not hits:
            errors.append('%s: no element with id "%s" (%s)'
                          % (obj, ident, d.where))
            continue
        page, dt = hits[0]
        if dt.tag != 'dt' or dt.parent is None or dt.parent.tag != 'dl':
            errors.append('%s: id "%s" in %s is on a <%s>, not the <dt> of '
                          'a <dl>' % (obj, ident, page, dt.tag))
            continue
        desc = Description(dt)
        if desc.dd is None:
            errors.append('%s: no description (<dd>) in %s' % (obj, page))
            continue
        for option, label, how in FACTS[d.kind]:
            value = d.options.get(option, '')
            if not value.strip():
                continue
            problem = check_fact(desc, option, label, how, value)
            if problem:
                errors.append('%s: %s (%s; %s)' % (obj, problem, page,
                                                   d.where))
        status = d.options.get('status', '').strip()
        badges = desc.badges()
        if status in BADGE_STATUSES and status not in badges:
            errors.append('%s: status %s but no "%s" badge in the signature '
                          '(%s; %s)' % (obj, status, status, page, d.where))
        for badge in badges & set(BADGE_STATUSES):
            if badge != status:
                errors.append('%s: badge "%s" but status %r (%s; %s)'
                              % (obj, badge, status or 'stable', page,
                                 d.where))
        if verbose:
            print('%s: %s, facts %s' % (obj, page, ', '.join(desc.fields)))
    return count


def check_members(pages, directives, errors, verbose):
    count = 0
    for d in directives:
        if d.kind != 'member' or not d.name or 'noindex' in d.options:
            continue
        parent = d.options.get('parent') or (d.parent[1] if d.parent else '')
        if not parent:
            errors.append('member %s: no parent (%s)' % (d.name, d.where))
            continue
        count += 1
        obj = 'member %s.%s' % (parent, d.name)
        ident = anchor('member', d.name, parent)
        hits = find_id(pages, ident)
        if not hits:
            errors.append('%s: missing anchor "%s" (%s)'
                          % (obj, ident, d.where))
            continue
        page, el = hits[0]
        # The parent's description, if documented, must contain it.
        for kind in PARENT_KINDS:
            parent_hits = find_id(pages, anchor(kind, parent))
            if not parent_hits:
                continue
            ppage, pdt = parent_hits[0]
            pdl = pdt.parent
            if ppage != page or pdl is None or \
                    not any(a is pdl for a in el.ancestors()):
                errors.append('%s: anchor "%s" (%s) is not inside the '
                              'description of %s %s (%s)'
                              % (obj, ident, page, kind, parent, ppage))
            break
        if verbose:
            print('%s: %s' % (obj, page))
    return count


def check_foreign(pages, names, errors, verbose):
    for name in sorted(names):
        for page, tree in sorted(pages.items()):
            if anchor('type', name) in tree.by_id:
                errors.append('type %s: documented as an object of %s '
                              '(id "%s"); it belongs to another module'
                              % (name, page, anchor('type', name)))
            prefix = 'qmig-member-%s-' % check_html.sanitize(name)
            members = sorted(i for i in tree.by_id if i.startswith(prefix))
            if members:
                errors.append('type %s: members documented in %s (%s)'
                              % (name, page, ', '.join(members)))
            for el in tree.root.iter():
                if el.tag != 'code' or 'qmig-type' not in el.classes:
                    continue
                if normalize(el.text()) != name:
                    continue
                link = next((a for a in el.ancestors() if a.tag == 'a'), None)
                if link is None:
                    errors.append('type %s: reference in %s is not a link'
                                  % (name, page))
                elif not is_external(link.attrs.get('href')):
                    errors.append('type %s: reference in %s links to %r, '
                                  'not to an external URL'
                                  % (name, page, link.attrs.get('href')))
                elif verbose:
                    print('type %s: %s -> %s' % (name, page,
                                                 link.attrs['href']))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('html_dir')
    ap.add_argument('--rst', action='append', default=[], required=True,
                    metavar='FILE_OR_DIR')
    ap.add_argument('--foreign-schema', action='append', default=[],
                    metavar='QAPI_JSON')
    ap.add_argument('--foreign-type', action='append', default=[],
                    metavar='NAME')
    ap.add_argument('--min-objects', type=int, default=1,
                    help='fail if fewer capabilities and parameters are '
                    'found in the rST (default 1)')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args(argv)

    if not os.path.isdir(args.html_dir):
        print('check-facts: %s: not a directory' % args.html_dir,
              file=sys.stderr)
        return 1
    pages = check_html.parse_pages(os.path.abspath(args.html_dir),
                                   TreeBuilder)
    if not pages:
        print('check-facts: no HTML pages in %s' % args.html_dir,
              file=sys.stderr)
        return 1
    directives = []
    for path in rst_files(args.rst):
        directives.extend(directives_from_rst(path))

    foreign = set(args.foreign_type)
    foreign_other = set()       # (kind, name) of commands and events
    for path in args.foreign_schema:
        for kind, name in definitions_of_schema(path):
            if kind == 'type':
                foreign.add(name)
            else:
                foreign_other.add((kind, name))
    foreign.update(d.name for d in directives if d.kind == 'external-type')
    documented = set(d.name for d in directives if d.kind == 'type')

    errors = []
    for name in sorted(foreign & documented):
        errors.append('type %s: the rST documents it (qmig:type), but it '
                      'belongs to another module' % name)
    nfacts = check_facts(pages, directives, errors, args.verbose)
    nmembers = check_members(pages, directives, errors, args.verbose)
    check_foreign(pages, foreign, errors, args.verbose)
    for kind, name in sorted(foreign_other):
        ident = anchor(kind, name)
        for page, tree in sorted(pages.items()):
            if ident in tree.by_id:
                errors.append('%s %s: documented as an object of %s (id "%s"); '
                              'it belongs to another module'
                              % (kind, name, page, ident))
    if nfacts < args.min_objects:
        errors.append('only %d capabilities and parameters in %s (expected '
                      'at least %d)' % (nfacts, ', '.join(args.rst),
                                        args.min_objects))

    for error in errors:
        print('check-facts: ' + error, file=sys.stderr)
    print('check-facts: %d pages, %d capabilities and parameters, %d members, '
          '%d foreign types, %d foreign commands and events, %d errors'
          % (len(pages), nfacts, nmembers, len(foreign), len(foreign_other),
             len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
