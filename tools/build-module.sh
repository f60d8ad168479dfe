#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Build neuf.ko and vgpu/neuf_vgpu.ko for one test kernel, W=1 with warnings as errors, in
# build/LABEL/neuf/ (a copy of the source, so the kernels' objects never
# mix; LABEL is tools/kernels.sh's neuf_kernel_label). Prints the module's
# path.
#
# Usage: tools/build-module.sh KERNEL [extra kbuild args, e.g. C=2]
#   KERNEL  debian-6.12, debian-6.1, debug or a kernel tree's path
# NEUF_MODULE_LABEL=NAME builds in build/NAME/neuf/ instead, and
# NEUF_MODULE_KBUILD_ARGS adds kbuild arguments (make coverage uses both
# for a GCOV_PROFILE=y build).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"

kernel=$1
shift
neuf_kernel "$kernel"
obj=$top/build/${NEUF_MODULE_LABEL:-$(neuf_kernel_label "$kernel")}/neuf
mkdir -p "$obj"
# Copy only the sources that changed, so make's timestamps stay meaningful.
rsync -a --checksum --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod*' --exclude=modules.order --exclude=Module.symvers \
	"$top/drivers/gpu/drm/neuf/" "$obj/" >&2
make -C "$KDIR" M="$obj" CONFIG_DRM_NEUF=m CONFIG_DRM_NEUF_VGPU=m W=1 KCFLAGS=-Werror \
	NEUF_UAPI="$top/uapi" ${NEUF_MODULE_KBUILD_ARGS:-} "$@" modules >&2
echo "$obj/neuf.ko"
