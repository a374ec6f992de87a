# Makefile: a thin wrapper around CMake for the two everyday commands, `make run` and `make test`.
BUILD_DIR  ?= build
ASAN_DIR   ?= build-asan
JOBS       ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps build run test test-unit clean format

all: build

deps:
	@bash scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	BUILD_DIR=$(abspath $(BUILD_DIR)) bash scripts/run.sh

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Asan >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-unit: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Asan >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -L unit

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
