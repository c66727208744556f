"""qmig-graph: show the DOT source of graphviz figures when ``dot`` is
missing.

sphinx.ext.graphviz runs ``dot`` while writing HTML or LaTeX and fails
when it is not installed.  When qmig_graph_fallback is true (default)
and neither ``shutil.which(graphviz_dot)`` finds the program, every
graphviz node is replaced by a literal block holding its DOT source and
one warning is logged for the whole build: "dot not found: showing DOT
source".  (Sphinx's -W makes that warning fatal: the documentation build
of the project requires graphviz, but the figures still degrade to
their source.)
"""
import shutil

from docutils import nodes

from sphinx.util import logging

logger = logging.getLogger(__name__)

_WARNED = '_qmig_dot_warned'


def dot_available(app):
    program = getattr(app.config, 'graphviz_dot', 'dot') or 'dot'
    return shutil.which(program) is not None


def replace_graphviz(app, doctree, docname):
    if not app.config.qmig_graph_fallback:
        return
    try:
        from sphinx.ext.graphviz import graphviz
    except ImportError:         # pragma: no cover
        return
    found = list(doctree.findall(graphviz))
    if not found or dot_available(app):
        return
    for node in found:
        code = node['code']
        block = nodes.literal_block(code, code, language='dot',
                                    classes=['qmig-dot-source'])
        block.source, block.line = node.source, node.line
        node.replace_self(block)
    if not getattr(app, _WARNED, False):
        setattr(app, _WARNED, True)
        logger.warning('dot not found: showing DOT source (graphviz_dot=%r)',
                       app.config.graphviz_dot, location=found[0])


def setup(app):
    app.connect('doctree-resolved', replace_graphviz)
