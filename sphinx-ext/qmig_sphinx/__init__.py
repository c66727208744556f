"""Sphinx domain ``qmig``: QEMU migration capabilities, parameters,
validation rules, channels and the QAPI types, commands and events they
use.

Directives (options and syntax: sphinx-ext/README.rst):

    qmig:capability  qmig:parameter  qmig:rule  qmig:channel
    qmig:type  qmig:member  qmig:command  qmig:event  qmig:external-type

Roles: :qmig:cap: :qmig:param: :qmig:rule: :qmig:chan: :qmig:type:
:qmig:member: (``Type.member``) :qmig:cmd: :qmig:event:

Indices: qmig-capindex, qmig-paramindex, qmig-ruleindex.

Configuration:

qmig_external_types
    dict NAME -> URL of types documented elsewhere (URL None or '': the
    type is known but not linked).
qmig_external_url
    pattern of the URL of a type declared with qmig:external-type;
    ``{module}``, ``{name}`` and ``{kind}`` (the object type of QEMU's
    qapi domain: ``object``, ``enum``, ``alternate``; from :kind:,
    default ``object``) are substituted.
qmig_graph_fallback
    if true (default) and the ``dot`` program is missing, graphviz
    figures are replaced by their DOT source (see graph.py).
qmig_qapi_namespace
    in a project that also loads QEMU's ``qapi`` Sphinx domain (QEMU's
    own manual), the QAPI namespace (e.g. ``QMP``) in which type, command
    and event references not described on the qmig pages are looked up:
    they link to QEMU's QAPI reference instead of qmig_external_url.
    Default None (no lookup).

``qmp-example`` is registered only if the project does not already have
a directive of that name (QEMU's qapidoc has its own).
"""
import os

from docutils import nodes
from docutils.parsers.rst import directives

import sphinx.directives as _sphinx_directives
from sphinx import addnodes
from sphinx.directives import ObjectDescription
from sphinx.domains import Domain, Index, IndexEntry, ObjType
from sphinx.roles import XRefRole
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, is_directive_registered
from sphinx.util.nodes import make_refnode

from .anchors import anchor
from . import graph

__version__ = '0.1.0'

logger = logging.getLogger(__name__)

# QEMU's qapi domain anchors an object as KIND-NAMESPACE-MODULE.NAME, where
# KIND is its object type: object (structs and unions), enum, alternate,
# command or event (docs/sphinx/qapi_domain.py, make_id()).
DEFAULT_EXTERNAL_URL = ('https://www.qemu.org/docs/master/interop/'
                        'qemu-qmp-ref.html#{kind}-QMP-{module}.{name}')
QAPI_KINDS = ('object', 'enum', 'alternate', 'command', 'event')

# The values of the Side and Handshake facts; each links to the anchor
# qmig-FACT-VALUE (a label) where a page of the project defines it
# (qmig-gen's reference page has a legend), else it is plain text.
SIDE_VALUES = ('source', 'destination', 'both', 'match')
HANDSHAKE_VALUES = ('adopt', 'intersect', 'local')
LEGEND_ROLES = ('side', 'handshake')

# QAPI built-in types: shown as literals, never cross-referenced.
BUILTIN_TYPES = frozenset((
    'str', 'number', 'int', 'int8', 'int16', 'int32', 'int64', 'uint8',
    'uint16', 'uint32', 'uint64', 'size', 'bool', 'null', 'any'))

# Role name -> object types it may resolve to.  'capparam' is internal
# (rule :names:, channel :count: / :enabled-by:): a capability or else a
# parameter.
ROLE_OBJTYPES = {
    'cap': ('capability',),
    'param': ('parameter',),
    'rule': ('rule',),
    'chan': ('channel',),
    'type': ('type',),
    'member': ('member',),
    'cmd': ('command',),
    'event': ('event',),
    'capparam': ('capability', 'parameter'),
}

KIND_LABELS = {
    'capability': 'migration capability',
    'parameter': 'migration parameter',
    'rule': 'validation rule',
    'channel': 'migration channel',
    'type': 'QAPI type',
    'member': 'member',
    'command': 'QMP command',
    'event': 'QMP event',
}

# qmig role -> role of QEMU's qapi domain (qmig_qapi_namespace).
QAPI_ROLES = {'type': 'type', 'cmd': 'cmd', 'event': 'event'}

STATUS_VALUES = ('stable', 'unstable', 'deprecated')
BADGE_WORDS = ('deprecated', 'unstable')


