#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Boot a test kernel under QEMU (software emulation, no KVM needed) with
# virtme-ng, the host's root filesystem read-only, and run one command in
# it as root. RWDIR is the one directory the guest may write.
#
# Usage: tools/guest/boot.sh KERNEL RWDIR TIMEOUT COMMAND...
# NEUF_GUEST_MEMORY: the guest's memory (default 2G); NEUF_GUEST_APPEND:
# more kernel command-line parameters. Exit status: the command's (vng
# passes it on); 124 at the TIMEOUT (seconds) or 137 if the guest had to
# be killed then, as timeout(1) says; 128+N when the guest was killed by
# signal N. On SIGINT, SIGTERM or SIGHUP it ends the guest, then itself
# by that signal.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tools/kernels.sh"

kernel=$1 rwdir=$2 limit=$3
shift 3
neuf_kernel "$kernel"
vng=$NEUF_CACHE/venv/bin/vng
[ -x "$vng" ] || { echo "virtme-ng missing: run 'make deps'" >&2; exit 1; }
export PATH=$(dirname "$vng"):$PATH
mkdir -p "$rwdir"

# The guest gets one CPU more than it strictly needs so that tests of
# concurrency see real parallelism under QEMU's multi-threaded TCG.
# The kernel's console (warnings and worse: an Oops, a panic) goes to our
# stderr with the command's output, so a guest that dies still leaves its
# last words on the host. secretmem.enable=1: 6.1 has memfd_secret() off
# unless asked (6.12 defaults to on). watchdog_thresh=60: a soft lockup
# is reported after 120 s instead of 20. Under TCG a vCPU can stand still
# for 20 s and more through no fault of the kernel's (twice seen in
# clear_page_erms(), most likely clearing pages that QEMU still held
# translated code of: see run-tests.sh), and the taint (L) would fail the
# run; a CPU that does not schedule for two minutes is still caught.
# rcupdate.rcu_cpu_stall_timeout=120 (21 s by default) for the same
# reason: a stalled grace period is reported at error level, which fails
# the subtest (neuf-runner counts warnings as igt_runner does); seen once
# in clear_page_erms() while the oom-kills subtest's victim faulted in a
# huge page.
#
# virtme-ng hands the command to the guest on the kernel command line,
# which the kernel cuts at COMMAND_LINE_SIZE (2048 bytes on x86): a long
# command (a kernel tree's module root, its config, a FILTER) lost its
# tail there, silently. The command goes in a script in RWDIR instead, and
# the command line names the script.
cmd=$rwdir/guest-command.sh
printf '%q ' "$@" > "$cmd"
echo >> "$cmd"

# timeout puts itself and the guest (vng, QEMU) in a process group of
# their own, so that the time limit ends all of them; but then a signal to
# our process group (Ctrl-C at a terminal, neuf-bisect ending a step's
# group) does not reach them, and the guest would run on to the time
# limit. So timeout runs in the background, and INT, TERM and HUP are
# passed on to it as TERM, which it sends to its whole group (SIGINT may
# be ignored there: a background command of a script starts so). Then we
# wait for the guest to be gone, and die of the signal we got, as our
# caller expects of an interrupted command.
caught= guest=
stop() {
	caught=$1
	[ -z "$guest" ] || kill -TERM "$guest" 2> /dev/null || true
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop HUP' HUP
timeout --kill-after=30 "$limit" "$vng" -r "$IMAGE" --disable-kvm \
	--verbose --append "loglevel=5 secretmem.enable=1 watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120 ${NEUF_GUEST_APPEND:-}" \
	--cpus 2 --memory "${NEUF_GUEST_MEMORY:-2G}" --rwdir="$rwdir" --cwd "$top" \
	--exec "bash $(printf '%q' "$cmd")" < /dev/null &
guest=$!
# A signal that came before $guest was set.
[ -z "$caught" ] || kill -TERM "$guest" 2> /dev/null || true
while :; do
	rc=0
	wait "$guest" || rc=$?
	# A trapped signal ends the wait early: wait again while timeout is
	# still there (kill -0 fails once wait has reaped it).
	[ -n "$caught" ] && kill -0 "$guest" 2> /dev/null || break
done
if [ -n "$caught" ]; then
	trap - "$caught"
	kill -"$caught" $$
fi
exit "$rc"
