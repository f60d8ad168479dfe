#!/bin/bash
# SPDX-License-Identifier: MIT
# Inside the guest for make demo: load neuf, show the kernel and the device.
# Usage: demo-guest.sh NEUF_KO [MODROOT]
set -eu
tools=$(cd "$(dirname "$0")/.." && pwd)
. "$tools/guest/neuf-load.sh"
echo "kernel: $(uname -r) ($(uname -v))"
neuf_load "$1" "${2:-}"
"$tools/../build/tools/neuf-info"
neuf_unload
