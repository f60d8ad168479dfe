#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make bench-nvidia: neuf-bench's P1 (first touch), P3 (one fault's round
# trip) and P4 (munmap) on this host's NVIDIA GPU, through CUDA and HMM:
# build/tools/neuf-bench-nvidia on the host (no guest: the NVIDIA driver is
# the host's), then tools/neuf-bench-nvidia-report, which prints its
# figures beside neuf's latest (build/bench/bench.json, from make bench).
# Skips, with the reason, where there is no NVIDIA driver, GPU or HMM.
#
# Usage: tools/bench-nvidia.sh
# Environment: BENCH_SIZES (MiB, default 1,4,16,64,256), BENCH_RUNS (5),
# BENCH_SAMPLES (P3's samples, 200), BENCH_ONLY=P1,P3,P4 for some cases;
# BENCH_TIMEOUT, seconds the benchmark may run before it is stopped
# (default 1800; 0: no limit); PYTHON, the python3 for the report
# (default: python3 on PATH). Builds nothing, as tools/check-nvidia.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
limit=${BENCH_TIMEOUT:-1800}
case $limit in
'' | *[!0-9]*)
	echo "bench-nvidia: BENCH_TIMEOUT=$limit is not a number of seconds" >&2
	exit 2
	;;
esac

bench=$top/build/tools/neuf-bench-nvidia
out=$top/build/bench-nvidia
if [ ! -x "$bench" ]; then
	echo "bench-nvidia: nvcc was not found when building: nothing to run" >&2
	exit 1
fi
mkdir -p "$out"
args=(--sizes "${BENCH_SIZES:-1,4,16,64,256}" --runs "${BENCH_RUNS:-5}"
	--samples "${BENCH_SAMPLES:-200}" --out "$out/bench.json.tmp")
[ -n "${BENCH_ONLY:-}" ] && args+=(--only "$BENCH_ONLY")
rc=0
start=$SECONDS
# Its progress on stderr, also kept; with pipefail, tee does not hide its rc.
# A GPU kernel that never ends, or a fault the driver never services,
# would hang it for good: past the limit it gets SIGTERM, and SIGKILL 30
# seconds later.
timeout --kill-after=30 "$limit" "$bench" "${args[@]}" 2>&1 |
	tee "$out/stderr.txt" >&2 || rc=$?
if { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && [ "$limit" != 0 ] &&
	[ $((SECONDS - start)) -ge "$limit" ]; then
	rm -f "$out/bench.json.tmp"
	echo "bench-nvidia: neuf-bench-nvidia was stopped after ${limit}s" \
		"(BENCH_TIMEOUT): a GPU kernel that never ended? Its output is in" \
		"$out/stderr.txt" >&2
	exit 1
fi
if [ "$rc" = 77 ]; then
	rm -f "$out/bench.json.tmp"
	why=$(sed -n 's/^neuf-bench-nvidia: cannot run: //p' "$out/stderr.txt")
	echo "bench-nvidia: skipped: ${why:-$(tail -n 1 "$out/stderr.txt")}"
	exit 0
fi
if [ "$rc" != 0 ]; then
	rm -f "$out/bench.json.tmp"
	echo "bench-nvidia: neuf-bench-nvidia failed (exit $rc)" >&2
	exit 1
fi
mv "$out/bench.json.tmp" "$out/bench.json"
"$py" "$top/tools/neuf-bench-nvidia-report" --neuf "$top/build/bench/bench.json" \
	"$out/bench.json" | tee "$out/report.txt"
