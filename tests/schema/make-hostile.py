#!/usr/bin/env python3
#
# Generate large or special hostile schema inputs at test time, so that
# they need not be committed:  make-hostile.py NAME OUTDIR
#
# Writes OUTDIR/NAME.json (plus any helper file).  The expected results
# are committed in hostile/NAME.err or hostile/NAME.out next to this
# script.  Exit 77 (skip) when the input cannot be set up meaningfully.
#
# Copyright (c) the qmig authors.  GPL-2.0-or-later.

import os
import stat
import sys

MB10 = 10 * 1024 * 1024


def write(path, text):
    if os.path.lexists(path):
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        os.remove(path)
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


def string_10mb(out):
    # A 10 MB string value, inside a pragma so that it is not printed.
    write(out, "# a 10 MB string value\n"
          "{ 'pragma': { 'documentation-exceptions': [ '"
          + 'a' * MB10 + "' ] } }\n"
          "{ 'enum': 'Example', 'data': [ 'x' ] }\n")


def string_10mb_stray(out):
    # A stray character after a 10 MB string: a column beyond 10 million.
    write(out, "# a stray character after a 10 MB string value\n"
          "{ 'pragma': { 'documentation-exceptions': [ '"
          + 'a' * MB10 + "' ] } } ;\n")


def deep_list(out):
    n = 100000
    write(out, "# 100000 levels of '['\n"
          "{ 'x': " + '[' * n + "'v'" + ']' * n + " }\n")


def deep_object(out):
    n = 100000
    write(out, "# 100000 levels of '{'\n"
          + "{ 'x': " * n + "'v'" + " }" * n + "\n")


def comment_10mb(out):
    write(out, "# a 10 MB comment line\n"
          "#" + ' comment' * (MB10 // 8) + "\n"
          "{ 'enum': 'Example', 'data': [ 'x' ] }\n")


def enum_100k(out):
    values = ', '.join("'v%d'" % i for i in range(100000))
    write(out, "# an enum with 100000 values, the last one a duplicate\n"
          "{ 'enum': 'Big', 'data': [ " + values + ", 'v0' ] }\n")


def fifo(out):
    pipe = os.path.join(os.path.dirname(out), 'hostile-fifo.pipe')
    if os.path.lexists(pipe):
        os.remove(pipe)
    try:
        os.mkfifo(pipe)
    except (OSError, AttributeError) as err:
        print('cannot create a FIFO: %s' % err)
        sys.exit(77)
    write(out, "# include of a FIFO (must not hang)\n"
          "{ 'include': 'hostile-fifo.pipe' }\n")


def need_non_root():
    if hasattr(os, 'geteuid') and os.geteuid() == 0:
        print('running as root: file permissions are bypassed, '
              'an unreadable file cannot be tested')
        sys.exit(77)


def unreadable(out):
    need_non_root()
    sub = os.path.join(os.path.dirname(out), 'hostile-unreadable.sub')
    write(sub, "{ 'enum': 'Example', 'data': [] }\n")
    os.chmod(sub, 0)
    write(out, "# include of an unreadable file\n"
          "{ 'include': 'hostile-unreadable.sub' }\n")


def unreadable_root(out):
    need_non_root()
    write(out, "# an unreadable root schema\n{ 'enum': 'Example', 'data': [] }\n")
    os.chmod(out, 0)


GENERATORS = {
    'hostile-string-10mb': string_10mb,
    'hostile-string-10mb-stray': string_10mb_stray,
    'hostile-deep-list': deep_list,
    'hostile-deep-object': deep_object,
    'hostile-comment-10mb': comment_10mb,
    'hostile-enum-100k': enum_100k,
    'hostile-fifo': fifo,
    'hostile-unreadable': unreadable,
    'hostile-unreadable-root': unreadable_root,
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in GENERATORS:
        print('usage: make-hostile.py {%s} OUTDIR'
              % '|'.join(sorted(GENERATORS)), file=sys.stderr)
        return 1
    name, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    GENERATORS[name](os.path.join(outdir, name + '.json'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
