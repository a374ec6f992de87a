#!/usr/bin/env bash
# check-format.sh: fails, naming each file, when a tracked C file is not as clang-format (the
# repository's .clang-format; tests/ and fuzz/ keep their include order) would write it.
# `make format` rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed" >&2; exit 1; }
bad=0
while IFS= read -r f; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (make format)" >&2
		bad=1
	fi
done < <(git ls-files '*.c' '*.h' '*.cc')
exit $bad
