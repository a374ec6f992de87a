#!/usr/bin/env bash
# check-format.sh: fails, naming each file, when a tracked C file is not as clang-format (the
# repository's .clang-format; tests/ and fuzz/ keep their include order) would write it.
# `make format` rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed" >&2; exit 1; }
# One run over every file: clang-format names each file and line that differs.
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc')
if out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
	exit 0
fi
grep -o '^[^: ]*\.\(c\|h\|cc\):' <<<"$out" | sort -u | sed 's/:$/ is not formatted (make format)/' >&2
exit 1
