# SPDX-License-Identifier: MIT
# Sourced inside the guest: load and unload neuf.ko and its dependencies.

# neuf_load NEUF_KO [MODROOT]: load the modules neuf.ko depends on (from
# MODROOT's /lib/modules when the kernel is not installed on the host), then
# neuf.ko itself, and wait for its render node.
neuf_load() {
	local ko=$1 modroot=${2:-} dep
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		modprobe ${modroot:+-d "$modroot"} "$dep" || return 1
	done
	insmod "$ko" || return 1
	[ -e /sys/module/neuf ] || return 1
	echo "guest: neuf loaded: $(ls /sys/bus/platform/devices/neuf/drm 2>/dev/null | tr '\n' ' ')"
}

neuf_unload() {
	rmmod neuf
}
