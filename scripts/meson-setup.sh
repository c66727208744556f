#!/bin/sh
# meson-setup.sh BUILDDIR QEMU_QAPI_DIR QEMU_SRC [MESON_OPTION...]
#
# Configure BUILDDIR with meson if it is not configured yet; otherwise
# make sure its qemu_qapi_dir and qemu_src options match QEMU_QAPI_DIR
# and QEMU_SRC (an empty string disables the suites that need them) and
# reconfigure if they do not.  Both are passed to meson as absolute paths.
set -eu

builddir=$1
qapi=$2
qemu_src=$3
shift 3

if [ -n "$qemu_src" ]; then
    if [ ! -e "$qemu_src" ]; then
        echo "meson-setup: QEMU_SRC '$qemu_src' does not exist" >&2
        exit 2
    fi
    qemu_src=$(cd "$(dirname "$qemu_src")" && pwd)/$(basename "$qemu_src")
fi

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
    exec meson setup "$builddir" -Dqemu_qapi_dir="$qapi" \
        -Dqemu_src="$qemu_src" "$@"
fi

option_value() {
    meson introspect "$builddir" --buildoptions 2>/dev/null |
        /usr/bin/python3 -c 'import json, sys
for o in json.load(sys.stdin):
    if o["name"] == sys.argv[1]:
        print(o["value"])' "$1" || echo "?unknown?"
}

current=$(option_value qemu_qapi_dir)
if [ "$current" != "$qapi" ]; then
    echo "meson-setup: $builddir: qemu_qapi_dir '$current' -> '$qapi'"
    meson configure "$builddir" -Dqemu_qapi_dir="$qapi"
fi
current=$(option_value qemu_src)
if [ "$current" != "$qemu_src" ]; then
    echo "meson-setup: $builddir: qemu_src '$current' -> '$qemu_src'"
    meson configure "$builddir" -Dqemu_src="$qemu_src"
fi
