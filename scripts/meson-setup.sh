#!/bin/sh
# meson-setup.sh BUILDDIR QEMU_QAPI_DIR [MESON_OPTION...]
#
# Configure BUILDDIR with meson if it is not configured yet; otherwise
# make sure its qemu_qapi_dir option matches QEMU_QAPI_DIR (an empty
# string disables the real-data suites) and reconfigure if it does not.
# QEMU_QAPI_DIR is passed to meson as an absolute path.
set -eu

builddir=$1
qapi=$2
shift 2

if [ -n "$qapi" ]; then
    if [ ! -d "$qapi" ]; then
        echo "meson-setup: QEMU_QAPI_DIR '$qapi' is not a directory" >&2
        exit 2
    fi
    qapi=$(cd "$qapi" && pwd)
fi

if [ ! -f "$builddir/build.ninja" ] || \
   [ ! -f "$builddir/meson-private/coredata.dat" ]; then
    rm -rf "$builddir"
    exec meson setup "$builddir" -Dqemu_qapi_dir="$qapi" "$@"
fi

current=$(meson introspect "$builddir" --buildoptions 2>/dev/null |
    python3 -c 'import json, sys
for o in json.load(sys.stdin):
    if o["name"] == "qemu_qapi_dir":
        print(o["value"])' || echo "?unknown?")

if [ "$current" != "$qapi" ]; then
    echo "meson-setup: $builddir: qemu_qapi_dir '$current' -> '$qapi'"
    meson configure "$builddir" -Dqemu_qapi_dir="$qapi"
fi
