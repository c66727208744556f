#!/usr/bin/env python3
"""Check the migration pages of QEMU's HTML manual built with qmig.

usage: check-qemu-docs.py MANUAL_DIR [--scope DIR] [--min-capabilities N]
                          [--min-parameters N] [--min-rules N]

MANUAL_DIR is QEMU's build/docs/manual.  Every page is parsed with the
page parser of tests/docs/check-html.py (standard library only), then:

* every internal link on a page under SCOPE (default devel/migration/),
  and every link from anywhere into SCOPE, names an existing page and an
  existing id in it (links elsewhere in QEMU's manual are QEMU's
  business and are not checked);
* SCOPE/reference.html anchors at least N capabilities
  (qmig-capability-*), N parameters (qmig-parameter-*) and the channels,
  SCOPE/rules.html at least N rules (qmig-rule-*);
* the reference links to QEMU's QMP reference
  (interop/qemu-qmp-ref.html#...) and back to the narrative pages that
  describe its entries, and each narrative page named by --narrative
  (default: main postcopy mapped-ram CPR compatibility features
  dirty-limit) links into reference.html or rules.html.

Problems are printed one a line; the exit status is 1 if there is any.
"""
import argparse
import importlib.util
import os
import posixpath
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK_HTML = os.path.join(HERE, '..', 'docs', 'check-html.py')

NARRATIVE = ('main', 'postcopy', 'mapped-ram', 'CPR', 'compatibility',
             'features', 'dirty-limit')


def load_check_html():
    spec = importlib.util.spec_from_file_location('check_html', CHECK_HTML)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def link_target(page, href):
    """(target page, fragment) of an internal HREF on PAGE."""
    parsed = urllib.parse.urlsplit(href)
    path = urllib.parse.unquote(parsed.path)
    if path:
        target = posixpath.normpath(
            posixpath.join(posixpath.dirname(page), path))
    else:
        target = page
    return target, urllib.parse.unquote(parsed.fragment)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('manual_dir')
    ap.add_argument('--scope', default='devel/migration/')
    ap.add_argument('--min-capabilities', type=int, default=20)
    ap.add_argument('--min-parameters', type=int, default=25)
    ap.add_argument('--min-rules', type=int, default=40)
    ap.add_argument('--narrative', action='append', default=None)
    args = ap.parse_args(argv)

    check_html = load_check_html()
    root = os.path.abspath(args.manual_dir)
    pages = check_html.parse_pages(root)
    scope = args.scope.rstrip('/') + '/'
    reference = scope + 'reference.html'
    rules = scope + 'rules.html'
    errors = []
    checked = 0
    links_from = {}         # page -> set of target pages
    for page, parser in sorted(pages.items()):
        for href, line in parser.hrefs:
            if not check_html.is_internal(href) or href.startswith('mailto:'):
                continue
            target, fragment = link_target(page, href)
            if not (page.startswith(scope) or target.startswith(scope)):
                continue
            checked += 1
            links_from.setdefault(page, set()).add(
                target + ('#' + fragment if fragment else ''))
            if target.endswith('/') or os.path.isdir(
                    os.path.join(root, target)):
                target = posixpath.join(target, 'index.html')
            if target not in pages:
                if not os.path.exists(os.path.join(root, target)):
                    errors.append('%s:%d: link "%s": no page %s'
                                  % (page, line, href, target))
                continue
            if fragment and fragment not in pages[target].ids:
                errors.append('%s:%d: link "%s": no id "%s" in %s'
                              % (page, line, href, fragment, target))

    def count(page, prefix):
        parser = pages.get(page)
        return sum(1 for i in parser.ids if i.startswith(prefix)) \
            if parser else 0

    for page, prefix, minimum in (
            (reference, 'qmig-capability-', args.min_capabilities),
            (reference, 'qmig-parameter-', args.min_parameters),
            (reference, 'qmig-channel-', 1),
            (rules, 'qmig-rule-', args.min_rules)):
        found = count(page, prefix)
        if found < minimum:
            errors.append('%s: %d anchors %s*, expected at least %d'
                          % (page, found, prefix, minimum))

    out = links_from.get(reference, set())
    if not any(t.startswith('interop/qemu-qmp-ref.html#') for t in out):
        errors.append('%s: no link into the QMP reference' % reference)
    for name in args.narrative or NARRATIVE:
        page = scope + name + '.html'
        if page not in pages:
            errors.append('%s: no such page' % page)
            continue
        targets = links_from.get(page, set())
        if not any(t.split('#')[0] in (reference, rules) for t in targets):
            errors.append('%s: no link into %s or %s'
                          % (page, reference, rules))
    backlinks = [t for t in out if t.split('#')[0].startswith(scope)
                 and t.split('#')[0] not in (reference, rules)]
    if not backlinks:
        errors.append('%s: no link to a narrative page' % reference)

    for error in errors:
        print('check-qemu-docs: ' + error)
    print('check-qemu-docs: %d pages, %d links checked in or into %s, '
          '%d errors' % (len(pages), checked, scope, len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
