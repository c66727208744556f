"""Seeded random migration configurations, derived from a QEMU binary.

The capabilities, parameters, enum values and transports come from the
binary's query-qmp-schema, so every one that binary has is covered.
Introspection shows every integer type as "int", so integer values come
from one pool holding the edges of every QAPI integer type and of every
range QEMU checks: the generator needs no knowledge of the rules it
tests.
"""

import random

TRANSPORTS = ['tcp', 'unix', 'vsock', 'fd', 'exec', 'rdma', 'file']
SIDES = ['source', 'destination']

# Edges of uint8/uint32/int64/uint64 and of QEMU's migration ranges
# (levels 0..9 and 1..20, percentages 1..99 and 1..100, announce limits,
# downtime 0..2000000, page sizes and powers of two).
INTEGER_EDGES = [
    0, 1, 2, 3, 8, 9, 10, 16, 20, 21, 50, 99, 100, 101, 255, 256,
    1000, 1001, 4095, 4096, 10000, 10001, 65536, 100000, 100001,
    1 << 20, 2000000, 2000001, (1 << 31) - 1, 1 << 31, (1 << 32) - 1,
    1 << 32, 1 << 53, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 1 << 64,
    -1, -2, -(1 << 63),
]
NON_INTEGERS = [1.5, '8', True, None, [], {}]
STRINGS = ['', 'tls0', 'a b', 'x' * 300]

# Block-bitmap-mapping: node and bitmap names, aliases good and bad.
GOOD_ALIASES = ['a0', 'node1', 'A.b-c_d', 'x' * 255]
BAD_ALIASES = ['', '0a', 'a b', 'x' * 256, '-a', 'a,b']
NODE_NAMES = ['n0', 'n1', 'drive-virtio0', '', 'x' * 300]
BITMAP_NAMES = ['b0', 'b1', 'dirty', '', 'x' * 1024, 'x' * 1025]


class Model:
    """What a binary has, from its query-qmp-schema reply."""

    def __init__(self, schema):
        self.by_name = {entry['name']: entry for entry in schema}
        self.capabilities = self._capabilities()
        self.parameters = self._members('migrate-set-parameters')

    def _type(self, name):
        return self.by_name.get(name, {'meta-type': 'builtin',
                                       'json-type': name})

    def common_with(self, other):
        """Restrict to the capabilities and parameters @other has too;
        returns what was left out, as sorted names."""
        only = sorted(set(self.capabilities) - set(other.capabilities))
        only += sorted(set(self.parameters) - set(other.parameters))
        self.capabilities = [c for c in self.capabilities
                             if c in other.capabilities]
        self.parameters = {n: t for n, t in self.parameters.items()
                           if n in other.parameters}
        return only

    def _members(self, command):
        arg_type = self.by_name[self.by_name[command]['arg-type']]
        return {m['name']: self._type(m['type'])
                for m in arg_type['members']}

    def _capabilities(self):
        caps = self._members('migrate-set-capabilities')['capabilities']
        status = self._type(caps['element-type'])
        for member in status['members']:
            if member['name'] == 'capability':
                return list(self._type(member['type'])['values'])
        raise ValueError('query-qmp-schema: no MigrationCapability enum')


