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
#   OUT/taint          /proc/sys/kernel/tainted after the run
#   OUT/guest.log      what this script did
#   OUT/done           written last: the run reached its end
#
# Usage: run-tests.sh --out DIR --module NEUF_KO --bindir DIR --list FILE
#                     [--modroot DIR] [--params "P=V ..."] [--filter REGEX]
#                     [--name NAME] [--config KERNEL_DOTCONFIG]
set -u

out= module= modroot= params= bindir= list= filter= name=neuf config=
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--modroot) modroot=$2; shift 2 ;;
	--params) params=$2; shift 2 ;;
	--bindir) bindir=$2; shift 2 ;;
	--list) list=$2; shift 2 ;;
	--filter) filter=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	*) echo "run-tests.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
tools=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
exec > >(tee "$out/guest.log") 2>&1

. "$tools/guest/neuf-load.sh"

kmemleak=/sys/kernel/debug/kmemleak
[ -d /sys/kernel/debug/tracing ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ -w "$kmemleak" ]; then
	# Forget what boot leaked (or seemed to): only the run's leaks count.
	echo scan > "$kmemleak"
	echo clear > "$kmemleak"
fi

dmesg --follow > "$out/dmesg-live.txt" 2>&1 &
live=$!

echo "guest: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
if neuf_load "$module" "$modroot" "$params"; then
	NEUF_MODULE=$module NEUF_MODULE_PARAMS=$params NEUF_KERNEL_CONFIG=$config \
		/usr/bin/python3 "$tools/neuf-runner" \
		--results "$out" --bindir "$bindir" --name "$name" --dump-blocked \
		${filter:+--filter "$filter"} "$list"
	echo "runner exit: $?"
	neuf_unload || echo "guest: unloading neuf failed"
else
	echo "guest: loading neuf failed"
fi

if [ -w "$kmemleak" ]; then
	# Two scans: an object is reported once it stays unreferenced.
	echo scan > "$kmemleak"
	echo scan > "$kmemleak"
	cat "$kmemleak" > "$out/kmemleak.txt"
fi
cat /proc/sys/kernel/tainted > "$out/taint"
dmesg > "$out/dmesg.txt"
kill "$live" 2>/dev/null
touch "$out/done"
