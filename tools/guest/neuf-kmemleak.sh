# SPDX-License-Identifier: MIT
# Sourced inside the guest: kmemleak around a run (kernels that have it).

neuf_kmemleak=/sys/kernel/debug/kmemleak

# neuf_kmemleak_begin: forget what boot leaked (or seemed to), so that only
# the run's leaks count.
neuf_kmemleak_begin() {
	[ -d /sys/kernel/debug/tracing ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -w "$neuf_kmemleak" ] || return 0
	echo scan > "$neuf_kmemleak"
	echo clear > "$neuf_kmemleak"
}

# neuf_kmemleak_scan: scan twice (an object is reported once it stays
# unreferenced), so that what leaked so far is in the log now.
neuf_kmemleak_scan() {
	[ -w "$neuf_kmemleak" ] || return 0
	echo scan > "$neuf_kmemleak"
	echo scan > "$neuf_kmemleak"
}

# neuf_kmemleak_report FILE: scan, and write the findings to FILE.
neuf_kmemleak_report() {
	[ -w "$neuf_kmemleak" ] || return 0
	neuf_kmemleak_scan
	cat "$neuf_kmemleak" > "$1"
}
