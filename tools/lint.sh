#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make lint: the kernel's own checks over neuf's kernel code and uAPI.
#   - scripts/checkpatch.pl --strict (from Debian's linux-source-6.12)
#   - sparse (make C=2) against Debian's kernel headers
#   - scripts/kernel-doc -Wall over every kernel and uAPI file
#   - Coccinelle: the kernel's semantic patches (scripts/coccinelle), in
#     report mode, through its scripts/coccicheck
#   - the userspace (libneuf, tests, tools) built by clang, -Werror, as
#     make builds it with cc: users build with either
#   - the userspace built by gcc with its static analyzer (-fanalyzer)
# Exits non-zero on any finding.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"
cache=$NEUF_CACHE

# The kernel's scripts, unpacked once from the source package.
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
scripts=$cache/kernel-scripts-$srcver
if [ ! -x "$scripts/scripts/checkpatch.pl" ] || [ ! -e "$scripts/scripts/coccicheck" ]; then
	rm -rf "$scripts.tmp"
	mkdir -p "$scripts.tmp"
	tar -C "$scripts.tmp" --strip-components=1 -xf /usr/src/linux-source-6.12.tar.xz \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch \
		linux-source-6.12/scripts/kernel-doc \
		linux-source-6.12/scripts/coccicheck \
		linux-source-6.12/scripts/coccinelle
	rm -rf "$scripts"
	mv "$scripts.tmp" "$scripts"
fi

cd "$top"
mapfile -t kfiles < <(git ls-files 'drivers/gpu/drm/neuf/*.[ch]' 'uapi/drm/*.h')
[ ${#kfiles[@]} -gt 0 ] || mapfile -t kfiles < <(ls drivers/gpu/drm/neuf/*.[ch] uapi/drm/*.h)
fail=0

echo "== checkpatch --strict =="
# neuf_compat.h is the one file that compares LINUX_VERSION_CODE, by design
# (DOC: neuf kernel compatibility); checkpatch flags every such line, so
# those two checks alone are left out for it.
compat=drivers/gpu/drm/neuf/neuf_compat.h
others=()
for f in "${kfiles[@]}"; do [ "$f" = "$compat" ] || others+=("$f"); done
out=$( { perl "$scripts/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types -f "${others[@]}"
	 perl "$scripts/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f "$compat"; } 2>&1 |
	grep -v '^total: 0 errors, 0 warnings, 0 checks')
if [ -n "$out" ]; then echo "$out"; fail=1; else echo "clean"; fi

echo "== kernel-doc -Wall =="
out=$(perl "$scripts/scripts/kernel-doc" -Wall -none "${kfiles[@]}" 2>&1)
if [ -n "$out" ]; then echo "$out"; fail=1; else echo "clean"; fi

echo "== sparse (C=2) =="
out=$("$top/tools/build-module.sh" debian-6.12 C=2 2>&1 >/dev/null |
	grep -E '^[^ ]*neuf[^ ]*:[0-9]+:[0-9]+: (warning|error)' || true)
if [ -n "$out" ]; then echo "$out"; fail=1; else echo "clean"; fi

echo "== coccinelle (scripts/coccinelle, report mode) =="
# As make coccicheck M=drivers/gpu/drm/neuf MODE=report, one semantic patch
# at a time: coccicheck stops at the first that fails, and two need OCaml
# scripting, which Debian's spatch cannot run.
neuf_dir=$top/drivers/gpu/drm/neuf
out=$(for c in $(find "$scripts/scripts/coccinelle" -name '*.cocci' | sort); do
	grep -q ':ocaml' "$c" && continue
	COCCI=$c srctree=$scripts KBUILD_EXTMOD=$neuf_dir MODE=report J=2 \
		LINUXINCLUDE="-I$neuf_dir/include -I$top/uapi" \
		bash "$scripts/scripts/coccicheck" 2>&1 || echo "coccicheck failed: $c"
done | grep -E "^($neuf_dir/|coccicheck failed)")
if [ -n "$out" ]; then echo "$out"; fail=1; else echo "clean"; fi

# The userspace built into a scratch directory with make's arguments "$@":
# any diagnostic fails.
build_clean() {
	local tmp out rc

	tmp=$(mktemp -d)
	out=$(make -s -C "$top" BUILD="$tmp" "$@" userspace-build 2>&1)
	rc=$?
	rm -rf "$tmp"
	out=$(grep -v '^nvcc not found' <<< "$out")
	if [ "$rc" != 0 ] || [ -n "$out" ]; then echo "$out"; fail=1; else echo "clean"; fi
}

echo "== userspace with clang =="
build_clean CC=clang

echo "== userspace with gcc -fanalyzer =="
build_clean CFLAGS="-O2 -g -fanalyzer"

echo "== syzkaller descriptions =="
out=$(python3 "$top/tools/syzkaller/check-syzlang.py" 2>&1)
if [ -n "$out" ]; then echo "$out"; fail=1; else echo "clean"; fi

exit $fail
