#!/bin/sh
# install-deps.sh - make sure the Debian bookworm packages qmig needs are
# installed.  Quiet and idempotent when everything is present.  As root
# with apt-get it installs what is missing; otherwise it lists the missing
# packages with the command to install them and exits 1.
set -eu

PACKAGES="meson ninja-build gcc clang libclang-rt-14-dev pkg-config \
libjson-c-dev libcmocka-dev python3-sphinx graphviz valgrind"
# Building QEMU from shared/qemu-src (qemu/scripts/build-qemu.sh): its
# configure needs these, plus zstd and gnutls for the migration features
# the suites exercise, and ccache to rebuild it cheaply.
PACKAGES="$PACKAGES git ccache libglib2.0-dev libpixman-1-dev libfdt-dev \
flex bison python3-venv libzstd-dev libgnutls28-dev"
# QEMU's manual (the patched one carries the generated migration
# reference): its docs/conf.py requires the Read the Docs theme.
PACKAGES="$PACKAGES python3-sphinx-rtd-theme"

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing="$missing $pkg"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
    exit 0
fi

echo "install-deps: missing Debian packages:$missing" >&2
echo "install-deps: run as root: apt-get update && apt-get install -y --no-install-recommends$missing" >&2
exit 1
