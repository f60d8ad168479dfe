#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the guest (as root) for make stress: loads neuf with the
# tests' parameters (the SVM invariant checker on the debug kernel), runs
# each part of the stress run, and leaves for the host:
#
#   OUT/<part>.json    the part's figures (its tool's --json)
#   OUT/<part>.log     its output
#   OUT/<part>.skip    instead of the figures: why it cannot run here
#   OUT/dmesg.txt      the kernel log; each part's lines lie between
#                      "neuf-stress: <part> start" and "... end" marks
#   OUT/kmemleak.txt   kmemleak's findings after the run (debug kernel)
#   OUT/taint          /proc/sys/kernel/tainted after the run
#   OUT/done           written last
#
# Usage: run-stress.sh --out DIR --module NEUF_KO --bindir DIR
#                      [--modroot DIR] [--params "P=V ..."] [--parts LIST]
#                      [--seed N] [--size PART=N]...
# --size gives a part its size: fuzz: calls; churn: mm operations per
# process; oom: kills; hang, unbind: rounds; isolation: tries of each
# scenario; alloc: functions swept one by one (0: all). --seed: every
# part's seed (default: each from the clock, printed in its log).
set -u

out= module= modroot= params= bindir= parts=fuzz seed=
declare -A size=([fuzz]=1000000 [churn]=10000 [oom]=100 [hang]=50 [unbind]=50
		 [isolation]=20 [alloc]=0)
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--modroot) modroot=$2; shift 2 ;;
	--params) params=$2; shift 2 ;;
	--bindir) bindir=$2; shift 2 ;;
	--parts) parts=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--size) size[${2%%=*}]=${2#*=}; shift 2 ;;
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
	"$bindir/tools/neuf-fuzz" --calls "${size[fuzz]}" --workers 2 \
		${seed:+--seed "$seed"} --json "$out/fuzz.json"
}

# The other parts: neuf-stress PART. Exit 77: it cannot run here.
stress_part() {
	local part=$1 ret
	shift
	NEUF_MODULE=$module NEUF_MODULE_PARAMS=$params \
		"$bindir/tools/neuf-stress" "$part" --ops "${size[$part]}" \
		${seed:+--seed "$seed"} --json "$out/$part.json" "$@"
	ret=$?
	[ $ret -eq 77 ] && tail -n 3 "$out/$part.log" > "$out/$part.skip"
	return $ret
}
part_churn() { stress_part churn --procs 8; }
part_oom() { stress_part oom; }
part_hang() { stress_part hang --procs 2; }
part_unbind() { stress_part unbind; }
part_isolation() { stress_part isolation; }
part_alloc() { stress_part alloc; }

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
