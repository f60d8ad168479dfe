#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make bench: neuf's fault path against the kernel's test_hmm and the CPU,
# in one boot of the debug kernel (or KERNEL=...): tools/neuf-bench in the
# guest, then tools/neuf-bench-report on the host, which prints the tables
# and writes build/bench/bench.png.
#
# Usage: tools/bench.sh [KERNEL]
# Environment: BENCH_SIZES (MiB, default 1,4,16,64,256), BENCH_RUNS (5),
# BENCH_SAMPLES (P3's samples, 200), BENCH_ABLATION_SIZE (MiB, 16),
# BENCH_ABLATION=0 to skip the ablation, BENCH_ONLY=P1,P1',P2,P3,P4,P1x4,P5,P6 for
# some cases, BENCH_NEUF_ONLY=1 for neuf's figures alone, BENCH_PROFILE=1 to
# profile the guest while it runs (build/bench/profile.txt), BENCH_TRACE=
# FUNC,... to time those kernel functions and their callees with ftrace's
# function_graph (build/bench/trace-summary.txt; BENCH_TRACE_DEPTH, 3).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"

kernel=${1:-debug}
out=$top/build/bench
rm -rf "$out/run"
mkdir -p "$out/run"
neuf_kernel "$kernel"
ko=$("$top/tools/build-module.sh" "$kernel" 2> "$out/run/module-build.log") ||
	{ tail -n 30 "$out/run/module-build.log"; exit 1; }
args=(--sizes "${BENCH_SIZES:-1,4,16,64,256}" --runs "${BENCH_RUNS:-5}"
	--samples "${BENCH_SAMPLES:-200}"
	--ablation-size "${BENCH_ABLATION_SIZE:-16}")
[ "${BENCH_ABLATION:-1}" = 0 ] && args+=(--no-ablation)
[ -n "${BENCH_ONLY:-}" ] && args+=(--only "$BENCH_ONLY")
[ "${BENCH_NEUF_ONLY:-0}" = 1 ] && args+=(--neuf-only)
start=$(date +%s)
# More memory than the tests' guests: 256 MiB buffers, test_hmm's copy.
# dma-debug off: it records a stack trace for every DMA mapping, a cost of
# debugging that no production kernel has and that test_hmm, which maps
# nothing for DMA, would not pay (BENCH_DMA_DEBUG=1 keeps it).
append=
[ "${BENCH_DMA_DEBUG:-0}" = 1 ] || append=dma_debug=off
NEUF_GUEST_MEMORY=4G NEUF_GUEST_APPEND=$append \
	"$top/tools/guest/boot.sh" "$kernel" "$out/run" \
	"${NEUF_GUEST_TIMEOUT:-14400}" \
	"$top/tools/guest/run-bench.sh" --out "$out/run" --module "$ko" \
	${MODROOT:+--modroot "$MODROOT"} ${PARAMS:+--params "$PARAMS"} \
	--bench "$top/build/tools/neuf-bench" \
	${BENCH_PROFILE:+--profile} ${BENCH_TRACE:+--trace "$BENCH_TRACE"} \
	${BENCH_TRACE_DEPTH:+--trace-depth "$BENCH_TRACE_DEPTH"} -- "${args[@]}" \
	> "$out/run/console.log" 2>&1 || true
echo "bench: guest ran $(( $(date +%s) - start )) s"
[ -e "$out/run/done" ] && [ "$(cat "$out/run/bench.rc" 2>/dev/null)" = 0 ] ||
	{ tail -n 30 "$out/run/console.log"; echo "bench: the run did not complete" >&2; exit 1; }
cp "$out/run/bench.json" "$out/bench.json"
for f in profile.txt trace-summary.txt; do
	[ ! -e "$out/run/$f" ] || cp "$out/run/$f" "$out/$f"
done
"$top/tools/neuf-bench-report" --dmesg "$out/run/dmesg.txt" \
	--png "$out/bench.png" "$out/bench.json" | tee "$out/report.txt"