def _choice(values):
    def check(argument):
        return directives.choice(argument, values)
    return check


def _words(value):
    return (value or '').split()


# --------------------------------------------------------------------------
# Node helpers

class qmig_badge(nodes.inline):
    """A status badge (``deprecated``, ``unstable``); rendered as a
    styled span in HTML and as ``[word]`` elsewhere."""


def make_badge(word):
    return qmig_badge(word, word, classes=['qmig-badge', 'qmig-badge-' + word])


class BadgeTransform(SphinxPostTransform):
    default_priority = 200

    def run(self, **kwargs):
        html = self.app.builder.format == 'html'
        for node in list(self.document.findall(qmig_badge)):
            word = node.astext()
            if html:
                new = nodes.inline(word, word, classes=node['classes'])
            else:
                new = nodes.inline('[%s]' % word, '[%s]' % word,
                                   classes=node['classes'])
            node.replace_self(new)


def make_xref(env, reftype, target, optional=False, title=None):
    """A pending cross-reference to TARGET.  An unresolved reference
    warns, unless OPTIONAL: then it renders as a plain literal."""
    title = title or target
    ref = addnodes.pending_xref(
        '', refdomain='qmig', reftype=reftype, reftarget=target,
        refexplicit=False, refwarn=not optional, refdoc=env.docname)
    ref['qmig_optional'] = optional
    ref += nodes.literal(title, title, classes=['xref', 'qmig', 'qmig-' + reftype])
    return ref


def literal(text):
    return nodes.literal(text, text)


def join_nodes(items, sep=', '):
    out = []
    for i, item in enumerate(items):
        if i:
            out.append(nodes.Text(sep))
        out.append(item)
    return out


# --------------------------------------------------------------------------
# Directives

def _nested_parse_at(offset):
    """sphinx.util.nodes.nested_parse_with_titles(), but with the real
    content offset.  Sphinx 5.3 passes 0, so that messages about an
    object's body point at the first line of the file instead of the
    line in question (and the docs build cannot map them back to the
    schema)."""
    def parse(state, content, node):
        styles = state.memo.title_styles
        level = state.memo.section_level
        state.memo.title_styles = []
        state.memo.section_level = 0
        try:
            return state.nested_parse(content, offset, node, match_titles=1)
        finally:
            state.memo.title_styles = styles
            state.memo.section_level = level
    return parse


