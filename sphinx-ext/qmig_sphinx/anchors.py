"""Anchor (HTML id) names of qmig objects.

Pure standard library: tests/docs/check-html.py keeps a copy of this
function to derive the anchors a generated page must produce, and
tests/docs/test_extension.py checks that the two agree.

An anchor is ``qmig-KIND-NAME`` (``qmig-member-PARENT-NAME`` for
members).  NAME keeps its case; every character other than an ASCII
letter, digit, ``-`` or ``_`` becomes ``-``.  The ids are written to
the document exactly as computed (docutils' own id normalisation, which
lowercases, is not applied).
"""
import re

KINDS = ('capability', 'parameter', 'rule', 'channel', 'type', 'member',
         'command', 'event')

_UNSAFE = re.compile(r'[^A-Za-z0-9_-]')


def sanitize(name):
    return _UNSAFE.sub('-', name.strip())


def anchor(kind, name, parent=None):
    """Return the anchor of object NAME of KIND (PARENT for members)."""
    if kind == 'member':
        if parent is None:
            parent, _, name = name.partition('.')
        return 'qmig-member-%s-%s' % (sanitize(parent), sanitize(name))
    return 'qmig-%s-%s' % (kind, sanitize(name))
