#!/usr/bin/env python3
"""The built man pages: readable text, and installed.

usage: check-man-pages.py MAN_DIR --docs-src DOCS_DIR
                          [--build-root BUILD_ROOT]

* Every page of MAN_DIR (*.N, roff) is turned into text and searched
  for the titles of the documents of DOCS_DIR (the first title of each
  .rst file): a :doc: reference renders as its document's title in the
  man builder, which reads well only where a title can stand on its
  own (after "see", a colon, a comma, an opening parenthesis, or at the
  start of a sentence or line).  A title glued into a sentence ("the
  handshake of Migration handshake protocol", "and Checking
  compatibility: compat.") is reported.
* With --build-root, meson's install plan (meson-info/
  intro-installed.json) must install every page of conf.py's man_pages
  into MANDIR/manSECTION, from a file of the build.

Exit status 1 if there is any problem.
"""
import argparse
import json
import os
import re
import sys

TITLE_UNDERLINE = re.compile(r'^([=\-~^"#*+])\1{2,}\s*$')


def doc_titles(docs):
    titles = {}
    for dirpath, dirnames, filenames in os.walk(docs):
        for name in filenames:
            if not name.endswith('.rst'):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding='utf-8') as f:
                lines = f.read().splitlines()
            for i in range(1, len(lines)):
                if (TITLE_UNDERLINE.match(lines[i]) and lines[i - 1].strip()
                        and not TITLE_UNDERLINE.match(lines[i - 1])):
                    title = lines[i - 1].strip()
                    title = re.sub(r'``([^`]*)``', r'\1', title)
                    titles[title] = os.path.relpath(path, docs)
                    break
    return titles


def roff_text(path, keep_refs=False):
    """The text of a man page, roughly: requests dropped, fonts and
    escapes removed, one paragraph per line.  KEEP_REFS: references
    (\\fI\\%TEXT\\fP) are marked as \\x00TEXT\\x01."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    out = []
    para = []
    for line in lines:
        if line.startswith(('.\\"', "'\\\"")):
            continue
        if line.startswith('.'):
            request = line[1:].split(None, 1)
            if request and request[0] in ('B', 'I', 'BI', 'IB', 'BR', 'RB',
                                          'IR', 'RI', 'SM') \
                    and len(request) > 1:
                para.append(request[1].replace('"', ''))
            else:
                if para:
                    out.append(' '.join(para))
                para = []
            continue
        if not line.strip():
            if para:
                out.append(' '.join(para))
            para = []
            continue
        para.append(line)
    if para:
        out.append(' '.join(para))
    text = '\n'.join(out)
    if keep_refs:
        text = re.sub(r'\\fI\\%(.*?)\\fP', '\x00\\1\x01', text)
    text = text.replace('\\%', '')
    text = re.sub(r'\\f(\[[^]]*\]|\(..|.)', '', text)
    text = (text.replace('\\(aq', "'").replace('\\(dq', '"')
            .replace('\\(em', '--').replace('\\(en', '-').replace('\\-', '-')
            .replace('\\e', '\\').replace('\\ ', ' ').replace('\\&', ''))
    text = re.sub(r'\\\(..', '', text)
    return re.sub(r'[ \t]+', ' ', text)


# What may stand right before a title that is not part of a sentence.
FREE_BEFORE = re.compile(r'(^|[:,(;]|\bsee|\bSee|[.!?])\s*$')


def check_page(path, titles, errors):
    """A :doc: or :ref: reference renders as \\fI\\%TITLE\\fP in Sphinx's
    man writer: each such TITLE that names a document of DOCS_DIR must
    stand on its own."""
    text = roff_text(path, keep_refs=True)
    for m in re.finditer(r'\x00(.*?)\x01', text):
        title = m.group(1)
        if title not in titles:
            continue
        before = re.sub(r'[\x00\x01]', '', text[max(0, m.start() - 60):
                                                 m.start()])
        line_start = before.rfind('\n')
        if line_start >= 0:
            before = before[line_start + 1:]
        if FREE_BEFORE.search(before):
            continue
        errors.append('%s: the title of %s pasted into a sentence: '
                      '"...%s%s..."' % (os.path.basename(path),
                                        titles[title], before[-30:], title))


def check_install(build_root, errors):
    conf = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                        '..', 'docs', 'conf.py')
    namespace = {'__file__': conf}
    with open(conf, encoding='utf-8') as f:
        exec(compile(f.read(), conf, 'exec'), namespace)
    with open(os.path.join(build_root, 'meson-info', 'intro-installed.json'),
              encoding='utf-8') as f:
        installed = json.load(f)
    with open(os.path.join(build_root, 'meson-info',
                           'intro-buildoptions.json'), encoding='utf-8') as f:
        options = {o['name']: o['value'] for o in json.load(f)}
    mandir = os.path.join(options['prefix'], options['mandir'])
    by_dest = {os.path.normpath(d): s for s, d in installed.items()}
    for entry in namespace['man_pages']:
        name, section = entry[1], entry[4]
        dest = os.path.normpath(os.path.join(mandir, 'man%s' % section,
                                             '%s.%s' % (name, section)))
        if dest not in by_dest:
            errors.append('man page %s(%s) is not installed (no %s in '
                          'meson install)' % (name, section, dest))
        elif not by_dest[dest].startswith(os.path.abspath(build_root)):
            errors.append('man page %s(%s) is installed from %s, not from '
                          'the build' % (name, section, by_dest[dest]))
    return len(namespace['man_pages'])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('man_dir')
    ap.add_argument('--docs-src', required=True)
    ap.add_argument('--build-root')
    args = ap.parse_args()
    errors = []
    titles = doc_titles(args.docs_src)
    pages = sorted(n for n in os.listdir(args.man_dir)
                   if re.search(r'\.\d$', n))
    if not pages:
        errors.append('no man pages in %s' % args.man_dir)
    for name in pages:
        check_page(os.path.join(args.man_dir, name), titles, errors)
    ninstalled = 0
    if args.build_root:
        ninstalled = check_install(args.build_root, errors)
    for error in errors:
        print('check-man-pages: ' + error, file=sys.stderr)
    print('check-man-pages: %d pages, %d document titles, %d install '
          'entries checked, %d errors' % (len(pages), len(titles),
                                          ninstalled, len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
