#!/bin/bash
# SPDX-License-Identifier: MIT
# Inside the guest for make demo: load neuf, show the kernel and the device,
# and run neuf-demo (SAXPY over malloc'd memory). Its exit status goes to
# RC_FILE: vng's own is not the command's when virtme-ng's init had to run
# it on the console (testing.rst, "udev is that cost").
# Usage: demo-guest.sh RC_FILE NEUF_KO [MODROOT]
set -eu
rc_file=$1
shift
trap 'echo $? > "$rc_file"' EXIT
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
