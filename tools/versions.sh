# SPDX-License-Identifier: MIT
# The one place the kernel and tool versions neuf tests against are pinned.
# Shell syntax that make can include too: plain NAME=value, no quotes.

# Debian's 6.12 kernel release booted as the "debian-6.12" test kernel.
NEUF_DEBIAN_KREL=6.12.117+deb12-amd64
# Debian's 6.1 kernel release booted as the "debian-6.1" test kernel
# (linux-image-...-unsigned and linux-headers-..., 6.1.192 when pinned).
NEUF_DEBIAN61_KREL=6.1.0-57-amd64
# Version of Debian's linux-source-6.12 package the "debug" kernel is built from.
NEUF_LINUX_SOURCE_VERSION=6.12.117-1~deb12u1
# virtme-ng, from PyPI, boots the guests.
NEUF_VIRTME_NG_VERSION=1.42