class QmigObject(ObjectDescription):
    """Common part of all qmig object directives."""

    def run(self):
        # Read serially within one process (parallel builds fork), so a
        # temporary replacement of the module-level helper is safe.
        original = _sphinx_directives.nested_parse_with_titles
        _sphinx_directives.nested_parse_with_titles = _nested_parse_at(
            self.content_offset)
        try:
            return super().run()
        finally:
            _sphinx_directives.nested_parse_with_titles = original

    has_content = True
    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = False
    # Subclasses name their options and the order of the facts table.
    option_spec = {
        'noindex': directives.flag,
        'noindexentry': directives.flag,
        'since': directives.unchanged,
        'status': _choice(STATUS_VALUES),
        'if': directives.unchanged,
    }
    kind = None         # object type, e.g. 'capability'
    prefix = None       # signature annotation, e.g. 'capability'

    # -- hooks for subclasses
    def fullname(self, name):
        return name

    def object_info(self, name):
        return {'since': self.options.get('since', ''),
                'status': self.options.get('status', '')}

    def badges(self):
        words = []
        status = self.options.get('status')
        if status in BADGE_WORDS:
            words.append(status)
        for feature in _words(self.options.get('features')):
            if feature in BADGE_WORDS and feature not in words:
                words.append(feature)
        return words

    def signature_extra(self, signode):
        """Add nodes after the name in the signature."""

    def facts(self):
        """Return [(field name, [nodes])] for the facts table."""
        return []

    def index_text(self, fullname):
        return '%s (%s)' % (fullname, KIND_LABELS[self.kind])

    # -- helpers for facts
    def xref(self, reftype, target, optional=False):
        ref = make_xref(self.env, reftype, target, optional)
        self.set_source_info(ref)
        return ref

    def xrefs(self, reftype, value, optional=False):
        return join_nodes([self.xref(reftype, w, optional)
                           for w in _words(value)])

    def legend_ref(self, fact, value):
        """VALUE of the Side or Handshake fact, linked to its meaning
        (label qmig-FACT-VALUE) if the project defines it."""
        value = value.strip()
        ref = addnodes.pending_xref(
            '', refdomain='qmig', reftype=fact, reftarget=value,
            refexplicit=False, refwarn=False, refdoc=self.env.docname)
        ref['qmig_optional'] = True
        ref += nodes.inline(value, value,
                            classes=['qmig-value', 'qmig-' + fact])
        self.set_source_info(ref)
        return ref

    def literals(self, value):
        return join_nodes([literal(w) for w in _words(value)])

    def inline(self, text):
        """TEXT parsed as inline reStructuredText."""
        parsed, messages = self.state.inline_text(text, self.lineno)
        return parsed + messages

    def markup_or(self, text, fallback):
        """TEXT as inline reStructuredText if it has markup (a backquote),
        else FALLBACK(TEXT)."""
        if '`' in text:
            return self.inline(text)
        return fallback(text)

    def type_ref(self, text, optional):
        """A QAPI type reference: ``T`` or ``[T]``; built-in types are
        literals, others cross-references (OPTIONAL: a literal when
        unresolved)."""
        text = text.strip()
        if text.startswith('[') and text.endswith(']'):
            return ([nodes.Text('[')] + self.type_ref(text[1:-1], optional)
                    + [nodes.Text(']')])
        if text in BUILTIN_TYPES:
            return [literal(text)]
        return [self.xref('type', text, optional)]

    def common_facts(self, facts):
        """Since, status, condition: appended by most kinds."""
        if self.options.get('since'):
            facts.append(('Since', [nodes.Text(self.options['since'])]))
        if self.options.get('status'):
            facts.append(('Status', [nodes.Text(self.options['status'])]))
        if self.options.get('if'):
            facts.append(('Condition', [literal(self.options['if'])]))
        if self.options.get('features'):
            facts.append(('Features', self.literals(self.options['features'])))
        return facts

    # -- ObjectDescription interface
    def handle_signature(self, sig, signode):
        name = sig.strip()
        if not name or len(name.split()) != 1:
            raise ValueError('bad name')
        fullname = self.fullname(name)
        if fullname is None:
            raise ValueError('no parent')
        prefix = self.kind if self.prefix is None else self.prefix
        if prefix:
            signode += addnodes.desc_annotation(prefix + ' ', prefix + ' ')
        signode += addnodes.desc_name(name, name)
        self.signature_extra(signode)
        for word in self.badges():
            signode += nodes.Text(' ')
            signode += make_badge(word)
        signode['qmig-fullname'] = fullname
        return fullname

    def add_target_and_index(self, fullname, sig, signode):
        node_id = anchor(self.kind, fullname)
        signode['ids'].append(node_id)
        self.state.document.note_explicit_target(signode)
        domain = self.env.get_domain('qmig')
        domain.note_object(self.kind, fullname, node_id,
                           self.object_info(fullname), location=signode)
        if 'noindexentry' not in self.options:
            self.indexnode['entries'].append(
                ('single', self.index_text(fullname), node_id, '', None))

    def transform_content(self, contentnode):
        facts = self.facts()
        if not facts:
            return
        field_list = nodes.field_list(classes=['qmig-facts'])
        for label, body in facts:
            para = nodes.paragraph('', '', *body)
            field_list += nodes.field(
                '', nodes.field_name(label, label), nodes.field_body('', para))
        contentnode.insert(0, field_list)


class CapabilityDirective(QmigObject):
    kind = 'capability'
    option_spec = dict(QmigObject.option_spec, **{
        'side': _choice(('source', 'destination', 'both', 'match')),
        'handshake': _choice(('adopt', 'intersect', 'local')),
        'transports': directives.unchanged,
        'requires': directives.unchanged,
        'conflicts': directives.unchanged,
        'channels': directives.unchanged,
        'rules': directives.unchanged,
    })

    def facts(self):
        o = self.options
        facts = []
        if o.get('side'):
            facts.append(('Side', [self.legend_ref('side', o['side'])]))
        if o.get('handshake'):
            facts.append(('Handshake',
                          [self.legend_ref('handshake', o['handshake'])]))
        if o.get('transports'):
            facts.append(('Transports', self.literals(o['transports'])))
        if o.get('requires'):
            facts.append(('Requires', self.xrefs('cap', o['requires'])))
        if o.get('conflicts'):
            facts.append(('Conflicts with', self.xrefs('cap', o['conflicts'])))
        if o.get('channels'):
            facts.append(('Channels', self.xrefs('chan', o['channels'])))
        self.common_facts(facts)
        if o.get('rules'):
            facts.append(('Rules', self.xrefs('rule', o['rules'])))
        return facts


