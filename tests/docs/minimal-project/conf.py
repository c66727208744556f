# A minimal Sphinx project around the pages qmig-gen generates, for the
# tests of tests/docs (test_schema_fixture.py, test_qemu_docs.py).
# docs/build-docs.py stages it with the generated pages in generated/.

import os
import sys

sys.path.insert(0, os.environ.get('QMIG_SPHINX_EXT') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..',
    'sphinx-ext'))

project = 'qmig-test'
author = 'The qmig developers'
copyright = '2026, The qmig developers'
release = version = '0'

extensions = [
    'sphinx.ext.graphviz',
    'qmig_sphinx',
]

master_doc = 'index'
exclude_patterns = ['_build', 'generated/*']
html_theme = 'alabaster'
graphviz_output_format = 'svg'
nitpicky = True
