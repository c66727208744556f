#!/usr/bin/env python3
"""One-way headers of qmig-handshake over file: and exec: (suite 'handshake').

Usage: run-oneway-test.py QMIG_HANDSHAKE CASE TRANSPORT

TRANSPORT is 'file' (connect writes a file, listen loads it) or 'exec'
(connect pipes into a shell command, listen reads one's output).  The
two sides never run at the same time: the writer finishes, then the
loader reads what it wrote, as with a migration to a file.  Every
subprocess has a timeout: a hang is a failure.
"""
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time

TOOL = sys.argv[1]
CASE = sys.argv[2]
TRANSPORT = sys.argv[3]
WRAPPER = shlex.split(os.environ.get("QMIG_TOOL_WRAPPER", ""))
SLOW = 10 if WRAPPER else 1
PROC_TIMEOUT = 30 * SLOW
TOOL_TIMEOUT = 5 * SLOW

DEVICES = [{"section": "ram", "instance": 0, "version": 4,
            "min-version": 4},
           {"section": "0000:00:02.0/virtio-net", "instance": 0,
            "version": 11, "min-version": 1}]


def fail(msg, *outputs):
    for o in outputs:
        print(o)
    print("FAIL: " + msg)
    sys.exit(1)


def expect(cond, msg, *outputs):
    if not cond:
        fail(msg, *outputs)


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.stream = os.path.join(tmp, "stream.bin")

    def write(self, name, doc):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def addr(self, side):
        """The ADDR of @side ('connect' or 'listen') over TRANSPORT."""
        if TRANSPORT == "file":
            return "file:" + self.stream
        quoted = shlex.quote(self.stream)
        return "exec:" + ("cat > " + quoted if side == "connect"
                          else "cat " + quoted)

    def run(self, side, config, extra=(), addr=None):
        args = WRAPPER + [TOOL, side, addr or self.addr(side), "--config",
                          self.write(side + ".json", config), "--timeout",
                          str(TOOL_TIMEOUT)] + list(extra)
        try:
            return subprocess.run(args, capture_output=True, text=True,
                                  timeout=PROC_TIMEOUT)
        except subprocess.TimeoutExpired:
            fail("%s hung: %s" % (side, " ".join(args)))

    def devices(self, devs):
        return ["--devices", self.write("devices.json", devs)]


def config(caps=(), **params):
    return {"capabilities": {c: True for c in caps},
            "parameters": {k.replace("_", "-"): v
                           for k, v in params.items()}}


def caps_on(doc):
    return {c["capability"] for c in doc["agreed"]["capabilities"]
            if c["state"]}


# What the transport allows: multifd needs several connections, which a
# file has only as mapped-ram regions, and exec not at all.
def rich_source():
    if TRANSPORT == "file":
        return config(["multifd", "mapped-ram", "dirty-bitmaps"],
                      multifd_channels=3)
    return config(["dirty-bitmaps", "postcopy-ram"], downtime_limit=500)


def edit_header(stream, old, new):
    """@stream with @old replaced by @new inside its first frame, the
    frame's length field fixed."""
    length = int.from_bytes(stream[8:12], "big")
    payload = stream[12:12 + length]
    expect(old in payload, "test setup: %r not in the header" % old)
    payload = payload.replace(old, new)
    return stream[:8] + len(payload).to_bytes(4, "big") + payload + \
        stream[12 + length:]


def write_ok(env, src, extra=()):
    w = env.run("connect", src, extra)
    expect(w.returncode == 0, "writer: exit %d" % w.returncode, w.stderr)
    return json.loads(w.stdout)


def load_failed(r, *needles):
    expect(r.returncode == 1, "loader: exit %d, expected 1" % r.returncode,
           r.stdout, r.stderr)
    expect(r.stdout == "", "loader printed a result on failure", r.stdout)
    for n in needles:
        expect(n in r.stderr, "loader: '%s' not in its errors" % n, r.stderr)


