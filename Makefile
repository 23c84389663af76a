# ipibench: build, test, bench, plot, compare.  `make help` lists targets.
#
#   make                 build the library, the ipibench binary and tests
#   make test            run every test (SAN=thread, SAN=address,undefined)
#   make bench           run the default sweep on this machine
#
# Each source directory is globbed: a new file needs no Makefile edit.

.DEFAULT_GOAL := all
comma := ,

# DIAGNOSTIC=1 (the default) compiles the KASSERTs in, as a NetBSD
# DIAGNOSTIC kernel does; results record it (context "diagnostic").
# DIAGNOSTIC=0 builds apart, in a folder ending -nodiag.
DIAGNOSTIC ?= 1
NODIAG     := $(if $(filter 1,$(DIAGNOSTIC)),,-nodiag)

# make ARCH=aarch64: cross-build only the port and its self-test, into
# build/aarch64 (rules in mk/aarch64.mk); the harness and the Criterion
# tests need libraries that are not there for arm64.  Only the compiler,
# the build folder, the packages checked and the default goal change;
# without ARCH the native build is as before.
ifeq ($(ARCH),aarch64)
CROSS_CC  ?= aarch64-linux-gnu-gcc
override CC      := $(CROSS_CC)
override DEPS_OK := build/.deps-aarch64-ok
DEPS_PKGS := gcc-aarch64-linux-gnu libc6-dev-arm64-cross
BUILD     ?= build/aarch64$(if $(SAN),-san-$(subst $(comma),-,$(SAN)))$(NODIAG)
.DEFAULT_GOAL := aarch64
ifneq ($(filter-out aarch64 aarch64-run selftest selftest-aarch64 clean help,$(MAKECMDGOALS)),)
$(error make ARCH=aarch64 builds the port and its self-test only (targets: aarch64, selftest-aarch64); run $(filter-out aarch64 aarch64-run selftest selftest-aarch64 clean help,$(MAKECMDGOALS)) natively)
endif
endif

SAN        ?=
OPT        ?= -O2
BUILD      ?= build/$(if $(SAN),san-$(subst $(comma),-,$(SAN)),default)$(NODIAG)

CC  := gcc
CXX := g++

SANFLAGS  := $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all)
CPPFLAGS  := -D_GNU_SOURCE -I. $(if $(filter 1,$(DIAGNOSTIC)),-DDIAGNOSTIC)
WARN      := -Wall -Wextra -Werror
CFLAGS    := -std=c11 $(OPT) -g $(WARN) -pthread -MMD -MP $(SANFLAGS)
CXXFLAGS  := -std=c++17 $(OPT) -g $(WARN) -pthread -MMD -MP $(SANFLAGS)
LDFLAGS   := -pthread $(SANFLAGS)
LDLIBS    := -lhwloc -lnuma -lbenchmark -linih -lm
TEST_LIBS := -lcriterion

