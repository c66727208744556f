#!/usr/bin/env python3
"""Two-process tests of qmig-handshake over loopback TCP and UNIX sockets.

Usage: run-handshake-test.py QMIG_HANDSHAKE CASE TRANSPORT

The listen side starts in the background (port 0 or a temporary socket
path; it writes the bound address to a ready file), then the connect
side runs.  Every subprocess and every wait has a timeout: a hang is a
failure, never a stuck test.
"""
import json
import os
import stat
import struct
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOOL = sys.argv[1]
CASE = sys.argv[2]
TRANSPORT = sys.argv[3]
# QMIG_TOOL_WRAPPER: a command prefixed to every run of the tool, e.g.
# "valgrind --error-exitcode=99 --leak-check=full -q".  Such a wrapper
# is slow: this script's waits and the tool's default --timeout are
# scaled by SLOW, and the wrapper's --error-exitcode fails at once.
WRAPPER = shlex.split(os.environ.get("QMIG_TOOL_WRAPPER", ""))
SLOW = 10 if WRAPPER else 1
WRAPPER_ERROR = next((int(a.split("=", 1)[1]) for a in WRAPPER
                      if a.startswith("--error-exitcode=")), None)
PROC_TIMEOUT = 30 * SLOW
TOOL_TIMEOUT = 5 * SLOW

FULL_SRC = {"capabilities": {"multifd": True},
            "parameters": {"multifd-channels": 4}}
DST = {"capabilities": {"multifd": True}, "parameters": {}}
DEVICES = [{"section": "ram", "instance": 0, "version": 4,
            "min-version": 4},
           {"section": "0000:00:02.0/virtio-net", "instance": 0,
            "version": 11, "min-version": 1}]


def fail(msg):
    print("FAIL [%s, %s]: %s" % (CASE, TRANSPORT, msg))
    sys.exit(1)


def check_wrapper(rc, err, who):
    """The wrapper's own error status (valgrind's --error-exitcode)
    fails the test, showing the wrapper's report."""
    if WRAPPER_ERROR is not None and rc == WRAPPER_ERROR:
        print(err)
        fail("%s: %s reported errors (exit %d)" % (who, WRAPPER[0], rc))


