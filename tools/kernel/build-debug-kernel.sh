#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Build neuf's debug kernel once and cache it outside the clone.
#
# The kernel is Debian's linux-source-6.12 configured from allnoconfig plus
# tools/kernel/neuf-debug.config, with drivers/gpu/drm/neuf/ dropped into the
# tree and built in-tree as a module. The cache directory is keyed by the
# source package version, the config fragment and neuf's Kconfig, so editing
# neuf's C code never rebuilds the kernel; editing the fragment does.
#
# Prints the cache directory on stdout; progress goes to stderr. An
# interrupted build resumes where it stopped (make is incremental).
#
# Layout of the cache directory:
#   src/      the configured, built kernel tree (build out-of-tree modules
#             against it with make -C src M=...)
#   modroot/  modules_install output (modprobe -d modroot ...)
#   bzImage   the kernel image
#   build.log full make output
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/kernels.sh"
cache=$NEUF_CACHE

recipe=1	# bump when the way the tree is prepared changes
frag=$top/tools/kernel/neuf-debug.config
tarball=/usr/src/linux-source-6.12.tar.xz
jobs=${NEUF_JOBS:-$(nproc)}

log() { printf '[debug-kernel] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ -r "$tarball" ] || die "$tarball missing: run 'make deps' first"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { echo "recipe $recipe"; echo "linux-source $srcver";
	 cat "$frag" "$top/drivers/gpu/drm/neuf/Kconfig"; } |
       sha256sum | cut -c1-16)
dir=$cache/kernel-debug-$key
src=$dir/src

mkdir -p "$cache"
exec 9>"$dir.lock"
flock 9

if [ -e "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi

log "building the debug kernel (linux-source $srcver) in $dir"
log "this happens once per config; later runs reuse the cache"
mkdir -p "$dir"

if [ ! -e "$dir/.extracted" ]; then
	rm -rf "$src" "$dir/unpack"
	mkdir -p "$dir/unpack"
	log "unpacking $tarball"
	tar -C "$dir/unpack" -xf "$tarball"
	mv "$dir/unpack/linux-source-6.12" "$src"
	rmdir "$dir/unpack"
	# Drop neuf into the tree exactly as it would be upstream.
	cp -r "$top/drivers/gpu/drm/neuf" "$src/drivers/gpu/drm/neuf"
	cp "$top/uapi/drm/neuf_drm.h" "$src/include/uapi/drm/neuf_drm.h"
	echo 'source "drivers/gpu/drm/neuf/Kconfig"' >> "$src/drivers/gpu/drm/Kconfig"
	echo 'obj-$(CONFIG_DRM_NEUF) += neuf/' >> "$src/drivers/gpu/drm/Makefile"
	touch "$dir/.extracted"
fi

if [ ! -e "$dir/.configured" ]; then
	log "configuring: allnoconfig + $(basename "$frag")"
	make -C "$src" -s ARCH=x86_64 allnoconfig >&2
	(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$frag") > "$dir/config.log" 2>&1 ||
		die "merge_config failed, see $dir/config.log"
	make -C "$src" -s ARCH=x86_64 olddefconfig >&2
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF -- "$line" "$src/.config" || { log "not applied: $line"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			if grep -q "^$opt=" "$src/.config"; then log "not applied: $line"; bad=1; fi ;;
		esac
	done < "$frag"
	[ $bad -eq 0 ] || die "the config fragment did not apply (see above)"
	touch "$dir/.configured"
fi

log "compiling with $jobs jobs (full log: $dir/build.log)"
start=$(date +%s)
set +e
make -C "$src" ARCH=x86_64 -j"$jobs" bzImage modules 2>&1 |
	tee "$dir/build.log" |
	awk -v start="$start" '
		/^  [A-Z]+ / { n++ }
		n % 250 == 0 && n != last {
			last = n
			printf("[debug-kernel] %6d steps, %4ds: %s\n", n, systime() - start, $0) > "/dev/stderr"
			fflush("/dev/stderr")
		}'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	grep -E 'error|Error' "$dir/build.log" | head -20 >&2 || true
	die "kernel build failed (rc $rc), see $dir/build.log"
fi

krel=$(make -C "$src" -s kernelrelease)
rm -rf "$dir/modroot"
make -C "$src" -s ARCH=x86_64 INSTALL_MOD_PATH="$dir/modroot" INSTALL_MOD_STRIP=1 modules_install >&2
# The in-tree neuf.ko proved the directory builds in a kernel tree; tests
# always load the neuf.ko built from the working tree instead.
rm -rf "$dir/modroot/lib/modules/$krel/kernel/drivers/gpu/drm/neuf"
depmod -b "$dir/modroot" "$krel"
cp "$src/arch/x86/boot/bzImage" "$dir/bzImage"
echo "$krel" > "$dir/kernelrelease"
touch "$dir/.complete"
log "done in $(( $(date +%s) - start ))s: $krel"
echo "$dir"