class ParameterDirective(QmigObject):
    kind = 'parameter'
    option_spec = dict(QmigObject.option_spec, **{
        'type': directives.unchanged,
        'default': directives.unchanged,
        'range': directives.unchanged,
        'unit': directives.unchanged,
        'side': _choice(('source', 'destination', 'both', 'match')),
        'handshake': _choice(('adopt', 'intersect', 'local')),
        'capability': directives.unchanged,
        'rules': directives.unchanged,
        'values': directives.unchanged,
    })

    def object_info(self, name):
        info = super().object_info(name)
        info['type'] = self.options.get('type', '')
        return info

    def signature_extra(self, signode):
        if self.options.get('type'):
            signode += addnodes.desc_annotation(': ', ': ')
            signode.extend(self.type_ref(self.options['type'], optional=True))

    def facts(self):
        o = self.options
        facts = []
        if o.get('type'):
            facts.append(('Type', self.type_ref(o['type'], optional=True)))
        if o.get('default'):
            facts.append(('Default', [literal(o['default'])]))
        if o.get('range'):
            facts.append(('Range', self.inline(o['range'])))
        if o.get('unit'):
            facts.append(('Unit', self.inline(o['unit'])))
        if o.get('values'):
            facts.append(('Values', self.literals(o['values'])))
        if o.get('side'):
            facts.append(('Side', [self.legend_ref('side', o['side'])]))
        if o.get('handshake'):
            facts.append(('Handshake',
                          [self.legend_ref('handshake', o['handshake'])]))
        if o.get('capability'):
            facts.append(('Capability',
                          [self.xref('cap', o['capability'].strip())]))
        self.common_facts(facts)
        if o.get('rules'):
            facts.append(('Rules', self.xrefs('rule', o['rules'])))
        return facts


class RuleDirective(QmigObject):
    kind = 'rule'
    option_spec = dict(QmigObject.option_spec, **{
        'when': directives.unchanged,
        'message': directives.unchanged,
        'origin': directives.unchanged,
        'names': directives.unchanged,
        'host': directives.flag,
    })

    def object_info(self, name):
        info = super().object_info(name)
        message = self.options.get('message', '')
        if message:
            parsed, _ = self.state.inline_text(message, self.lineno)
            message = ''.join(n.astext() for n in parsed)
        info['message'] = message
        return info

    def badges(self):
        words = super().badges()
        if 'host' in self.options:
            words.append('host')
        return words

    def facts(self):
        o = self.options
        facts = []
        if o.get('when'):
            facts.append(('Invalid when', self.inline(o['when'])))
        if o.get('message'):
            facts.append(('Message', self.inline(o['message'])))
        if o.get('names'):
            facts.append(('Names', self.xrefs('capparam', o['names'])))
        if 'host' in o:
            facts.append(('Host', [nodes.Text(
                'depends on facts about the host or the QEMU build')]))
        if o.get('origin'):
            facts.append(('QEMU origin', self.inline(o['origin'])))
        return self.common_facts(facts)


class ChannelDirective(QmigObject):
    kind = 'channel'
    option_spec = dict(QmigObject.option_spec, **{
        'pattern': directives.unchanged,
        'count': directives.unchanged,
        'enabled-by': directives.unchanged,
        'after': directives.unchanged,
        'opened-by': directives.unchanged,
    })

    def name_or_text(self, value):
        """Inline reST if VALUE has a backquote; else a single
        capability/parameter name becomes a link (a literal if there is
        none); anything else is a literal."""
        value = value.strip()
        if '`' in value:
            return self.inline(value)
        if value.isdigit():
            return [nodes.Text(value)]
        if len(value.split()) == 1:
            return [self.xref('capparam', value, optional=True)]
        return [literal(value)]

    def facts(self):
        o = self.options
        facts = []
        if o.get('pattern'):
            facts.append(('Pattern', self.markup_or(
                o['pattern'], lambda t: [literal(t)])))
        if o.get('count'):
            facts.append(('Count', self.name_or_text(o['count'])))
        if o.get('enabled-by'):
            facts.append(('Enabled by', self.name_or_text(o['enabled-by'])))
        if o.get('opened-by'):
            facts.append(('Opened by', self.xrefs('cap', o['opened-by'])))
        if o.get('after'):
            facts.append(('Opened after', self.xrefs('chan', o['after'])))
        return self.common_facts(facts)


