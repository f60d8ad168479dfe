#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the guest (as root): loads the kernel's test_hmm and neuf,
# runs neuf-bench, unloads them, and leaves next to the figures what the
# kernel said:
#
#   OUT/bench.json  neuf-bench's figures
#   OUT/bench.rc    its exit status
#   OUT/dmesg.txt   the kernel log of this boot
#   OUT/taint       /proc/sys/kernel/tainted afterwards
#   OUT/guest.log   what this script did
#   OUT/profile.txt with --profile: where the whole guest spent its time
#                   while neuf-bench ran (perf's cpu-clock samples, all
#                   CPUs, call graphs), by symbol and by caller
#   OUT/trace-summary.txt  with --trace FUNCS: calls and durations of
#                   FUNCS and of what they call, from the function_graph
#                   tracer (tools/neuf-ftrace-summary)
#   OUT/done        written last
#
# Usage: run-bench.sh --out DIR --module NEUF_KO --bench BINARY
#                     [--modroot DIR] [--params "P=V ..."] [--profile]
#                     [--trace FUNC,... [--trace-depth N]]
#                     [-- BENCH_ARGS...]
set -u

out= module= modroot= params= bench= profile= trace= depth=3
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--modroot) modroot=$2; shift 2 ;;
	--params) params=$2; shift 2 ;;
	--bench) bench=$2; shift 2 ;;
	--profile) profile=1; shift ;;
	--trace) trace=$2; shift 2 ;;
	--trace-depth) depth=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "run-bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
tools=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
exec > >(tee "$out/guest.log") 2>&1

. "$tools/guest/neuf-load.sh"

echo "guest: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
echo "guest: transparent_hugepage $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
modprobe ${modroot:+-d "$modroot"} test_hmm ||
	echo "guest: no test_hmm on this kernel: the peer's figures are missing"
# function_graph over the named functions (and their callees, down to
# DEPTH levels), while neuf-bench runs.
trace_start() {
	t=/sys/kernel/tracing
	[ -e $t/trace ] || mount -t tracefs nodev $t 2>/dev/null
	echo 0 > $t/tracing_on
	echo function_graph > $t/current_tracer
	echo > $t/set_graph_function
	for f in ${trace//,/ }; do echo "$f" >> $t/set_graph_function; done
	echo "$depth" > $t/max_graph_depth
	echo 1 > $t/options/funcgraph-tail
	echo 131072 > $t/buffer_size_kb
	echo > $t/trace
	echo 1 > $t/tracing_on
}
trace_stop() {
	echo 0 > $t/tracing_on
	cat $t/trace > /dev/shm/neuf-trace.txt
	python3 "$tools/neuf-ftrace-summary" /dev/shm/neuf-trace.txt > "$out/trace-summary.txt"
	echo "guest: $(grep -c . /dev/shm/neuf-trace.txt) trace lines; lost: $(grep -c LOST /dev/shm/neuf-trace.txt)"
	rm -f /dev/shm/neuf-trace.txt
	echo nop > $t/current_tracer
}

if neuf_load "$module" "$modroot" "$params"; then
	[ -z "$trace" ] || trace_start
	if [ -n "$profile" ]; then
		# No PMU under TCG: sample the kernel's cpu-clock timer. The
		# samples go to the guest's memory, not to the shared folder.
		data=/dev/shm/neuf-bench.perf
		perf record -q -e cpu-clock -a -g -o "$data" -- \
			"$bench" --out "$out/bench.json" "$@"
		echo $? > "$out/bench.rc"
		{
			perf report -i "$data" --stdio --no-children \
				--sort sym --percent-limit 0.5 -g none
			perf report -i "$data" --stdio --children \
				--sort sym --percent-limit 2 -g caller,0.5,callee,function,percent
		} > "$out/profile.txt" 2>&1
		rm -f "$data"
	else
		"$bench" --out "$out/bench.json" "$@"
		echo $? > "$out/bench.rc"
	fi
	[ -z "$trace" ] || trace_stop
	neuf_unload || echo "guest: unloading neuf failed"
else
	echo "guest: loading neuf failed"
fi
rmmod test_hmm 2>/dev/null
cat /proc/sys/kernel/tainted > "$out/taint"
dmesg > "$out/dmesg.txt"
touch "$out/done"
