# fuzz.mk: the parsers of untrusted input under clang's libFuzzer, with
# AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer.
#
#   make fuzz          build build/fuzz/fuzz_NAME (clang) and run each
#                      FUZZ_TIME seconds (default 20); fails on a crash,
#                      leak, hang, sanitizer report or broken promise,
#                      printing the reproducer and the command
#   make fuzz-build    build them only
#
# One target a concern, tests/fuzz/fuzz_NAME.c: ini (a config's text,
# hb_params_parse_ini), param (one --KEY=VALUE, hb_param_set: every key
# of the table, the lists of counts, the backoff spec seed:MIN:MAX),
# cpus (the --cpus list, hb_topology_select), costs (a costs.csv given
# to --calibrate, hb_costs_load, and the plan made of its names and
# numbers).  Each runs on build/fuzz/corpus-NAME, its seeds
# (tests/fuzz/corpus/NAME) copied in; what libFuzzer finds stays there,
# never in tests/.  tests/fuzz/NAME.dict, if any, is its dictionary.
# scripts/fuzz.sh runs them.
#
#   FUZZ_TARGETS=cpus    only these (space-separated)
#   FUZZ_TIME=300        seconds per target
#   FUZZ_TIMEOUT=5       seconds one input may take (longer: a hang)
#   FUZZ_RSS_MB=2048     memory limit (more: a failure)
#   FUZZ_FLAGS=...       more libFuzzer flags (e.g. -jobs=2 -workers=2)
#
# The library objects are compiled with -fsanitize=fuzzer-no-link (so
# libFuzzer sees their coverage) into build/fuzz; a target links what
# it uses of build/fuzz/libharness.a and libipi.a (an archive gives only
# the members referenced: fuzz_cpus gets topology.o and errmsg.o, and
# hwloc alone; the others reach the workload table and so the C++ of
# gbench.cc).
#
# Each target also builds without libFuzzer: $(BUILD)/fuzz/replay-NAME
# (tests/fuzz/replay.c as main, the project's compiler and SAN), part of
# make all; tests/test_fuzz_corpus.sh replays every seed through it.

FUZZ_BUILD   := build/fuzz
FUZZ_CC      ?= clang
FUZZ_CXX     ?= clang++
FUZZ_TIME    ?= 20
FUZZ_TIMEOUT ?= 5
FUZZ_RSS_MB  ?= 2048
FUZZ_FLAGS   ?=
# clang is Debian 12's clang-14; its libFuzzer runtime is only
# recommended by it.
FUZZ_PKGS    := make clang libclang-rt-14-dev libhwloc-dev libnuma-dev \
		libbenchmark-dev libinih-dev

FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)

FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all \
		 -fno-omit-frame-pointer
FUZZ_CFLAGS   := -std=c11 -O1 -g -Wall -Wextra -pthread -MMD -MP $(FUZZ_SAN)
FUZZ_CXXFLAGS := -std=c++17 -O1 -g -Wall -Wextra -pthread -MMD -MP $(FUZZ_SAN)

FUZZ_LIB_OBJ := $(IPI_SRC:%.c=$(FUZZ_BUILD)/%.o) \
		$(HARNESS_SRC:%.c=$(FUZZ_BUILD)/%.o) \
		$(HARNESS_CXX:%.cc=$(FUZZ_BUILD)/%.o)
FUZZ_LIBS    := $(FUZZ_BUILD)/libharness.a $(FUZZ_BUILD)/libipi.a
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_DEPS_OK := build/.deps-fuzz-ok

# The linker and libraries of a target: C++ and every library, but
# fuzz_cpus (topology.c: C and hwloc).
fuzz_link = $(if $(filter cpus,$(1)),$(FUZZ_CC),$(FUZZ_CXX))
fuzz_libs = $(if $(filter cpus,$(1)),-lhwloc,$(LDLIBS))

.PHONY: fuzz fuzz-build

fuzz: fuzz-build ## fuzz the input parsers with libFuzzer, FUZZ_TIME=20 s each (clang)
	@sh scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_TIME) $(FUZZ_TIMEOUT) \
	    $(FUZZ_RSS_MB) "$(FUZZ_FLAGS)" $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BINS) ## build the fuzz targets (clang) into build/fuzz, run none

$(FUZZ_DEPS_OK): scripts/deps.sh
	@sh scripts/deps.sh $(FUZZ_PKGS)
	@mkdir -p $(dir $@) && touch $@

$(FUZZ_BUILD)/%.o: %.c | $(FUZZ_DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	    -c $< -o $@

$(FUZZ_BUILD)/%.o: %.cc | $(FUZZ_DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link \
	    -c $< -o $@

$(FUZZ_BUILD)/libharness.a: $(filter-out $(FUZZ_BUILD)/ipi/%,$(FUZZ_LIB_OBJ))
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/libipi.a: $(filter $(FUZZ_BUILD)/ipi/%,$(FUZZ_LIB_OBJ))
	@rm -f $@
	ar rcs $@ $^

# The target itself: instrumented, with libFuzzer's main.
$(FUZZ_BUILD)/fuzz/%.o: tests/fuzz/%.c | $(FUZZ_DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/fuzz/fuzz_%.o $(FUZZ_LIBS)
	$(call fuzz_link,$*) -fsanitize=fuzzer $(FUZZ_SAN) -pthread $^ \
	    $(call fuzz_libs,$*) -o $@

# The replay drivers, in every build (make all; tests/test_fuzz_corpus.sh).
FUZZ_REPLAY := $(FUZZ_ALL:%=$(BUILD)/fuzz/replay-%)

ifneq ($(ARCH),aarch64)
all: $(FUZZ_REPLAY)
endif

$(BUILD)/fuzz/replay-%: $(BUILD)/tests/fuzz/fuzz_%.o \
    $(BUILD)/tests/fuzz/replay.o $(LIBHARNESS) $(LIBIPI)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
