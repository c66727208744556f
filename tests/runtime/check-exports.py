#!/usr/bin/env python3
"""check-exports.py NM LIBRARY MAP HEADER...

Check that three lists of libqmig's public functions agree: the
functions declared in the public headers, the global symbols of the
version script (MAP), and the dynamic symbols the built shared LIBRARY
defines (NM -D --defined-only).  Exits 1 and prints the differences
when they do not.
"""
import re
import subprocess
import sys


def strip_comments(text):
    return re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)


def header_functions(paths):
    names = set()
    for path in paths:
        with open(path, encoding='utf-8') as f:
            text = strip_comments(f.read())
        # Declarations: "qmig_name(" outside comments and macros.
        text = re.sub(r'^\s*#.*?(?<!\\)$', ' ', text, flags=re.M | re.S)
        names.update(re.findall(r'\b(qmig_[a-z0-9_]+)\s*\(', text))
    return names


def map_symbols(path):
    with open(path, encoding='utf-8') as f:
        text = strip_comments(f.read())
    m = re.search(r'global:(.*?)local:', text, flags=re.S)
    if not m:
        sys.exit(f'{path}: no global: ... local: section')
    return set(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)\s*;', m.group(1)))


def library_symbols(nm, path):
    out = subprocess.run([nm, '-D', '--defined-only', path], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        kind, name = fields[-2], fields[-1]
        if kind == 'A':
            continue  # the version node itself (QMIG_0)
        names.add(name.split('@')[0])
    return names


def compare(what, a_name, a, b_name, b):
    ok = True
    for name in sorted(a - b):
        print(f'{what}: {name} in {a_name} but not in {b_name}')
        ok = False
    for name in sorted(b - a):
        print(f'{what}: {name} in {b_name} but not in {a_name}')
        ok = False
    return ok


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    nm, lib, mapfile, headers = sys.argv[1], sys.argv[2], sys.argv[3], \
        sys.argv[4:]
    hdr = header_functions(headers)
    mapped = map_symbols(mapfile)
    exported = library_symbols(nm, lib)
    ok = compare('map', 'the headers', hdr, 'libqmig.map', mapped)
    ok = compare('exports', 'libqmig.map', mapped, lib, exported) and ok
    print(f'{len(hdr)} header functions, {len(mapped)} in the map, '
          f'{len(exported)} exported')
    sys.exit(0 if ok else 1)


main()