class ParentMixin:
    """Types, commands and events contain qmig:member directives."""

    def before_content(self):
        if self.names:
            stack = self.env.ref_context.setdefault('qmig:parents', [])
            stack.append(self.names[-1])

    def after_content(self):
        stack = self.env.ref_context.get('qmig:parents')
        if self.names and stack:
            stack.pop()


class TypeDirective(ParentMixin, QmigObject):
    kind = 'type'
    option_spec = dict(QmigObject.option_spec, **{
        'kind': _choice(('enum', 'struct', 'union', 'alternate')),
        'base': directives.unchanged,
        'features': directives.unchanged,
        'module': directives.unchanged,
    })

    @property
    def prefix(self):
        return self.options.get('kind') or 'type'

    def object_info(self, name):
        info = super().object_info(name)
        info['kind'] = self.options.get('kind', '')
        return info

    def index_text(self, fullname):
        kind = self.options.get('kind')
        return '%s (QAPI %s)' % (fullname, kind or 'type')

    def facts(self):
        o = self.options
        facts = []
        if o.get('base'):
            facts.append(('Base', self.type_ref(o['base'], optional=False)))
        if o.get('module'):
            facts.append(('Module', [literal(o['module'])]))
        return self.common_facts(facts)


class CommandDirective(ParentMixin, QmigObject):
    kind = 'command'
    option_spec = dict(QmigObject.option_spec, **{
        'args': directives.unchanged,
        'returns': directives.unchanged,
        'features': directives.unchanged,
    })

    def facts(self):
        o = self.options
        facts = []
        if o.get('args', '').strip():
            facts.append(('Arguments', self.type_ref(o['args'], optional=False)))
        if o.get('returns', '').strip():
            facts.append(('Returns', self.type_ref(o['returns'], optional=False)))
        return self.common_facts(facts)

    def transform_content(self, contentnode):
        """The description of the return value (``.. container::
        qmig-returns`` in the content, as qmig-gen writes a "Returns:"
        section) goes into the Returns fact, after the type: "Returns"
        is said once."""
        returns = [child for child in contentnode.children
                   if isinstance(child, nodes.container)
                   and 'qmig-returns' in child['classes']]
        super().transform_content(contentnode)
        if not returns:
            return
        body = None
        for field_list in contentnode.findall(nodes.field_list):
            if 'qmig-facts' not in field_list['classes']:
                continue
            for field in field_list.children:
                if field[0].astext() == 'Returns':
                    body = field[1]
            break
        for container in returns:
            contentnode.remove(container)
            if body is None:
                # No return type given: a Returns fact with the text only.
                field_list = next(
                    (n for n in contentnode.children
                     if isinstance(n, nodes.field_list)
                     and 'qmig-facts' in n['classes']), None)
                if field_list is None:
                    field_list = nodes.field_list(classes=['qmig-facts'])
                    contentnode.insert(0, field_list)
                body = nodes.field_body()
                field_list += nodes.field(
                    '', nodes.field_name('Returns', 'Returns'), body)
                body.extend(container.children)
                continue
            children = list(container.children)
            first = body.children[0] if body.children else None
            if (isinstance(first, nodes.paragraph) and children
                    and isinstance(children[0], nodes.paragraph)):
                # "[T] – the text" in one paragraph.
                first += nodes.Text(' – ')
                first.extend(children[0].children)
                children = children[1:]
            body.extend(children)


class EventDirective(CommandDirective):
    """A command without returns: the same facts, one option fewer."""
    kind = 'event'
    option_spec = dict(QmigObject.option_spec, **{
        'args': directives.unchanged,
        'features': directives.unchanged,
    })


