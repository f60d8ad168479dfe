#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Puts neuf's IGT tests into an IGT GPU Tools checkout, to build and run
# them with IGT itself (its lib/igt_core, meson, igt_runner):
#
#   IGT/tests/neuf/*.c           the tests (igt-tests/*.c)
#   IGT/tests/neuf/lib/          their helpers (igt-tests/lib/ without the
#                                stand-in for IGT's core)
#   IGT/tests/neuf/fuzz/, stress/  the fuzzer and stress parts two tests run
#   IGT/tests/neuf/float/        the GPU model's soft-float, for neuf_float
#                                and neuf_fpu
#   IGT/tests/neuf/meson.build   igt-tests/igt-tree/meson.build
#
# and adds subdir('neuf') to IGT/tests/meson.build (once). Run it again to
# refresh the copy. The device tests need libneuf: `make install` first,
# with its pkg-config file where meson looks (PKG_CONFIG_PATH).
#
# Usage: tools/igt-tree.sh IGT_SOURCE_DIR
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 IGT_SOURCE_DIR" >&2
	exit 2
fi
igt=$1
top=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -f "$igt/lib/igt_core.h" ] || [ ! -f "$igt/tests/meson.build" ]; then
	echo "igt-tree: $igt is not an IGT GPU Tools source tree" >&2
	exit 2
fi
# neuf's tests use the function-like igt_main() and igt_fixture() of IGT
# since 2025-12; an older IGT cannot build them.
if ! grep -q '^#define igt_main()' "$igt/lib/igt_core.h"; then
	echo "igt-tree: $igt predates IGT's function-like igt_main() (2025-12):" \
	     "update it first" >&2
	exit 1
fi

dst=$igt/tests/neuf
rm -rf "$dst"
mkdir -p "$dst/lib" "$dst/fuzz" "$dst/stress" "$dst/float"
cp "$top"/igt-tests/*.c "$dst/"
for f in "$top"/igt-tests/lib/*.[ch] "$top"/igt-tests/lib/*.cu \
	 "$top"/igt-tests/lib/*.S; do
	case $(basename "$f") in
	igt.h | igt_core.h | igt_core.c | igt_sizes.h) ;;	# IGT's own serve
	*) cp "$f" "$dst/lib/" ;;
	esac
done
cp "$top"/tools/fuzz/neuf_fuzz.[ch] "$dst/fuzz/"
cp "$top"/tools/stress/*.[ch] "$dst/stress/"
cp "$top"/drivers/gpu/drm/neuf/vgpu/neuf_model_float.[ch] "$dst/float/"
cp "$top/igt-tests/igt-tree/meson.build" "$dst/meson.build"

# Hook the directory in before the test list is generated from test_list.
meson=$igt/tests/meson.build
if ! grep -q "^subdir('neuf')$" "$meson"; then
	if ! grep -q '^gen_testlist = ' "$meson"; then
		echo "igt-tree: no 'gen_testlist = ' line in $meson to add" \
		     "subdir('neuf') before" >&2
		exit 1
	fi
	sed -i "/^gen_testlist = /i subdir('neuf')\\n" "$meson"
fi
echo "igt-tree: neuf's tests are in $dst; build them with IGT's meson"
