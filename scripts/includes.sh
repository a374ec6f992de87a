#!/usr/bin/env bash
# includes.sh: prints, for each module (a .c/.h pair) of the given directories, the modules of the
# same directory it includes, and fails when those includes form a cycle (tsort finds it).
# Usage: scripts/includes.sh [-q] [dir...]   (default: services/auth services/sms-worker
# libcommon cli). -q prints only the cycles. A module's own header does not count.
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0
if [[ ${1:-} == -q ]]; then quiet=1; shift; fi
dirs=("$@")
[[ ${#dirs[@]} -gt 0 ]] || dirs=(services/auth services/sms-worker libcommon cli)
status=0
for dir in "${dirs[@]}"; do
	# libcommon's headers live in include/common/ and its sources in src/: one module space.
	mapfile -t files < <(find "$dir" -name '*.[ch]' -o -name '*.cc' | sort)
	declare -A known=()
	for f in "${files[@]}"; do b=${f##*/}; known[${b%.*}]=1; done
	edges=$(for f in "${files[@]}"; do
		b=${f##*/}; m=${b%.*}
		# "common/x.h" is libcommon's x: one of this directory's modules only inside libcommon.
		if [[ $dir == libcommon ]]; then pat='s/^#include "\(common\/\)\{0,1\}\([^"/]*\)\.h".*/\2/p'
		else pat='s/^#include "\(\)\([^"/]*\)\.h".*/\2/p'; fi
		sed -n "$pat" "$f" | while read -r dep; do
			if [[ $dep != "$m" && -n ${known[$dep]:-} ]]; then echo "$m $dep"; fi
		done
	done | sort -u)
	unset known
	if [[ $quiet == 0 ]]; then
		echo "== $dir"
		awk '{ d[$1] = d[$1] " " $2 } END { for (m in d) print "  " m ":" d[m] }' <<<"$edges" | sort
	fi
	if ! out=$(tsort <<<"$edges" 2>&1 >/dev/null) || [[ -n $out ]]; then
		echo "$dir: include cycle:" >&2
		grep -v '^tsort: input contains a loop' <<<"$out" | sed 's/^tsort: /  /' >&2
		status=1
	fi
done
exit $status