class MemberDirective(QmigObject):
    kind = 'member'
    prefix = ''
    option_spec = dict(QmigObject.option_spec, **{
        'parent': directives.unchanged_required,
        'type': directives.unchanged,
        'optional': directives.flag,
        'features': directives.unchanged,
        'default': directives.unchanged,
    })

    def fullname(self, name):
        parent = self.options.get('parent', '').strip()
        if not parent:
            stack = self.env.ref_context.get('qmig:parents')
            parent = stack[-1] if stack else ''
        if not parent:
            logger.warning('qmig:member %s: no parent (use it inside '
                           'qmig:type, qmig:command or qmig:event, or give '
                           ':parent:)', name, location=self.get_location())
            return None
        return '%s.%s' % (parent, name)

    def index_text(self, fullname):
        parent, _, name = fullname.partition('.')
        return '%s (member of %s)' % (name, parent)

    def handle_signature(self, sig, signode):
        fullname = super().handle_signature(sig, signode)
        # Outside its parent's description, show the parent's name.
        stack = self.env.ref_context.get('qmig:parents')
        parent = fullname.partition('.')[0]
        if not stack or stack[-1] != parent:
            addname = parent + '.'
            signode.insert(0, addnodes.desc_addname(addname, addname))
        return fullname

    def signature_extra(self, signode):
        if self.options.get('type'):
            signode += addnodes.desc_annotation(': ', ': ')
            signode.extend(self.type_ref(self.options['type'], optional=True))
        if 'optional' in self.options:
            signode += addnodes.desc_annotation(' (optional)', ' (optional)')

    def facts(self):
        facts = []
        if self.options.get('default'):
            facts.append(('Default', [literal(self.options['default'])]))
        return self.common_facts(facts)


class ExternalTypeDirective(SphinxDirective):
    """Declare a type documented outside these pages: references to it
    link to qmig_external_url.  Renders nothing, unless :show: is given
    (then one line 'NAME is defined in MODULE')."""

    has_content = False
    required_arguments = 1
    option_spec = {
        'module': directives.unchanged,
        'kind': _choice(QAPI_KINDS),
        'show': directives.flag,
    }

    def run(self):
        name = self.arguments[0].strip()
        module = self.options.get('module', '').strip()
        domain = self.env.get_domain('qmig')
        domain.note_external(name, module,
                             self.options.get('kind') or 'object')
        if 'show' not in self.options:
            return []
        para = nodes.paragraph(classes=['qmig-external-type'])
        para += make_xref(self.env, 'type', name)
        para += nodes.Text(' is defined in ' +
                           ('module %s' % module if module else 'QEMU'))
        return [para]


class QmpExampleDirective(SphinxDirective):
    """``.. qmp-example::`` as in QEMU's QAPI documentation: an example
    QMP exchange ('->' sent, '<-' received).  Options :title: (text after
    "Example:") and :annotated: (flag: the content is reStructuredText,
    with the exchange in literal blocks; otherwise the whole content is
    the exchange, shown verbatim)."""

    has_content = True
    option_spec = {
        'title': directives.unchanged,
        'annotated': directives.flag,
    }

    def run(self):
        title = 'Example'
        if self.options.get('title'):
            title += ': ' + self.options['title']
        admonition = nodes.admonition(classes=['admonition-example',
                                               'qmp-example'])
        self.set_source_info(admonition)
        title_nodes, messages = self.state.inline_text(title, self.lineno)
        admonition += nodes.title(title, '', *title_nodes)
        if 'annotated' in self.options:
            self.state.nested_parse(self.content, self.content_offset,
                                    admonition)
        else:
            code = '\n'.join(self.content)
            block = nodes.literal_block(code, code, language='text',
                                        classes=['qmp-example'])
            self.set_source_info(block)
            admonition += block
        return [admonition] + messages


# --------------------------------------------------------------------------
# Roles

class QmigXRefRole(XRefRole):
    def __init__(self):
        super().__init__(warn_dangling=True, innernodeclass=nodes.literal)

    def process_link(self, env, refnode, has_explicit_title, title, target):
        target = target.strip()
        if not has_explicit_title and title.startswith('~'):
            target = target.lstrip('~')
            title = target.rpartition('.')[2]
        elif target.startswith('~'):
            target = target.lstrip('~')
        return title, target


# --------------------------------------------------------------------------
# Indices

class _QmigIndex(Index):
    objtype = None

    def entry(self, name, docname, node_id, info):
        raise NotImplementedError

    def generate(self, docnames=None):
        domain = self.domain
        content = {}
        items = sorted(((name, value) for (objtype, name), value
                        in domain.objects.items() if objtype == self.objtype),
                       key=lambda item: item[0].lower())
        for name, (docname, node_id, info) in items:
            if docnames and docname not in docnames:
                continue
            letter = name[0].upper()
            content.setdefault(letter, []).append(
                self.entry(name, docname, node_id, info))
        return sorted(content.items()), False


