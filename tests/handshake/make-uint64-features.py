#!/usr/bin/env python3
"""Write the migration metadata with max-bandwidth (QAPI 'size') adopted
by the handshake instead of local, as one file, for the uint64 handshake
test: no parameter of the real metadata that crosses the wire is a
uint64.

Usage: make-uint64-features.py FEATURES_DIR OUTPUT_FILE
"""
import os
import sys

OLD = """{ 'parameter': 'max-bandwidth',
  'side': 'source',
  'handshake': 'local',"""
NEW = """{ 'parameter': 'max-bandwidth',
  'side': 'source',
  'handshake': 'adopt',"""


def main():
    src, out = sys.argv[1], sys.argv[2]
    parts = []
    for name in sorted(os.listdir(src)):
        if name.endswith(".json"):
            with open(os.path.join(src, name)) as f:
                parts.append(f.read())
    text = "\n".join(parts)
    if text.count(OLD) != 1:
        sys.exit("make-uint64-features.py: max-bandwidth entry not found")
    text = text.replace(OLD, NEW)
    try:
        with open(out) as f:
            if f.read() == text:
                return  # unchanged: keep the timestamp, no regeneration
    except OSError:
        pass
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
