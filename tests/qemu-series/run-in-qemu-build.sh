#!/bin/sh
# run-in-qemu-build.sh QEMU_BUILD_DIR meson-test TEST...
# run-in-qemu-build.sh QEMU_BUILD_DIR migration-test [handshake]
#
# Run one of QEMU's own tests in a QEMU build directory made by
# qemu/scripts/build-qemu.sh: a meson test of QEMU's suite (with QEMU's
# own meson, from its venv), or tests/qtest/migration-test --full
# against that build's qemu-system-x86_64 (with "handshake": with the
# migration handshake on in every test, QTEST_MIGRATION_HANDSHAKE=1).
# Fails on any failure.
set -eu
build=$1
what=$2
shift 2
cd "$build"
case $what in
meson-test)
    exec ./pyvenv/bin/meson test --no-rebuild --print-errorlogs "$@" ;;
migration-test)
    handshake=0
    if [ "${1:-}" = handshake ]; then
        handshake=1
    fi
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    status=0
    QTEST_QEMU_BINARY=./qemu-system-x86_64 PYTHON=$build/pyvenv/bin/python3 \
        QTEST_MIGRATION_HANDSHAKE=$handshake \
        ./tests/qtest/migration-test --full >"$log" 2>&1 || status=$?
    total=$(grep -cE '^(ok|not ok) ' "$log" || true)
    bad=$(grep -cE '^not ok ' "$log" || true)
    skipped=$(grep -cE '^ok .*# SKIP' "$log" || true)
    grep -E '^not ok ' "$log" || true
    [ "$handshake" = 1 ] && echo "(handshake on in every test)"
    echo "migration-test --full: $((total - bad - skipped)) passed," \
         "$bad failed, $skipped skipped of $total"
    if [ "$status" -ne 0 ] || [ "$bad" -ne 0 ] || [ "$total" -eq 0 ]; then
        tail -40 "$log"
        exit 1
    fi ;;
*)
    echo "usage: $0 QEMU_BUILD_DIR meson-test TEST... |" \
         "migration-test [handshake]" >&2
    exit 2 ;;
esac
