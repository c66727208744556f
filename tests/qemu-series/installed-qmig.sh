#!/bin/sh
# installed-qmig.sh QMIG_SRC QEMU_SRC PATCHDIR WORKDIR
#
# The series against an *installed* qmig, with no subprojects/qmig:
# qmig is configured with -Dextras=disabled, installed into
# WORKDIR/prefix, and QEMU is configured with --enable-qmig, finding
# libqmig through pkg-config and qmig-gen on PATH.  Then the patched
# QEMU's qmig-metadata test runs with that qmig-gen.
set -eu
qmig_src=$1
qemu_src=$2
patchdir=$3
work=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix

rm -rf "$work/qmig-build" "$prefix"
meson setup "$work/qmig-build" "$qmig_src" --prefix="$prefix" \
    -Dextras=disabled >"$work/qmig-setup.log" 2>&1 ||
    { tail -20 "$work/qmig-setup.log"; exit 1; }
meson install -C "$work/qmig-build" >"$work/qmig-install.log" 2>&1 ||
    { tail -20 "$work/qmig-install.log"; exit 1; }

PATH=$prefix/bin:$PATH
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name qmig.pc | head -n 1)")
export PATH PKG_CONFIG_PATH
echo "installed qmig: $(command -v qmig-gen), pkg-config qmig" \
     "$(pkg-config --modversion qmig) from $PKG_CONFIG_PATH"

"$here/../../qemu/scripts/build-qemu.sh" "$qemu_src" "$work/qemu" \
    "$patchdir" "" installed >"$work/qemu-build.log" 2>&1 ||
    { tail -30 "$work/qemu-build.log"; exit 1; }
build=$work/qemu/qemu/build
if [ -d "$build/subprojects/qmig" ]; then
    echo "FAIL: QEMU built qmig as a subproject although qmig is installed"
    exit 1
fi
grep -E "qmig +: " "$build/meson-logs/meson-log.txt" | tail -n 1
cd "$build"
./pyvenv/bin/meson test --no-rebuild --print-errorlogs qmig-metadata
