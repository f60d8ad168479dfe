# SPDX-License-Identifier: MIT
# Sourced by the tools: the pinned versions, the cache directory, and where
# each test kernel, its build tree and its modules are.
#
# NEUF_CACHE is where what outlives a clone is kept (virtme-ng's venv, the
# debug kernel, the kernel's lint scripts): ~/.cache/neuf unless set.
#
# neuf_kernel NAME sets
#   KDIR     kernel build tree to build neuf.ko against
#   IMAGE    what `vng -r` boots (a release name or a bzImage path)
#   MODROOT  root to find the kernel's own modules under, or empty when
#            they are installed in /lib/modules
#   PARAMS   neuf.ko's module parameters on this kernel
#   TEST_PARAMS  what the tests add to them: the SVM invariant checker on
#            the kernels built with the checkers (the debug kernel, trees)
#   CONFIG   the kernel's .config (the tests read it to skip with the
#            option a subtest needs and the kernel lacks)
# NAME is one of
#   debian-6.12  Debian's packaged 6.12 ($NEUF_DEBIAN_KREL)
#   debian-6.1   Debian's packaged 6.1 ($NEUF_DEBIAN61_KREL)
#   debug        linux-source-6.12 with lockdep, KASAN, kmemleak... (cached)
#   perf         the same source and options without the debugging ones,
#                for make bench (cached)
#   kcsan        the same source with the data-race detector KCSAN in
#                place of KASAN, lockdep and kmemleak (cached)
#   a path       any kernel source tree, configured and built like the
#                debug kernel (tools/kernel/build-tree.sh, cached)

# shellcheck source=versions.sh
. "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
: "${NEUF_CACHE:=${HOME:-/root}/.cache/neuf}"
export NEUF_CACHE

neuf_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# KASAN, lockdep and kmemleak under TCG make a job about ten times slower
# than on Debian's kernels: scale the watchdog so that only a shader that
# really hangs meets it.
NEUF_DEBUG_PARAMS="job_timeout_ms=30000"
# Tests on those kernels also check the GPU page tables against the CPU's
# after every change (neuf_svm_check.c); make bench does not.
NEUF_CHECK_PARAMS="check_invariants=1"

neuf_kernel() {
	local dir
	case "$1" in
	debian-6.12|debian-6.1)
		if [ "$1" = debian-6.12 ]; then IMAGE=$NEUF_DEBIAN_KREL; else IMAGE=$NEUF_DEBIAN61_KREL; fi
		KDIR=/lib/modules/$IMAGE/build
		MODROOT=
		PARAMS=
		TEST_PARAMS=
		CONFIG=/boot/config-$IMAGE
		;;
	debug)
		dir=$("$neuf_tools/kernel/build-debug-kernel.sh") || return 1
		neuf_kernel_built "$dir"
		;;
	perf)
		dir=$("$neuf_tools/kernel/build-debug-kernel.sh" perf) || return 1
		neuf_kernel_built "$dir"
		# No checker slows a job down: the default watchdog.
		PARAMS=
		TEST_PARAMS=
		;;
	kcsan)
		dir=$("$neuf_tools/kernel/build-debug-kernel.sh" kcsan) || return 1
		neuf_kernel_built "$dir"
		;;
	/*|./*|../*)
		[ -d "$1" ] || { echo "no kernel tree at '$1'" >&2; return 1; }
		dir=$("$neuf_tools/kernel/build-tree.sh" ${NEUF_FRAGMENT:+--fragment "$NEUF_FRAGMENT"} "$1") ||
			return 1
		neuf_kernel_built "$dir"
		;;
	*)
		echo "unknown kernel '$1' (debian-6.12, debian-6.1, debug, perf, kcsan or a tree's path)" >&2
		return 1
		;;
	esac
}

# neuf_kernel_built DIR: the variables for a kernel build-tree.sh built.
neuf_kernel_built() {
	KDIR=$(cd "$1/../../obj" && pwd)
	IMAGE=$1/bzImage
	MODROOT=$1/modroot
	PARAMS=$NEUF_DEBUG_PARAMS
	TEST_PARAMS="$PARAMS $NEUF_CHECK_PARAMS"
	CONFIG=$1/config
}

# neuf_kernel_label NAME: the name results and objects are filed under.
neuf_kernel_label() {
	case "$1" in
	/*|./*|../*) echo "tree-$(basename "$(realpath "$1")")" ;;
	*) echo "$1" ;;
	esac
}

# neuf_kernels LIST: expand "all" (and "debian") to the kernels make check runs.
neuf_kernels() {
	case "$1" in
	all|"") echo "debian-6.12 debian-6.1 debug" ;;
	debian) echo "debian-6.12 debian-6.1" ;;
	*) echo "$1" | tr ',' ' ' ;;
	esac
}

# neuf_debug_source: unpack linux-source-6.12 once into the cache (never
# modified after) and print its path.
neuf_debug_source() {
	local ver tarball=/usr/src/linux-source-6.12.tar.xz dir
	[ -r "$tarball" ] || { echo "$tarball missing: run 'make deps' first" >&2; return 1; }
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	dir=$NEUF_CACHE/src/linux-source-$ver
	if [ ! -e "$dir/.neuf-unpacked" ]; then
		mkdir -p "$NEUF_CACHE/src"
		(
			flock 8
			[ -e "$dir/.neuf-unpacked" ] && exit 0
			echo "[kernel] unpacking $tarball" >&2
			rm -rf "$dir" "$dir.tmp"
			mkdir -p "$dir.tmp"
			tar -C "$dir.tmp" --strip-components=1 -xf "$tarball"
			touch "$dir.tmp/.neuf-unpacked"
			mv "$dir.tmp" "$dir"
		) 8> "$dir.lock" || return 1
	fi
	echo "$dir"
}

# neuf_tree_rev TREE: what identifies the tree's sources. A git tree: its
# HEAD, plus a hash of its uncommitted changes when it has any. Any other
# tree: a hash of every file's name, size and modification time.
neuf_tree_rev() {
	local tree=$1 head changes
	if [ "$(git -C "$tree" rev-parse --show-toplevel 2>/dev/null)" = "$tree" ]; then
		head=$(git -C "$tree" rev-parse HEAD)
		if [ -z "$(git -C "$tree" status --porcelain --untracked-files=normal)" ]; then
			echo "$head"
			return
		fi
		changes=$( { git -C "$tree" diff HEAD --binary
			     git -C "$tree" ls-files -o --exclude-standard -z |
				(cd "$tree" && xargs -0 -r stat -c '%n %s %Y'); } |
			   sha256sum | cut -c1-12)
		echo "$head-dirty-$changes"
	else
		echo "src-$(cd "$tree" && find . -name .git -prune -o -type f -printf '%P %s %T@\n' |
			LC_ALL=C sort | sha256sum | cut -c1-16)"
	fi
}