IPI_SRC     := $(wildcard ipi/*.c)
HARNESS_SRC := $(filter-out harness/main.c,$(wildcard harness/*.c)) $(wildcard workloads/*.c)
HARNESS_CXX := $(wildcard harness/*.cc)
TEST_SRC    := $(wildcard tests/test_*.c)

IPI_OBJ     := $(IPI_SRC:%.c=$(BUILD)/%.o)
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/%.o) $(HARNESS_CXX:%.cc=$(BUILD)/%.o)
TEST_BIN    := $(TEST_SRC:%.c=$(BUILD)/%)
LIBIPI      := $(BUILD)/libipi.a
LIBHARNESS  := $(BUILD)/libharness.a
IPIBENCH    := $(BUILD)/ipibench
# ./ipibench: a link to the default build's binary (build/default, no
# SAN) only; any other build leaves it alone, so that ./ipibench never
# gives a sanitizer's timings (make bench and make test run $(IPIBENCH)).
LINK_IPIBENCH := $(if $(SAN),,$(filter build/default,$(BUILD)))
DEPS_OK     := build/.deps-ok

VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)

# The interpreter that can import matplotlib: Debian's first (the python3
# first on PATH may be a private one that does not see Debian's packages).
PYTHON := $(shell for p in /usr/bin/python3 python3; do \
	$$p -c 'import matplotlib' >/dev/null 2>&1 && { echo $$p; break; }; done)
export MPLBACKEND := Agg

.PHONY: all deps test bench plot compare clean help FORCE

all: $(DEPS_OK) $(LIBIPI) $(IPIBENCH) $(TEST_BIN) ## build everything (default)

deps: ## install missing Debian packages (as root), else print the command
	@sh scripts/deps.sh $(DEPS_PKGS)
	@mkdir -p $(dir $(DEPS_OK)) && touch $(DEPS_OK)

$(DEPS_OK): scripts/deps.sh
	@sh scripts/deps.sh $(DEPS_PKGS)
	@mkdir -p $(dir $@) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cc | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# The version string changes with every commit: only version.o sees it,
# with the build that results record (version.h, hb_build: context keys
# build_*).  Each value goes in as a C string literal in a shell word:
# c_str escapes \ and ", sh_word quotes for the shell (flags may hold
# quotes).  BUILD_FLAGS: what the harness's C is compiled with.
c_str       = "$(subst ",\",$(subst \,\\,$(1)))"
sh_word     = '$(subst ','\'',$(1))'
c_define    = -D$(1)=$(call sh_word,$(call c_str,$(2)))
BUILD_FLAGS := $(strip $(CPPFLAGS) $(CFLAGS))
REVISION    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
CC_VERSION  := $(notdir $(CC)) $(shell $(CC) -dumpfullversion 2>/dev/null || \
	$(CC) -dumpversion 2>/dev/null || echo unknown)
# version.o is rebuilt when that text changes, not on every make: two
# `make bench` at once would otherwise relink the same binaries at
# once (the second is refused by the results lock, after its build).
VERSION_TEXT = $(VERSION) $(CC_VERSION) $(BUILD_FLAGS) $(or $(SAN),none) $(REVISION)
$(BUILD)/.version: FORCE
	@mkdir -p $(@D) && printf '%s\n' $(call sh_word,$(VERSION_TEXT)) >$@.$$$$ && \
	    { cmp -s $@.$$$$ $@ && rm -f $@.$$$$ || mv -f $@.$$$$ $@; }
$(BUILD)/harness/version.o: CPPFLAGS += \
	$(call c_define,IPIBENCH_VERSION,$(VERSION)) \
	$(call c_define,IPIBENCH_CC,$(CC_VERSION)) \
	$(call c_define,IPIBENCH_CFLAGS,$(BUILD_FLAGS)) \
	$(call c_define,IPIBENCH_SANITIZER,$(or $(SAN),none)) \
	$(call c_define,IPIBENCH_REVISION,$(REVISION)) \
	$(call c_define,IPIBENCH_DIRTY,$(if $(filter unknown,$(REVISION)),unknown,$(if $(filter %-dirty,$(VERSION)),true,false)))
$(BUILD)/harness/version.o: $(BUILD)/.version

$(LIBIPI): $(IPI_OBJ)
	@mkdir -p $(dir $@) && rm -f $@
	ar rcs $@ $^

$(LIBHARNESS): $(HARNESS_OBJ)
	@mkdir -p $(dir $@) && rm -f $@
	ar rcs $@ $^

$(IPIBENCH): $(BUILD)/harness/main.o $(LIBHARNESS) $(LIBIPI)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@
	$(if $(LINK_IPIBENCH),@ln -sf $(abspath $@) ipibench 2>/dev/null || true)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBHARNESS) $(LIBIPI)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) $(TEST_LIBS) -o $@

test: all ## run every test; SAN=thread or SAN=address,undefined for sanitizers
	@BUILD=$(BUILD) PYTHON=$(PYTHON) IPIBENCH=$(IPIBENCH) SAN=$(SAN) sh tests/run.sh

# make bench: scripts/bench.sh writes results/<host>-<UTC time>/ (see
# results/README.md); results/latest points at the newest run.  The
# recipes exec their script: make's SIGTERM then reaches it (make passes
# SIGTERM on to its child and waits for it), not an idle sh.
# BUDGET=15m fits the sweep to that time; DRY_RUN=1 prints the plan
# (benchmarks, machine starts, the estimate, what a budget thinned) and
# runs nothing; TOPOLOGY=FILE with DRY_RUN=1 plans for that machine.
CONFIG   ?= configs/default.ini
BACKENDS ?=
RESULTS  ?= results
BUDGET   ?=
DRY_RUN  ?=
TOPOLOGY ?=
RUN_FLAGS = $(if $(BUDGET),--budget $(BUDGET)) \
	    $(if $(TOPOLOGY),--topology $(TOPOLOGY))

bench: all ## run the default sweep into results/ (CONFIG=, BACKENDS=, BUDGET=15m, DRY_RUN=1)
ifneq ($(filter-out 0,$(DRY_RUN)),)
	@$(IPIBENCH) run --dry-run --config $(CONFIG) \
	    $(if $(BACKENDS),--backends $(BACKENDS)) $(RUN_FLAGS)
else
	@IPIBENCH=$(IPIBENCH) PYTHON=$(PYTHON) exec bash scripts/bench.sh \
	    -c $(CONFIG) -r $(RESULTS) $(if $(BACKENDS),-b $(BACKENDS)) \
	    -- $(RUN_FLAGS)
endif

.PHONY: quick
quick: CONFIG = configs/quick.ini
quick: bench ## the CI sweep (configs/quick.ini): every workload and backend, briefly

plot: ## redraw the plots and REPORT.md of a run: make plot RUN=results/<run>
	@test -n "$(RUN)" || { echo "usage: make plot RUN=results/<run>" >&2; exit 2; }
	@test -n "$(PYTHON)" || { echo "make plot: no python3 that imports matplotlib: apt-get install python3-matplotlib" >&2; exit 2; }
	$(PYTHON) plot/plot.py $(RUN)
	@if [ -d "$(RUN)" ]; then $(PYTHON) plot/report.py $(RUN); fi

compare: ## compare.py: A=run B=run, or A=run FILTER_A=backend:futex FILTER_B=backend:eventfd
	@A="$(A)" B="$(B)" FILTER_A="$(FILTER_A)" FILTER_B="$(FILTER_B)" \
	    sh scripts/compare.sh $(COMPARE_ARGS)

# make compare-backends A=futex B=eventfd: RUNS fresh `ipibench run`
# processes per backend, in ABBA order, into RESULTS/compare-<UTC
# time>/A-1, B-1, ...; then B's p50 and p99 over A's with 95 % intervals
# that count the processes, not the repetitions, as the replicates
# (scripts/compare_backends.sh, plot/compare_backends.py): COMPARE.md.
# CONFIG, WORKLOADS, REPETITIONS and MIN_TIME default to a short set
# (about 10 s a process here); WORKLOADS= REPETITIONS= MIN_TIME= (empty)
# leave the config's; CMP_FLAGS= adds flags of `ipibench run`.
.PHONY: compare-backends
compare-backends: RUNS = 5
compare-backends: CONFIG = configs/quick.ini
compare-backends: WORKLOADS = unicast,trigger
compare-backends: REPETITIONS = 5
compare-backends: MIN_TIME = 0.05
compare-backends: $(IPIBENCH) ## A=futex B=eventfd: B over A in RUNS=5 fresh processes each, 95 % intervals
	@IPIBENCH=$(IPIBENCH) PYTHON=$(or $(PYTHON),/usr/bin/python3) \
	    exec bash scripts/compare_backends.sh -a "$(A)" -b "$(B)" \
	    -n "$(RUNS)" -c "$(CONFIG)" -w "$(WORKLOADS)" -r "$(RESULTS)" -- \
	    $(if $(REPETITIONS),--repetitions $(REPETITIONS)) \
	    $(if $(MIN_TIME),--min_time $(MIN_TIME)) $(CMP_FLAGS)

clean: ## remove build outputs (results/ is kept)
	rm -rf build ipibench

help: ## list the targets
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | \
	    awk -F':.*## ' '{ printf "  make %-16s %s\n", $$1, $$2 }'

FORCE:

# Further targets, one concern a file (verify: the models; aarch64: the
# cross-built port self-test).
include $(wildcard mk/*.mk)

# Keep objects that only feed test binaries: no rebuild, no "rm" noise.
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
