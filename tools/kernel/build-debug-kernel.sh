#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Build neuf's debug kernel (or its performance kernel) once and cache it
# outside the clone.
#
# Usage: tools/kernel/build-debug-kernel.sh [debug|perf|kcsan]
#
# The debug kernel is Debian's linux-source-6.12, unpacked once into
# $NEUF_CACHE/src/ and never changed after (tools that need a modified tree,
# such as the mutants, work on a copy), then configured and built like any
# other tree by tools/kernel/build-tree.sh: allnoconfig plus
# tools/kernel/neuf-debug.config, out of tree. Editing neuf's C code never
# rebuilds it; editing the fragment or neuf's Kconfig reconfigures it.
#
# The performance kernel (perf) is the same source with the same base and
# memory management options and none of the debugging ones: the debug
# fragment up to its "## Debugging" section, then
# tools/kernel/neuf-perf.config (see there). The data-race kernel (kcsan)
# is built the same way from tools/kernel/neuf-kcsan.config.
#
# Prints build-tree.sh's build directory on stdout; progress goes to stderr.
# An interrupted build resumes where it stopped (make is incremental).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/kernels.sh"

src=$(neuf_debug_source) || exit 1
case "${1:-debug}" in
debug)
	exec "$top/tools/kernel/build-tree.sh" "$src"
	;;
perf|kcsan)
	frag=$NEUF_CACHE/neuf-$1.config
	mkdir -p "$NEUF_CACHE"
	sed -e '/^## Debugging/,$d' -e '/^CONFIG_LOCALVERSION=/d' \
		"$top/tools/kernel/neuf-debug.config" > "$frag.new.$$"
	cat "$top/tools/kernel/neuf-$1.config" >> "$frag.new.$$"
	# Rewritten only when changed (concurrent builders write the same).
	if cmp -s "$frag.new.$$" "$frag"; then rm -f "$frag.new.$$"; else mv "$frag.new.$$" "$frag"; fi
	exec "$top/tools/kernel/build-tree.sh" --fragment "$frag" "$src"
	;;
*)
	echo "usage: build-debug-kernel.sh [debug|perf|kcsan]" >&2
	exit 2
	;;
esac
