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
# Usage: tools/check-nvidia.sh [FILTER]
#   FILTER   regex over igt@neuf_svm_cuda@SUBTEST names (default: all)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
filter=${1:-}
out=$top/build/results/nvidia

if [ ! -x "$top/build/igt-tests/neuf_svm_cuda" ]; then
	echo "check-nvidia: build/igt-tests/neuf_svm_cuda was not built (nvcc was" \
		"not found: install the CUDA toolkit, or set NVCC=/path/to/nvcc)" >&2
	exit 1
fi
rm -rf "$out"
mkdir -p "$out"
{
	echo "host: $(uname -r), $(nproc) cpus"
	cat /proc/driver/nvidia/version 2>/dev/null || echo "no /proc/driver/nvidia/version"
	for p in /sys/module/nvidia_uvm/parameters/uvm_disable_hmm; do
		[ -e "$p" ] && echo "$p: $(cat "$p")"
	done
	command -v nvidia-smi > /dev/null &&
		nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader
} 2>&1 | tee "$out/system.txt"
# The per-subtest timeout is generous: 256 MiB of first touches over PCIe.
# migrate-soft-offline would take 8 pages of the host's memory out of
# service until it reboots: only with NEUF_SOFT_OFFLINE=1.
NEUF_SOFT_OFFLINE=${NEUF_SOFT_OFFLINE:-0} /usr/bin/python3 "$top/tools/neuf-runner" --results "$out" --bindir "$top/build" \
	--name nvidia --timeout 600 ${filter:+--filter "$filter"} \
	"$top/igt-tests/test-list-nvidia.txt"
# Every subtest skipped for one reason when the backend could not open.
/usr/bin/python3 - "$out/results.json" <<'PY'
import json, re, sys
tests = json.load(open(sys.argv[1]))["tests"].values()
if tests and all(t["result"] == "skip" for t in tests):
    m = re.search(r"^Test requirement: .*\n(.+)$", next(iter(tests))["out"], re.M)
    print("check-nvidia: every subtest skipped: " + (m.group(1) if m else "?"))
PY
echo "== results =="
exec "$top/tools/neuf-report" "$out"
