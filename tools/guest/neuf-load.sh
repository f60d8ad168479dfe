# SPDX-License-Identifier: MIT
# Sourced inside the guest: load and unload neuf and its virtual GPU.

# neuf_load NEUF_KO [MODROOT [PARAMS [VGPU_PARAMS]]]: load the modules
# neuf.ko and the virtual GPU beside it (vgpu/neuf_vgpu.ko) depend on (from
# MODROOT's /lib/modules when the kernel is not installed on the host), then
# the virtual GPU with VGPU_PARAMS, then neuf.ko itself with PARAMS, and
# check that it bound a GPU and registered its render node.
neuf_load() {
	local ko=$1 modroot=${2:-} params=${3:-} vgpu_params=${4:-} vgpu dep
	vgpu=$(dirname "$ko")/vgpu/neuf_vgpu.ko
	for dep in $(modinfo -F depends "$vgpu" "$ko" | tr ',' ' '); do
		modprobe ${modroot:+-d "$modroot"} "$dep" || return 1
	done
	# shellcheck disable=SC2086 # VGPU_PARAMS is a list of name=value words
	insmod "$vgpu" $vgpu_params || return 1
	# shellcheck disable=SC2086 # PARAMS is a list of name=value words
	if ! insmod "$ko" $params; then
		rmmod neuf_vgpu
		return 1
	fi
	[ -e /sys/module/neuf ] && [ -e /sys/bus/platform/drivers/neuf/neuf.0 ] || return 1
	echo "guest: neuf loaded: $(ls /sys/bus/platform/devices/neuf.0/drm 2>/dev/null | tr '\n' ' ')"
}

# neuf_unload: the driver first; the virtual GPU refuses to go while a
# driver is bound to it.
neuf_unload() {
	rmmod neuf && rmmod neuf_vgpu
}
