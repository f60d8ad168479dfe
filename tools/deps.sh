#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make deps: install what building and testing neuf needs, on Debian
# bookworm as root, from Debian's archive and PyPI only. Idempotent: when
# everything is there it installs nothing and takes a second.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"
cache=$NEUF_CACHE

packages=(
	# building: kernel, module, userspace
	build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod
	pkg-config rsync xz-utils libdrm-dev sparse ccache git
	# make lint: the userspace also built by clang; the kernel's semantic
	# patches
	clang coccinelle
	# make coverage
	lcov
	# make bench: its plot
	gnuplot-nox
	# booting test kernels
	qemu-system-x86 busybox-static udev python3 python3-venv
	# IGT's binaries (lsgpu)
	intel-gpu-tools
	# the kernels
	"linux-image-$NEUF_DEBIAN_KREL-unsigned" "linux-headers-$NEUF_DEBIAN_KREL"
	"linux-image-$NEUF_DEBIAN61_KREL-unsigned" "linux-headers-$NEUF_DEBIAN61_KREL"
	linux-source-6.12
)

missing=()
for p in "${packages[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
		missing+=("$p")
done
# The debug kernel's source is pinned while the archive still has that
# version; its cache key follows whatever version is installed.
pinned_src_available() {
	apt-cache madison linux-source-6.12 | grep -F " $NEUF_LINUX_SOURCE_VERSION " > /dev/null
}
installed_src=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
if [ "$installed_src" != "$NEUF_LINUX_SOURCE_VERSION" ] && pinned_src_available; then
	missing+=(linux-source-6.12)
fi

if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "deps: missing ${missing[*]}; run as root" >&2; exit 1; }
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	src=linux-source-6.12
	if pinned_src_available; then
		src="linux-source-6.12=$NEUF_LINUX_SOURCE_VERSION"
	else
		echo "deps: linux-source-6.12 $NEUF_LINUX_SOURCE_VERSION is gone from the archive; using the newest" >&2
	fi
	pkgs=()
	for p in "${missing[@]}"; do
		[ "$p" = linux-source-6.12 ] || pkgs+=("$p")
	done
	apt-get install -y -qq --no-install-recommends "${pkgs[@]}" "$src" > /dev/null
fi

venv=$cache/venv
if [ "$("$venv/bin/vng" --version 2>/dev/null | awk '{print $2}')" != "$NEUF_VIRTME_NG_VERSION" ]; then
	echo "deps: installing virtme-ng $NEUF_VIRTME_NG_VERSION in $venv"
	mkdir -p "$cache"
	/usr/bin/python3 -m venv "$venv"
	"$venv/bin/pip" install -q "virtme-ng==$NEUF_VIRTME_NG_VERSION"
fi
