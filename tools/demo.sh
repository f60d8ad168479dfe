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
# The guest's verdict is the status demo-guest.sh leaves in OUT, not vng's.
rm -f "$out/demo.rc"
"$top/tools/guest/boot.sh" "$kernel" "$out" 600 \
	"$top/tools/guest/demo-guest.sh" "$out/demo.rc" "$ko" "$MODROOT" || true
read -r rc 2> /dev/null < "$out/demo.rc" ||
	{ echo "demo: the guest did not finish the demo" >&2; exit 1; }
exit "$rc"
