#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make check-nvidia: the shared SVM scenarios on the host's NVIDIA GPU,
# through CUDA and the open kernel modules' HMM (igt-tests/neuf_svm_cuda).
# No guest: the NVIDIA driver is the host's. Writes
# build/results/nvidia/results.json in the layout of make check's results
# (igt_runner's), and ends with `N passed, N failed, N skipped`. Without an
# NVIDIA driver, GPU or HMM every subtest skips with the reason.
#
# Builds nothing: on a GPU machine without a compiler, a tree built
# elsewhere runs with its build/ (the binary needs only the C library).
#
# Usage: tools/check-nvidia.sh [FILTER]
#   FILTER   regex over igt@neuf_svm_cuda@SUBTEST names (default: all)
# Environment: NVIDIA_TIMEOUT, seconds a subtest may run (default 600);
# NVIDIA_OVERALL_TIMEOUT, seconds after which no subtest starts (the rest
# are notrun; default: no limit); NVIDIA_DMESG_WARN_LEVEL, the kernel log
# level at which a line during a subtest makes it dmesg-warn (default -1:
# only splats and Xid reports do; 4 is igt_runner's default);
# PYTHON, the python3 to run the runner with (default: python3 on PATH).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
filter=${1:-}
out=$top/build/results/nvidia
py=${PYTHON:-python3}

if [ ! -x "$top/build/igt-tests/neuf_svm_cuda" ]; then
	echo "check-nvidia: build/igt-tests/neuf_svm_cuda was not built (nvcc was" \
		"not found: install the CUDA toolkit, or set NVCC=/path/to/nvcc)" >&2
	exit 1
fi
rm -rf "$out"
mkdir -p "$out"
# writeback-gpu-store-after-clean wants a filesystem on a block device:
# the results directory's, where it is one (NEUF_BLOCK_DIR= picks another).
if [ -z "${NEUF_BLOCK_DIR:-}" ] && command -v findmnt > /dev/null; then
	read -r src fstype < <(findmnt -n -o SOURCE,FSTYPE --target "$out")
	case "${src:-}:${fstype:-}" in
	/dev/*:ext[234] | /dev/*:xfs | /dev/*:btrfs) export NEUF_BLOCK_DIR=$out ;;
	esac
fi
# The kernel log's Xid reports (see below), unless no subtest can mark any.
xid_lines='NVRM: Xid [(]'
count_xid=(--dmesg-count "$xid_lines")
xid_rule="lines matching '$xid_lines' count unless the subtest expects them"
if [ ! -w /dev/kmsg ]; then
	count_xid=()
	xid_rule="do not count: /dev/kmsg is not writable, so no subtest can mark its own"
fi
{
	echo "host: $(uname -r), $(nproc) cpus"
	echo "Xid reports in the kernel log: $xid_rule"
	cat /proc/driver/nvidia/version 2>/dev/null || echo "no /proc/driver/nvidia/version"
	p=/sys/module/nvidia_uvm/parameters/uvm_disable_hmm
	[ -e "$p" ] && echo "$p: $(cat "$p")"
	# What HMM needs of the kernel, where its .config can be read.
	for c in "${NEUF_KERNEL_CONFIG:-/boot/config-$(uname -r)}" /proc/config.gz; do
		[ -r "$c" ] || continue
		zcat -f "$c" | grep -E '^# CONFIG_(HMM_MIRROR|DEVICE_PRIVATE|ZONE_DEVICE) |^CONFIG_(HMM_MIRROR|DEVICE_PRIVATE|ZONE_DEVICE)=' |
			sed "s|^|$c: |"
		break
	done
	echo "NEUF_BLOCK_DIR: ${NEUF_BLOCK_DIR:-unset (writeback-gpu-store-after-clean skips)}"
	command -v nvidia-smi > /dev/null &&
		nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader
} 2>&1 | tee "$out/system.txt"
# The per-subtest timeout is generous by default: 256 MiB of first
# touches over PCIe. A subtest still running after a minute gets its tasks'
# kernel stacks sampled (where UVM's fault servicing keeps it) every
# minute and at its timeout, into stacks/ (the stacks need root;
# NVIDIA_SAMPLE_STACKS=0: never).
# migrate-soft-offline would take 8 pages of the host's memory out of
# service until it reboots: only with NEUF_SOFT_OFFLINE=1.
# In the host's kernel log, by default, splats count, and the driver's Xid
# reports (a GPU fault, an engine's exception, a channel's stop: the lines
# of xid_lines) unless the subtest marked them as expected, as those that
# fault on purpose do (svm_backend.fault_log). Not every line at warning
# level, as in the guests: the log is the whole machine's, and the NVIDIA
# driver prints all of its lines, Xid reports included, at the kernel's
# default message level, warning on most systems (nvidia.rst).
# NVIDIA_DMESG_WARN_LEVEL=4 applies igt_runner's rule as well. A subtest
# that cannot write /dev/kmsg (not root) cannot mark its faults: then Xid
# reports do not count. A subtest after which the kernel is newly tainted
# by an Oops or a warning ends the run, as igt_runner's
# --abort-on-monitored-error does: the driver's state is then unknown, and
# a driver that oopsed while a process exited may hold locks the next one
# would wait on for good.
NEUF_SOFT_OFFLINE=${NEUF_SOFT_OFFLINE:-0} "$py" "$top/tools/neuf-runner" --results "$out" --bindir "$top/build" \
	--name nvidia --timeout "${NVIDIA_TIMEOUT:-600}" --abort-on-taint \
	--sample-stacks "${NVIDIA_SAMPLE_STACKS:-60}" \
	--dmesg-warn-level "${NVIDIA_DMESG_WARN_LEVEL:--1}" ${count_xid[@]+"${count_xid[@]}"} \
	--overall-timeout "${NVIDIA_OVERALL_TIMEOUT:-0}" ${filter:+--filter "$filter"} \
	"$top/igt-tests/test-list-nvidia.txt"
# Every subtest skipped for one reason when the backend could not open.
"$py" - "$out/results.json" <<'PY'
import json, re, sys
tests = json.load(open(sys.argv[1]))["tests"].values()
if tests and all(t["result"] == "skip" for t in tests):
    m = re.search(r"^Test requirement: .*\n(.+)$", next(iter(tests))["out"], re.M)
    print("check-nvidia: every subtest skipped: " + (m.group(1) if m else "?"))
PY
echo "== results =="
exec "$py" "$top/tools/neuf-report" "$out"
