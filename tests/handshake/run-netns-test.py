#!/usr/bin/env python3
"""qmig-handshake across a lossy, slow link (suite 'handshake-netns').

Usage: run-netns-test.py QMIG_HANDSHAKE [LINK_EMULATOR]

Two network namespaces joined by a link with 50 ms delay and 5% loss
each way (100 ms round trips, lost segments), the listen side in one
namespace and the connect side in the other:

- a veth pair with a netem qdisc on each end, when the kernel has
  sch_netem;
- otherwise (tc refuses netem, said on stdout) a TUN device in each
  namespace, point to point, and LINK_EMULATOR (link-emulator.c)
  forwarding the packets between them with the same delay and loss.
  QMIG_NETNS_LINK=tun takes this path even where netem works;
  QMIG_NETNS_SEED=N replays the emulator's loss sequence.

Three handshakes must agree, with every channel acknowledged and one
round trip counted on both sides, and a machine-type mismatch must
still fail cleanly on both sides.  Each run reports its elapsed time,
the round-trip time over the link measured just before it (UDP echo,
10 probes), the messages and round trips the tool counted, and the
elapsed time in link round trips (a round trip under 90 ms fails the
test: the link is not slow); with the emulator, the packets it
forwarded and lost in each run and in total (losses are expected but
not required).

Needs root and iproute2 (`ip`; `tc` for netem); skips (exit 77) with
the reason when not root, when network namespaces are not permitted,
or when netem is missing and TUN devices are not available either.
The namespaces, devices and every process started are always removed,
and checked to be gone.
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOOL = os.path.abspath(sys.argv[1])
EMULATOR = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
FORCE = os.environ.get("QMIG_NETNS_LINK", "")
SEED = os.environ.get("QMIG_NETNS_SEED")
STEP_TIMEOUT = 20
PROC_TIMEOUT = 45
TAG = "%d" % os.getpid()
NS_A, NS_B = "qmig-hs-a-" + TAG, "qmig-hs-b-" + TAG
IF_A, IF_B = ("qhsa" + TAG)[:15], ("qhsb" + TAG)[:15]
TUN_A, TUN_B = ("qhta" + TAG)[:15], ("qhtb" + TAG)[:15]
NET = "10.231.%d" % (os.getpid() % 250)
IP_A, IP_B = NET + ".1", NET + ".2"
DELAY_MS = 50
LOSS = 0.05
RUNS = 3
PROBES = 10

SRC = {"capabilities": {"multifd": True},
       "parameters": {"multifd-channels": 4}}
DST = {"capabilities": {}, "parameters": {}}

# UDP echo (namespace a) and the probe that measures the round trip
# (namespace b): no dependency on ping.
ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
print(s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
"""
PROBE = r"""
import json, socket, sys, time
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rtts = []
for seq in range(count):
    t0 = time.monotonic()
    s.sendto(b"%d" % seq, (host, port))
    deadline = t0 + 0.6
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(2048)
        except socket.timeout:
            break
        if data == b"%d" % seq:
            rtts.append((time.monotonic() - t0) * 1000)
            break
print(json.dumps(rtts))
"""

STATS_RE = re.compile(
    r"link-emulator: (stats|final) (a->b|b->a): read (\d+) forwarded (\d+) "
    r"lost (\d+) queue-full (\d+) write-errors (\d+) queued (\d+)\n")
