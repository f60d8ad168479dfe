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
#   PARAMS   neuf.ko's module parameters for the tests on this kernel
# NAME is "debian" (Debian's packaged 6.12) or "debug" (built from
# linux-source-6.12 with lockdep, KASAN, kmemleak..., cached).

# shellcheck source=versions.sh
. "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
: "${NEUF_CACHE:=${HOME:-/root}/.cache/neuf}"
export NEUF_CACHE

neuf_kernel() {
	case "$1" in
	debian)
		KDIR=/lib/modules/$NEUF_DEBIAN_KREL/build
		IMAGE=$NEUF_DEBIAN_KREL
		MODROOT=
		PARAMS=
		;;
	debug)
		local dir
		dir=$("$(dirname "${BASH_SOURCE[0]}")/kernel/build-debug-kernel.sh") || return 1
		KDIR=$dir/src
		IMAGE=$dir/bzImage
		MODROOT=$dir/modroot
		# KASAN, lockdep and kmemleak under TCG make a job about ten
		# times slower than on Debian's kernel: scale the watchdog so
		# that only a shader that really hangs meets it.
		PARAMS="job_timeout_ms=30000"
		;;
	*)
		echo "unknown kernel '$1' (debian, debug)" >&2
		return 1
		;;
	esac
}

# neuf_kernels LIST: expand "all" to the kernels make check runs.
neuf_kernels() {
	case "$1" in
	all|"") echo "debian debug" ;;
	*) echo "$1" | tr ',' ' ' ;;
	esac
}
