#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make check: build neuf.ko for each test kernel, boot the kernel, run the
# IGT test list in it, and report. Userspace (libneuf, the tests, the tools)
# must already be built in build/ (make does that first).
#
# Usage: tools/check.sh KERNELS [FILTER]
#   KERNELS  all, debian (both Debian kernels), debian-6.12, debian-6.1,
#            debug, asan, perf, kcsan, a kernel tree's path, or a
#            comma-separated list
#   FILTER   regex over igt@BIN@SUBTEST names (default: everything)
# asan, the sanitizer lane (part of all): the userspace built with ASan and
# UBSan in build/asan (make check builds it), its host tests as host-asan
# and its guest tests on Debian's 6.12 as debian-6.12-asan.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"

kernels=$(neuf_kernels "${1:-all}")
[ "${1:-all}" = all ] && kernels+=" asan"
filter=${2:-}
asan_bin=$top/build/asan
echo "== host: test infrastructure self-tests =="
rm -rf "$top/build/results/host"
/usr/bin/python3 "$top/tools/selftest/host-tests.py" "$top/build" "$top/build/results/host"
results=("$top/build/results/host")
for kernel in $kernels; do
	if [ "$kernel" = asan ]; then
		echo "== asan: the userspace with ASan and UBSan, host and debian-6.12 =="
		rm -rf "$top/build/results/host-asan"
		(. "$top/tools/sanitizers.sh"
		 /usr/bin/python3 "$top/tools/selftest/host-tests.py" "$asan_bin" \
			"$top/build/results/host-asan")
		results+=("$top/build/results/host-asan" "$top/build/results/debian-6.12-asan")
		NEUF_BINDIR=$asan_bin "$top/tools/test-kernel.sh" debian-6.12 \
			"$top/build/results/debian-6.12-asan" "$filter"
		continue
	fi
	label=$(neuf_kernel_label "$kernel")
	out=$top/build/results/$label
	results+=("$out")
	echo "== $label kernel =="
	"$top/tools/test-kernel.sh" "$kernel" "$out" "$filter"
done

echo "== results =="
exec "$top/tools/neuf-report" "${results[@]}"
