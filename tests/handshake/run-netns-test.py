#!/usr/bin/env python3
"""qmig-handshake across a lossy, slow link (suite 'handshake-netns').

Usage: run-netns-test.py QMIG_HANDSHAKE

Two network namespaces joined by a veth pair, each end with a netem
qdisc (50 ms delay, 5% loss: 100 ms round trips, lost segments), the
listen side in one namespace and the connect side in the other.  The
handshake and every channel must succeed within the tool's deadlines,
and a mismatch must still fail cleanly on both sides.  Reports the
elapsed time and the number of round trips it amounts to.

Needs root, iproute2 (`ip`, `tc`) and the sch_netem qdisc; skips (exit
77) with the reason otherwise (without netem, after running the same
checks over the plain veth link, which must pass).  The namespaces are always removed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TOOL = os.path.abspath(sys.argv[1])
STEP_TIMEOUT = 20
PROC_TIMEOUT = 60
TAG = "%d" % os.getpid()
NS_A, NS_B = "qmig-hs-a-" + TAG, "qmig-hs-b-" + TAG
IF_A, IF_B = ("qhsa" + TAG)[:15], ("qhsb" + TAG)[:15]
IP_A, IP_B = "10.231.%d.1" % (os.getpid() % 250), "10.231.%d.2" % (
    os.getpid() % 250)
DELAY_MS = 50
RUNS = 3

SRC = {"capabilities": {"multifd": True},
       "parameters": {"multifd-channels": 4}}
DST = {"capabilities": {}, "parameters": {}}


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def fail(msg, *outputs):
    for o in outputs:
        print(o)
    print("FAIL: " + msg)
    sys.exit(1)


def sh(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True,
                       timeout=PROC_TIMEOUT)
    if check and r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def setup():
    try:
        sh("ip", "netns", "add", NS_A)
    except RuntimeError as e:
        skip("network namespaces are not permitted here (%s)" % e)
    sh("ip", "netns", "add", NS_B)
    sh("ip", "link", "add", IF_A, "type", "veth", "peer", "name", IF_B)
    for ns, ifc, ip in ((NS_A, IF_A, IP_A), (NS_B, IF_B, IP_B)):
        sh("ip", "link", "set", ifc, "netns", ns)
        sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", ifc)
        sh("ip", "-n", ns, "link", "set", ifc, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    for ns, ifc in ((NS_A, IF_A), (NS_B, IF_B)):
        r = sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", ifc,
               "root", "netem", "delay", "%dms" % DELAY_MS, "loss", "5%",
               check=False)
        if r.returncode:
            return "tc netem is not available (%s)" % r.stderr.strip()
    return None


def cleanup():
    for ns in (NS_A, NS_B):
        sh("ip", "netns", "del", ns, check=False)


def run_pair(tmp, lextra=(), cextra=()):
    ready = os.path.join(tmp, "ready")
    if os.path.exists(ready):
        os.unlink(ready)
    paths = {}
    for name, doc in (("dst.json", DST), ("src.json", SRC)):
        paths[name] = os.path.join(tmp, name)
        with open(paths[name], "w") as f:
            json.dump(doc, f)
    listen = subprocess.Popen(
        ["ip", "netns", "exec", NS_A, TOOL, "listen", "tcp:%s:0" % IP_A,
         "--config", paths["dst.json"], "--timeout", str(STEP_TIMEOUT),
         "--ready-file", ready] + list(lextra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(ready):
            if listen.poll() is not None or time.monotonic() > deadline:
                fail("listen did not start")
            time.sleep(0.01)
        with open(ready) as f:
            addr = f.read().strip()
        start = time.monotonic()
        try:
            c = subprocess.run(
                ["ip", "netns", "exec", NS_B, TOOL, "connect", addr,
                 "--config", paths["src.json"], "--timeout",
                 str(STEP_TIMEOUT)] + list(cextra),
                capture_output=True, text=True, timeout=PROC_TIMEOUT)
        except subprocess.TimeoutExpired:
            fail("connect hung")
        took = time.monotonic() - start
        out, err = listen.communicate(timeout=PROC_TIMEOUT)
        return c, listen.returncode, out, err, took
    finally:
        if listen.poll() is None:
            listen.kill()
            listen.communicate()


def ping_rtt_ms():
    if not shutil.which("ping"):
        return None
    r = sh("ip", "netns", "exec", NS_B, "ping", "-c", "5", "-i", "0.2",
           "-W", "2", IP_A, check=False)
    for line in r.stdout.splitlines():
        if "min/avg/max" in line:
            return float(line.split("=")[1].split("/")[1])
    return None


def main():
    if os.geteuid() != 0:
        skip("needs root for network namespaces (running as uid %d)"
             % os.geteuid())
    for tool in ("ip", "tc"):
        if not shutil.which(tool):
            skip("'%s' is missing (Debian package iproute2)" % tool)
    try:
        no_netem = setup()
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        cleanup()
        skip("can't build the veth link: %s" % e)
    try:
        with tempfile.TemporaryDirectory(prefix="qmig-hs-netns-") as tmp:
            rtt = ping_rtt_ms()
            base = rtt if rtt else 2 * DELAY_MS

            def rtts(took):
                if no_netem and not rtt:
                    return "round trips not measured"
                return "%.1f round trips of %.1f ms" % (took * 1000 / base,
                                                        base)
            if no_netem:
                print("link: plain veth (%s); ping rtt %s"
                      % (no_netem, "%.3f ms" % rtt if rtt else "n/a"))
            else:
                print("link: netem delay %d ms, loss 5%% each way; ping "
                      "rtt %s" % (DELAY_MS, "%.1f ms" % rtt if rtt
                                  else "n/a"))
            for i in range(RUNS):
                c, rc, out, err, took = run_pair(tmp)
                if c.returncode or rc:
                    fail("run %d: exit %d/%d" % (i, c.returncode, rc),
                         c.stderr, err)
                s, d = json.loads(c.stdout), json.loads(out)
                if s["digest"] != d["digest"] or len(d["channels"]) != 4:
                    fail("run %d: sides disagree" % i)
                print("run %d: agreed and 4 channels acknowledged in %.2f s"
                      " (%s)" % (i, took, rtts(took)))
            c, rc, out, err, took = run_pair(
                tmp, ["--machine", "pc-i440fx-9.0"],
                ["--machine", "pc-q35-10.0"])
            if c.returncode != 1 or rc != 1 or "machine" not in c.stderr \
                    or "machine" not in err:
                fail("mismatch: exit %d/%d" % (c.returncode, rc),
                     c.stderr, err)
            print("mismatch: both sides failed in %.2f s (%s)"
                  % (took, rtts(took)))
    finally:
        cleanup()
    left = sh("ip", "netns", "list", check=False).stdout
    if NS_A in left or NS_B in left:
        fail("namespaces left behind")
    if no_netem:
        # The handshake across namespaces passed, but the point of the
        # test, a slow and lossy link, could not be set up.
        skip(no_netem + "; the handshake over a plain veth link passed")
    print("ok")


if __name__ == "__main__":
    main()
