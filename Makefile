# Makefile: a thin wrapper around CMake for the two everyday commands, `make run` and `make test`.
BUILD_DIR    ?= build
ASAN_DIR     ?= build-asan
FUZZ_DIR     ?= build-fuzz
FUZZ_SECONDS ?= 600
JOBS         ?= $(shell nproc)
CTEST_ARGS   ?=

.PHONY: all deps build run site test test-unit test-tsan test-node test-browser fuzz bench bench-pumping clean format

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
	@$(MAKE) --no-print-directory test-node
	@$(MAKE) --no-print-directory test-browser

# The Node client (clients/node, @phoneauth/client): npm ci, regenerate the protobuf code and build
# the ESM and CommonJS outputs, then its tests against the ASan binaries of $(ASAN_DIR) with their
# own PostgreSQL cluster, SMS worker and fake Twilio (clients/node/test/support/stack.mjs).
NODE_CLIENT ?= clients/node
test-node: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Asan >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS) --target phoneauth-auth phoneauth-sms-worker phoneauth-fake-twilio
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	cd $(NODE_CLIENT) && PHONEAUTH_BUILD_DIR=$(abspath $(ASAN_DIR)) npm test --silent

# The reference site (examples/site) in Debian's Chromium through playwright-core (pinned in
# examples/site/package-lock.json; no browser is downloaded): both profiles' journeys against the
# ASan binaries with their own PostgreSQL, SMS worker and fake Twilio. Screenshots of every page
# in $(ASAN_DIR)/site-test/screenshots/; a failure prints its page's.
SITE_DIR ?= examples/site
test-browser: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Asan >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS) --target phoneauth-auth phoneauth-sms-worker phoneauth-fake-twilio
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	cd $(SITE_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	cd $(SITE_DIR) && PHONEAUTH_BUILD_DIR=$(abspath $(ASAN_DIR)) npm run --silent test:browser

# The whole stack and the reference site for PROFILE (fancy-feathers or lawnflow), each profile
# with its own PostgreSQL under .run/site-PROFILE/; the SMS worker prints the codes (console), or
# PHONEAUTH_FAKE_TWILIO=1 sends them to the fake Twilio. Prints the site's URL; Ctrl-C stops all.
PROFILE ?= fancy-feathers
site: build
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	cd $(SITE_DIR) && npm ci --omit=dev --no-audit --no-fund --loglevel=error
	BUILD_DIR=$(abspath $(BUILD_DIR)) PHONEAUTH_PROFILE=$(PROFILE) PHONEAUTH_SITE=1 \
	  PHONEAUTH_RUN_DIR=$(CURDIR)/.run/site-$(PROFILE) bash scripts/run.sh

# The RPC core and the threaded services under ThreadSanitizer: the envelope, the work queues,
# the slow pool's admission gate, the RPC server and client end to end (test_rpc drains under
# load), TLS, the SMS worker, and the Verify check sockets and WhatsApp fallbacks (auth and worker
# threads end to end).
TSAN_DIR ?= build-tsan
test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=Tsan >/dev/null
	cmake --build $(TSAN_DIR) -j $(JOBS)
	cd $(TSAN_DIR) && TSAN_OPTIONS=halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -R '^(pg_start|pg_stop|test_envelope|test_workq|test_rpc_gate|test_rpc|test_tls|test_sms_worker|test_verify_backend|test_channels)$$'
	@! grep -l ThreadSanitizer $(TSAN_DIR)/testtmp/*.log 2>/dev/null

test-unit: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Asan >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -L unit

# Every libFuzzer target (fuzz/) for FUZZ_SECONDS each, built with clang, ASan and UBSan; prints
# each target's executions and coverage, and fails on a crash, leaving its reproducer under
# $(FUZZ_DIR)/fuzz-crashes/.
fuzz:
	@PHONEAUTH_DEPS_EXTRA="libclang-rt-14-dev $${PHONEAUTH_DEPS_EXTRA:-}" bash scripts/deps.sh
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_CXX_COMPILER=clang++ -DPHONEAUTH_FUZZ=ON -DPHONEAUTH_TESTS=OFF >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_targets
	BUILD_DIR=$(abspath $(FUZZ_DIR)) FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

# The benchmark suite (bench/README.md), a Release build in $(BENCH_DIR) with its own PostgreSQL
# cluster, auth service, fake Twilio and SMS worker: each figure side by side with what bounds it
# (bare NNG, pgbench on the same SQL, bare Argon2id, the in-flight cap), one table with the
# ratios, JSON in bench/results/. About two minutes; the cluster is removed afterwards.
BENCH_DIR ?= build-bench
bench: deps
	cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release -DPHONEAUTH_BENCH=ON \
	  -DPHONEAUTH_TESTS=OFF >/dev/null
	nice cmake --build $(BENCH_DIR) -j $(JOBS) --target phoneauth-bench phoneauth-bench-suite \
	  phoneauth-auth phoneauth-bench-pumping
	$(BENCH_DIR)/bench/phoneauth-bench-suite --out bench/results --pgdir $(BENCH_DIR)/bench-pg \
	  || { bash tests/support/pgcluster.sh destroy $(BENCH_DIR)/bench-pg; exit 1; }
	@# Health through the Node client next to the C client (clients/node/bench/health.mjs).
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	cd $(NODE_CLIENT) && PHONEAUTH_BUILD_DIR=$(abspath $(BENCH_DIR)) node bench/health.mjs \
	  --out $(abspath bench/results)
	@# The SMS pumping simulation (bench/README.md, "SMS pumping").
	$(BENCH_DIR)/bench/phoneauth-bench-pumping -p $(abspath $(BENCH_DIR))/pumping-pg

# The SMS pumping simulation alone (bench/README.md, "SMS pumping"): 10 000 bot requests and
# 400 real users against the same stack with the defences off, then on. About a minute.
bench-pumping: deps
	cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release -DPHONEAUTH_BENCH=ON \
	  -DPHONEAUTH_TESTS=OFF >/dev/null
	nice cmake --build $(BENCH_DIR) -j $(JOBS) --target phoneauth-bench-pumping
	$(BENCH_DIR)/bench/phoneauth-bench-pumping -p $(abspath $(BENCH_DIR))/pumping-pg

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
	rm -rf $(BENCH_DIR)
