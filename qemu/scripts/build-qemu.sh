#!/bin/bash
# build-qemu.sh SRC OUTDIR [PATCHDIR [LINK [QMIG_SRC]]]
#
# Turn QEMU's source (SRC: the release tarball of ../shared/qemu-src, or an
# unpacked tree) into a built qemu-system-x86_64 under OUTDIR, optionally
# with the git-format-patch series in PATCHDIR applied first (git am, name
# order).
#
# The build is reused while its inputs are unchanged: OUTDIR/inputs.stamp
# records a digest of the source, the configure flags and the patches, and
# a matching stamp with a binary present means there is nothing to do.
# Otherwise the tree is unpacked afresh and built with ccache, keyed so
# that another checkout of qmig (CI's fresh clone) hits the same cache.
#
# With QMIG_SRC (qmig's source tree), a copy of it becomes the tree's
# subprojects/qmig, which the series builds qmig-gen and libqmig from.
# QMIG_SRC "installed" uses the qmig that pkg-config and PATH find
# instead (an installed qmig), with no subprojects/qmig.
#
# On success prints the path of the binary on the last line of stdout
# and, with LINK, points the symbolic link LINK at it (a meson output).
#
# With BUILD_QEMU_DOCS=1 in the environment it builds QEMU's HTML manual
# instead (--enable-docs, --enable-werror so that Sphinx runs with -W
# although the tree is not a git checkout; ninja target docs/docs.stamp)
# and prints the path of the manual's index.html.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 5 ]; then
    echo "usage: $0 SRC OUTDIR [PATCHDIR [LINK [QMIG_SRC]]]" >&2
    exit 2
fi
src=$1
outdir=$2
patchdir=${3:-}
link=${4:-}
qmig_src=${5:-}

finish() {
    if [ -n "$link" ]; then
        ln -sfn "$binary" "$link"
    fi
    echo "$binary"
    exit 0
}

# The flags a distribution would use for migration work: one target,
# nothing optional but what migration needs (zstd compression, gnutls
# for TLS channels).  Debian's python3, never the first one on PATH.
CONFIGURE_FLAGS=(--target-list=x86_64-softmmu --without-default-features
                 --enable-zstd --enable-gnutls --disable-docs
                 --python=/usr/bin/python3)
NINJA_TARGETS=(qemu-system-x86_64 tests/qtest/migration-test)
if [ "${BUILD_QEMU_DOCS:-0}" = 1 ]; then
    CONFIGURE_FLAGS=("${CONFIGURE_FLAGS[@]/--disable-docs/--enable-docs}"
                     --enable-werror)
    NINJA_TARGETS=(docs/docs.stamp)
fi

log() { echo "build-qemu: $*" >&2; }

if [ -f "$src" ]; then
    src_digest=$(sha256sum "$src" | cut -d' ' -f1)
elif [ -d "$src" ]; then
    # An unpacked tree: names, sizes and modification times of every file.
    src_digest=$(cd "$src" && find . -type f -printf '%P %s %T@\n' |
                 LC_ALL=C sort | sha256sum | cut -d' ' -f1)
else
    log "no QEMU source at '$src' (a qemu-*.tar.xz or an unpacked tree)"
    exit 2
fi