def case_agree(env):
    """The loader adopts everything the header carries, intersect items
    included, and reads the stream behind it."""
    w = write_ok(env, rich_source(), env.devices(DEVICES))
    expect(w["messages"] == {"sent": 1, "received": 0} and
           w["round-trips"] == 0, "writer: not one message one way: %s"
           % w["messages"])
    r = env.run("listen", config(), env.devices(DEVICES))
    expect(r.returncode == 0, "loader: exit %d" % r.returncode, r.stderr)
    d = json.loads(r.stdout)
    expect(d["messages"] == {"sent": 0, "received": 1} and
           d["round-trips"] == 0, "loader sent something: %s"
           % d["messages"])
    expect(d["digest"] == w["digest"] and d["session"] == w["session"] and
           d["version"] == w["version"], "writer and loader disagree")
    expect(caps_on(d) == caps_on(w), "capabilities differ: %s vs %s"
           % (caps_on(d), caps_on(w)))
    expect("dirty-bitmaps" in caps_on(d), "intersect item not adopted")
    expect(d["agreed"]["transport"] == TRANSPORT, "transport not recorded")
    names = [c["name"] for c in d["channels"]]
    want = ["multifd/0", "multifd/1", "multifd/2"] \
        if TRANSPORT == "file" else []
    expect(names == want and
           [c["name"] for c in w["channels"]] == want,
           "channel regions: %s, expected %s" % (names, want))
    print("ok: digest %s, channels %s" % (d["digest"], names))


def case_mismatch(env):
    """Every reason at once; nothing printed on stdout."""
    write_ok(env, rich_source(), ["--machine", "pc-q35-10.0"] +
             env.devices(DEVICES))
    devs = [dict(DEVICES[0], version=3, **{"min-version": 3}), DEVICES[1],
            {"section": "usb", "instance": 0, "version": 1,
             "min-version": 1}]
    r = env.run("listen", config(), ["--machine", "pc-q35-9.2",
                                     "--unsupported", "dirty-bitmaps",
                                     "--target-page-size", "65536"] +
                env.devices(devs))
    load_failed(r, "machine type", "'dirty-bitmaps'", "target page size",
                "device 'ram' instance 0: the source writes version 4",
                "device 'usb' instance 0: present on the destination")
    expect("5 reasons" in r.stderr, "not every reason listed", r.stderr)
    print("ok")


def case_writer_rule(env):
    """A writer whose configuration breaks a rule of its transport writes
    nothing at all."""
    bad = config(["multifd"], multifd_channels=2) if TRANSPORT == "file" \
        else config(["mapped-ram"])
    marker = os.path.join(env.tmp, "ran")
    addr = None if TRANSPORT == "file" else "exec:touch " + \
        shlex.quote(marker)
    w = env.run("connect", bad, addr=addr)
    expect(w.returncode == 1 and "rule " in w.stderr,
           "writer: exit %d" % w.returncode, w.stderr)
    expect(not os.path.exists(env.stream) and not os.path.exists(marker),
           "the writer created its output anyway")
    print("ok: " + w.stderr.strip().splitlines()[-1])


def case_truncated(env):
    """A stream cut anywhere fails cleanly: inside the header, or in the
    data behind it."""
    write_ok(env, rich_source())
    with open(env.stream, "rb") as f:
        whole = f.read()
    header = 12 + int.from_bytes(whole[8:12], "big")
    cuts = sorted(set(list(range(0, 16)) + list(range(16, header, 53)) +
                      [header - 1, header, header + 1, len(whole) - 1]))
    for cut in cuts:
        with open(env.stream, "wb") as f:
            f.write(whole[:cut])
        r = env.run("listen", config())
        load_failed(r)
        where = ("the stream ended inside the one-way header"
                 if cut < header else "qmig-handshake: error: stream of ")
        expect(where in r.stderr, "cut at %d: unexpected error" % cut,
               r.stderr)
    print("ok: %d cuts of a %d-byte stream (header %d bytes)"
          % (len(cuts), len(whole), header))


def case_tampered(env):
    """A header whose digest does not match what it describes, and one
    whose features were changed behind the digest's back."""
    write_ok(env, rich_source())
    with open(env.stream, "rb") as f:
        whole = f.read()
    i = whole.index(b'"digest":"') + 10
    flipped = whole[:i] + (b"1" if whole[i:i + 1] == b"0" else b"0") + \
        whole[i + 1:]
    with open(env.stream, "wb") as f:
        f.write(flipped)
    load_failed(env.run("listen", config()),
                "describes another configuration")
    changed = edit_header(whole, b'"dirty-bitmaps","treatment":"intersect",'
                                 b'"value":true',
                          b'"dirty-bitmaps","treatment":"intersect",'
                          b'"value":false')
    with open(env.stream, "wb") as f:
        f.write(changed)
    load_failed(env.run("listen", config()),
                "describes another configuration")
    print("ok")


