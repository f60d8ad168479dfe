#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make check: build neuf.ko for each test kernel, boot the kernel, run the
# IGT test list in it, and report. Userspace (libneuf, the tests, the tools)
# must already be built in build/ (make does that first).
#
# Usage: tools/check.sh KERNELS [FILTER]
#   KERNELS  all, debian (both Debian kernels), debian-6.12, debian-6.1,
#            debug, a kernel tree's path, or a comma-separated list
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
	label=$(neuf_kernel_label "$kernel")
	out=$top/build/results/$label
	results+=("$out")
	echo "== $label kernel =="
	"$top/tools/test-kernel.sh" "$kernel" "$out" "$filter"
done

echo "== results =="
exec "$top/tools/neuf-report" "${results[@]}"
