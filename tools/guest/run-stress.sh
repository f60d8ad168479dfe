#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the guest (as root) for make stress: loads neuf with the
# tests' parameters (the SVM invariant checker on the debug kernel), runs
# each part of the stress run, and leaves for the host:
#
#   OUT/<part>.json    the part's figures (its tool's --json)
#   OUT/<part>.log     its output
#   OUT/dmesg.txt      the kernel log; each part's lines lie between
#                      "neuf-stress: <part> start" and "... end" marks
#   OUT/kmemleak.txt   kmemleak's findings after the run (debug kernel)
#   OUT/taint          /proc/sys/kernel/tainted after the run
#   OUT/done           written last
#
# Usage: run-stress.sh --out DIR --module NEUF_KO --bindir DIR
#                      [--modroot DIR] [--params "P=V ..."] [--parts LIST]
#                      [--fuzz-calls N] [--fuzz-seed N]
set -u

out= module= modroot= params= bindir= parts=fuzz fuzz_calls=1000000 fuzz_seed=
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--modroot) modroot=$2; shift 2 ;;
	--params) params=$2; shift 2 ;;
	--bindir) bindir=$2; shift 2 ;;
	--parts) parts=$2; shift 2 ;;
	--fuzz-calls) fuzz_calls=$2; shift 2 ;;
	--fuzz-seed) fuzz_seed=$2; shift 2 ;;
	*) echo "run-stress.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
tools=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
exec > >(tee "$out/guest.log") 2>&1

. "$tools/guest/neuf-load.sh"
. "$tools/guest/neuf-kmemleak.sh"

neuf_kmemleak_begin
echo "guest: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"

# part_fuzz: the ioctl fuzzer, two workers, the job watchdog at 1 s.
part_fuzz() {
	"$bindir/tools/neuf-fuzz" --calls "$fuzz_calls" --workers 2 \
		${fuzz_seed:+--seed "$fuzz_seed"} --json "$out/fuzz.json"
}

if neuf_load "$module" "$modroot" "$params" "vram_mib=64"; then
	for part in ${parts//,/ }; do
		echo "neuf-stress: $part start" > /dev/kmsg
		start=$(date +%s)
		"part_$part" > "$out/$part.log" 2>&1
		echo "guest: $part exit $? after $(( $(date +%s) - start ))s"
		echo "neuf-stress: $part end" > /dev/kmsg
	done
	neuf_unload || echo "guest: unloading neuf failed"
else
	echo "guest: loading neuf failed"
fi
neuf_kmemleak_report "$out/kmemleak.txt"
cat /proc/sys/kernel/tainted > "$out/taint"
dmesg > "$out/dmesg.txt"
touch "$out/done"
