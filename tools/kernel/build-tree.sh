#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Configure and build any kernel source tree for neuf's tests, out of tree
# (O=), incrementally, and cache the result.
#
# Usage: tools/kernel/build-tree.sh [--fragment FILE] TREE
#
# The tree is configured as neuf's debug kernel is: allnoconfig plus the
# config fragment (tools/kernel/neuf-debug.config by default). The tree
# itself is never written to: the objects go to an O= directory in the
# cache, and neuf's Kconfig reaches the kernel's Kconfig through
# KBUILD_KCONFIG (a copy of the tree's top-level Kconfig that also sources
# neuf's), so CONFIG_DRM_NEUF can select DRM_SCHED, HMM_MIRROR and
# MMU_NOTIFIER exactly as in-tree. neuf itself is always built out of tree
# (tools/build-module.sh) against the O= directory.
#
# Cache layout, under $NEUF_TREES/<id>/ ($NEUF_CACHE/trees by default) where
# <id> hashes the tree's path, the fragment and this recipe:
#   obj/              the O= build directory, shared by every revision of
#                     the tree, so a new revision rebuilds only what changed
#   obj/.neuf-rev     the revision obj/ holds, complete; absent while a
#                     build is under way or after one failed or was
#                     interrupted
#   builds/<rev>/     one directory per revision: bzImage, modroot/
#                     (modules_install), kernelrelease, config,
#                     missing-options (fragment options the tree lacks),
#                     build.log, .complete
# <rev> is the tree's HEAD for a git tree (with a hash of its changes when
# it has any), otherwise a hash of every source file's name, size and
# modification time; the fragment is part of <id>.
#
# Prints builds/<rev> on stdout when obj/ matches it (build neuf against
# obj/, the directory's parent's obj); progress goes to stderr. Exit
# status: 0 built, 1 the kernel failed to configure or build, 2 usage.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/kernels.sh"

recipe=2	# bump when the way a tree is configured or built changes
frag=$top/tools/kernel/neuf-debug.config
while [ $# -gt 0 ]; do
	case "$1" in
	--fragment) frag=$(realpath "$2"); shift 2 ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "build-tree.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: build-tree.sh [--fragment FILE] TREE" >&2; exit 2; }
tree=$(realpath "$1")
jobs=${NEUF_JOBS:-$(nproc)}

log() { printf '[kernel] %s\n' "$*" >&2; }

# neuf_build_progress START: one line on stderr every 250 kbuild steps.
neuf_build_progress() {
	local n=0 line
	while IFS= read -r line; do
		case "$line" in
		"  "[A-Z]*)
			n=$((n + 1))
			[ $((n % 250)) -eq 0 ] &&
				log "$(printf '%6d steps, %4ds: %s' "$n" $(( $(date +%s) - $1 )) "$line")"
			;;
		esac
	done
}
die() { log "error: $*"; exit 1; }

[ -f "$tree/Makefile" ] && [ -f "$tree/Kconfig" ] || die "$tree is not a kernel source tree"
[ -r "$frag" ] || die "no config fragment $frag"

id=$( { echo "recipe $recipe"; echo "tree $tree"; cat "$frag"; } | sha256sum | cut -c1-16)
base=${NEUF_TREES:-$NEUF_CACHE/trees}/$id
obj=$base/obj
mkdir -p "$base/builds" "$obj"
echo "$tree" > "$base/tree"
exec 9>"$base/lock"
flock 9

