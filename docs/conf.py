# Sphinx configuration of the qmig documentation.
#
# The build stages this directory together with the pages qmig-gen
# generates (see docs/build-docs.py), so generated pages live under
# generated/ next to the hand-written ones.

import os
import sys

# The qmig Sphinx extension (domain qmig, directives qmig:capability etc.)
# lives in sphinx-ext/ of the source tree; the staged copy of this
# directory is elsewhere, so build-docs.py passes the path in
# QMIG_SPHINX_EXT.  The fallback serves builds run from the source tree.
sys.path.insert(0, os.environ.get('QMIG_SPHINX_EXT') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'sphinx-ext'))

project = 'qmig'
author = 'The qmig developers'
copyright = '2026, The qmig developers'
release = version = '0.1.0'

extensions = [
    'sphinx.ext.graphviz',
    'qmig_sphinx',
]

master_doc = 'index'
# Generated pages are included by hand-written ones (rules.rst), not
# built on their own: their anchors must exist once.
exclude_patterns = ['_build', 'build-docs.py', 'meson.build', 'generated/*']
html_theme = 'alabaster'
html_theme_options = {
    'description': 'QAPI-driven migration toolchain for QEMU',
    # Reference facts, rule tables and tool output need the room.
    'page_width': '1160px',
    # ... which the body may use (alabaster's default limit is 800px):
    # the rule table's unbroken rule ids need it.
    'body_max_width': 'none',
}
graphviz_output_format = 'svg'
nitpicky = True

man_pages = [
    ('man/qmig-gen', 'qmig-gen', 'QAPI migration schema compiler', [author], 1),
    ('man/qmig-validate', 'qmig-validate',
     'check a QEMU migration configuration', [author], 1),
    ('man/qmig-handshake', 'qmig-handshake',
     'run the migration handshake between two processes', [author], 1),
]
