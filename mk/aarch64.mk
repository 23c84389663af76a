# aarch64.mk: the port's self-test (tests/port/selftest.c), native and
# cross-built for aarch64, run there under qemu-user.
#
#   make ARCH=aarch64      build/aarch64/: ipi/*.o, libipi.a, port-selftest
#                          (static: qemu-aarch64-static runs it as is)
#   make selftest          build and run build/default/port-selftest
#   make selftest-aarch64  cross-build, run it under qemu-aarch64-static
#
# Only the port is cross-built (ipi/*.c: libc and pthreads); the harness
# needs hwloc and libbenchmark, which are not installed for arm64.  The
# Makefile's ARCH=aarch64 block picks CC, BUILD, the packages checked and
# the default goal; SAN, DIAGNOSTIC and OPT work as for the native build.
# With SAN set the self-test links dynamically (sanitizer runtimes are
# shared libraries) and qemu finds the arm64 libraries under -L.
#
# SELFTEST_ARGS passes options (e.g. SELFTEST_ARGS='-s 3 -b futex');
# QEMU_CPU picks the emulated CPU (default max: with LSE atomics; e.g.
# QEMU_CPU=cortex-a57, an armv8.0 core without them, makes the outline
# atomics take their ldaxr/stlxr path).

SELFTEST       := $(BUILD)/port-selftest
SELFTEST_OBJ   := $(BUILD)/tests/port/selftest.o
SELFTEST_ARGS  ?=
SELFTEST_LIMIT ?= 120
SELFTEST_PKGS  := make gcc libc6-dev coreutils
AARCH64_PKGS   := gcc-aarch64-linux-gnu libc6-dev-arm64-cross
QEMU           ?= qemu-aarch64-static
QEMU_SYSROOT   ?= /usr/aarch64-linux-gnu
QEMU_CPU       ?=
QEMU_LIMIT     ?= 300

# Under qemu-user LeakSanitizer cannot work (it stops threads by ptrace)
# and ThreadSanitizer re-executes itself, which fails: leaks are not
# checked, and SAN=thread is for the native self-test only.
QEMU_ENV = $(if $(findstring address,$(SAN)),\
	       ASAN_OPTIONS=detect_leaks=0:$$ASAN_OPTIONS) \
	   $(if $(QEMU_CPU),QEMU_CPU=$(QEMU_CPU))

.PHONY: aarch64 selftest selftest-aarch64 aarch64-run

$(SELFTEST): $(SELFTEST_OBJ) $(LIBIPI)
	$(CC) $(LDFLAGS) $(if $(filter aarch64,$(ARCH)),$(if $(SAN),,-static)) \
	    $^ -o $@

ifeq ($(ARCH),aarch64)

aarch64: $(LIBIPI) $(SELFTEST)
	@if command -v file >/dev/null 2>&1; then file $(SELFTEST); \
	else echo "built $(SELFTEST) (install 'file' to see its format)"; fi

aarch64-run: aarch64
	@case "$(SAN)" in *thread*) echo "SAN=thread does not run under" \
	    "qemu-user: make selftest SAN=thread runs it natively" >&2; \
	    exit 2;; esac
	$(strip $(QEMU_ENV)) timeout -k 10 $(QEMU_LIMIT) $(QEMU) \
	    $(if $(SAN),-L $(QEMU_SYSROOT)) $(SELFTEST) $(SELFTEST_ARGS)

# make ARCH=aarch64 selftest: the same as make selftest-aarch64.
selftest: selftest-aarch64

else

selftest: ## build and run the port's self-test natively (SELFTEST_ARGS=)
	@sh scripts/deps.sh $(SELFTEST_PKGS)
	@$(MAKE) --no-print-directory DEPS_OK= $(SELFTEST)
	timeout -k 10 $(SELFTEST_LIMIT) $(SELFTEST) $(SELFTEST_ARGS)

aarch64: ## cross-build the port and its self-test (= make ARCH=aarch64)
	@$(MAKE) --no-print-directory ARCH=aarch64 aarch64

aarch64-run:
	@$(MAKE) --no-print-directory ARCH=aarch64 aarch64-run

endif

selftest-aarch64: ## cross-build the self-test, run it under qemu-user
	@sh scripts/deps.sh $(AARCH64_PKGS) qemu-user-static
	@$(MAKE) --no-print-directory ARCH=aarch64 aarch64-run
