#!/bin/bash
# check-series.sh SRC PATCHDIR QMIG_SRC WORKDIR
#
# What a maintainer checks before taking the series in PATCHDIR:
# every patch passes QEMU's scripts/checkpatch.pl without errors, and
# QEMU builds after every patch (bisectable), with QMIG_SRC as its
# subprojects/qmig.  Each prefix of the series is built by
# build-qemu.sh into WORKDIR/prefix-N, so ccache and the reuse stamp
# keep repeated runs cheap.  Prints one line per patch.
set -euo pipefail

if [ $# -ne 4 ]; then
    echo "usage: $0 SRC PATCHDIR QMIG_SRC WORKDIR" >&2
    exit 2
fi
src=$1
patchdir=$(cd "$2" && pwd)
qmig_src=$3
workdir=$4
here=$(cd "$(dirname "$0")" && pwd)

shopt -s nullglob
patches=("$patchdir"/*.patch)
if [ ${#patches[@]} -eq 0 ]; then
    echo "check-series: no patches in $patchdir" >&2
    exit 2
fi
mkdir -p "$workdir"
workdir=$(cd "$workdir" && pwd)

failed=0
for ((n = 1; n <= ${#patches[@]}; n++)); do
    patch=${patches[$((n - 1))]}
    name=$(basename "$patch")
    prefix=$workdir/prefix-$n
    mkdir -p "$prefix/patches"
    rm -f "$prefix/patches"/*.patch
    cp "${patches[@]:0:$n}" "$prefix/patches/"
    if ! "$here/build-qemu.sh" "$src" "$prefix/build" "$prefix/patches" "" \
            "$qmig_src" >"$prefix/build.log" 2>&1; then
        echo "FAIL build after $name (log: $prefix/build.log)"
        tail -20 "$prefix/build.log"
        failed=1
        continue
    fi
    tree=$prefix/build/qemu
    if ! (cd "$tree" && ./scripts/checkpatch.pl --no-color "$patch") \
            >"$prefix/checkpatch.log" 2>&1; then
        # checkpatch exits non-zero on warnings too; errors are what fail.
        if grep -q '^ERROR' "$prefix/checkpatch.log"; then
            echo "FAIL checkpatch $name:"
            grep -A3 '^ERROR' "$prefix/checkpatch.log"
            failed=1
            continue
        fi
    fi
    summary=$(grep '^total:' "$prefix/checkpatch.log" || true)
    echo "ok $name: builds; checkpatch $summary"
done
exit $failed