rev=$(neuf_tree_rev "$tree")
out=$base/builds/$rev
if [ -e "$out/.complete" ] && [ "$(cat "$obj/.neuf-rev" 2>/dev/null)" = "$rev" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
# From here on obj/ changes: whatever it holds matches no revision until
# one builds completely (the stamp is written last), so that a build that
# fails or is interrupted is never taken for the revision before it.
rm -f "$obj/.neuf-rev"

# KBUILD_KCONFIG: the tree's own top-level Kconfig, then neuf's. Both live
# in obj/, so their paths do not depend on where the repository is.
mkdir -p "$obj/neuf-kconfig"
cp "$top/drivers/gpu/drm/neuf/Kconfig" "$obj/neuf-kconfig/Kconfig.neuf.new"
{ cat "$tree/Kconfig"; echo; echo "source \"$obj/neuf-kconfig/Kconfig.neuf\""; } \
	> "$obj/neuf-kconfig/Kconfig.new"
for f in Kconfig Kconfig.neuf; do
	# Rewritten only when changed, so kbuild's Kconfig dependencies stay put.
	cmp -s "$obj/neuf-kconfig/$f.new" "$obj/neuf-kconfig/$f" ||
		mv "$obj/neuf-kconfig/$f.new" "$obj/neuf-kconfig/$f"
	rm -f "$obj/neuf-kconfig/$f.new"
done
export KBUILD_KCONFIG=$obj/neuf-kconfig/Kconfig

kmake=(make -C "$tree" O="$obj" ARCH=x86_64)
if command -v ccache > /dev/null; then
	export CCACHE_DIR=${CCACHE_DIR:-$NEUF_CACHE/ccache}
	# Paths under the cache are hashed relative to the object directory,
	# so that two trees laid out alike (src/X with trees/<id>/obj, as the
	# mutants' copy is) share their compiles.
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$NEUF_CACHE}
	ccache -M "${NEUF_CCACHE_SIZE:-8G}" > /dev/null
	kmake+=(CC="ccache gcc")
fi

log "tree $tree at $rev"
# Configure from scratch every time: allnoconfig + the fragment is cheap,
# and it is the only way a revision's new or removed options cannot carry
# over from the last one. Unchanged options leave the objects alone.
"${kmake[@]}" -s allnoconfig > "$out/config.log" 2>&1 || die "allnoconfig failed, see $out/config.log"
(cd "$obj" && "$tree/scripts/kconfig/merge_config.sh" -m .config "$frag") \
	>> "$out/config.log" 2>&1 || die "merge_config failed, see $out/config.log"
"${kmake[@]}" -s olddefconfig >> "$out/config.log" 2>&1 || die "olddefconfig failed, see $out/config.log"

# Every line of the fragment must hold, except options this tree does not
# have at all: those are reported (and listed for the tests), not fatal.
defined=$(mktemp)
trap 'rm -f "$defined"' EXIT
find "$tree" "$obj/neuf-kconfig" -name 'Kconfig*' -type f -print0 |
	xargs -0 grep -hoE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+' |
	awk '{print "CONFIG_" $2}' | sort -u > "$defined"
: > "$out/missing-options"
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
	*) continue ;;
	esac
	if ! grep -qxF "$opt" "$defined"; then
		echo "$opt" >> "$out/missing-options"
		log "this tree has no $opt (fragment: $line): tests that need it skip"
		continue
	fi
	case "$line" in
	CONFIG_*=*) grep -qxF -- "$line" "$obj/.config" || { log "not applied: $line"; bad=1; } ;;
	*) if grep -q "^$opt=" "$obj/.config"; then log "not applied: $line"; bad=1; fi ;;
	esac
done < "$frag"
[ $bad -eq 0 ] || die "the config fragment did not apply (see above)"
cp "$obj/.config" "$out/config"

log "compiling with $jobs jobs (log: $out/build.log)"
start=$(date +%s)
set +e
"${kmake[@]}" -j"$jobs" bzImage modules 2>&1 |
	tee "$out/build.log" | neuf_build_progress "$start"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	grep -E 'error|Error' "$out/build.log" | head -20 >&2 || true
	die "kernel build failed (rc $rc), see $out/build.log"
fi

krel=$("${kmake[@]}" -s kernelrelease)
"${kmake[@]}" -s INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 modules_install >&2
depmod -b "$out/modroot" "$krel"
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage"
echo "$krel" > "$out/kernelrelease"
echo "$rev" > "$obj/.neuf-rev"
touch "$out/.complete"
log "built $krel in $(( $(date +%s) - start ))s"
echo "$out"