def case_mixup(env):
    """A one-way header sent to a two-way listener is refused; a two-way
    source's HELLO is refused where a one-way header is loaded."""
    write_ok(env, rich_source())
    with open(env.stream, "rb") as f:
        header = f.read()
    ready = os.path.join(env.tmp, "ready")
    listen = subprocess.Popen(
        WRAPPER + [TOOL, "listen", "tcp:127.0.0.1:0", "--config",
                   env.write("l.json", config()), "--timeout",
                   str(TOOL_TIMEOUT), "--ready-file", ready],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10 * SLOW
    while not os.path.exists(ready):
        expect(listen.poll() is None and time.monotonic() < deadline,
               "listener did not start")
        time.sleep(0.01)
    with open(ready) as f:
        host, port = f.read().strip()[4:].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(header)
        s.settimeout(10 * SLOW)
        reply = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except OSError:
            pass
    out, err = listen.communicate(timeout=PROC_TIMEOUT)
    expect(listen.returncode == 1 and "one-way header" in err,
           "two-way listener: exit %d" % listen.returncode, err)
    expect(reply[:4] == b"QMHS" and reply[6:8] == b"\x00\x03",
           "two-way listener did not REJECT: %r" % reply[:16])
    # The other way round: a two-way HELLO where a one-way header is
    # loaded (the tool never writes one to a file: edit the header).
    two_way = edit_header(header, b',"oneway":true', b"")
    with open(env.stream, "wb") as f:
        f.write(two_way)
    load_failed(env.run("listen", config()), "expected a one-way header")
    print("ok")


def case_legacy(env):
    """A legacy stream (QEVM) where a header is expected."""
    with open(env.stream, "wb") as f:
        f.write(b"QEVM\x00\x00\x00\x03" + b"\x00" * 64)
    load_failed(env.run("listen", config()), "legacy")
    r = env.run("listen", config(), ["--allow-legacy"])
    expect(r.returncode == 0 and json.loads(r.stdout) == {"legacy": True},
           "--allow-legacy: exit %d" % r.returncode, r.stdout, r.stderr)
    print("ok")


def case_versions(env):
    """One version only: a loader that does not speak it refuses; a
    writer capped to an older version is loaded by a newer loader."""
    write_ok(env, rich_source())
    load_failed(env.run("listen", config(), ["--max-version", "1"]),
                "no common protocol version")
    w = write_ok(env, rich_source(), ["--max-version", "1"])
    r = env.run("listen", config())
    expect(r.returncode == 0 and json.loads(r.stdout)["version"] == 1 and
           w["version"] == 1, "version 1 header: exit %d" % r.returncode,
           r.stderr)
    print("ok")


def case_command(env):
    """exec: a failing or silent command fails within the deadline;
    file: a missing file or directory is a clean error."""
    if TRANSPORT == "file":
        r = env.run("listen", config(),
                    addr="file:" + os.path.join(env.tmp, "missing"))
        load_failed(r, "can't open")
        w = env.run("connect", rich_source(),
                    addr="file:" + os.path.join(env.tmp, "no", "dir"))
        expect(w.returncode == 1 and "can't create" in w.stderr,
               "writer into a missing directory: exit %d" % w.returncode,
               w.stderr)
        print("ok")
        return
    w = env.run("connect", rich_source(), addr="exec:exit 3")
    expect(w.returncode == 1 and "exec:exit 3" in w.stderr,
           "writer into a failing command: exit %d" % w.returncode,
           w.stderr)
    start = time.monotonic()
    r = env.run("listen", config(), ["--timeout", "1"],
                addr="exec:sleep 30")
    took = time.monotonic() - start
    load_failed(r, "timed out")
    expect(took < 10 * SLOW, "silent command: took %.1f s" % took)
    print("ok: silent command given up after %.1f s" % took)


CASES = {
    "agree": case_agree,
    "mismatch": case_mismatch,
    "writer-rule": case_writer_rule,
    "truncated": case_truncated,
    "tampered": case_tampered,
    "mixup": case_mixup,
    "legacy": case_legacy,
    "versions": case_versions,
    "command": case_command,
}


def main():
    if CASE not in CASES or TRANSPORT not in ("file", "exec"):
        fail("unknown case or transport: %s %s" % (CASE, TRANSPORT))
    with tempfile.TemporaryDirectory(prefix="qmig-oneway-") as tmp:
        CASES[CASE](Env(tmp))


if __name__ == "__main__":
    main()
