#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Test neuf on one kernel: build the kernel (when it is a tree), build
# neuf.ko against it, boot it, run the IGT test list in it. What the run
# left in OUT is judged by tools/neuf-report; this script only says how far
# it got.
#
# Usage: tools/test-kernel.sh KERNEL OUT [FILTER]
#   KERNEL  debian-6.12, debian-6.1, debug, perf, kcsan or a kernel tree's path
#   OUT     results directory (emptied first)
#   FILTER  regex over igt@BIN@SUBTEST names
# NEUF_HMM_TESTS=BINARY also runs the kernel's hmm-tests in the same boot,
# after neuf's suite (tools/guest/run-tests.sh --hmm-tests). NEUF_BINDIR:
# the build directory whose tests run (default build/; make check's
# sanitizer lane: build/asan); the run's name then ends in its name.
# Exit status:
#   0  the guest ran the tests to their end (they may still have failed)
#   3  the kernel did not configure or build   (OUT/kernel-build.log)
#   4  neuf.ko did not build                   (OUT/module-build.log)
#   5  the guest did not boot far enough to start the tests
#   6  the guest started the tests but did not finish them, and the kernel
#      is to blame: its console shows a panic, an Oops, a BUG, a hung task
#      or a lockup (also when the time limit then stopped the guest), or
#      the guest ended of itself
#   7  the guest started the tests but the host stopped it before they
#      finished (the time limit, NEUF_GUEST_TIMEOUT, or a signal such as
#      the OOM killer's), and its console shows no sign of the kernel's
#      dying: the kernel may only have been slow, nothing is known
set -uo pipefail

# What the kernel's console says when the kernel died or hung: a panic, an
# Oops, a BUG (KASAN, a soft lockup: "watchdog: BUG: soft lockup"), a
# general protection fault, a hung task, an RCU stall, a hard lockup.
kernel_died='Kernel panic|\<Oops\>|BUG:|kernel BUG at|general protection fault|blocked for more than [0-9]+ seconds|rcu: INFO: .*stall|hard LOCKUP'

# guest_exit OUT RC: this script's exit status for a guest that left OUT
# and whose tools/guest/boot.sh exited RC (timeout's: 124 at the time
# limit, 128+N killed by signal N); why, on stdout. The self-tests' fake
# kernel sources this script for this function alone.
guest_exit() {
	local out=$1 rc=$2 line
	[ -e "$out/done" ] && return 0
	# run-tests.sh writes guest.log first thing: without it the guest never
	# reached the tests.
	[ -e "$out/guest.log" ] || return 5
	line=$(grep -m 1 -E "$kernel_died" "$out/console.log" 2> /dev/null)
	if [ -n "$line" ]; then
		echo "the kernel died or hung: $line"
		return 6
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -gt 128 ]; then
		echo "the host stopped the guest (exit $rc) and the kernel's console shows no death"
		return 7
	fi
	echo "the guest ended (exit $rc) without finishing the tests"
	return 6
}
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"

kernel=$1 out=$2 filter=${3:-}
bindir=${NEUF_BINDIR:-$top/build}
name=neuf-$(neuf_kernel_label "$kernel")
[ "$bindir" = "$top/build" ] || name+=-$(basename "$bindir")
rm -rf "$out"
mkdir -p "$out"
if ! neuf_kernel "$kernel" 2> >(tee "$out/kernel-build.log" >&2); then
	tail -n 30 "$out/kernel-build.log"
	echo "building the kernel failed" > "$out/console.log"
	exit 3
fi
if ! ko=$("$top/tools/build-module.sh" "$kernel" 2> "$out/module-build.log"); then
	tail -n 40 "$out/module-build.log"
	echo "building neuf.ko for this kernel failed" > "$out/console.log"
	exit 4
fi
# The guest runs the tests from a copy in its memory (run-tests.sh says
# why), and is told here which libraries to copy: ldd there took 15 s a
# binary on the debug kernel (2 minutes for the list). The guest's root is
# this machine's, so the paths are the same; the guest's command runs
# without LD_LIBRARY_PATH, and so does ldd here.
libs=$out/test-libs.txt
sed 's/#.*//' "$top/igt-tests/test-list.txt" | while read -r bin; do
	[ -z "$bin" ] || env -u LD_LIBRARY_PATH ldd "$bindir/$bin" 2> /dev/null
done | awk '/=> \// {print $3}' | sort -u > "$libs"
start=$(date +%s)
"$top/tools/guest/boot.sh" "$kernel" "$out" "${NEUF_GUEST_TIMEOUT:-3600}" \
	"$top/tools/guest/run-tests.sh" --out "$out" --module "$ko" \
	${MODROOT:+--modroot "$MODROOT"} ${TEST_PARAMS:+--params "$TEST_PARAMS"} \
	--config "$CONFIG" --bindir "$bindir" \
	${NEUF_HMM_TESTS:+--hmm-tests "$NEUF_HMM_TESTS"} \
	--list "$top/igt-tests/test-list.txt" --libs "$libs" --name "$name" \
	${filter:+--filter "$filter"} > "$out/console.log" 2>&1
rc=$?
echo "guest exited with $rc after $(( $(date +%s) - start ))s"
guest_exit "$out" "$rc"
exit $?