class Env:
    def __init__(self, tmp):
        self.tmp = tmp

    def write(self, name, doc):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def listen_addr(self):
        if TRANSPORT == "tcp":
            return "tcp:127.0.0.1:0"
        return "unix:" + os.path.join(self.tmp, "main.sock")

    def start_listen(self, config, extra=(), timeout=TOOL_TIMEOUT):
        ready = os.path.join(self.tmp, "ready")
        if os.path.exists(ready):
            os.unlink(ready)
        args = WRAPPER + [TOOL, "listen", self.listen_addr(), "--config",
                self.write("dst.json", config), "--timeout", str(timeout),
                "--ready-file", ready] + list(extra)
        proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10 * SLOW
        while not os.path.exists(ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                out, err = proc.communicate(timeout=PROC_TIMEOUT)
                fail("listen did not start: " + err)
            time.sleep(0.01)
        with open(ready) as f:
            addr = f.read().strip()
        return proc, addr

    def connect(self, addr, config, extra=(), timeout=TOOL_TIMEOUT):
        args = WRAPPER + [TOOL, "connect", addr, "--config",
                self.write("src.json", config), "--timeout",
                str(timeout)] + list(extra)
        start = time.monotonic()
        try:
            r = subprocess.run(args, capture_output=True, text=True,
                               timeout=PROC_TIMEOUT)
        except subprocess.TimeoutExpired:
            fail("connect hung: %s" % args)
        check_wrapper(r.returncode, r.stderr, "connect")
        return r, time.monotonic() - start


def finish(proc):
    try:
        out, err = proc.communicate(timeout=PROC_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        fail("listen hung")
    check_wrapper(proc.returncode, err, "listen")
    return proc.returncode, out, err


def expect(cond, msg, *outputs):
    if not cond:
        for o in outputs:
            print(o)
        fail(msg)


def case_agree(env):
    devs = env.write("devs.json", DEVICES)
    orders = set()
    for _ in range(3):
        proc, addr = env.start_listen(DST, ["--devices", devs,
                                            "--machine", "pc-q35-10.0"])
        r, _ = env.connect(addr, FULL_SRC, ["--devices", devs,
                                            "--machine", "pc-q35-10.0"])
        rc, out, err = finish(proc)
        expect(r.returncode == 0, "connect failed", r.stderr)
        expect(rc == 0, "listen failed", err)
        src, dst = json.loads(r.stdout), json.loads(out)
        expect(src["agreed"].pop("side") == "source", "source side")
        expect(dst["agreed"].pop("side") == "destination", "dest. side")
        for k in ("version", "session", "digest", "agreed"):
            expect(src[k] == dst[k], "sides differ on " + k)
        caps = {c["capability"]: c["state"]
                for c in dst["agreed"]["capabilities"]}
        expect(caps["multifd"], "multifd not agreed")
        expect(dst["agreed"]["parameters"]["multifd-channels"] == 4,
               "the destination did not adopt multifd-channels")
        names = sorted(c["name"] for c in dst["channels"])
        expect(names == ["multifd/%d" % i for i in range(4)],
               "channel map: %s" % names)
        orders.add(tuple(c["name"] for c in
                         sorted(dst["channels"], key=lambda c: c["arrival"])))
        if TRANSPORT == "unix":
            expect(not os.path.exists(addr[5:]), "socket not removed")
    print("arrival orders seen: %s" % sorted(orders))


def case_mismatch(env):
    proc, addr = env.start_listen(DST, ["--machine", "pc-i440fx-9.0",
                                        "--unsupported", "multifd-channels"])
    r, _ = env.connect(addr, FULL_SRC, ["--machine", "pc-q35-10.0"])
    rc, out, err = finish(proc)
    expect(r.returncode == 1 and rc == 1,
           "expected exit 1 on both sides, got %d/%d" % (r.returncode, rc),
           r.stderr, err)
    for who, text in (("connect", r.stderr), ("listen", err)):
        expect("machine" in text, who + ": no machine reason", text)
        expect("multifd-channels" in text, who + ": no unsupported item",
               text)
        expect(r.stdout == "" and out == "", "output on failure")
    print(r.stderr)


def silent_server():
    fam = socket.AF_INET if TRANSPORT == "tcp" else socket.AF_UNIX
    s = socket.socket(fam, socket.SOCK_STREAM)
    return s


def run_server(env, behaviour):
    """A plain socket server: accepts one connection and @behaviour."""
    s = silent_server()
    if TRANSPORT == "tcp":
        s.bind(("127.0.0.1", 0))
        addr = "tcp:127.0.0.1:%d" % s.getsockname()[1]
    else:
        env.n_servers = getattr(env, "n_servers", 0) + 1
        path = os.path.join(env.tmp, "peer%d.sock" % env.n_servers)
        s.bind(path)
        addr = "unix:" + path
    s.listen(4)
    s.settimeout(PROC_TIMEOUT)
    held = []

    def serve():
        try:
            c, _ = s.accept()
        except OSError:
            return
        held.append(c)
        behaviour(c)
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return s, addr, held, t


def case_silent_peer(env):
    s, addr, held, t = run_server(env, lambda c: None)
    r, took = env.connect(addr, FULL_SRC, timeout=1)
    expect(r.returncode == 1, "exit %d, not 1" % r.returncode, r.stderr)
    expect("timed out after 1000 ms" in r.stderr, "no clean timeout message",
           r.stderr)
    expect(0.9 <= took < 5 * SLOW, "took %.2f s" % took)
    print("silent peer: failed after %.2f s: %s" % (took, r.stderr.strip()))
    s.close()


def case_silent_source(env):
    """The listen side facing a source that connects and never speaks."""
    proc, addr = env.start_listen(DST, timeout=1)
    fam = socket.AF_INET if TRANSPORT == "tcp" else socket.AF_UNIX
    c = socket.socket(fam, socket.SOCK_STREAM)
    if TRANSPORT == "tcp":
        host, port = addr[4:].rsplit(":", 1)
        c.connect((host, int(port)))
    else:
        c.connect(addr[5:])
    start = time.monotonic()
    rc, out, err = finish(proc)
    took = time.monotonic() - start
    c.close()
    expect(rc == 1 and "timed out after 1000 ms" in err,
           "listen: exit %d" % rc, err)
    expect(took < 5 * SLOW, "took %.2f s" % took)


def peer_sends(data):
    def behaviour(c):
        try:
            c.sendall(data)
            time.sleep(0.5)
        except OSError:
            pass
    return behaviour


def case_legacy_peer(env):
    """A destination that answers with the legacy stream magic, and a
    legacy source talking to the listen side."""
    s, addr, held, t = run_server(
        env, peer_sends(b"QEVM\x00\x00\x00\x03" + b"\x00" * 32))
    r, _ = env.connect(addr, FULL_SRC, timeout=2)
    expect(r.returncode == 1, "connect exit %d" % r.returncode, r.stderr)
    expect("magic" in r.stderr, "no magic in the error", r.stderr)
    s.close()
    proc, addr = env.start_listen(DST, timeout=2)
    fam = socket.AF_INET if TRANSPORT == "tcp" else socket.AF_UNIX
    c = socket.socket(fam, socket.SOCK_STREAM)
    if TRANSPORT == "tcp":
        host, port = addr[4:].rsplit(":", 1)
        c.connect((host, int(port)))
    else:
        c.connect(addr[5:])
    c.sendall(b"QEVM\x00\x00\x00\x03")
    rc, out, err = finish(proc)
    c.close()
    expect(rc == 1 and "legacy" in err, "listen: exit %d" % rc, err)
    print(err)


def case_garbage(env):
    s, addr, held, t = run_server(env, peer_sends(os.urandom(3) + b"\xff" * 200))
    r, _ = env.connect(addr, FULL_SRC, timeout=2)
    expect(r.returncode == 1 and "not a handshake frame" in r.stderr,
           "connect exit %d" % r.returncode, r.stderr)
    s.close()
    # A frame header announcing more than the maximum.
    s, addr, held, t = run_server(
        env, peer_sends(b"QMHS\x00\x02\x00\x02\xff\xff\xff\xff"))
    r, _ = env.connect(addr, FULL_SRC, timeout=2)
    expect(r.returncode == 1 and "exceeds the maximum" in r.stderr,
           "connect exit %d" % r.returncode, r.stderr)
    s.close()
    # Garbage to the listen side.
    proc, addr = env.start_listen(DST, timeout=2)
    fam = socket.AF_INET if TRANSPORT == "tcp" else socket.AF_UNIX
    c = socket.socket(fam, socket.SOCK_STREAM)
    if TRANSPORT == "tcp":
        host, port = addr[4:].rsplit(":", 1)
        c.connect((host, int(port)))
    else:
        c.connect(addr[5:])
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    rc, out, err = finish(proc)
    c.close()
    expect(rc == 1 and "not a handshake frame" in err,
           "listen: exit %d" % rc, err)


def run_pair(env, dst, src, lextra=(), cextra=(), timeout=TOOL_TIMEOUT):
    """listen with @dst, connect with @src; returns (connect result,
    listen rc, listen stdout, listen stderr)."""
    proc, addr = env.start_listen(dst, list(lextra), timeout=timeout)
    r, _ = env.connect(addr, src, list(cextra), timeout=timeout)
    rc, out, err = finish(proc)
    return r, rc, out, err


def expect_agreed(r, rc, out, err):
    expect(r.returncode == 0, "connect failed (%d)" % r.returncode, r.stderr)
    expect(rc == 0, "listen failed (%d)" % rc, err)
    return json.loads(r.stdout), json.loads(out)


def expect_failed(r, rc, out, err, *needles):
    expect(r.returncode == 1 and rc == 1,
           "expected exit 1 on both sides, got %d/%d" % (r.returncode, rc),
           r.stderr, err)
    expect(r.stdout == "" and out == "", "output on failure", r.stdout, out)
    for n in needles:
        for who, text in (("connect", r.stderr), ("listen", err)):
            expect(n in text, "%s: no '%s' in the error" % (who, n), text)
    print(err.strip())


def caps_on(doc):
    return sorted(c["capability"] for c in doc["agreed"]["capabilities"]
                  if c["state"])


def case_intersect(env):
    """dirty-bitmaps is an intersect capability: on only when the source
    enables it and the destination both enables and supports it; the
    destination turning it off is no failure."""
    src = {"capabilities": {"dirty-bitmaps": True}, "parameters": {}}
    on = {"capabilities": {"dirty-bitmaps": True}, "parameters": {}}
    off = {"capabilities": {}, "parameters": {}}
    for dst, csrc, lextra, want in (
            (on, src, [], ["dirty-bitmaps"]),
            (off, src, [], []),
            (on, src, ["--unsupported", "dirty-bitmaps"], []),
            (on, off, [], [])):
        s, d = expect_agreed(*run_pair(env, dst, csrc, lextra))
        expect(caps_on(s) == want and caps_on(d) == want,
               "dst %s %s: agreed %s / %s, want %s"
               % (dst, lextra, caps_on(s), caps_on(d), want))
        expect(s["digest"] == d["digest"], "digests differ")
    print("intersect: ok in 4 combinations")


def case_adopt(env):
    """multifd and multifd-channels are adopted; an adopted item the
    destination does not support fails, listing every one."""
    s, d = expect_agreed(*run_pair(env, {"capabilities": {},
                                         "parameters": {}}, FULL_SRC))
    expect(caps_on(d) == ["multifd"], "multifd not adopted: %s" % caps_on(d))
    expect(d["agreed"]["parameters"]["multifd-channels"] == 4,
           "multifd-channels not adopted")
    expect_failed(*run_pair(env, DST, FULL_SRC,
                            ["--unsupported", "multifd",
                             "--unsupported", "multifd-channels"]),
                  "'multifd'", "multifd-channels")


def case_local(env):
    """max-bandwidth is local: each side keeps its own value."""
    src = {"capabilities": {}, "parameters": {"max-bandwidth": 1000}}
    dst = {"capabilities": {}, "parameters": {"max-bandwidth": 2000}}
    s, d = expect_agreed(*run_pair(env, dst, src))
    expect(s["agreed"]["parameters"]["max-bandwidth"] == 1000,
           "source lost its max-bandwidth")
    expect(d["agreed"]["parameters"]["max-bandwidth"] == 2000,
           "destination took the source's max-bandwidth")
    expect(s["digest"] == d["digest"], "local item changed the digest")


def case_page_size(env):
    expect_failed(*run_pair(env, DST, FULL_SRC,
                            ["--target-page-size", "65536"],
                            ["--target-page-size", "4096"]),
                  "target page size: 4096 bytes on the source, 65536")


def case_uuid(env):
    u1 = "12345678-1234-1234-1234-123456789abc"
    u2 = "12345678-1234-1234-1234-123456789abd"
    expect_agreed(*run_pair(env, DST, FULL_SRC, ["--uuid", u1],
                            ["--uuid", u1]))
    expect_failed(*run_pair(env, DST, FULL_SRC, ["--uuid", u1],
                            ["--uuid", u2]), "VM UUID")
    # A source that sends no UUID asks for no check; a destination
    # without one checks nothing (QEMU's validate-uuid semantics).
    expect_agreed(*run_pair(env, DST, FULL_SRC, ["--uuid", u1]))
    expect_agreed(*run_pair(env, DST, FULL_SRC, [], ["--uuid", u1]))


def case_rule(env):
    src = {"capabilities": {"postcopy-preempt": True}, "parameters": {}}
    expect_failed(*run_pair(env, DST, src),
                  "rule postcopy-preempt-requires-postcopy-ram")


def case_devices(env):
    src = DEVICES + [{"section": "apic", "instance": 0, "version": 3,
                      "min-version": 1}]
    dst = [{"section": "ram", "instance": 0, "version": 3,
            "min-version": 3}, DEVICES[1],
           {"section": "hpet", "instance": 0, "version": 2,
            "min-version": 1}]
    expect_failed(*run_pair(env, DST, FULL_SRC,
                            ["--devices", env.write("dd.json", dst)],
                            ["--devices", env.write("ds.json", src)]),
                  "device 'ram' instance 0: the source writes version 4",
                  "device 'apic' instance 0: not present on the destination",
                  "device 'hpet' instance 0: present on the destination")
    # Several classes at once: every reason, on both sides.
    expect_failed(*run_pair(env, DST, FULL_SRC,
                            ["--devices", env.write("dd.json", dst),
                             "--machine", "pc-i440fx-9.0",
                             "--target-page-size", "65536"],
                            ["--devices", env.write("ds.json", src),
                             "--machine", "pc-q35-10.0"]),
                  "5 reasons", "machine", "target page size", "'apic'")


def case_bad_channel(env):
    for mode, needle in (("dup", "connected twice"), ("unknown", "bogus/0"),
                         ("session", "session")):
        r, rc, out, err = run_pair(env, DST, FULL_SRC, [],
                                   ["--test-bad-channel", mode])
        expect(r.returncode == 1 and rc == 1,
               "%s: exit %d/%d" % (mode, r.returncode, rc), r.stderr, err)
        expect("channel rejected" in err and needle in err,
               "%s: listen error lacks '%s'" % (mode, needle), err)
        print("%s: %s" % (mode, [l for l in err.splitlines()
                                 if "rejected" in l]))


def case_version_skew(env):
    devs = env.write("devs.json", DEVICES)
    # A version-1 source meets a 1..2 destination: version 1 is agreed.
    s, d = expect_agreed(*run_pair(env, DST, FULL_SRC, ["--devices", devs],
                                   ["--max-version", "1",
                                    "--devices", devs]))
    expect(s["version"] == 1 and d["version"] == 1,
           "version %s/%s, not 1" % (s["version"], d["version"]))
    expect(len(d["channels"]) == 4, "channels at version 1")
    # A version-1 destination.
    s, d = expect_agreed(*run_pair(env, DST, FULL_SRC, ["--max-version", "1"]))
    expect(s["version"] == 1 and d["version"] == 1, "dst v1")
    # Both at their maximum: 2.
    s, d = expect_agreed(*run_pair(env, DST, FULL_SRC))
    expect(s["version"] == 2, "highest common version is not 2")
    # No common version.
    expect_failed(*run_pair(env, DST, FULL_SRC, ["--min-version", "2"],
                            ["--max-version", "1"]),
                  "no common protocol version")


def case_legacy_allowed(env):
    """--allow-legacy: a legacy source is accepted (fallback)."""
    proc, addr = env.start_listen(DST, ["--allow-legacy"], timeout=2)
    fam = socket.AF_INET if TRANSPORT == "tcp" else socket.AF_UNIX
    c = socket.socket(fam, socket.SOCK_STREAM)
    if TRANSPORT == "tcp":
        host, port = addr[4:].rsplit(":", 1)
        c.connect((host, int(port)))
    else:
        c.connect(addr[5:])
    c.sendall(b"QEVM\x00\x00\x00\x03")
    rc, out, err = finish(proc)
    c.close()
    expect(rc == 0 and json.loads(out) == {"legacy": True},
           "listen: exit %d" % rc, out, err)


def case_usage(env):
    for args in ([], ["listen"], ["connect", "tcp:1:2"],
                 ["connect", "bogus", "--config", "x"],
                 ["listen", "tcp:127.0.0.1:0", "--config", "x",
                  "--timeout", "0"],
                 ["connect", "tcp:127.0.0.1:1", "--config",
                  env.write("src.json", FULL_SRC), "--unsupported", "nope"],
                 ["connect", "tcp:127.0.0.1:1", "--config",
                  os.path.join(env.tmp, "missing.json")],
                 ["connect", "tcp:127.0.0.1:1", "--config", "x",
                  "--uuid", "1234"],
                 ["connect", "tcp:127.0.0.1:1", "--config", "x",
                  "--max-version", "9"],
                 ["connect", "tcp:127.0.0.1:1", "--config", "x",
                  "--min-version", "2", "--max-version", "1"],
                 ["connect", "tcp:127.0.0.1:1", "--config", "x",
                  "--test-bad-channel", "other"],
                 ["listen", "tcp:127.0.0.1:0", "--config", "x",
                  "--test-bad-channel", "dup"],
                 ["connect", "tcp:127.0.0.1:1", "--config", "x",
                  "--allow-legacy"]):
        r = subprocess.run(WRAPPER + [TOOL] + args, capture_output=True,
                           text=True, timeout=PROC_TIMEOUT)
        expect(r.returncode == 2, "%s: exit %d" % (args, r.returncode),
               r.stderr)
        # The convention: "PROG: error: MESSAGE", one error per run.
        expect(r.stderr.startswith("qmig-handshake: error: ") and
               r.stderr.count("error:") == 1,
               "%s: not one 'qmig-handshake: error: ' message" % args,
               r.stderr)


# --- --tls-sim: a simulated, non-peekable TLS record layer --------------

TLS_CAPS = {"multifd": True, "postcopy-ram": True, "postcopy-preempt": True}
TLS_SRC = {"capabilities": TLS_CAPS, "parameters": {"multifd-channels": 8}}
TLS_DST = {"capabilities": TLS_CAPS, "parameters": {}}
TLS_CHANNELS = ["multifd/%d" % i for i in range(8)] + ["postcopy-preempt"]


class Relay:
    """A recording relay between connect and listen: accepts on its own
    address, forwards each connection to @upstream and keeps every byte
    seen in each direction (to check what a peeking destination or an
    observer of the wire would see)."""

    def __init__(self, env, upstream):
        fam = socket.AF_INET if TRANSPORT == "tcp" else socket.AF_UNIX
        self.fam, self.upstream = fam, upstream
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        if TRANSPORT == "tcp":
            self.sock.bind(("127.0.0.1", 0))
            self.addr = "tcp:127.0.0.1:%d" % self.sock.getsockname()[1]
        else:
            path = os.path.join(env.tmp, "relay.sock")
            self.sock.bind(path)
            self.addr = "unix:" + path
        self.sock.listen(16)
        self.sock.settimeout(PROC_TIMEOUT)
        self.conns = []  # [c2s bytearray, s2c bytearray] in accept order
        self.threads = []
        t = threading.Thread(target=self.serve, daemon=True)
        t.start()
        self.threads.append(t)

    def connect_upstream(self):
        u = socket.socket(self.fam, socket.SOCK_STREAM)
        if TRANSPORT == "tcp":
            host, port = self.upstream[4:].rsplit(":", 1)
            u.connect((host, int(port)))
        else:
            u.connect(self.upstream[5:])
        return u

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            u = self.connect_upstream()
            rec = [bytearray(), bytearray()]
            self.conns.append(rec)
            for src, dst, buf in ((c, u, rec[0]), (u, c, rec[1])):
                t = threading.Thread(target=self.pump, args=(src, dst, buf),
                                     daemon=True)
                t.start()
                self.threads.append(t)

    @staticmethod
    def pump(src, dst, buf):
        src.settimeout(PROC_TIMEOUT)
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                buf.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.sock.close()
        for t in self.threads[1:]:
            t.join(PROC_TIMEOUT)


def tls_records(data, who):
    """Parse a simulated TLS stream: the hello, then application data
    records; returns the body sizes of the latter."""
    expect(len(data) >= 37 and data[:5] == b"\x16\x03\x03\x00\x20",
           "%s: does not start with a hello record: %r" % (who, data[:8]))
    sizes, off = [], 37
    while off < len(data):
        hdr = data[off:off + 5]
        expect(len(hdr) == 5 and hdr[:3] == b"\x17\x03\x03",
               "%s: bad record header %r at %d" % (who, bytes(hdr), off))
        n = hdr[3] << 8 | hdr[4]
        expect(1 <= n <= 16384 and off + 5 + n <= len(data),
               "%s: bad record length %d at %d" % (who, n, off))
        sizes.append(n)
        off += 5 + n
    return sizes


def check_wire(relay):
    """What the relay saw: records only, never a magic number."""
    expect(len(relay.conns) == 1 + len(TLS_CHANNELS),
           "relay saw %d connections" % len(relay.conns))
    for i, (c2s, s2c) in enumerate(relay.conns):
        for who, data in (("connection %d, source" % i, c2s),
                          ("connection %d, destination" % i, s2c)):
            for magic in (b"QMHS", b"QMCH", b"QEVM"):
                expect(magic not in data, "%s: %r on the wire" % (who, magic))
            sizes = tls_records(bytes(data), who)
            expect(sizes, "%s: no data records" % who)
        if i:
            # 64-byte header + length + payload, cut into records.
            expect(len(tls_records(bytes(c2s), "")) > 1,
                   "channel %d: one record only" % i)
    print("wire: %d connections, %d records from the source, no magic"
          % (len(relay.conns),
             sum(len(tls_records(bytes(c), "")) for c, _ in relay.conns)))


def case_tls_sim(env):
    orders = set()
    for run in range(4):
        proc, addr = env.start_listen(TLS_DST, ["--tls-sim"])
        relay = Relay(env, addr) if run == 0 else None
        r, _ = env.connect(relay.addr if relay else addr, TLS_SRC,
                           ["--tls-sim"])
        rc, out, err = finish(proc)
        if relay:
            relay.close()
        src, dst = expect_agreed(r, rc, out, err)
        for k in ("version", "session", "digest"):
            expect(src[k] == dst[k], "sides differ on " + k)
        expect(caps_on(dst) == sorted(TLS_CAPS), "caps %s" % caps_on(dst))
        expect(dst["agreed"]["parameters"]["multifd-channels"] == 8,
               "multifd-channels not adopted")
        by_name = {c["name"]: c for c in dst["channels"]}
        expect(sorted(by_name) == sorted(TLS_CHANNELS),
               "channel map: %s" % sorted(by_name))
        expect(sorted(c["name"] for c in src["channels"])
               == sorted(TLS_CHANNELS), "source channels")
        for name, c in by_name.items():
            # The listener compared the payload with the expected text
            # before acknowledging it; its size shows it arrived whole.
            want = len("qmig-handshake test payload of channel " + name)
            expect(c["payload-bytes"] == want,
                   "%s: %d payload bytes" % (name, c["payload-bytes"]))
        orders.add(tuple(c["index"] for c in
                         sorted(dst["channels"], key=lambda c: c["arrival"])))
        if relay:
            check_wire(relay)
    expect(any(o != tuple(range(len(TLS_CHANNELS))) for o in orders),
           "channels always arrived in index order: %s" % orders)
    print("arrival orders seen (plan indices): %s" % sorted(orders))


def case_tls_sim_mismatch(env):
    """Only one side wraps its connections: both fail, clearly, fast."""
    for lextra, cextra, lneedle, cneedle in (
            (["--tls-sim"], [], "peer does not speak the simulated TLS",
             "destination closed the connection"),
            ([], ["--tls-sim"], "not a handshake frame",
             "simulated TLS handshake")):
        proc, addr = env.start_listen(TLS_DST, lextra, timeout=5)
        r, took = env.connect(addr, TLS_SRC, cextra, timeout=5)
        rc, out, err = finish(proc)
        expect_failed(r, rc, out, err)
        expect(lneedle in err, "listen: no '%s'" % lneedle, err)
        expect(cneedle in r.stderr, "connect: no '%s'" % cneedle, r.stderr)
        expect(took < 4, "connect took %.2f s" % took)
        print(r.stderr.strip())
    # A peer that gets the simulated TLS wrong: a bad hello, bad records
    # after a good hello, a stream cut inside a record.
    hello = b"\x16\x03\x03\x00\x20" + os.urandom(32)
    for sent, needle in (
            (b"\x16\x03\x03\x00\x10" + os.urandom(16),
             "expected a ClientHello record (16 03 03, then a 2-byte "
             "length of 32), got 16 03 03 00 10"),
            (hello + b"\x17\x03\x01\x00\x04abcd",
             "expected an application data record (17 03 03, then a "
             "2-byte length up to 16384), got 17 03 01 00 04"),
            (hello + b"\x17\x03\x03\x40\x01",
             "got 17 03 03 40 01"),
            (hello + b"\x17\x03\x03\x00\x00",
             "got 17 03 03 00 00"),
            (hello + b"\x17\x03\x03\x00\x64" + b"x" * 10,
             "the peer closed the connection inside a record (15 bytes")):
        proc, addr = env.start_listen(TLS_DST, ["--tls-sim"], timeout=5)
        fam = socket.AF_INET if TRANSPORT == "tcp" else socket.AF_UNIX
        c = socket.socket(fam, socket.SOCK_STREAM)
        if TRANSPORT == "tcp":
            host, port = addr[4:].rsplit(":", 1)
            c.connect((host, int(port)))
        else:
            c.connect(addr[5:])
        c.sendall(sent)
        if sent.startswith(hello):
            c.settimeout(PROC_TIMEOUT)
            got = b""
            while len(got) < 37:
                more = c.recv(37 - len(got))
                expect(more, "no ServerHello")
                got += more
            expect(got[:5] == b"\x16\x03\x03\x00\x20", "ServerHello %r"
                   % got[:5])
            if b"inside" in needle.encode():
                c.shutdown(socket.SHUT_WR)
        start = time.monotonic()
        rc, out, err = finish(proc)
        c.close()
        expect(rc == 1 and needle in err,
               "listen: exit %d, no '%s'" % (rc, needle), err)
        expect(time.monotonic() - start < 4, "listen was slow")
        print(err.strip().splitlines()[-1])


def case_tls_sim_bad_channel(env):
    for mode, needle in (("dup", "connected twice"), ("unknown", "bogus/0"),
                         ("session", "session")):
        r, rc, out, err = run_pair(env, TLS_DST, TLS_SRC, ["--tls-sim"],
                                   ["--tls-sim", "--test-bad-channel", mode])
        expect(r.returncode == 1 and rc == 1,
               "%s: exit %d/%d" % (mode, r.returncode, rc), r.stderr, err)
        expect("channel rejected" in err and needle in err,
               "%s: listen error lacks '%s'" % (mode, needle), err)
        print("%s: %s" % (mode, [l for l in err.splitlines()
                                 if "rejected" in l]))


def case_uint64(env):
    """Run with qmig-handshake-uint64, where max-bandwidth (QAPI 'size',
    uint64 storage) is adopted: 0, 2^63 and 2^64-1 on the source arrive
    exactly on the destination, and both sides agree on them (equal
    digests).  The destination's own value does not count."""
    for value in (0, 2**63, 2**64 - 1):
        src = {"capabilities": {}, "parameters": {"max-bandwidth": value}}
        dst = {"capabilities": {}, "parameters": {"max-bandwidth": 12345}}
        s, d = expect_agreed(*run_pair(env, dst, src))
        for who, doc in (("source", s), ("destination", d)):
            got = doc["agreed"]["parameters"]["max-bandwidth"]
            expect(got == value and type(got) is int,
                   "%s: max-bandwidth %r, want %d" % (who, got, value))
        expect(s["digest"] == d["digest"], "digests differ for %d" % value)
        expect(s["agreed"]["parameters"] == d["agreed"]["parameters"],
               "agreed parameters differ for %d" % value)
        print("max-bandwidth %d: adopted, digest %s" % (value, s["digest"]))
    # The destination not supporting it fails the handshake, naming it.
    src = {"capabilities": {},
           "parameters": {"max-bandwidth": 2**64 - 1}}
    expect_failed(*run_pair(env, {"capabilities": {}, "parameters": {}},
                            src, ["--unsupported", "max-bandwidth"]),
                  "max-bandwidth")


# --- peer-supplied text, output errors, FIFOs, messages ------------------

def frame(version, mtype, payload):
    """A handshake frame: magic, be16 version, be16 type, be32 length."""
    body = payload if isinstance(payload, bytes) else payload.encode()
    return b"QMHS" + struct.pack(">HHI", version, mtype, len(body)) + body


HELLO, REJECT = 1, 3
FAKE = "qmig-handshake: handshake succeeded"
EVIL = "\n" + FAKE + "\n\x1b[2J\x1b]0;pwned\x07\x7f\u009b"


def expect_clean(text, who):
    """No raw control character (but newlines ending lines), no DEL or
    C1 control, and no line faked by the peer."""
    for ch in text:
        o = ord(ch)
        expect(ch == "\n" or (o >= 0x20 and o != 0x7f
                              and not 0x80 <= o < 0xa0),
               "%s: raw control character %r" % (who, ch), repr(text))
    expect(FAKE not in text.splitlines(), "%s: faked line" % who, text)
    expect("handshake succeeded" not in text or "\\n" in text,
           "%s: peer text unescaped" % who, text)


def connect_to(addr):
    fam = socket.AF_INET if TRANSPORT == "tcp" else socket.AF_UNIX
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(PROC_TIMEOUT)
    if TRANSPORT == "tcp":
        host, port = addr[4:].rsplit(":", 1)
        c.connect((host, int(port)))
    else:
        c.connect(addr[5:])
    return c


def case_peer_text(env):
    """A destination whose REJECT reasons, and a source whose HELLO
    machine type, hold a newline, a faked line and escape sequences:
    printed escaped, never raw."""
    reject = frame(2, REJECT, json.dumps(
        {"reasons": ["bad" + EVIL, "\x1b[2J"]}))

    def behaviour(c):
        try:
            c.recv(65536)  # the HELLO
            c.sendall(reject)
            time.sleep(0.5)
        except OSError:
            pass
    s, addr, held, t = run_server(env, behaviour)
    r, _ = env.connect(addr, FULL_SRC, ["--machine", "pc" + EVIL],
                       timeout=5)
    s.close()
    expect(r.returncode == 1, "connect exit %d" % r.returncode, r.stderr)
    expect_clean(r.stderr, "connect stderr")
    expect_clean(r.stdout, "connect stdout")
    expect("destination: bad\\nqmig-handshake: handshake succeeded\\n"
           "\\x1b[2J\\x1b]0;pwned\\x07\\x7f\\xc2\\x9b" in r.stderr,
           "the reason is not shown escaped", r.stderr)
    print(r.stderr.strip())
    # A source whose HELLO says machine "pc<EVIL>" and a device id with
    # a newline: the listen side's reasons.
    proc, addr = env.start_listen(DST, ["--machine", "pc-q35-10.0"],
                                  timeout=5)
    c = connect_to(addr)
    hello = {"versions": [2], "features": [],
             "devices": ["0 1 1 0 ram\nx"],
             "machine": "pc" + EVIL,
             "session": "00112233445566778899aabbccddeeff",
             "target-page-size": 4096, "host-page-size": 4096}
    c.sendall(frame(2, HELLO, json.dumps(hello)))
    rc, out, err = finish(proc)
    c.close()
    expect(rc == 1, "listen exit %d" % rc, err)
    expect_clean(err, "listen stderr")
    expect("the source runs 'pc\\nqmig-handshake: handshake succeeded\\n"
           "\\x1b[2J" in err, "machine not shown escaped", err)
    print(err.strip())


def case_malformed_hello(env):
    """A HELLO with a wrong member: the error names it and says why."""
    for hello, needle in (
            ({"versions": [2], "features": [], "devices": [], "machine": 5,
              "session": "00112233445566778899aabbccddeeff",
              "target-page-size": 4096, "host-page-size": 4096},
             "malformed HELLO message: member 'machine' is not a string "
             "(got an integer)"),
            ({"versions": [2], "features": [], "devices": [],
              "machine": "m", "session": "00112233445566778899aabbccddeeff",
              "host-page-size": 4096},
             "malformed HELLO message: member 'target-page-size' is "
             "missing")):
        proc, addr = env.start_listen(DST, timeout=5)
        c = connect_to(addr)
        c.sendall(frame(2, HELLO, json.dumps(hello)))
        rc, out, err = finish(proc)
        c.close()
        expect(rc == 1 and needle in err, "listen: exit %d, no '%s'"
               % (rc, needle), err)
        print(err.strip().splitlines()[-1])


def case_stalled_peer(env):
    """A destination that sends 5 bytes of a frame and stalls: the
    timeout says it stopped in the middle of its first message."""
    s, addr, held, t = run_server(env, peer_sends(b"QMHS\x00"))
    r, took = env.connect(addr, FULL_SRC, timeout=1)
    s.close()
    expect(r.returncode == 1, "exit %d" % r.returncode, r.stderr)
    expect("timed out after 1000 ms in the middle of the peer's first "
           "message (5 bytes of it received)" in r.stderr,
           "no precise timeout message", r.stderr)
    expect("waiting for the peer's first message" not in r.stderr,
           "says it waited for the first message", r.stderr)
    print(r.stderr.strip())


def case_stdout_full(env):
    """Output to a full device: an error naming the cause, exit 2."""
    want = ("qmig-handshake: error: cannot write standard output: No space "
            "left on device")
    for args in (["--help"], ["--version"]):
        with open("/dev/full", "w") as full:
            r = subprocess.run(WRAPPER + [TOOL] + args, stdout=full,
                               stderr=subprocess.PIPE, text=True,
                               timeout=PROC_TIMEOUT)
        expect(r.returncode == 2 and want in r.stderr,
               "%s: exit %d" % (args, r.returncode), r.stderr)
    # A successful handshake whose connect side cannot print its result.
    proc, addr = env.start_listen(DST)
    with open("/dev/full", "w") as full:
        r = subprocess.run(WRAPPER + [TOOL, "connect", addr, "--config",
                                      env.write("src.json", FULL_SRC),
                                      "--timeout", str(TOOL_TIMEOUT)],
                           stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=PROC_TIMEOUT)
    rc, out, err = finish(proc)
    expect(rc == 0, "listen failed", err)
    expect(r.returncode == 2 and want in r.stderr,
           "connect: exit %d" % r.returncode, r.stderr)
    print(r.stderr.strip())


def case_fifo(env):
    """file:FIFO with nobody at the other end: both sides give up at
    --timeout with a clear message instead of blocking in open()."""
    fifo = os.path.join(env.tmp, "stream.fifo")
    os.mkfifo(fifo)
    for mode, needle in (("listen", "timed out after 1000 ms: no writer "
                                    "opened the FIFO '%s'" % fifo),
                         ("connect", "timed out after 1000 ms waiting for "
                                     "a reader to open the FIFO")):
        args = WRAPPER + [TOOL, mode, "file:" + fifo, "--config",
                          env.write("c.json", {"capabilities": {},
                                               "parameters": {}}),
                          "--timeout", "1"]
        try:
            r = subprocess.run(args, capture_output=True, text=True,
                               timeout=15 * SLOW)
        except subprocess.TimeoutExpired:
            fail("%s file:FIFO hung past --timeout" % mode)
        expect(r.returncode == 1 and needle in r.stderr,
               "%s: exit %d, no '%s'" % (mode, r.returncode, needle),
               r.stderr)
        expect(stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was removed")
        expect("peer's first message" not in r.stderr,
               "%s: blames a peer that never opened the FIFO" % mode,
               r.stderr)
        print("%s: %s" % (mode, r.stderr.strip()))
    # A writer that opens the FIFO and stays silent is a silent peer.
    lproc = subprocess.Popen(WRAPPER + [TOOL, "listen", "file:" + fifo,
                                        "--config", env.write("d.json", DST),
                                        "--timeout", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + 10 * SLOW
    wfd = -1
    while wfd < 0:
        try:
            wfd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            if lproc.poll() is not None or time.monotonic() > deadline:
                lproc.kill()
                fail("listen never opened the FIFO: %s"
                     % lproc.communicate(timeout=PROC_TIMEOUT)[1])
            time.sleep(0.01)
    try:
        rc, out, err = finish(lproc)
    finally:
        os.close(wfd)
    expect(rc == 1 and "timed out after 2000 ms waiting for the peer's "
           "first message" in err and "no writer" not in err,
           "silent writer: exit %d" % rc, err)
    print("silent writer: %s" % err.strip())
    # And with both ends: the stream goes through the FIFO.
    lproc = subprocess.Popen(WRAPPER + [TOOL, "listen", "file:" + fifo,
                                        "--config", env.write("d.json", DST),
                                        "--timeout", str(TOOL_TIMEOUT)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    r = subprocess.run(WRAPPER + [TOOL, "connect", "file:" + fifo, "--config",
                                  env.write("s.json", {"capabilities": {},
                                                       "parameters": {}}),
                                  "--timeout", str(TOOL_TIMEOUT)],
                       capture_output=True, text=True, timeout=PROC_TIMEOUT)
    rc, out, err = finish(lproc)
    expect(r.returncode == 0 and rc == 0, "through the FIFO: exit %d/%d"
           % (r.returncode, rc), r.stderr, err)


def case_input_fifo(env):
    """--config and --devices naming a FIFO without a writer (or another
    non-regular file): refused at once, saying what it is, instead of
    blocking in open() or read() forever."""
    fifo = os.path.join(env.tmp, "input.fifo")
    os.mkfifo(fifo)
    cfg = env.write("c.json", {"capabilities": {}, "parameters": {}})
    for mode, addr in (("connect", "tcp:127.0.0.1:1"),
                       ("listen", "tcp:127.0.0.1:0")):
        for opt, args, what in (
                ("--config", ["--config", fifo], fifo),
                ("--devices", ["--config", cfg, "--devices", fifo], fifo),
                ("--devices", ["--config", cfg, "--devices", "/dev/null"],
                 "/dev/null")):
            argv = WRAPPER + [TOOL, mode, addr, "--timeout", "1"] + args
            try:
                r = subprocess.run(argv, capture_output=True, text=True,
                                   timeout=15 * SLOW)
            except subprocess.TimeoutExpired:
                fail("%s %s %s: hung" % (mode, opt, what))
            check_wrapper(r.returncode, r.stderr, mode)
            kind = "a FIFO" if what == fifo else "a character device"
            want = ("qmig-handshake: error: can't read %s file '%s': not a "
                    "regular file (%s)\n" % (opt, what, kind))
            expect(r.returncode == 2 and r.stderr == want,
                   "%s %s %s: exit %d, want %r" % (mode, opt, what,
                                                  r.returncode, want),
                   r.stderr)
            print(r.stderr.strip())


NO_SUCH_HOST = "qmig-no-such-host.invalid"


def resolve_runs(env, timeout_needle_only):
    """connect and listen on tcp:NO_SUCH_HOST with --timeout 1: exit 1
    and a message naming the host, the timeout's when
    @timeout_needle_only, else the timeout's or the resolver's."""
    cfg = env.write("c.json", {"capabilities": {}, "parameters": {}})
    timed_out = ("qmig-handshake: error: timed out after 1000 ms resolving "
                 "the host name '%s'\n" % NO_SUCH_HOST)
    failed = ("qmig-handshake: error: can't resolve the host name '%s': "
              % NO_SUCH_HOST)
    for mode, port in (("connect", 1), ("listen", 0)):
        argv = WRAPPER + [TOOL, mode, "tcp:%s:%d" % (NO_SUCH_HOST, port),
                          "--config", cfg, "--timeout", "1"]
        try:
            r = subprocess.run(argv, capture_output=True, text=True,
                               timeout=15 * SLOW)
        except subprocess.TimeoutExpired:
            fail("%s: name resolution hung past --timeout" % mode)
        check_wrapper(r.returncode, r.stderr, mode)
        ok = r.stderr == timed_out or (
            not timeout_needle_only and r.stderr.startswith(failed) and
            r.stderr.count("\n") == 1)
        expect(r.returncode == 1 and ok, "%s: exit %d, not one clear "
               "message" % (mode, r.returncode), r.stderr)
        print("%s: %s" % (mode, r.stderr.strip()))


def case_resolve(env):
    """A host name that cannot be resolved: a clean failure within
    --timeout, whatever the sandbox's DNS does.  Then, where a user and
    network namespace can be made, again with a DNS server that never
    answers (/etc/resolv.conf bind-mounted to 127.0.0.1, where a UDP
    socket swallows the queries): it must time out at --timeout."""
    resolve_runs(env, False)
    unshare = "/usr/bin/unshare"
    if not os.path.exists(unshare):
        print("no unshare: silent DNS server not tried")
        return
    try:
        r = subprocess.run([unshare, "-rmn", sys.executable,
                            os.path.abspath(__file__), TOOL,
                            "resolve-silent-dns", TRANSPORT],
                           env=dict(os.environ, QMIG_PARENT_MNT_NS=os.readlink(
                               "/proc/self/ns/mnt")),
                           capture_output=True, text=True,
                           timeout=60 * SLOW)
    except subprocess.TimeoutExpired:
        fail("silent DNS server: hung")
    print(r.stdout.strip())
    if r.returncode == 77 or (r.returncode != 0 and
                              "resolve-silent-dns" not in r.stdout):
        print("silent DNS server not tried (no namespaces here): %s"
              % r.stderr.strip())
        return
    expect(r.returncode == 0, "silent DNS server: exit %d" % r.returncode,
           r.stderr)


def case_resolve_silent_dns(env):
    """Run by case_resolve inside `unshare -rmn`: exit 77 when the setup
    is not possible."""
    print("resolve-silent-dns: in a namespace")
    # Never bind-mount over the real /etc/resolv.conf: only in a mount
    # namespace of its own.
    if os.environ.get("QMIG_PARENT_MNT_NS", "/") in (
            "/", os.readlink("/proc/self/ns/mnt")):
        print("not in a mount namespace of its own")
        sys.exit(77)
    try:
        import fcntl
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # SIOCSIFFLAGS lo IFF_UP|IFF_RUNNING: the namespace's loopback.
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", 0x41, b""))
        s.close()
        conf = os.path.join(env.tmp, "resolv.conf")
        with open(conf, "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:30 attempts:2\n")
        subprocess.run(["mount", "--bind", conf, "/etc/resolv.conf"],
                       check=True, capture_output=True, timeout=30)
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns.bind(("127.0.0.1", 53))
    except (OSError, subprocess.SubprocessError) as e:
        print("setup failed: %s" % e)
        sys.exit(77)
    resolve_runs(env, True)
    dns.close()


def case_messages(env):
    """Precise, single messages: a bad --min-version, device files
    with bad JSON (our words and positions, never json-c's), and the
    error prefix of every fatal message."""
    r = subprocess.run(WRAPPER + [TOOL, "connect", "tcp:127.0.0.1:1",
                                  "--config", "x", "--min-version", "3"],
                       capture_output=True, text=True, timeout=PROC_TIMEOUT)
    expect(r.returncode == 2 and r.stderr ==
           "qmig-handshake: error: --min-version needs a protocol version "
           "from 1 to 2, not '3'\n"
           "Try 'qmig-handshake --help' for more information.\n",
           "--min-version 3: exit %d" % r.returncode, r.stderr)
    cfg = env.write("src.json", FULL_SRC)
    for name, text, want in (
            ("nul.json", '[{"section": "ram\\u0000x", "instance": 0, '
                         '"version": 4}]',
             "{path}:1:18: error: invalid JSON: string contains a NUL "
             "character (\\u0000)\n"),
            ("comma.json", '[{"section": "ram",\n  "instance": 0,}]',
             "{path}:2:17: error: invalid JSON: unexpected character "
             "'}}'\n"),
            ("trunc.json", '[{"section": "ram"',
             "{path}:1:19: error: invalid JSON: unexpected end of input\n"),
            ("type.json", '[{"section": 1, "instance": 0, "version": 4}]',
             "qmig-handshake: error: {path}: device 0 needs \"section\" "
             "(string), \"instance\" and \"version\" (integers)\n")):
        path = os.path.join(env.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run(WRAPPER + [TOOL, "connect", "tcp:127.0.0.1:1",
                                      "--config", cfg, "--devices", path],
                           capture_output=True, text=True,
                           timeout=PROC_TIMEOUT)
        expect(r.returncode == 2 and r.stderr == want.format(path=path),
               "%s: exit %d, want %r" % (name, r.returncode,
                                         want.format(path=path)), r.stderr)
        print(r.stderr.strip())


CASES = {
    "agree": case_agree,
    "mismatch": case_mismatch,
    "silent-peer": case_silent_peer,
    "silent-source": case_silent_source,
    "legacy-peer": case_legacy_peer,
    "garbage": case_garbage,
    "usage": case_usage,
    "intersect": case_intersect,
    "adopt": case_adopt,
    "local": case_local,
    "page-size": case_page_size,
    "uuid": case_uuid,
    "rule": case_rule,
    "devices": case_devices,
    "bad-channel": case_bad_channel,
    "version-skew": case_version_skew,
    "legacy-allowed": case_legacy_allowed,
    "tls-sim": case_tls_sim,
    "tls-sim-mismatch": case_tls_sim_mismatch,
    "tls-sim-bad-channel": case_tls_sim_bad_channel,
    "uint64": case_uint64,
    "peer-text": case_peer_text,
    "malformed-hello": case_malformed_hello,
    "stalled-peer": case_stalled_peer,
    "stdout-full": case_stdout_full,
    "fifo": case_fifo,
    "messages": case_messages,
    "input-fifo": case_input_fifo,
    "resolve": case_resolve,
    "resolve-silent-dns": case_resolve_silent_dns,
}

if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="qmig-hs-") as tmp:
        CASES[CASE](Env(tmp))
    print("ok")
