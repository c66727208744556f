#!/usr/bin/env python3
"""qmig-validate with standard output on a full device (/dev/full).

usage: check-stdout-full.py QMIG_VALIDATE CASE_DIR

Every way of producing output (the text and the JSON report,
--print-config, --help, --version, --host-lacks help) must fail with
"qmig-validate: error: cannot write standard output: No space left on
device" and exit status 2, never exit as if the output had been
written.
"""
import os
import subprocess
import sys

WANT = ("qmig-validate: error: cannot write standard output: No space left "
        "on device\n")


def main():
    qv, case_dir = os.path.abspath(sys.argv[1]), sys.argv[2]
    failed = False
    for args in (["valid-multifd.json"],
                 ["many-violations.json"],
                 ["--format", "json", "many-violations.json"],
                 ["--print-config", "print-config.json"],
                 ["--help"], ["--version"], ["--host-lacks", "help"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([qv] + args, cwd=case_dir, stdout=full,
                               stderr=subprocess.PIPE, text=True, timeout=60)
        if p.returncode != 2 or p.stderr != WANT:
            print("FAIL [validate-stdout-full]: %s >/dev/full: exit %d, "
                  "stderr %r" % (" ".join(args), p.returncode, p.stderr))
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