class Generator:
    """Configurations as (side, transport, capabilities, parameters).

    With @channels, a source in mode cpr-transfer sometimes migrates
    through migrate's channel list rather than a URI: the configuration
    then has "migrate-channels", the channel types of that list (a main
    channel on the transport, and usually a cpr channel).  Those choices
    come from a random stream of their own, so turning @channels on or
    off leaves every configuration otherwise as it was."""

    def __init__(self, model, seed, channels=False):
        self.model = model
        self.rng = random.Random(seed)
        self.channel_rng = random.Random(seed + 1) if channels else None

    def integer(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.75:
            return rng.choice(INTEGER_EDGES)
        if roll < 0.95:
            return rng.randrange(0, 1 << rng.choice([4, 8, 16, 32, 64]))
        return rng.choice(NON_INTEGERS)

    def value(self, name, typ):
        rng = self.rng
        meta = typ['meta-type']
        if name == 'block-bitmap-mapping':
            return self.block_bitmap_mapping()
        if meta == 'enum':
            if rng.random() < 0.06:
                return rng.choice(['bogus', 'qpl', 'uadk', 'qatzip', 7])
            return rng.choice(typ['values'])
        if meta == 'alternate':  # StrOrNull
            return rng.choice([None, '', 'tls0', 'creds1'])
        if meta == 'array':
            if rng.random() < 0.1:
                return rng.choice(['true', 5, [5], None])
            return rng.choice([[], ['true'], ['/bin/true', '--x'], ['']])
        json_type = typ.get('json-type')
        if json_type in ('int', 'number'):
            return self.integer()
        if json_type == 'boolean':
            return rng.random() < 0.5 if rng.random() < 0.95 else 'yes'
        if json_type == 'string':
            return rng.choice(STRINGS)
        raise ValueError('parameter %s: unexpected type %r' % (name, typ))

    def bitmap(self):
        rng = self.rng
        entry = {'name': rng.choice(BITMAP_NAMES),
                 'alias': rng.choice(GOOD_ALIASES if rng.random() < 0.8
                                     else BAD_ALIASES)}
        if rng.random() < 0.2:
            entry['transform'] = {'persistent': rng.random() < 0.5}
        if rng.random() < 0.04:
            del entry[rng.choice(['name', 'alias'])]
        return entry

    def block_bitmap_mapping(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.08:
            return rng.choice([5, 'str', {}, None, [5], [{}]])
        nodes = []
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            node = {'node-name': rng.choice(NODE_NAMES),
                    'alias': rng.choice(GOOD_ALIASES if rng.random() < 0.8
                                        else BAD_ALIASES),
                    'bitmaps': [self.bitmap()
                                for _ in range(rng.choice([0, 1, 2]))]}
            if rng.random() < 0.03:
                node['extra'] = 1
            nodes.append(node)
        # Sometimes the same node or alias twice, or one bitmap twice.
        if nodes and rng.random() < 0.25:
            twin = dict(nodes[0])
            which = rng.choice(['node-name', 'alias'])
            twin[which] = nodes[0][which]
            twin['alias' if which == 'node-name' else 'node-name'] = 'other'
            nodes.append(twin)
        if nodes and nodes[0]['bitmaps'] and rng.random() < 0.25:
            nodes[0]['bitmaps'].append(dict(nodes[0]['bitmaps'][0]))
        return nodes

    def capabilities(self):
        rng = self.rng
        caps = self.model.capabilities
        count = min(len(caps), int(rng.expovariate(0.6)))
        chosen = rng.sample(caps, count)
        return [{'capability': c,
                 'state': rng.random() < 0.9} for c in chosen]

    def parameters(self):
        rng = self.rng
        params = {}
        count = min(len(self.model.parameters), int(rng.expovariate(0.5)))
        for name in rng.sample(sorted(self.model.parameters), count):
            params[name] = self.value(name, self.model.parameters[name])
        return params

    def channels(self, config):
        """Sometimes give a cpr-transfer source a channel list."""
        if (self.channel_rng is None or config['side'] != 'source' or
                config['parameters'].get('mode') != 'cpr-transfer'):
            return config
        roll = self.channel_rng.random()
        if roll < 0.35:
            config['migrate-channels'] = ['main', 'cpr']
        elif roll < 0.5:
            config['migrate-channels'] = ['main']
        return config

    def config(self):
        rng = self.rng
        return self.channels({'side': rng.choice(SIDES),
                              'transport': rng.choice(TRANSPORTS),
                              'capabilities': self.capabilities(),
                              'parameters': self.parameters()})

    def variant(self, seed):
        """A random configuration around @seed: its side, capabilities
        and parameters (they win), half the time with random others
        added, and usually its transport."""
        rng = self.rng
        caps = {}
        if rng.random() < 0.5:
            caps = {c['capability']: c for c in self.capabilities()}
        for cap in seed['capabilities']:
            caps.pop(cap['capability'], None)
            caps[cap['capability']] = dict(cap)
        params = self.parameters() if rng.random() < 0.5 else {}
        params.update(seed['parameters'])
        transport = seed['transport']
        if rng.random() < 0.25:
            transport = rng.choice(TRANSPORTS)
        return self.channels({'side': seed['side'], 'transport': transport,
                              'capabilities': list(caps.values()),
                              'parameters': params})
