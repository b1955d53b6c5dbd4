# tern - the front door of the build. The real build is Meson (meson.build); this file gives
# the commands a person types:
#
#   make          build tern (build/release/tern)
#   make run      install what is needed, build, and run tern's main job
#   make test     install what is needed, build, run every test (unit under ASan+UBSan,
#                 integration against the sanitized binary, fuzz harnesses briefly)
#   make lint     formatting (clang-format) and static analysis (cppcheck)
#   make fuzz     every fuzz harness for FUZZ_SECONDS each
#   make bench    tern next to smtp-sink, Postfix and OpenSSL; writes bench/RESULTS.md
#   make format   rewrite the sources in the checked-in style
#   make clean    remove build/

SHELL := /bin/sh
PYTHON := /usr/bin/python3
BUILD := build/release
ASAN := build/asan
FUZZ := build/fuzz
WERROR ?= true
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 10
# The reference material sits beside the checkout; tests that need it skip without it.
TERN_SHARED ?= $(abspath ../shared)
export TERN_SHARED

C_SOURCES := $(shell find src tests/unit tests/fuzz tests/integration include -name '*.[ch]' 2>/dev/null | sort)
FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all build deps run test unit integration fuzz-check lint format fuzz bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=$(WERROR) -Dtests=disabled

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN)/build.ninja:
	meson setup $(ASAN) --buildtype=debug -Dwerror=$(WERROR) \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) --buildtype=debugoptimized -Dwerror=$(WERROR) \
		-Dfuzz=true -Dtests=disabled -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link

bench: deps build
	$(PYTHON) bench/bench.py --tern $(BUILD)/tern $(BENCH_ARGS)
	$(PYTHON) bench/relay.py --tern $(BUILD)/tern $(RELAY_ARGS)
	$(PYTHON) bench/dkim.py --speed $(BUILD)/dkim_speed

run: deps build
	@scripts/run.sh $(BUILD)/tern

test: deps
	$(MAKE) --no-print-directory unit integration fuzz-check

unit: $(ASAN)/build.ninja
	ninja -C $(ASAN)
	meson test -C $(ASAN) --print-errorlogs --suite unit

integration: $(ASAN)/build.ninja
	ninja -C $(ASAN)
	TERN_BIN=$(abspath $(ASAN))/tern ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

# The checked-in corpora replayed, then a short run of new inputs per harness.
fuzz-check: $(FUZZ)/build.ninja
	ninja -C $(FUZZ) $(addprefix fuzz_,$(FUZZERS))
	@for f in $(FUZZERS); do \
		echo "fuzz $$f: corpus replay and $(FUZZ_CI_SECONDS)s of new inputs"; \
		rm -rf $(FUZZ)/run-$$f && mkdir -p $(FUZZ)/run-$$f && \
		$(FUZZ)/fuzz_$$f -runs=0 tests/fuzz/corpus/$$f >$(FUZZ)/run-$$f/replay.log 2>&1 || \
			{ tail -30 $(FUZZ)/run-$$f/replay.log; exit 1; }; \
		$(FUZZ)/fuzz_$$f -max_total_time=$(FUZZ_CI_SECONDS) -artifact_prefix=$(FUZZ)/run-$$f/ \
			$(FUZZ)/run-$$f tests/fuzz/corpus/$$f >$(FUZZ)/run-$$f/fuzz.log 2>&1 || \
			{ tail -30 $(FUZZ)/run-$$f/fuzz.log; exit 1; }; \
	done

fuzz: deps $(FUZZ)/build.ninja
	ninja -C $(FUZZ) $(addprefix fuzz_,$(FUZZERS))
	@for f in $(FUZZERS); do \
		echo "fuzz $$f for $(FUZZ_SECONDS)s (new inputs in $(FUZZ)/corpus-$$f)"; \
		mkdir -p $(FUZZ)/corpus-$$f && \
		$(FUZZ)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ)/crash-$$f- \
			$(FUZZ)/corpus-$$f tests/fuzz/corpus/$$f || exit 1; \
	done

lint:
	clang-format --dry-run --Werror $(C_SOURCES)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem -D__GNUC__ \
		-I src src

format:
	clang-format -i $(C_SOURCES)

clean:
	rm -rf build
