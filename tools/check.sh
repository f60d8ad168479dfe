#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make check: build neuf.ko for each test kernel, boot the kernel, run the
# IGT test list in it, and report. Userspace (libneuf, the tests, the tools)
# must already be built in build/ (make does that first).
#
# Usage: tools/check.sh KERNELS [FILTER]
#   KERNELS  all, debian, debug, or a comma-separated list
#   FILTER   regex over igt@BIN@SUBTEST names (default: everything)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"

kernels=$(neuf_kernels "${1:-all}")
filter=${2:-}
echo "== host: test infrastructure self-tests =="
rm -rf "$top/build/results/host"
/usr/bin/python3 "$top/tools/selftest/host-tests.py" "$top/build" "$top/build/results/host"
results=("$top/build/results/host")
for kernel in $kernels; do
	out=$top/build/results/$kernel
	rm -rf "$out"
	mkdir -p "$out"
	results+=("$out")
	echo "== $kernel kernel =="
	if ! ko=$("$top/tools/build-module.sh" "$kernel" 2> "$out/module-build.log"); then
		cat "$out/module-build.log"
		echo "building neuf.ko for the $kernel kernel failed" > "$out/console.log"
		continue
	fi
	neuf_kernel "$kernel"
	start=$(date +%s)
	"$top/tools/guest/boot.sh" "$kernel" "$out" "${NEUF_GUEST_TIMEOUT:-1800}" \
		"$top/tools/guest/run-tests.sh" --out "$out" --module "$ko" \
		${MODROOT:+--modroot "$MODROOT"} ${PARAMS:+--params "$PARAMS"} \
		--bindir "$top/build" \
		--list "$top/igt-tests/test-list.txt" --name "neuf-$kernel" \
		${filter:+--filter "$filter"} > "$out/console.log" 2>&1
	echo "guest exited with $? after $(( $(date +%s) - start ))s"
done

echo "== results =="
exec "$top/tools/neuf-report" "${results[@]}"
