# SPDX-License-Identifier: MIT
# Sourced inside the guest: load and unload neuf.ko and its dependencies.

# neuf_load NEUF_KO [MODROOT [PARAMS]]: load the modules neuf.ko depends on
# (from MODROOT's /lib/modules when the kernel is not installed on the
# host), then neuf.ko itself with PARAMS, and wait for its render node.
neuf_load() {
	local ko=$1 modroot=${2:-} params=${3:-} dep
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		modprobe ${modroot:+-d "$modroot"} "$dep" || return 1
	done
	# shellcheck disable=SC2086 # PARAMS is a list of name=value words
	insmod "$ko" $params || return 1
	[ -e /sys/module/neuf ] || return 1
	echo "guest: neuf loaded: $(ls /sys/bus/platform/devices/neuf/drm 2>/dev/null | tr '\n' ' ')"
}

neuf_unload() {
	rmmod neuf
}
