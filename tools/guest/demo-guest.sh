#!/bin/bash
# SPDX-License-Identifier: MIT
# Inside the guest for make demo: load neuf, show the kernel and the device,
# and run neuf-demo (SAXPY over malloc'd memory).
# Usage: demo-guest.sh NEUF_KO [MODROOT]
set -eu
tools=$(cd "$(dirname "$0")/.." && pwd)
. "$tools/guest/neuf-load.sh"
echo "kernel: $(uname -r) ($(uname -v))"
neuf_load "$1" "${2:-}"
"$tools/../build/tools/neuf-info"
echo
demo=0
"$tools/../build/tools/neuf-demo" || demo=$?
neuf_unload
exit "$demo"
