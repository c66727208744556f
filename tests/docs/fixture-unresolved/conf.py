# Negative fixture: unresolved qmig references must warn.
import os
import sys

sys.path.insert(0, os.environ.get('QMIG_SPHINX_EXT') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'sphinx-ext'))

project = 'qmig-fixture-unresolved'
extensions = ['qmig_sphinx']
master_doc = 'index'
# nitpicky stays off: qmig references warn regardless.
