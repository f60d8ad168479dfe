#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the guest (as root): loads neuf.ko, runs the IGT test list,
# unloads the module, and leaves the kernel's verdict next to the results:
#
#   OUT/results.json   igt_runner layout (tools/neuf-runner)
#   OUT/dmesg.txt      the whole kernel log of this boot
#   OUT/dmesg-live.txt the kernel log as it is written, for a guest that
#                      never reaches the end
#   OUT/kmemleak.txt   kmemleak's findings after the run (debug kernel)
#   OUT/dma-debug-errors  dma-debug's error count after the run (kernels
#                      with CONFIG_DMA_API_DEBUG)
#   OUT/taint          /proc/sys/kernel/tainted after the run
#   OUT/guest.log      what this script did
#   OUT/stacks/KEY.txt the kernel stacks of a subtest's tasks, sampled
#                      every 20 s while it runs and at its timeout (for
#                      a subtest that ran that long)
#   OUT/hmm-tests.tap  with --hmm-tests: the kernel's hmm-tests (TAP), run
#                      against test_hmm after neuf's suite in the same boot;
#                      OUT/hmm-tests.rc its exit status. The kernel log marks
#                      where they start ("neuf: hmm-tests start").
#   OUT/gcov/          on a kernel with CONFIG_GCOV_KERNEL: the .gcda files
#                      of what the run covered, under their build paths
#   OUT/done           written last: the run reached its end
#
# Usage: run-tests.sh --out DIR --module NEUF_KO --bindir DIR --list FILE
#                     --libs FILE
#                     [--modroot DIR] [--params "P=V ..."] [--filter REGEX]
#                     [--name NAME] [--config KERNEL_DOTCONFIG]
#                     [--hmm-tests BINARY [--hmm-timeout SECONDS]]
# --libs names the shared libraries the test list's binaries load, one
# path a line (tools/test-kernel.sh writes it).
#
# Each step of guest.log starts with the guest's uptime, in seconds. The
# script runs few programs outside the tests: on the debug kernel under
# QEMU, starting one costs seconds.
set -u

out= module= modroot= params= bindir= list= libfile= filter= name=neuf config=
hmm_tests= hmm_timeout=1200
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--modroot) modroot=$2; shift 2 ;;
	--params) params=$2; shift 2 ;;
	--bindir) bindir=$2; shift 2 ;;
	--list) list=$2; shift 2 ;;
	--libs) libfile=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	--hmm-tests) hmm_tests=$2; shift 2 ;;
	--hmm-timeout) hmm_timeout=$2; shift 2 ;;
	*) echo "run-tests.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$libfile" ] || { echo "run-tests.sh: --libs is required" >&2; exit 2; }
tools=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
exec > >(tee "$out/guest.log") 2>&1

. "$tools/guest/neuf-load.sh"
. "$tools/guest/neuf-blockfs.sh"
. "$tools/guest/neuf-kmemleak.sh"
# For tests built with the sanitizers (make check's asan lane).
. "$tools/sanitizers.sh"

# say TEXT...: TEXT on guest.log after the guest's uptime.
say() {
	local up
	read -r up _ < /proc/uptime
	echo "guest: [$up] $*"
}

say "run-tests.sh starts"
neuf_kmemleak_begin

dmesg --follow > "$out/dmesg-live.txt" 2>&1 &
live=$!

read -r krel < /proc/sys/kernel/osrelease
while read -r key kb _ && [ "$key" != MemTotal: ]; do :; done < /proc/meminfo
say "$krel, $(nproc) cpus, $kb kB"
neuf_blockfs_mount "$modroot"
# 64 MiB of VRAM per GPU: enough for every subtest, and overcommitting it
# (vram-overcommit) stays cheap under emulation; the default is 256 MiB.
vgpu_params="vram_mib=64"

