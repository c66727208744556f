#!/usr/bin/python3
"""frontend-vs-qemu.py - qmig-gen check against QEMU's own front end.

Usage: frontend-vs-qemu.py [--runs N] [--py-runs M] [--python PY]
                           [--bench-check BENCH_CHECK] QMIG_GEN QEMU_QAPI_DIR

Times, side by side on this machine, `QMIG_GEN check SCHEMA` on QEMU's
full schema (QEMU_QAPI_DIR/current/qapi/qapi-schema.json) against two
uses of QEMU's Python code generator under PY (default /usr/bin/python3):

* the front end alone: a fresh process that imports qapi.schema and
  constructs QAPISchema(SCHEMA), which parses the files and runs every
  check, as `qmig-gen check` does, and generates nothing.  This is the
  like-for-like comparison;
* the whole generator as QEMU's build runs it, `qapi-gen.py -o DIR -b
  SCHEMA` (qapi/meson.build): the front end, then the C it generates.
  This is how the issue that set the target measured "QEMU's Python
  front end" (677 ms, against which 100 times is "about 6.5 ms").

The generator is the newest one in QEMU_QAPI_DIR: current/scripts if
present, else that of the newest release under releases/.  It runs
from a private copy whose bytecode cache is warmed first, as in a QEMU
build tree.

Each run is a fresh process and is timed wall-clock from spawn to exit,
so every figure includes process start (for Python: the interpreter and
its imports).  The runs are interleaved (a batch of qmig-gen runs after
each pair of Python runs) so that all see the same machine load.
Prints the medians, both ratios, qmig-gen's CPU time, and whether each
ratio reaches the target (100).  Peak RSS comes from BENCH_CHECK
(bench/bench-check.c), which starts qmig-gen from a small process: a
child that Python spawns inherits the interpreter's memory high-water
mark.  Exit status 0 even
if a target is missed; 2 on a usage or setup error (a run that fails is
one).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 100
TARGET_RSS_MIB = 8

DRIVER = """\
import sys
sys.path.insert(0, sys.argv[1])
from qapi.schema import QAPISchema
QAPISchema(sys.argv[2])
"""


def version_key(label):
    return [int(n) for n in re.findall(r"\d+", label)]


def find_front_end(qapi_dir):
    """The directory holding QEMU's qapi package, and a label for it."""
    current = os.path.join(qapi_dir, "current", "scripts")
    if os.path.isdir(os.path.join(current, "qapi")):
        return current, "current/scripts"
    releases = os.path.join(qapi_dir, "releases")
    labels = [d for d in os.listdir(releases)
              if os.path.isdir(os.path.join(releases, d, "scripts", "qapi"))]
    if not labels:
        raise SystemExit("frontend-vs-qemu: no QEMU front end under %s"
                         % qapi_dir)
    newest = max(labels, key=version_key)
    return (os.path.join(releases, newest, "scripts"),
            "releases/%s/scripts" % newest)


def run(argv):
    """Run @argv once, output discarded: (wall ms, cpu ms, max RSS KiB)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 1),
                   (os.POSIX_SPAWN_DUP2, devnull, 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        _, status, ru = os.wait4(pid, 0)
        wall = (time.perf_counter() - t0) * 1e3
    finally:
        os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit("frontend-vs-qemu: %s: exit status %d"
                         % (" ".join(argv), code))
    return wall, (ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_maxrss


def peak_rss_mib(bench_check, qmig_gen, schema):
    """qmig-gen's peak RSS over a few runs, as bench-check reports it."""
    out = subprocess.run([bench_check, "-n", "5", "-w", "1", "-l", "rss",
                          qmig_gen, schema], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"max-rss\s+([0-9.]+) MiB", out)
    if not m:
        raise SystemExit("frontend-vs-qemu: cannot read bench-check's "
                         "output: %r" % out)
    return float(m.group(1))


