# SPDX-License-Identifier: MIT
# Sourced inside the guest: a scratch ext2 filesystem on a loop device, for
# the subtests that need a file on a block device (writeback: msync() and
# page_mkclean()). The guest's own filesystems are the host's, shared over
# 9p or virtiofs, and tmpfs: none of them writes pages back.

neuf_blockfs_dir=

# neuf_blockfs_mount [MODROOT]: mount the filesystem and set
# neuf_blockfs_dir; on failure say why and leave it empty. The loop
# device's backing file lives on a tmpfs of its own.
neuf_blockfs_mount() {
	local modroot=${1:-} base
	# Modules on Debian's kernels (where ext4 mounts ext2), built in on
	# the debug kernel; one modprobe for all, as starting a program costs
	# seconds on the debug kernel.
	modprobe -q -a ${modroot:+-d "$modroot"} loop ext4 ext2 2>/dev/null
	if ! grep -qw ext2 /proc/filesystems && ! grep -qw ext4 /proc/filesystems; then
		echo "guest: no block filesystem: the kernel has neither CONFIG_EXT2_FS nor CONFIG_EXT4_FS"
		return 1
	fi
	if [ ! -e /dev/loop-control ]; then
		echo "guest: no block filesystem: the kernel lacks CONFIG_BLK_DEV_LOOP"
		return 1
	fi
	base=$(mktemp -d /tmp/neuf-blockfs.XXXXXX) || return 1
	if ! mount -t tmpfs -o size=40m,mode=0700 neuf-blockfs "$base" ||
	   ! truncate -s 32M "$base/ext2.img" ||
	   ! /usr/sbin/mkfs.ext2 -q -F "$base/ext2.img" ||
	   ! mkdir "$base/mnt" ||
	   ! mount -t ext2 -o loop "$base/ext2.img" "$base/mnt"; then
		echo "guest: no block filesystem: mounting ext2 on a loop device failed"
		umount "$base" 2>/dev/null
		rmdir "$base"
		return 1
	fi
	neuf_blockfs_dir=$base/mnt
	echo "guest: ext2 on a loop device at $neuf_blockfs_dir"
}

# neuf_blockfs_umount: undo neuf_blockfs_mount (the loop device goes with
# the mount: mount -o loop sets autoclear).
neuf_blockfs_umount() {
	[ -n "$neuf_blockfs_dir" ] || return 0
	local base=${neuf_blockfs_dir%/mnt}
	umount "$neuf_blockfs_dir" && umount "$base" && rmdir "$base"
	neuf_blockfs_dir=
}
