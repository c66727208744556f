# Thin wrapper around meson/ninja.  `make` installs missing Debian
# packages (as root with apt), configures build/, builds, and runs the
# main job; `make check` runs the test suites as well.

# Directory laid out like shared/qemu-qapi (real QEMU schemas); empty
# disables the suites and benchmarks that need real data.
QEMU_QAPI_DIR ?= $(if $(wildcard ../shared/qemu-qapi/.),../shared/qemu-qapi,)
# QEMU's source (tarball or tree); empty disables the suites that build
# and run real QEMU.  Only the plain build uses it, never the sanitizers.
QEMU_SRC ?= $(firstword $(wildcard ../shared/qemu-src/qemu-*.tar.xz))
FUZZ_SECONDS ?= 600
MESON_TEST_ARGS ?= --print-errorlogs --num-processes 2

BUILD := build
QMIG_GEN := $(BUILD)/generator/qmig-gen

# Sanitizers: make UBSan findings fatal so that tests fail on them.
SAN_ENV := ASAN_OPTIONS=abort_on_error=1:halt_on_error=1:detect_leaks=1 \
           UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1

.PHONY: all deps configure build run qemu check check-asan bench fuzz fuzz-config fuzz-handshake clean

all: run

deps:
	@scripts/install-deps.sh

configure: deps
	@scripts/meson-setup.sh $(BUILD) "$(QEMU_QAPI_DIR)" "$(QEMU_SRC)"

build: configure
	ninja -C $(BUILD)

# The main job.  ninja has already generated the C API and the reference
# documentation of the embedded schema (meson targets in schema/ and
# docs/); check the schema and its metadata, and say where things are.
run: build
	$(QMIG_GEN) check --features schema/features schema/migration.json
	@echo "generated C API:   $(BUILD)/schema/qmig-migration-*.[ch]"
	@echo "validator:         $(BUILD)/tools/qmig-validate"
	@echo "documentation:     $(BUILD)/docs/html/index.html"
	@echo "manual pages:      $(BUILD)/docs/man/"

# QEMU from QEMU_SRC, plain and with the series of qemu/patches, each
# built once and reused while its inputs are unchanged
# (qemu/scripts/build-qemu.sh, with ccache).
qemu: configure
	$(if $(QEMU_SRC),ninja -C $(BUILD) qemu qemu-patched,@echo "QEMU_SRC not set: no QEMU to build")

check: all qemu
	meson test -C $(BUILD) $(MESON_TEST_ARGS)

check-asan: deps
	@scripts/meson-setup.sh build-asan "$(QEMU_QAPI_DIR)" "" \
	    -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan
	$(SAN_ENV) meson test -C build-asan $(MESON_TEST_ARGS)

bench: build
	bench/run.sh $(BUILD) "$(QEMU_QAPI_DIR)"

fuzz: deps
	@CC=clang scripts/meson-setup.sh build-fuzz "$(QEMU_QAPI_DIR)" "" \
	    -Dfuzz=true -Dwerror=false
	ninja -C build-fuzz fuzz/fuzz-frontend
	mkdir -p build-fuzz/fuzz-work/corpus build-fuzz/fuzz-work/artifacts
	cd build-fuzz/fuzz-work && $(SAN_ENV) ../fuzz/fuzz-frontend \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=4096 -print_final_stats=1 \
	    -dict=../../fuzz/frontend.dict -artifact_prefix=artifacts/ \
	    corpus ../../fuzz/corpus/frontend

# Configuration decoding and validation; FUZZ_SECONDS as above.
fuzz-config: deps
	@CC=clang scripts/meson-setup.sh build-fuzz "$(QEMU_QAPI_DIR)" "" \
	    -Dfuzz=true -Dwerror=false
	ninja -C build-fuzz fuzz/fuzz-config
	mkdir -p build-fuzz/fuzz-config-work/corpus build-fuzz/fuzz-config-work/artifacts
	cd build-fuzz/fuzz-config-work && $(SAN_ENV) ../fuzz/fuzz-config \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=4096 -print_final_stats=1 -artifact_prefix=artifacts/ \
	    corpus ../../fuzz/corpus/config

# The handshake: frame decoding, then message decoding, FUZZ_SECONDS each.
fuzz-handshake: deps
	@CC=clang scripts/meson-setup.sh build-fuzz "$(QEMU_QAPI_DIR)" "" \
	    -Dfuzz=true -Dwerror=false
	ninja -C build-fuzz fuzz/fuzz-hs-frame fuzz/fuzz-hs-message
	for t in frame message; do \
	    mkdir -p build-fuzz/fuzz-hs-$$t-work/corpus build-fuzz/fuzz-hs-$$t-work/artifacts && \
	    (cd build-fuzz/fuzz-hs-$$t-work && $(SAN_ENV) ../fuzz/fuzz-hs-$$t \
	        -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -max_len=8192 -print_final_stats=1 -artifact_prefix=artifacts/ \
	        corpus ../../fuzz/corpus/hs-$$t) || exit 1; \
	done

clean:
	rm -rf build build-asan build-fuzz