patch_digest=none
patches=()
if [ -n "$patchdir" ]; then
    shopt -s nullglob
    patches=("$patchdir"/*.patch)
    shopt -u nullglob
    if [ ${#patches[@]} -gt 0 ]; then
        patch_digest=$(cat "${patches[@]}" | sha256sum | cut -d' ' -f1)
    fi
fi

# qmig's own files (its build directories and history left out).
qmig_files() {
    (cd "$qmig_src" && find . \( -name 'build*' -o -name .git \) -prune \
        -o -type f -print | LC_ALL=C sort)
}
qmig_digest=none
if [ "$qmig_src" = installed ]; then
    CONFIGURE_FLAGS+=(--enable-qmig)
    qmig_digest="installed $(command -v qmig-gen || echo none)"
    qmig_digest="$qmig_digest $(pkg-config --modversion qmig || echo none)"
    qmig_digest="$qmig_digest ${PKG_CONFIG_PATH:-}"
    qmig_src=
elif [ -n "$qmig_src" ]; then
    # --without-default-features turns auto features off: ask for it.
    CONFIGURE_FLAGS+=(--enable-qmig)
    if [ "${BUILD_QEMU_DOCS:-0}" != 1 ]; then
        NINJA_TARGETS+=(subprojects/qmig/generator/qmig-gen)
    fi
    qmig_digest=$(cd "$qmig_src" && qmig_files | xargs -d '\n' sha256sum |
                  sha256sum | cut -d' ' -f1)
fi

stamp_text="script $(sha256sum "$0" | cut -d' ' -f1)
source $src_digest
qmig $qmig_digest
flags ${CONFIGURE_FLAGS[*]}
targets ${NINJA_TARGETS[*]}
patches $patch_digest"

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
tree=$outdir/qemu
binary=$tree/build/qemu-system-x86_64
built() { [ -x "$binary" ]; }
if [ "${BUILD_QEMU_DOCS:-0}" = 1 ]; then
    binary=$tree/build/docs/manual/index.html
    built() { [ -f "$binary" ]; }
fi

if built && [ -f "$outdir/inputs.stamp" ] &&
   [ "$(cat "$outdir/inputs.stamp")" = "$stamp_text" ]; then
    log "inputs unchanged, reusing $binary"
    finish
fi

rm -rf "$tree" "$outdir/inputs.stamp"
mkdir -p "$tree"
if [ -f "$src" ]; then
    log "unpacking $src"
    tar -xJf "$src" -C "$tree" --strip-components=1
else
    log "copying $src"
    cp -a "$src/." "$tree/"
fi

if [ ${#patches[@]} -gt 0 ]; then
    log "applying ${#patches[@]} patch(es) from $patchdir"
    (cd "$tree" &&
     git init -q && git add -A &&
     git -c user.name=qmig -c user.email=qmig@localhost \
         commit -q -m "QEMU reference tree" &&
     git -c user.name=qmig -c user.email=qmig@localhost am -q "${patches[@]}" &&
     # Built like a release tree: QEMU's configure turns -Werror on for
     # git checkouts only, which would also defeat the shared ccache.
     rm -rf .git)
fi

if [ -n "$qmig_src" ]; then
    log "copying qmig from $qmig_src into subprojects/qmig"
    mkdir -p "$tree/subprojects/qmig"
    (cd "$qmig_src" && qmig_files | tar -cf - --no-recursion -T - |
     tar -xf - -C "$tree/subprojects/qmig")
fi

# ccache: relative paths under OUTDIR and no working-directory hash make
# the cache shared by every checkout.  QEMU's configure writes the
# compiler into a meson machine file, where meson does not add ccache by
# itself, so it is named as the compiler's wrapper.
compiler_flags=()
if command -v ccache >/dev/null 2>&1; then
    compiler_flags=(--cc="ccache gcc" --cxx="ccache g++")
    export CCACHE_BASEDIR=$outdir
    export CCACHE_NOHASHDIR=1
    export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
    ccache -z >/dev/null 2>&1 || true
else
    log "ccache not found: a full build takes several minutes"
fi

start=$(date +%s)
mkdir -p "$tree/build"
(cd "$tree/build" &&
 ../configure "${CONFIGURE_FLAGS[@]}" "${compiler_flags[@]}" >configure.log 2>&1) || {
    log "configure failed; the end of $tree/build/configure.log:"
    tail -20 "$tree/build/configure.log" >&2
    exit 1
}
ninja -C "$tree/build" "${NINJA_TARGETS[@]}" >"$outdir/ninja.log" 2>&1 || {
    log "build failed; the end of $outdir/ninja.log:"
    tail -30 "$outdir/ninja.log" >&2
    exit 1
}
end=$(date +%s)
if command -v ccache >/dev/null 2>&1; then
    ccache -s 2>/dev/null | grep -Ei 'hits|misses' | sed 's/^/build-qemu: ccache: /' >&2 || true
fi
log "built in $((end - start)) s"
printf '%s\n' "$stamp_text" >"$outdir/inputs.stamp"
finish