# The tests run from a copy in the guest's memory, their binaries and their
# libraries, for two reasons. IGT's core is some forty shared libraries, and
# opening them over the guest's shared root costs each subtest's process
# about two seconds on the debug kernel (1.4 s instead of 3.3 s to start and
# end a process there). And the shared root (9p, no cache) drops a file's
# pages when the last process that maps it exits, while QEMU keeps the code
# it translated from them: whoever gets those pages next and writes them
# (the kernel clearing them for a new owner) goes through TCG's handling of
# writes to code, store by store, until the page's last translation is
# gone. With a test binary's pages freed after every subtest, that cost
# 19% of QEMU's time over the 6.1 suite. Compacting all of memory leaves
# such pages behind too, which no copy avoids: when mm-churn-short did, the
# next subtest that faulted memory in stalled for a minute or more, and
# then the churn itself; its short form no longer compacts. The figures
# are in Documentation/gpu/neuf/testing.rst.
libs=/tmp/neuf-libs bins=/tmp/neuf-bin
tests=() testlibs=()
while read -r bin || [ -n "$bin" ]; do
	bin=${bin%%[#[:space:]]*}
	[ -z "$bin" ] || tests+=("$bin")
done < "$list"
mapfile -t testlibs < "$libfile"
mkdir -p "$libs" "$bins"
(cd "$bindir" && cp --parents -t "$bins" "${tests[@]}") ||
	echo "guest: copying the tests to $bins failed"
[ ${#testlibs[@]} -eq 0 ] || cp -L -t "$libs" "${testlibs[@]}" ||
	echo "guest: copying the tests' libraries to $libs failed"
say "copied ${#tests[@]} tests to $bins, ${#testlibs[@]} libraries to $libs"

if neuf_load "$module" "$modroot" "$params" "$vgpu_params"; then
	say "the runner starts"
	NEUF_MODULE=$module NEUF_MODULE_PARAMS=$params NEUF_KERNEL_CONFIG=$config \
		NEUF_VGPU_PARAMS=$vgpu_params \
		NEUF_BLOCK_DIR=$neuf_blockfs_dir \
		LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
		/usr/bin/python3 "$tools/neuf-runner" \
		--results "$out" --bindir "$bins" --name "$name" --dump-blocked \
		--sample-stacks 20 \
		${filter:+--filter "$filter"} "$list"
	say "runner exit: $?"
	neuf_unload || echo "guest: unloading neuf failed"
else
	echo "guest: loading neuf failed"
fi
neuf_blockfs_umount || echo "guest: unmounting the block filesystem failed"
say "the tests are over"

# A kernel with CONFIG_GCOV_KERNEL keeps the counters of an unloaded
# module (gcov_persist): copy what the suite covered (make coverage). Read
# with cat, as gcov's debugfs files report no size.
gcov=/sys/kernel/debug/gcov
if [ -d "$gcov" ]; then
	(cd "$gcov" && find . -name '*.gcda') | while IFS= read -r f; do
		mkdir -p "$out/gcov/$(dirname "$f")"
		cat "$gcov/$f" > "$out/gcov/$f"
	done
	echo "guest: gcov data of $(find "$out/gcov" -name '*.gcda' | wc -l) files"
fi

if [ -n "$hmm_tests" ]; then
	# What neuf's suite leaked is reported before the mark, so that it
	# is charged to neuf and not to hmm-tests.
	neuf_kmemleak_scan
	echo "neuf: hmm-tests start" > /dev/kmsg
	if modprobe ${modroot:+-d "$modroot"} test_hmm; then
		timeout --kill-after=30 "$hmm_timeout" "$hmm_tests" > "$out/hmm-tests.tap" 2>&1
		echo $? > "$out/hmm-tests.rc"
		rmmod test_hmm || echo "guest: unloading test_hmm failed"
	else
		echo "guest: loading test_hmm failed"
	fi
	echo "guest: hmm-tests exit $(cat "$out/hmm-tests.rc" 2>/dev/null)"
fi

neuf_kmemleak_report "$out/kmemleak.txt"
say "kmemleak scanned"
# dma-debug prints only its first error; its count says whether there
# were any (CONFIG_DMA_API_DEBUG).
dma_errors=/sys/kernel/debug/dma-api/error_count
[ -r "$dma_errors" ] && cat "$dma_errors" > "$out/dma-debug-errors"
cat /proc/sys/kernel/tainted > "$out/taint"
dmesg > "$out/dmesg.txt"
kill "$live" 2>/dev/null
say "done"
touch "$out/done"