class CapabilityIndex(_QmigIndex):
    name = 'capindex'
    localname = 'Capability index'
    shortname = 'capabilities'
    objtype = 'capability'

    def entry(self, name, docname, node_id, info):
        status = info.get('status', '')
        extra = 'since %s' % info['since'] if info.get('since') else ''
        # The status goes in the description: as a qualifier Sphinx
        # would print it as "unstable:" with nothing after the colon.
        return IndexEntry(name, 0, docname, node_id, extra, '',
                          '' if status in ('', 'stable') else status)


class ParameterIndex(_QmigIndex):
    name = 'paramindex'
    localname = 'Parameter index'
    shortname = 'parameters'
    objtype = 'parameter'

    def entry(self, name, docname, node_id, info):
        status = info.get('status', '')
        return IndexEntry(name, 0, docname, node_id, info.get('type', ''), '',
                          '' if status in ('', 'stable') else status)


class RuleIndex(_QmigIndex):
    name = 'ruleindex'
    localname = 'Rule index'
    shortname = 'rules'
    objtype = 'rule'

    def entry(self, name, docname, node_id, info):
        return IndexEntry(name, 0, docname, node_id, info.get('message', ''),
                          '', '')


# --------------------------------------------------------------------------
# Domain

class QmigDomain(Domain):
    name = 'qmig'
    label = 'QEMU migration'
    object_types = {
        'capability': ObjType('capability', 'cap'),
        'parameter': ObjType('parameter', 'param'),
        'rule': ObjType('rule', 'rule'),
        'channel': ObjType('channel', 'chan'),
        'type': ObjType('type', 'type'),
        'member': ObjType('member', 'member'),
        'command': ObjType('command', 'cmd'),
        'event': ObjType('event', 'event'),
    }
    directives = {
        'capability': CapabilityDirective,
        'parameter': ParameterDirective,
        'rule': RuleDirective,
        'channel': ChannelDirective,
        'type': TypeDirective,
        'member': MemberDirective,
        'command': CommandDirective,
        'event': EventDirective,
        'external-type': ExternalTypeDirective,
    }
    roles = {role: QmigXRefRole() for role in
             ('cap', 'param', 'rule', 'chan', 'type', 'member', 'cmd', 'event')}
    indices = [CapabilityIndex, ParameterIndex, RuleIndex]
    initial_data = {
        # (objtype, fullname) -> (docname, node_id, info dict)
        'objects': {},
        # type name -> (docname, module)
        'external': {},
    }
    dangling_warnings = {
        'capparam': 'qmig: no capability or parameter %(target)s',
    }

    @property
    def objects(self):
        return self.data.setdefault('objects', {})

    @property
    def external(self):
        return self.data.setdefault('external', {})

    def note_object(self, objtype, name, node_id, info, location=None):
        key = (objtype, name)
        if key in self.objects:
            other = self.objects[key][0]
            logger.warning('duplicate qmig %s %s, also described in %s',
                           objtype, name, other, location=location)
        self.objects[key] = (self.env.docname, node_id, info)

    def note_external(self, name, module, kind='object'):
        self.external[name] = (self.env.docname, module, kind)

    def clear_doc(self, docname):
        for key, value in list(self.objects.items()):
            if value[0] == docname:
                del self.objects[key]
        for key, value in list(self.external.items()):
            if value[0] == docname:
                del self.external[key]

    def merge_domaindata(self, docnames, otherdata):
        for key, value in otherdata.get('objects', {}).items():
            if value[0] not in docnames:
                continue
            if key in self.objects and self.objects[key][0] != value[0]:
                logger.warning('duplicate qmig %s %s, also described in %s',
                               key[0], key[1], self.objects[key][0],
                               location=value[0])
            self.objects[key] = value
        for key, value in otherdata.get('external', {}).items():
            if value[0] in docnames:
                self.external[key] = value

    def external_url(self, name):
        """(known, url) of an external type."""
        config = self.env.config
        mapping = config.qmig_external_types or {}
        if name in mapping:
            return True, mapping[name] or None
        if name in self.external:
            entry = self.external[name]
            module = entry[1]
            kind = entry[2] if len(entry) > 2 else 'object'
            pattern = config.qmig_external_url or DEFAULT_EXTERNAL_URL
            return True, pattern.format(module=module, name=name, kind=kind)
        return False, None

    def _resolve_qapi(self, builder, fromdocname, typ, target, contnode):
        """A reference into QEMU's ``qapi`` domain (qmig_qapi_namespace),
        or None: exactly one object of a matching kind must be found."""
        namespace = self.env.config.qmig_qapi_namespace
        role = QAPI_ROLES.get(typ)
        if not namespace or not role or 'qapi' not in self.env.domains:
            return None
        qapi = self.env.get_domain('qapi')
        if not hasattr(qapi, 'find_obj'):
            return None
        module = self.external.get(target, (None, None))[1] or None
        matches = qapi.find_obj(namespace, module, target, role)
        if len(matches) != 1:
            return None
        fullname, obj = matches[0]
        return make_refnode(builder, fromdocname, obj.docname, obj.node_id,
                            contnode, fullname)

    def _resolve(self, builder, fromdocname, typ, target, contnode,
                 own_only=False):
        for objtype in ROLE_OBJTYPES.get(typ, ()):
            value = self.objects.get((objtype, target))
            if value:
                docname, node_id, _ = value
                return objtype, make_refnode(builder, fromdocname, docname,
                                             node_id, contnode,
                                             '%s %s' % (objtype, target))
        if own_only:
            return None, None
        ref = self._resolve_qapi(builder, fromdocname, typ, target, contnode)
        if ref is not None:
            return typ, ref
        if typ == 'type':
            known, url = self.external_url(target)
            if known:
                if not url:
                    return 'type', contnode
                ref = nodes.reference('', '', internal=False, refuri=url,
                                      reftitle='%s (external)' % target,
                                      classes=['qmig-external'])
                ref += contnode
                return 'type', ref
        return None, None

    def _resolve_legend(self, builder, fromdocname, typ, target, contnode):
        """A Side or Handshake value: a link to label qmig-TYP-TARGET,
        or None if no page defines it."""
        label = 'qmig-%s-%s' % (typ, target)
        std = self.env.get_domain('std')
        found = std.anonlabels.get(label)
        if not found:
            return None
        docname, labelid = found[0], found[1]
        return make_refnode(builder, fromdocname, docname, labelid,
                            contnode, '%s: %s' % (typ, target))

    def resolve_xref(self, env, fromdocname, builder, typ, target, node,
                     contnode):
        if typ in LEGEND_ROLES:
            ref = self._resolve_legend(builder, fromdocname, typ, target,
                                       contnode)
            return ref if ref is not None else contnode
        _, ref = self._resolve(builder, fromdocname, typ, target, contnode)
        if ref is None and node.get('qmig_optional'):
            return contnode
        return ref

    def resolve_any_xref(self, env, fromdocname, builder, target, node,
                         contnode):
        # Only what these pages describe: a type documented elsewhere
        # (external, or QEMU's qapi domain) is that project's target, and
        # offering it too would make an 'any' reference ambiguous.
        results = []
        for role in ('cap', 'param', 'rule', 'chan', 'type', 'member',
                     'cmd', 'event'):
            objtype, ref = self._resolve(builder, fromdocname, role, target,
                                         contnode, own_only=True)
            if ref is not None:
                results.append(('qmig:' + role, ref))
        return results

    def get_objects(self):
        for (objtype, name), (docname, node_id, _) in self.objects.items():
            yield name, name, objtype, docname, node_id, 1

    def get_full_qualified_name(self, node):
        return node.get('reftarget')


# --------------------------------------------------------------------------

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'static')


def _config_inited(app, config):
    if STATIC_DIR not in config.html_static_path:
        config.html_static_path.append(STATIC_DIR)


def setup(app):
    app.add_config_value('qmig_external_types', {}, 'env', [dict])
    app.add_config_value('qmig_external_url', DEFAULT_EXTERNAL_URL, 'env', [str])
    app.add_config_value('qmig_graph_fallback', True, 'env', [bool])
    app.add_node(qmig_badge)
    app.add_domain(QmigDomain)
    app.add_config_value('qmig_qapi_namespace', None, 'env', [str])
    if not is_directive_registered('qmp-example'):
        app.add_directive('qmp-example', QmpExampleDirective)
    app.add_post_transform(BadgeTransform)
    app.connect('config-inited', _config_inited)
    app.add_css_file('qmig.css')
    graph.setup(app)
    return {
        'version': __version__,
        'env_version': 2,
        'parallel_read_safe': True,
        'parallel_write_safe': True,
    }
