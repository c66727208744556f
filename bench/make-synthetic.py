#!/usr/bin/env python3
"""Write a synthetic QAPI schema SCALE times the size of QEMU's.

Usage: make-synthetic.py [--real QAPI_DIR] [--scale N] OUTDIR

The schema is generated from scratch (no QEMU text): a root file
OUTDIR/qapi-schema.json with a pragma and includes of about 46*SCALE
module files, each holding definitions of the shapes QEMU uses (enums,
structs with bases, unions, alternates, commands, events), every one
with a doc comment, features and 'if' conditions sprinkled in, and
references across modules.  With --real, the target size and module
size are measured on the real schema directory (QEMU's
current/qapi/); otherwise about 800 KB and 46 modules are assumed.
Prints the number of files, definitions and bytes written.
"""

import argparse
import os
import sys

WORDS = ("node block device channel buffer limit count rate state mode "
         "socket path timeout level queue window offset length target "
         "source format policy region page vector thread group").split()
TYPES = ["str", "int", "bool", "uint64", "size", "number", "uint32"]


def para(seed, n_lines):
    """Doc text: short lines, two spaces between sentences."""
    out = []
    for i in range(n_lines):
        w = [WORDS[(seed * 7 + i * 3 + j) % len(WORDS)] for j in range(6)]
        out.append("The %s %s of the %s.  See the %s and %s."
                   % (w[0], w[1], w[2], w[3], w[4]))
    return out


class Module:
    def __init__(self, mod):
        self.mod = mod
        self.lines = []
        self.ndefs = 0
        self.types = []        # struct names usable as branch/member types

    def doc(self, name, body_seed, members=(), features=(), returns=False):
        lines = ["##", "# @%s:" % name, "#"]
        lines += ["# " + t for t in para(body_seed, 3)]
        for m in members:
            lines += ["#", "# @%s: the %s value" % (m, m.replace("-", " ")),
                      "#     used when the %s is active" % WORDS[len(m) % 25]]
        if features:
            lines += ["#", "# Features:"]
            for f in features:
                lines += ["#", "# @%s: This one is %s." % (f, f)]
        if returns:
            lines += ["#", "# Returns: the current state"]
        lines += ["#", "# Since: %d.%d" % (1 + self.mod % 9, self.ndefs % 3),
                  "##"]
        self.lines += lines

    def emit(self, text):
        self.lines.append(text)
        self.lines.append("")
        self.ndefs += 1

    def unit(self, u, prev_struct):
        """One group of eight definitions; names carry module and unit."""
        p = "M%dU%d" % (self.mod, u)
        lp = "m%d-u%d" % (self.mod, u)
        enum, base, s1, s2 = (p + "Kind", p + "Base", p + "Alpha",
                              p + "Beta")
        union, alt = p + "Choice", p + "Either"
        cmd, ev = "query-" + lp, "EVENT_" + p.upper()

        vals = ["alpha", "beta", "gamma", "delta"]
        self.doc(enum, u, vals, features=["deprecated"])
        self.emit("{ 'enum': '%s',\n  'data': [ 'alpha', 'beta', "
                  "{ 'name': 'gamma', 'if': 'CONFIG_GAMMA' },\n"
                  "            { 'name': 'delta', 'features': "
                  "[ 'deprecated' ] } ] }" % enum)

        mem = ["kind", "node-name", "count"]
        self.doc(base, u + 1, mem)
        self.emit("{ 'struct': '%s',\n  'data': { 'kind': '%s', "
                  "'node-name': 'str', '*count': 'int' } }" % (base, enum))

        mem = ["size", "ratio", "tags", "enabled"]
        self.doc(s1, u + 2, mem, features=["unstable"])
        self.emit("{ 'struct': '%s',\n  'data': { 'size': 'size', "
                  "'*ratio': 'number', 'tags': [ 'str' ],\n"
                  "            'enabled': { 'type': 'bool', "
                  "'features': [ 'unstable' ] } } }" % s1)

        ref = prev_struct or s1
        mem = ["peer", "offset", "mode"]
        self.doc(s2, u + 3, mem)
        self.emit("{ 'struct': '%s', 'base': '%s',\n  'data': { "
                  "'*peer': '%s', 'offset': '%s',\n"
                  "            'mode': { 'type': 'str', 'if': "
                  "'CONFIG_MODE' } } }"
                  % (s2, base, ref, TYPES[u % len(TYPES)]))

        self.doc(union, u + 4)
        self.emit("{ 'union': '%s', 'base': '%s', "
                  "'discriminator': 'kind',\n  'data': { 'alpha': '%s', "
                  "'beta': '%s' } }" % (union, base, s1, s1))

        self.doc(alt, u + 5, ["object", "name"])
        self.emit("{ 'alternate': '%s',\n  'data': { 'object': '%s', "
                  "'name': 'str' } }" % (alt, s1))

        mem = ["id", "filter", "verbose"]
        self.doc(cmd, u + 6, mem, features=["deprecated"], returns=True)
        self.emit("{ 'command': '%s',\n  'data': { 'id': 'str', "
                  "'*filter': '%s', '*verbose': 'bool' },\n"
                  "  'returns': [ '%s' ], 'features': [ 'deprecated' ],\n"
                  "  'allow-preconfig': true }" % (cmd, alt, s2))

        self.doc(ev, u + 7, ["node", "state"])
        self.emit("{ 'event': '%s',\n  'data': { 'node': 'str', "
                  "'state': '%s' },\n  'if': { 'all': [ 'CONFIG_EV', "
                  "{ 'not': 'CONFIG_NO_EV' } ] } }" % (ev, enum))
        return s2

    def text(self):
        head = ["# -*- Mode: Python -*-", "# vim: filetype=python", "",
                "##", "# = Synthetic module %d" % self.mod, "##", ""]
        return "\n".join(head + self.lines) + "\n"


def measure_real(qapi_dir):
    files = [f for f in os.listdir(qapi_dir) if f.endswith(".json")]
    size = sum(os.path.getsize(os.path.join(qapi_dir, f)) for f in files)
    return size, len(files)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", help="QEMU's current/qapi directory")
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("outdir")
    args = ap.parse_args()

    base_bytes, base_files = 800 * 1024, 46
    if args.real:
        base_bytes, base_files = measure_real(args.real)
    target = base_bytes * args.scale
    nmods = max(1, base_files * args.scale - 1)
    per_mod = target / nmods

    os.makedirs(args.outdir, exist_ok=True)
    for f in os.listdir(args.outdir):
        if f.endswith(".json"):
            os.unlink(os.path.join(args.outdir, f))

    root = ["# -*- Mode: Python -*-", "", "{ 'pragma': { 'doc-required': "
            "true } }", "", "##", "# = Synthetic schema", "##", ""]
    total, ndefs, prev = 0, 0, None
    for m in range(nmods):
        mod = Module(m)
        u = 0
        while True:
            prev = mod.unit(u, prev)
            u += 1
            if total + len(mod.text()) >= per_mod * (m + 1) or u > 10000:
                break
        data = mod.text()
        name = "mod%05d.json" % m
        with open(os.path.join(args.outdir, name), "w") as f:
            f.write(data)
        root.append("{ 'include': '%s' }" % name)
        total += len(data)
        ndefs += mod.ndefs
    data = "\n".join(root) + "\n"
    with open(os.path.join(args.outdir, "qapi-schema.json"), "w") as f:
        f.write(data)
    total += len(data)
    print("%s: %d files, %d definitions, %.1f KiB"
          % (args.outdir, nmods + 1, ndefs, total / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
