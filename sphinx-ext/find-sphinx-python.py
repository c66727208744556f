#!/usr/bin/env python3
"""Print the Python interpreter that can run the qmig Sphinx extension.

usage: find-sphinx-python.py SPHINX_BUILD

Tries, in order, the interpreter named by the shebang line of
SPHINX_BUILD (resolving '#!/usr/bin/env python3'), /usr/bin/python3 and
the interpreter running this script; prints the first one that can
import sphinx and docutils.  Exits 1, with a message, if none can.
(The first python3 on PATH may be a build without Sphinx, while
sphinx-build belongs to the system Python.)
"""
import os
import shlex
import shutil
import subprocess
import sys


def shebang_interpreter(path):
    try:
        with open(path, 'rb') as f:
            line = f.readline().decode('utf-8', 'replace').strip()
    except OSError:
        return None
    if not line.startswith('#!'):
        return None
    try:
        words = shlex.split(line[2:])
    except ValueError:
        return None
    if not words:
        return None
    if os.path.basename(words[0]) == 'env':
        words = [w for w in words[1:] if not w.startswith('-') and '=' not in w]
        return shutil.which(words[0]) if words else None
    return words[0]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    candidates = [shebang_interpreter(sys.argv[1]), '/usr/bin/python3',
                  sys.executable]
    tried = []
    for candidate in candidates:
        if not candidate or candidate in tried:
            continue
        tried.append(candidate)
        try:
            rc = subprocess.call([candidate, '-c', 'import sphinx, docutils'],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        except OSError:
            continue
        if rc == 0:
            print(candidate)
            return 0
    print('no Python interpreter can import sphinx (tried: %s); install '
          'Sphinx for the Python of %s (Debian: python3-sphinx)'
          % (', '.join(tried) or 'none', sys.argv[1]), file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
