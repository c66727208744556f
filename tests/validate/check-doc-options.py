#!/usr/bin/env python3
"""Check that the documentation mentions every option --help lists.

usage: check-doc-options.py [--facts] TOOL DOC.rst...

Every long option (--name) in TOOL --help's output must appear in each
DOC as an option: an ``.. option::`` directive, a definition list term
or a literal (``--name``), so that an option added to --help without
documentation fails the test.  With --facts (qmig-validate), every host
fact ``TOOL --host-lacks help`` lists must appear in each DOC as a
literal (``fact``) too.
"""
import os
import re
import subprocess
import sys


def main():
    args = sys.argv[1:]
    facts = []
    if args and args[0] == "--facts":
        args = args[1:]
        r = subprocess.run([args[0], "--host-lacks", "help"],
                           capture_output=True, text=True, timeout=60)
        facts = re.findall(r"^  (\S+)", r.stdout, re.M)
        if r.returncode != 0 or not facts:
            print("FAIL [docs-options]: --host-lacks help: exit %d, %d "
                  "facts" % (r.returncode, len(facts)))
            return 1
    tool, docs = args[0], args[1:]
    name = os.path.basename(tool)
    r = subprocess.run([tool, "--help"], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        print("FAIL [%s docs-options]: --help exited %d: %s"
              % (name, r.returncode, r.stderr))
        return 1
    options = sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)",
                                    r.stdout)))
    if not options:
        print("FAIL [%s docs-options]: --help lists no option" % name)
        return 1
    missing = []
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        for opt in options:
            # An option directive, or the option in a literal / a term.
            pat = (r"(\.\. option:: [^\n]*(?<![\w-])%s(?![\w-])"
                   r"|``%s(?![\w-])[^`]*``"
                   r"|\*\*%s\*\*)" % ((re.escape(opt),) * 3))
            if not re.search(pat, text):
                missing.append("%s: %s" % (os.path.basename(doc), opt))
        for fact in facts:
            if "``%s``" % fact not in text:
                missing.append("%s: host fact %s" % (os.path.basename(doc),
                                                     fact))
    if missing:
        print("FAIL [%s docs-options]: options in --help (or host facts) "
              "not documented:\n  %s" % (name, "\n  ".join(missing)))
        return 1
    print("%s: %d options, all documented in %s"
          % (name, len(options), ", ".join(map(os.path.basename, docs))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