def schema_kib(schema):
    qapi = os.path.dirname(schema)
    names = [n for n in os.listdir(qapi) if n.endswith(".json")]
    size = sum(os.path.getsize(os.path.join(qapi, n)) for n in names)
    return size / 1024.0, len(names)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200,
                    help="qmig-gen runs (default 200)")
    ap.add_argument("--py-runs", type=int, default=10,
                    help="Python front end runs (default 10)")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="interpreter for QEMU's front end")
    ap.add_argument("--bench-check", metavar="PATH",
                    help="bench-check program, to measure peak RSS")
    ap.add_argument("qmig_gen")
    ap.add_argument("qapi_dir")
    args = ap.parse_args()
    if args.runs < 1 or args.py_runs < 1:
        ap.error("run counts must be positive")

    schema = os.path.join(args.qapi_dir, "current", "qapi",
                          "qapi-schema.json")
    if not os.path.isfile(schema):
        print("frontend-vs-qemu: %s not found" % schema, file=sys.stderr)
        return 2
    scripts, label = find_front_end(args.qapi_dir)
    qmig = [os.path.abspath(args.qmig_gen), "check", schema]

    with tempfile.TemporaryDirectory(prefix="qmig-bench-") as tmp:
        # A private copy: the bytecode cache goes there, not into the
        # shared data, and is warm before the timed runs.
        shutil.copytree(os.path.join(scripts, "qapi"),
                        os.path.join(tmp, "qapi"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        driver = os.path.join(tmp, "driver.py")
        with open(driver, "w", encoding="utf-8") as f:
            f.write(DRIVER)
        python = [args.python, driver, tmp, schema]
        qapi_gen = None
        if os.path.isfile(os.path.join(scripts, "qapi-gen.py")):
            shutil.copy(os.path.join(scripts, "qapi-gen.py"), tmp)
            qapi_gen = [args.python, os.path.join(tmp, "qapi-gen.py"),
                        "-o", os.path.join(tmp, "out"), "-b", schema]

        run(python)  # warm-up: writes the bytecode cache
        if qapi_gen:
            run(qapi_gen)
        for _ in range(3):
            run(qmig)

        q_wall, q_cpu = [], []
        p_wall, g_wall = [], []
        batch, extra = divmod(args.runs, args.py_runs)
        for i in range(args.py_runs):
            p_wall.append(run(python)[0])
            if qapi_gen:
                g_wall.append(run(qapi_gen)[0])
            for _ in range(batch + (1 if i < extra else 0)):
                wall, cpu, _ = run(qmig)
                q_wall.append(wall)
                q_cpu.append(cpu)

    q_med = statistics.median(q_wall)
    p_med = statistics.median(p_wall)
    ratio = p_med / q_med
    rss_mib = None
    if args.bench_check:
        rss_mib = peak_rss_mib(args.bench_check, qmig[0], schema)
    kib, files = schema_kib(schema)
    load = " ".join("%.2f" % x for x in os.getloadavg())
    pyver = "%d.%d.%d" % sys.version_info[:3] \
        if os.path.realpath(args.python) == os.path.realpath(sys.executable) \
        else os.path.basename(args.python)

    print("qmig-gen check vs QEMU's Python front end on QEMU's schema")
    print("schema: %s (%.1f KiB in %d files)" % (schema, kib, files))
    print("machine: %d cores; load average %s" % (os.cpu_count(), load))
    print("  qmig-gen check            median %9.2f ms  (%d runs; "
          "cpu median %.2f ms; peak RSS %s)"
          % (q_med, len(q_wall), statistics.median(q_cpu),
             "%.2f MiB" % rss_mib if rss_mib is not None else "not measured"))
    print("  QEMU front end (python %s) median %9.2f ms  (%d runs; "
          "QAPISchema() from %s)" % (pyver, p_med, len(p_wall), label))
    if g_wall:
        g_med = statistics.median(g_wall)
        print("  QEMU generator (python %s) median %9.2f ms  (%d runs; "
              "qapi-gen.py -o DIR -b, from %s)"
              % (pyver, g_med, len(g_wall), label))
    else:
        print("  QEMU generator: no qapi-gen.py in %s, not measured" % label)
    print("  ratio to the front end %.1f" % ratio)
    print("target ratio >= %d against the front end alone: %s"
          % (TARGET_RATIO, "met" if ratio >= TARGET_RATIO else "MISSED"))
    if g_wall:
        g_ratio = g_med / q_med
        print("  ratio to the generator %.1f" % g_ratio)
        print("target ratio >= %d against the generator (the issue's "
              "measure): %s"
              % (TARGET_RATIO, "met" if g_ratio >= TARGET_RATIO else "MISSED"))
    if rss_mib is not None:
        print("target peak RSS %.2f MiB <= %d MiB: %s"
              % (rss_mib, TARGET_RSS_MIB,
                 "met" if rss_mib <= TARGET_RSS_MIB else "MISSED"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
