#!/usr/bin/env bash
# fuzz.sh: `make fuzz`: runs each libFuzzer target built in $BUILD_DIR for FUZZ_SECONDS, on a
# work corpus ($BUILD_DIR/fuzz-corpus/<name>) that also reads the committed seeds
# (fuzz/corpus/<name>), then prints every target's executions and coverage. Exits 1 when a target
# crashed, leaving the reproducer in $BUILD_DIR/fuzz-crashes/<name>/ (copy it into
# fuzz/corpus/<name>/ with the fix, so the replay ctest keeps it fixed).
# FUZZ_TARGETS="phone twsig" runs only those.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:?BUILD_DIR must name a build with PHONEAUTH_FUZZ=ON}
secs=${FUZZ_SECONDS:-600}
targets=${FUZZ_TARGETS:-$(cd "$top/fuzz/corpus" && ls)}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=()
summary=()
for name in $targets; do
  bin=$build/fuzz/fuzz_$name
  work=$build/fuzz-corpus/$name
  crashes=$build/fuzz-crashes/$name
  log=$build/fuzz-logs/$name.log
  [ -x "$bin" ] || { echo "fuzz: $bin is not built" >&2; exit 2; }
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  echo "fuzz: $name for ${secs}s (log: $log)"
  rc=0
  # New inputs go to the first directory only; the seeds are read, never written.
  "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=30 \
    -artifact_prefix="$crashes/" "$work" "$top/fuzz/corpus/$name" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="CRASH (exit $rc)"
    failed+=("$name")
    grep -m1 -E 'ERROR: |runtime error|property failed|SUMMARY' "$log" >&2 || true
  fi
  summary+=("$(printf '%-10s execs %-12s %-20s %s' "$name" "${execs:-?}" "${cov:-cov: ?}" "$result")")
done

echo
echo "fuzz: ${secs}s per target"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashed: ${failed[*]}; reproducers:" >&2
  for name in "${failed[@]}"; do
    ls -1 "$build/fuzz-crashes/$name"/* 2>/dev/null | sed 's/^/  /' >&2 || true
  done
  exit 1
fi
