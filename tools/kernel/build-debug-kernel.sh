#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Build neuf's debug kernel once and cache it outside the clone.
#
# The debug kernel is Debian's linux-source-6.12, unpacked once into
# $NEUF_CACHE/src/ and never changed after (tools that need a modified tree,
# such as the mutants, work on a copy), then configured and built like any
# other tree by tools/kernel/build-tree.sh: allnoconfig plus
# tools/kernel/neuf-debug.config, out of tree. Editing neuf's C code never
# rebuilds it; editing the fragment or neuf's Kconfig reconfigures it.
#
# Prints build-tree.sh's build directory on stdout; progress goes to stderr.
# An interrupted build resumes where it stopped (make is incremental).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/kernels.sh"

src=$(neuf_debug_source) || exit 1
exec "$top/tools/kernel/build-tree.sh" "$src"
