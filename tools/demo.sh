#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make demo: boot a test kernel, load neuf, and show the device.
#
# Usage: tools/demo.sh [KERNEL]   (debian-6.12 by default; any name or tree
#                                  path make check takes)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:-debian-6.12}
case "$kernel" in all|debian) kernel=debian-6.12 ;; esac
ko=$("$top/tools/build-module.sh" "$kernel" 2> "$top/build/demo-module.log") ||
	{ cat "$top/build/demo-module.log"; exit 1; }
. "$top/tools/kernels.sh"
neuf_kernel "$kernel"
out=$top/build/demo
echo "booting the $kernel kernel under QEMU (about 30 s)..."
"$top/tools/guest/boot.sh" "$kernel" "$out" 600 \
	"$top/tools/guest/demo-guest.sh" "$ko" "$MODROOT"