FIELDS = ("read", "forwarded", "lost", "queue-full", "write-errors",
          "queued")


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def sh(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True,
                       timeout=PROC_TIMEOUT)
    if check and r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def wait_for(cond, what, proc=None, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        if proc is not None and proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise Fail("%s: nothing after %d s" % (what, timeout))
        time.sleep(0.01)
    return True


class Link:
    """The namespaces, the link between them and its helper processes."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.kind = None
        self.emulator = None
        self.emu_log = os.path.join(tmp, "link-emulator.log")
        self.dumps = 0
        self.echo = None
        self.echo_port = None

    def create_namespaces(self):
        try:
            sh("ip", "netns", "add", NS_A)
        except RuntimeError as e:
            raise Skip("network namespaces are not permitted here (%s)" % e)
        sh("ip", "netns", "add", NS_B)
        for ns in (NS_A, NS_B):
            sh("ip", "-n", ns, "link", "set", "lo", "up")

    def try_netem(self):
        """veth + netem; None if it works, else why not."""
        if FORCE == "tun":
            return "QMIG_NETNS_LINK=tun"
        if not shutil.which("tc"):
            return "'tc' is missing (Debian package iproute2)"
        try:
            sh("ip", "link", "add", IF_A, "type", "veth", "peer", "name",
               IF_B)
            for ns, ifc, ip in ((NS_A, IF_A, IP_A), (NS_B, IF_B, IP_B)):
                sh("ip", "link", "set", ifc, "netns", ns)
                sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", ifc)
                sh("ip", "-n", ns, "link", "set", ifc, "up")
        except RuntimeError as e:
            for ns in (None, NS_A, NS_B):
                sh(*(["ip"] + (["-n", ns] if ns else []) +
                     ["link", "del", IF_A]), check=False)
            return "can't build the veth pair: %s" % e
        for ns, ifc in ((NS_A, IF_A), (NS_B, IF_B)):
            r = sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev",
                   ifc, "root", "netem", "delay", "%dms" % DELAY_MS, "loss",
                   "%g%%" % (LOSS * 100), check=False)
            if r.returncode:
                # Deleting one end deletes the pair.
                sh("ip", "-n", NS_A, "link", "del", IF_A, check=False)
                return "tc refuses netem: %s" % r.stderr.strip()
        self.kind = "netem"
        return None

    def start_emulator(self, why_not_netem):
        if not EMULATOR:
            raise Skip("%s, and link-emulator was not built (no "
                       "linux/if_tun.h)" % why_not_netem)
        if not os.path.exists("/dev/net/tun"):
            raise Skip("%s, and /dev/net/tun is missing" % why_not_netem)
        ready = os.path.join(self.tmp, "emulator-ready")
        args = [EMULATOR, "--ns-a", NS_A, "--dev-a", TUN_A, "--ns-b", NS_B,
                "--dev-b", TUN_B, "--delay-ms", str(DELAY_MS), "--loss",
                str(LOSS), "--ready-file", ready]
        if SEED is not None:
            args += ["--seed", SEED]
        with open(self.emu_log, "w") as log:
            self.emulator = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=log)
        if not wait_for(lambda: os.path.exists(ready), "link-emulator",
                        self.emulator):
            rc = self.emulator.wait()
            msg = self.log().strip()
            if rc == 3:
                raise Skip("%s, and TUN devices are not available: %s"
                           % (why_not_netem, msg))
            raise Fail("link-emulator exited %d: %s" % (rc, msg))
        for ns, dev, ip, peer in ((NS_A, TUN_A, IP_A, IP_B),
                                  (NS_B, TUN_B, IP_B, IP_A)):
            # No IPv6 link-local address: no router solicitations or
            # MLD reports in the counters.
            sh("ip", "-n", ns, "link", "set", dev, "addrgenmode", "none",
               check=False)
            sh("ip", "-n", ns, "addr", "add", ip, "peer", peer, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
        self.kind = "tun"

    def log(self):
        with open(self.emu_log) as f:
            return f.read()

    def emulator_line(self):
        for line in self.log().splitlines():
            if "seed" in line:
                return line
        return "?"

    def counters(self, what, log=None):
        """The last complete 'stats' or 'final' counters, per direction."""
        found = {}
        for m in STATS_RE.finditer(log if log is not None else self.log()):
            if m.group(1) == what:
                found[m.group(2)] = dict(zip(FIELDS, map(int, m.groups()[2:])))
        return found

    def dump(self):
        """Asks the emulator for its counters (SIGUSR1) and returns them."""
        self.dumps += 1
        self.emulator.send_signal(signal.SIGUSR1)

        def arrived():
            return len([m for m in STATS_RE.finditer(self.log())
                        if m.group(1) == "stats"
                        and m.group(2) == "b->a"]) >= self.dumps
        if not wait_for(arrived, "link-emulator counters", self.emulator, 5):
            raise Fail("link-emulator died: %s" % self.log())
        return self.counters("stats")

    def stop_emulator(self):
        """SIGTERM; its exit status and final counters."""
        if self.emulator is None:
            return None, {}
        if self.emulator.poll() is None:
            self.emulator.send_signal(signal.SIGTERM)
            try:
                self.emulator.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.emulator.kill()
                self.emulator.wait()
                return "killed", {}
        return self.emulator.returncode, self.counters("final")

    def start_echo(self):
        self.echo = subprocess.Popen(
            ["ip", "netns", "exec", NS_A, sys.executable, "-c", ECHO, IP_A],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        line = self.echo.stdout.readline()
        if not line.strip().isdigit():
            raise Fail("UDP echo did not start: %s"
                       % (line + self.echo.stderr.read()))
        self.echo_port = int(line)

    def rtt(self):
        """(min, avg, max, lost) of PROBES UDP echoes over the link."""
        r = sh("ip", "netns", "exec", NS_B, sys.executable, "-c", PROBE,
               IP_A, str(self.echo_port), str(PROBES))
        rtts = json.loads(r.stdout)
        if not rtts:
            return None
        return (min(rtts), statistics.mean(rtts), max(rtts),
                PROBES - len(rtts))

    def cleanup(self):
        """Stops everything, removes everything; what is left behind."""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        left = []
        self.stop_emulator()
        if self.echo is not None:
            if self.echo.poll() is None:
                self.echo.kill()
            self.echo.communicate()
        for ns in (NS_A, NS_B):
            sh("ip", "netns", "del", ns, check=False)
        netns = [line.split()[0] for line in
                 sh("ip", "netns", "list", check=False).stdout.splitlines()
                 if line.strip()]
        left += [ns for ns in (NS_A, NS_B) if ns in netns]
        links = sh("ip", "-o", "link", "show", check=False).stdout
        left += [i for i in (IF_A, IF_B, TUN_A, TUN_B)
                 if re.search(r"^\d+: %s[:@]" % i, links, re.M)]
        for name, p in (("link-emulator", self.emulator),
                        ("UDP echo", self.echo)):
            if p is not None and p.poll() is None:
                left.append(name)
        return left


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
        if not wait_for(lambda: os.path.exists(ready), "listen", listen):
            raise Fail("listen exited %d before listening: %s"
                       % (listen.wait(), listen.stderr.read()))
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
            raise Fail("connect hung (more than %d s)" % PROC_TIMEOUT)
        took = time.monotonic() - start
        try:
            out, err = listen.communicate(timeout=PROC_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Fail("listen hung after connect exited")
        return c, listen.returncode, out, err, took
    finally:
        if listen.poll() is None:
            listen.kill()
            listen.communicate()


def fmt_rtt(rtt):
    if rtt is None:
        return "rtt n/a (every probe lost)"
    return ("rtt min/avg/max %.1f/%.1f/%.1f ms (%d/%d probes lost)"
            % (rtt + (PROBES,)))


def fmt_counters(c):
    return ", ".join("%s read %d forwarded %d lost %d queue-full %d"
                     % (d, c[d]["read"], c[d]["forwarded"], c[d]["lost"],
                        c[d]["queue-full"]) for d in ("a->b", "b->a"))


def delta(now, before):
    return {d: {k: now[d][k] - before.get(d, {}).get(k, 0) for k in FIELDS}
            for d in now}


def exercise(link, tmp):
    link.start_echo()
    before = link.dump() if link.kind == "tun" else {}
    for i in range(RUNS + 1):
        mismatch = i == RUNS
        rtt = link.rtt()
        base = rtt[1] if rtt else 2 * DELAY_MS
        if rtt and rtt[0] < 0.9 * 2 * DELAY_MS:
            raise Fail("the link is not slow: %s, expected %d ms"
                       % (fmt_rtt(rtt), 2 * DELAY_MS))
        if mismatch:
            c, rc, out, err, took = run_pair(
                tmp, ["--machine", "pc-i440fx-9.0"],
                ["--machine", "pc-q35-10.0"])
            if c.returncode != 1 or rc != 1 or "machine" not in c.stderr \
                    or "machine" not in err:
                raise Fail("mismatch: exit %d/%d\n%s\n%s"
                           % (c.returncode, rc, c.stderr, err))
            what = "mismatch: both sides failed"
        else:
            c, rc, out, err, took = run_pair(tmp)
            if c.returncode or rc:
                raise Fail("run %d: exit %d/%d\n%s\n%s"
                           % (i, c.returncode, rc, c.stderr, err))
            try:
                s, d = json.loads(c.stdout), json.loads(out)
                if s["digest"] != d["digest"] or len(d["channels"]) != 4:
                    raise Fail("run %d: sides disagree" % i)
                for side, doc in (("connect", s), ("listen", d)):
                    if doc["round-trips"] != 1:
                        raise Fail("run %d: %s side counted %s round "
                                   "trips, not 1 (messages %s)"
                                   % (i, side, doc["round-trips"],
                                      doc["messages"]))
                what = ("run %d: agreed, 4 channels acknowledged; "
                        "messages sent/received connect %d/%d, listen "
                        "%d/%d; round trips connect %d, listen %d;"
                        % (i, s["messages"]["sent"],
                           s["messages"]["received"],
                           d["messages"]["sent"], d["messages"]["received"],
                           s["round-trips"], d["round-trips"]))
            except (ValueError, KeyError, TypeError) as e:
                raise Fail("run %d: unexpected output (%r):\n%s\n%s"
                           % (i, e, c.stdout, out))
        print("%s in %.3f s; %s; elapsed = %.1f link round trips"
              % (what, took, fmt_rtt(rtt), took * 1000 / base))
        if link.kind == "tun":
            time.sleep(3 * DELAY_MS / 1000)  # let the last packets land
            now = link.dump()
            print("  link this run (probes included): %s"
                  % fmt_counters(delta(now, before)))
            before = now


def main():
    if os.geteuid() != 0:
        raise Skip("needs root for network namespaces (running as uid %d)"
                   % os.geteuid())
    if not shutil.which("ip"):
        raise Skip("'ip' is missing (Debian package iproute2)")
    with tempfile.TemporaryDirectory(prefix="qmig-hs-netns-") as tmp:
        link = Link(tmp)
        try:
            link.create_namespaces()
            why = link.try_netem()
            if why is None:
                print("link: veth with netem, delay %d ms and loss %g%% "
                      "each way" % (DELAY_MS, LOSS * 100))
            else:
                print("netem not available (%s): using the userspace link "
                      "emulator over TUN devices instead" % why)
                link.start_emulator(why)
                print("link: %s" % link.emulator_line())
            exercise(link, tmp)
            if link.kind == "tun":
                rc, final = link.stop_emulator()
                if rc != 0 or len(final) != 2:
                    raise Fail("link-emulator exited %s:\n%s"
                               % (rc, link.log()))
                print("link totals: %s" % fmt_counters(final))
                lost = sum(final[d]["lost"] for d in final)
                read = sum(final[d]["read"] for d in final)
                print("link loss: %d of %d packets (%.1f%%)%s"
                      % (lost, read, 100.0 * lost / max(read, 1),
                         "" if lost else " - none this time (not an error)"))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            raise Fail(str(e))
        finally:
            left = link.cleanup()
            if left:
                print("FAIL: left behind: %s" % ", ".join(left))
                sys.exit(1)
    print("ok")


def on_sigterm(signum, frame):
    # meson's timeout: raise, so that the namespaces are removed.
    raise Fail("killed by signal %d" % signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        main()
    except Skip as e:
        print("SKIP: %s" % e)
        sys.exit(77)
    except Fail as e:
        print("FAIL: %s" % e)
        sys.exit(1)
