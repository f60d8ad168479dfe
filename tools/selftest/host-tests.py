#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host-side tests of neuf's test infrastructure itself.

- The IGT stand-in speaks IGT's protocol: runs build/igt-tests/lib/igt_selftest
  (each subtest ends in a known way) and checks output lines and exit codes.
- The splat and taint rules catch what they must and nothing else, and so
  does igt_runner's rule for lines at warning level and above, with the
  marks a subtest leaves for the lines it provokes on purpose.
- neuf-runner kills a subtest that hangs, and aborts the run when one
  cannot be killed; kernel lines logged after a subtest ended, before the
  next one started, count for the one that ended.
- neuf-bisect's step script answers git bisect correctly (good 0, bad 1,
  untestable 125, flaky 125, a guest the host stopped 125 unless its
  kernel died, a failure of its own 128) and neuf-bisect names the culprit
  of a fake kernel history (with --runs, also of one whose regression fails
  only some runs), and leaves the tree as it was, also when interrupted,
  with no process of the step's guest left running.
- A kernel tree's build that stops before its end leaves obj/ marked as
  no revision's.
- neuf-mutants judges planted-regression runs right (killed, survived,
  invalid; a failure of the unmutated kernel does not count).
- IGT tests of userspace alone (HOST_IGT_TESTS, e.g. the assembler's) run
  here rather than in the guests: one entry per subtest.
- neuf_svm_cuda (the NVIDIA leg) skips every subtest with the right reason
  where it cannot run, against a stand-in libcuda.so.1 for each case.
- neuf_svm_cuda and neuf-bench-nvidia run through the CUDA backend against
  the stand-in running the kernels on the CPU: the scenarios and the
  backend's control flow, not NVIDIA's hardware; and so do make
  check-nvidia's and make bench-nvidia's scripts, in a tree that has only
  what a GPU machine without a compiler gets; bench-nvidia's stops a
  benchmark that hangs. After a sticky fault the CUDA backend has its new
  context before the faulting run returns.
- make check-nvidia and make bench-nvidia build the NVIDIA leg alone,
  without make deps and without libdrm.
- neuf-bench and neuf-bench-nvidia refuse bad command lines before they
  measure anything.
- neuf-as refuses a source it would assemble only in part (a NUL byte, a
  read error, a second input) and reports a failed write.

Writes RESULTS_DIR/results.json in the runner's layout, so the report counts
these with the guest tests.
Usage: host-tests.py BUILD_DIR RESULTS_DIR
"""
import contextlib
import errno
import glob
import gzip
import io
import json
import os
import re
import resource
import select
import shutil
import shlex
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from neuf_logcheck import (bad_taint, foreign_races, level_lines,  # noqa: E402
                           splat_lines, xid_reports)
from neuf_results import kernel_checks  # noqa: E402

TESTS = []
HOST_IGT_TESTS = ["igt-tests/neuf_asm", "igt-tests/neuf_float"]
SUBTEST_LINE = re.compile(r"^Subtest (\S+): (SUCCESS|FAIL|SKIP|CRASH) \((\d+\.\d+)s\)$",
                          re.M)
RESULT = {"SUCCESS": "pass", "FAIL": "fail", "SKIP": "skip", "CRASH": "crash"}


def test(fn):
    TESTS.append(fn)
    return fn


# The IGT protocol tests run the self-test program once on each core:
# neuf's stand-in, and IGT's own (Debian's libigt.so.0) where it is built.
CORES = {"selftest": "igt_selftest", "selftest-libigt": "igt_selftest_libigt"}


def protocol_test(fn):
    fn.per_core = True
    return test(fn)


class Ctx:
    def __init__(self, build, selftest="igt_selftest"):
        self.build = build
        self.bin = os.path.join(build, "igt-tests", "lib", selftest)

    def run(self, *args):
        p = subprocess.run([self.bin, *args], capture_output=True, text=True,
                           timeout=60, check=False)
        return p.returncode, p.stdout, p.stderr


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def result_of(out, name, dynamic=False):
    pre = "Dynamic subtest" if dynamic else "Subtest"
    m = re.search(rf"^{pre} {re.escape(name)}: (\w+) \(\d+\.\d{{3}}s\)$", out, re.M)
    return m.group(1) if m else None


@protocol_test
def igt_list_subtests(c):
    rc, out, _ = c.run("--list-subtests")
    check(rc == 0, f"rc {rc}")
    check(out.split() == ["pass", "fail", "skip", "after-fail", "dynamic",
                          "dynamic-empty", "fork-pass", "fork-fail", "crash",
                          "after-fixture-skip"], out)
    check("IGT-Version" not in out, "version line while listing")


@protocol_test
def igt_version_line(c):
    _, out, _ = c.run("--run-subtest", "pass")
    check(re.match(r"IGT-Version: \S+ \(\w+\) \(Linux: \S+ \w+\)$",
                   out.splitlines()[0]), out)


@protocol_test
def igt_results_and_failures_continue(c):
    rc, out, err = c.run("--run-subtest", "pass,fail,skip,after-fail")
    check(rc == 98, f"rc {rc}")
    check(result_of(out, "pass") == "SUCCESS", out)
    # igt_subtest_name(): the subtest's name in it, NULL outside.
    check("outside: (none)\n" in out and "passing in pass\n" in out, out)
    check(result_of(out, "fail") == "FAIL", out)
    check(result_of(out, "skip") == "SKIP", out)
    check(result_of(out, "after-fail") == "SUCCESS", out)
    check("Starting subtest: fail" in out, out)
    check("Failed assertion: 1 == 2" in err, err)
    check("Test requirement: false" in out, out)


@protocol_test
def igt_exit_codes(c):
    check(c.run("--run-subtest", "pass")[0] == 0, "pass")
    check(c.run("--run-subtest", "skip")[0] == 77, "skip")
    check(c.run("--run-subtest", "fail")[0] == 98, "fail")
    check(c.run("--run-subtest", "no-such-subtest")[0] == 79, "unknown")
    check(c.run("--no-such-option")[0] == 79, "bad option")


@protocol_test
def igt_wildcards_and_negation(c):
    rc, out, _ = c.run("--run-subtest", "fork-*,!fork-fail")
    check(rc == 0, f"rc {rc}")
    check(result_of(out, "fork-pass") == "SUCCESS", out)
    check("fork-fail" not in out, out)


@protocol_test
def igt_dynamic_subtests(c):
    rc, out, _ = c.run("--run-subtest", "dynamic")
    check(rc == 98, f"rc {rc}")
    check("Starting dynamic subtest: dyn-pass" in out, out)
    check(result_of(out, "dyn-pass", True) == "SUCCESS", out)
    check(result_of(out, "dyn-fail", True) == "FAIL", out)
    check(result_of(out, "dyn-skip", True) == "SKIP", out)
    check(result_of(out, "dynamic") == "FAIL", out)
    rc, out, _ = c.run("--run-subtest", "dynamic", "--dynamic-subtest", "dyn-pass")
    check(rc == 0 and result_of(out, "dynamic") == "SUCCESS", out)
    check("dyn-fail" not in out, out)
    # No dynamic subtest matching is no error: the subtest skips.
    rc, out, _ = c.run("--run-subtest", "dynamic", "--dynamic-subtest", "nope")
    check(rc == 77 and result_of(out, "dynamic") == "SKIP", f"rc {rc}: {out}")
    rc, out, _ = c.run("--run-subtest", "dynamic-empty")
    check(rc == 77 and result_of(out, "dynamic-empty") == "SKIP", out)


@protocol_test
def igt_fork(c):
    rc, out, _ = c.run("--run-subtest", "fork-pass")
    check(rc == 0, f"rc {rc}: {out}")
    rc, out, err = c.run("--run-subtest", "fork-fail")
    check(rc == 98 and result_of(out, "fork-fail") == "FAIL", out + err)


@protocol_test
def igt_crash(c):
    """A crashing subtest ends CRASH, the ones after it still run, and the
    process exits 128 + the signal."""
    rc, out, err = c.run("--run-subtest", "crash,after-fixture-skip")
    check(rc == 128 + signal.SIGSEGV, f"rc {rc}")
    check(result_of(out, "crash") == "CRASH", out)
    check("Received signal SIGSEGV." in err, err)
    check(result_of(out, "after-fixture-skip") == "SKIP", out)


@protocol_test
def igt_fixture_skip(c):
    rc, out, _ = c.run("--run-subtest", "after-fixture-skip")
    check(rc == 77, f"rc {rc}")
    check(result_of(out, "after-fixture-skip") == "SKIP", out)


@test
def logcheck_catches_splats(_):
    splats = [
        "[   41.6] WARNING: CPU: 0 PID: 282 at drivers/gpu/drm/drm_file.c:312 x",
        "[    3.1] BUG: KASAN: slab-use-after-free in neuf_fault+0x10/0x20",
        "[    3.1] BUG: sleeping function called from invalid context at x",
        "[    3.1] WARNING: possible circular locking dependency detected",
        "[    3.1] [ BUG: Invalid wait context ]",
        "[    3.1] BUG: KCSAN: data-race in neuf_svm_invalidate [neuf] / neuf_svm_fault_work [neuf]",
        "[    3.1] Oops: general protection fault, probably for address",
        "[    3.1] kernel BUG at mm/hmm.c:10!",
        "[    3.1] kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
        "[    3.1] INFO: task neuf_basic:300 blocked for more than 120 seconds.",
        "[    3.1] ------------[ cut here ]------------",
        "<4>[    3.1] UBSAN: shift-out-of-bounds in x",
        "[  131.7] resource: Trying to free nonexistent resource <0x000000fcf8000000-0x000000fcfbffffff>",
    ]
    for line in splats:
        check(splat_lines(line) == [line], f"missed: {line}")


@test
def logcheck_kcsan_reports_are_neufs_or_not(_):
    """A KCSAN report fails a run when a frame of either stack is in
    neuf.ko or neuf_vgpu.ko; one wholly in the core kernel is not neuf's:
    foreign_races() lists it and splat_lines() does not."""
    ours = [
        "[   40.1] ==================================================================",
        "[   40.1] BUG: KCSAN: data-race in neuf_model_mmu_walk [neuf_vgpu] / neuf_svm_commit [neuf]",
        "[   40.1] ",
        "[   40.1] write to 0xffff888003ce8942 of 8 bytes by task 201 on cpu 0:",
        "[   40.1]  neuf_svm_commit+0x24b/0x520 [neuf]",
        "[   40.1]  process_one_work+0x27a/0x720",
        "[   40.1] ",
        "[   40.1] read to 0xffff888003ce8942 of 8 bytes by task 193 on cpu 1:",
        "[   40.1]  neuf_model_mmu_walk+0x10/0x90 [neuf_vgpu]",
        "[   40.1] ==================================================================",
    ]
    core = [
        "[    8.9] BUG: KCSAN: data-race in virtqueue_get_buf_ctx+0x24b/0x520",
        "[    8.9] ",
        "[    8.9] race at unknown origin, with read to 0xffff888003ce8942 of 2 bytes by interrupt on cpu 1:",
        "[    8.9]  virtqueue_get_buf_ctx+0x24b/0x520",
        "[    8.9]  vring_interrupt+0x9e/0xf0",
        "[    8.9] value changed: 0x175d -> 0x175e",
        "[    8.9] Workqueue: neuf-eng0 drm_sched_free_job_work [gpu_sched]",
        "[    8.9] ==================================================================",
    ]
    for log, splats, foreign in ((ours, [ours[1]], []),
                                 (core, [], [core[0]]),
                                 (core + ours, [ours[1]], [core[0]]),
                                 (ours + core, [ours[1]], [core[0]])):
        text = "\n".join(log)
        check(splat_lines(text) == splats, f"splats {splat_lines(text)}")
        check(foreign_races(text) == foreign,
              f"foreign {foreign_races(text)}")
    # Anything else in a log with a foreign race still counts.
    text = "\n".join(core + ["[    9.0] WARNING: CPU: 0 PID: 1 at x"])
    check(len(splat_lines(text)) == 1, "a WARNING after a foreign race")


@test
def logcheck_ignores_normal_lines(_):
    clean = [
        "[    1.8] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc.",
        "[    1.8] ... MAX_LOCKDEP_SUBCLASSES:  8",
        "[    1.0] kasan: KernelAddressSanitizer initialized",
        "[   15.8] kmemleak: Kernel memory leak detector initialized",
        "[    0.3] kcsan: enabled early",
        "[    2.1] kcsan: selftest: 3/3 tests passed",
        "[   16.8] [IGT] neuf_basic: starting subtest DEBUG-BUGS-warning",
        "[   16.9] neuf neuf: [drm] neuf 1.0, 2 engines, 48-bit VA",
    ]
    check(splat_lines("\n".join(clean)) == [], "false positive")


@test
def logcheck_level_rule(_):
    """igt_runner's --dmesg-warn-level rule: a line at warning level or a
    more serious one counts unless an earlier mark of the subtest's covers
    it; a foreign KCSAN report (at error level) does not count."""
    mark = "<6>[   10.0] [IGT] neuf_svm: add ignored dmesg regex: ALLOW_RETRY missing"
    first = "<4>[   10.1] FAULT_FLAG_ALLOW_RETRY missing 880"
    trace = "<4>[   10.1] Call Trace:"
    quiet = ["<6>[   10.1] Call Trace:", "<7>[   10.1]  dump_stack_lvl+0x7c/0x90",
             "[   10.1] a line without its level", "<5>[   10.1] notice"]
    err = "<3>[   10.2] neuf neuf: [drm] *ERROR* something"
    cases = [
        ([first], [first]),
        ([mark, first], []),
        ([first, mark], [first]),
        ([mark, first, trace], [trace]),
        (quiet, []),
        ([err] + quiet, [err]),
        ([mark, err], [err]),
        (["<6>[    1.0] [IGT] x: add ignored dmesg regex: [unclosed", err], [err]),
        (["<4>[  628.9] clocksource: Long readout interval, skipping watchdog "
          "check: cs_nsec: 1065189824 wd_nsec: 1065176620"], []),
        (["<4>[  209.5] hrtimer: interrupt took 75935380 ns"], []),
        (["<4>[  209.5] hrtimer: interrupt took 75935380 ns, and more"],
         ["<4>[  209.5] hrtimer: interrupt took 75935380 ns, and more"]),
        (["<4>[  629.0] clocksource: timekeeping watchdog on CPU1: Marking "
          "clocksource 'tsc' as unstable because the skew is too large:"],
         ["<4>[  629.0] clocksource: timekeeping watchdog on CPU1: Marking "
          "clocksource 'tsc' as unstable because the skew is too large:"]),
    ]
    for log, want in cases:
        got = level_lines("\n".join(log))
        check(got == want, f"{log}: {got}, expected {want}")
    check(level_lines(first, warn_level=3) == [], "level 3 counted a warning")
    check(level_lines(err, warn_level=3) == [err], "level 3 missed an error")
    foreign = [
        "<3>[    8.9] ==================================================================",
        "<3>[    8.9] BUG: KCSAN: data-race in virtqueue_get_buf_ctx+0x24b/0x520",
        "<3>[    8.9]  vring_interrupt+0x9e/0xf0",
        "<3>[    8.9] ==================================================================",
    ]
    ours = ["<3>[    9.0] BUG: KCSAN: data-race in neuf_svm_commit [neuf] / x",
            "<3>[    9.0] =================================================================="]
    check(level_lines("\n".join(foreign)) == [], "a foreign KCSAN report counted")
    check(level_lines("\n".join(foreign + ours + [err])) == ours + [err],
          "neuf's KCSAN report or a later error missed")

    # --dmesg-count: a line matching one of its expressions counts whatever
    # its level, even with the level rule off (-1), unless marked.
    xid = "<4>[   11.0] NVRM: Xid (PCI:0000:01:00): 31, pid=7, name=t, MMU Fault"
    low = "<6>[   11.0] NVRM: Xid (PCI:0000:01:00): 43, pid=7, name=t, Ch 8"
    xmark = "<6>[   10.9] [IGT] t: add ignored dmesg regex: NVRM: Xid [(]"
    count = [r"NVRM: Xid [(]"]
    for log, want in [([xid, low], [xid, low]), ([xmark, xid, low], []),
                      ([xid, xmark, low], [xid]), ([err], [])]:
        got = level_lines("\n".join(log), -1, count)
        check(got == want, f"count {log}: {got}, expected {want}")
    check(level_lines(err, 4, count) == [err], "count hid the level rule")
    mig = "<4>[   11.1] NVRM: Xid (PCI:0000:01:00 GPU-I:01 GPU-CI:00): 13, pid=7"
    for log, want in [([xid, low, mig], ([31, 43, 13], [31, 43, 13])),
                      ([xid, xmark, low, mig], ([31, 43, 13], [31])),
                      ([err, xmark], ([], []))]:
        got = xid_reports("\n".join(log))
        check(got == want, f"xid_reports {log}: {got}, expected {want}")


@test
def logcheck_taint(_):
    check(bad_taint(0) == "", "0")
    check(bad_taint(4096 | 8192) == "", "O|E")
    check(bad_taint(512 | 4096) == "W", "W")
    check(bad_taint(1) == "P", "P")


@test
def dma_debug_check(_):
    """A guest's dma-debug error count fails its run unless it is zero,
    and a kernel without dma-debug gets no such check."""
    with tempfile.TemporaryDirectory() as res:
        def checks():
            return {name: ok for name, ok, _ in kernel_checks(res)}
        check("dma-debug-clean" not in checks(), "no dma-debug, no check")
        for count, ok in (("0\n", True), ("3\n", False)):
            with open(os.path.join(res, "dma-debug-errors"), "w",
                      encoding="ascii") as f:
                f.write(count)
            check(checks().get("dma-debug-clean") is ok,
                  f"dma-debug errors {count.strip()}")


@test
def make_passes_filter_verbatim(_):
    """make check hands FILTER to tools/check.sh as given: a regex's "$"
    inside it is not taken for one of make's variables ("a$|b" was "ab"),
    and a quote in it survives the shell."""
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    regex = "igt@a@b$|igt@c@(d|e)$|f'g"
    p = subprocess.run(["make", "-n", "-C", top, "--no-print-directory",
                        "check", "KERNEL=debian-6.12", f"FILTER={regex}"],
                       capture_output=True, text=True, timeout=120,
                       check=False)
    line = [x for x in p.stdout.splitlines() if "tools/check.sh" in x]
    check(p.returncode == 0 and len(line) == 1, p.stdout + p.stderr)
    args = subprocess.run(["bash", "-c", "printf '%s\\n' " +
                           line[0].split("tools/check.sh", 1)[1]],
                          capture_output=True, text=True, check=False)
    check(args.stdout.splitlines() == ["debian-6.12", regex],
          f"{line[0]}: {args.stdout}{args.stderr}")


@test
def guest_that_ran_nothing_fails(_):
    """A guest that finished without running a subtest (a FILTER that
    matched none, or a command line the kernel cut) fails its
    guest-completed check; one subtest run passes it, whatever its result."""
    with tempfile.TemporaryDirectory() as res:
        def completed(tests):
            with open(os.path.join(res, "results.json"), "w",
                      encoding="ascii") as f:
                json.dump({"name": "x", "tests": tests}, f)
            return {name: ok for name, ok, _ in kernel_checks(res)}[
                "guest-completed"]
        open(os.path.join(res, "done"), "w", encoding="ascii").close()
        check(completed({}) is False, "no subtest run, yet completed")
        check(completed({"igt@neuf_exec@basic": {"result": "fail"}}) is True,
              "one subtest run, not completed")
        os.unlink(os.path.join(res, "done"))
        check(completed({"igt@neuf_exec@basic": {"result": "pass"}}) is False,
              "no done file, yet completed")


# A fake test binary for the runner: subtests that pass, hang, or hang
# with a grandchild in its own session holding the output open, which
# SIGKILL to the subtest's process group cannot reach (as it cannot reach
# a task stuck in the kernel).
FAKE_TEST = """#!/bin/sh
case "$1" in
--list-subtests)
	echo first; echo hang; echo hold-output; echo oops; echo warn-o; echo last
	echo slow ;;
--run-subtest)
	echo "IGT-Version: 1.27.1-fake (x86_64) (Linux: fake x86_64)"
	echo "Starting subtest: $2"
	case "$2" in
	hang) exec sleep 1000 ;;
	hold-output)
		setsid sleep 1000 &
		echo $! > "$(dirname "$0")/holder.pid"
		exec sleep 1000 ;;
	oops) echo 4224 > "$(dirname "$0")/tainted" ;;	# O, D
	warn-o) echo 4608 > "$(dirname "$0")/tainted" ;;	# O, W
	slow)	# Runs until the runner's samples show its child (30 s at most).
		sleep 1000 &
		i=0
		until grep -qs "^-- $!/$! sleep " \
			"$(dirname "$0")/stacks/igt@fake_test@slow.txt" ||
			[ $i -ge 600 ]; do
			sleep 0.05; i=$((i + 1))
		done
		kill $! ;;
	esac
	echo "Subtest $2: SUCCESS (0.000s)" ;;
esac
"""


def write_fake_list(tmp):
    """Write FAKE_TEST and a test list of it to tmp; return the list."""
    binary = os.path.join(tmp, "fake_test")
    with open(binary, "w", encoding="ascii") as f:
        f.write(FAKE_TEST)
    os.chmod(binary, 0o755)
    with open(os.path.join(tmp, "list"), "w", encoding="ascii") as f:
        f.write("fake_test\n")
    return os.path.join(tmp, "list")


def run_runner(tmp, *opts, results=None):
    """Run neuf-runner on the fake test in tmp, with its results in results
    (tmp by default); return its output and the results' tests."""
    testlist = write_fake_list(tmp)
    runner = os.path.join(TOOLS, "neuf-runner")
    results = results or tmp
    p = subprocess.run([sys.executable, runner, "--results", results,
                        "--bindir", tmp, *opts, testlist],
                       capture_output=True, text=True, timeout=60, check=False)
    check(p.returncode == 0, f"runner rc {p.returncode}: {p.stderr}")
    with open(os.path.join(results, "results.json"), encoding="utf-8") as f:
        return p.stdout, json.load(f)["tests"]


@test
def runner_timeout_kills_and_goes_on(c):
    with tempfile.TemporaryDirectory() as tmp:
        _, tests = run_runner(tmp, "--timeout", "1", "--filter",
                              "first|@hang|last")
        got = {k: v["result"] for k, v in tests.items()}
        check(got == {"igt@fake_test@first": "pass",
                      "igt@fake_test@hang": "timeout",
                      "igt@fake_test@last": "pass"}, got)


@test
def runner_overall_timeout(c):
    """No subtest starts after --overall-timeout: the rest are notrun, and
    the results so far are written."""
    with tempfile.TemporaryDirectory() as tmp:
        out, tests = run_runner(tmp, "--timeout", "1", "--overall-timeout",
                                "0.5", "--filter", "first|@hang|last")
        got = {k: v["result"] for k, v in tests.items()}
        check(got == {"igt@fake_test@first": "pass",
                      "igt@fake_test@hang": "timeout",
                      "igt@fake_test@last": "notrun"}, got)
        check("overall timeout of 0.5 s; 1 subtest(s) not run" in out, out)


@test
def runner_abort_on_taint(c):
    """Under --abort-on-taint the run stops after a subtest that left the
    kernel tainted by an Oops or a warning it was not tainted by when the
    run began (the rest are notrun); a taint it began with, or another
    kind, does not stop it."""
    runs = [("4096", "first|oops|last", {"first": "pass", "oops": "pass",
                                         "last": "notrun"}, "D"),
            ("128", "first|oops|last", {"first": "pass", "oops": "pass",
                                        "last": "pass"}, None),
            ("4096", "first|warn-o|last", {"first": "pass", "warn-o": "pass",
                                           "last": "notrun"}, "W")]
    for before, which, want, letters in runs:
        with tempfile.TemporaryDirectory() as tmp:
            taint = os.path.join(tmp, "tainted")
            with open(taint, "w", encoding="ascii") as f:
                f.write(before + "\n")
            out, tests = run_runner(tmp, "--abort-on-taint", taint,
                                    "--filter", which)
            got = {k.rsplit("@", 1)[1]: v["result"] for k, v in tests.items()}
            check(got == want, f"tainted {before}, {which}: {got}\n{out}")
            said = re.search(r"aborting after igt@fake_test@\S+: the kernel is "
                             r"now tainted (\w+)", out)
            check((said.group(1) if said else None) == letters, out)


class ScriptedKmsg:
    """neuf-runner's Kmsg, reading a script of kernel log texts: one a
    read, then nothing."""

    def __init__(self, script):
        self.texts = iter(script)

    def read(self):
        return next(self.texts, "")


def load_runner():
    """neuf-runner as a module."""
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader(
        "neuf_runner", os.path.join(TOOLS, "neuf-runner"))
    module = importlib.util.module_from_spec(
        importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


@test
def runner_late_dmesg(c):
    """Kernel lines logged after a subtest ended and before the next one
    started (or the run ended) are the ended one's, where igt_runner drops
    them: a warning there turns its pass into dmesg-warn, unless the
    subtest marked it; an info line changes nothing."""
    runner = load_runner()
    mark = ("<5>[    1.000000] [IGT] fake_test: first: add ignored dmesg "
            "regex: fake: teardown\n")
    late = "<4>[    2.000000] fake: teardown went wrong\n"
    info = "<6>[    2.000000] fake: torn down\n"
    # The runner's reads: before first (no subtest's), after first,
    # before last (first's late lines), after last, at the end (last's
    # late lines).
    runs = [(["", "", late], "dmesg-warn", "pass"),
            (["", mark, late], "pass", "pass"),
            (["", "", info], "pass", "pass"),
            ([late, "", "", "", late], "pass", "dmesg-warn")]
    for script, *want in runs:
        runner.Kmsg = lambda script=script: ScriptedKmsg(script)
        with tempfile.TemporaryDirectory() as tmp:
            testlist = write_fake_list(tmp)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                runner.main(["--results", tmp, "--bindir", tmp,
                             "--filter", "first|last", testlist])
            with open(os.path.join(tmp, "results.json"), encoding="utf-8") as f:
                tests = json.load(f)["tests"]
        got = [tests[f"igt@fake_test@{s}"] for s in ("first", "last")]
        what = f"{script}: {[e['result'] for e in got]}\n{out.getvalue()}"
        check([e["result"] for e in got] == want, what)
        reads = script + [""] * (5 - len(script))
        check([e["dmesg"] for e in got] ==
              [reads[1] + reads[2], reads[3] + reads[4]], what)
        said = [s for s, w in zip(("first", "last"), want) if w != "pass"]
        check(re.findall(r"igt@fake_test@(\w+): now dmesg-warn \(kernel lines "
                         r"logged after it ended\)", out.getvalue()) == said,
              what)


@test
def runner_samples_stacks(c):
    """--sample-stacks: a subtest still running after that many seconds
    gets its tasks' kernel stacks (its children's too) sampled into
    stacks/KEY.txt, and once more at a timeout, before the kill; a subtest
    that ends sooner gets none, nor does any without the option; a
    negative period is refused."""
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "neuf-runner"),
                        "--results", os.devnull, "--sample-stacks", "-1",
                        "list"], capture_output=True, text=True, timeout=60,
                       check=False)
    check(p.returncode == 2 and "--sample-stacks" in p.stderr,
          f"exit {p.returncode}: {p.stderr}")
    sample = re.compile(r"^== (igt@fake_test@\w+), (running|timed out, before "
                        r"the kill), after \d+\.\d s\n", re.M)
    with tempfile.TemporaryDirectory() as tmp:
        out, tests = run_runner(tmp, "--sample-stacks", "0.2", "--timeout",
                                "30", "--filter", "first|slow")
        got = {k: v["result"] for k, v in tests.items()}
        check(got == {"igt@fake_test@first": "pass",
                      "igt@fake_test@slow": "pass"}, f"{got}\n{out}")
        stacks = os.path.join(tmp, "stacks")
        check(os.listdir(stacks) == ["igt@fake_test@slow.txt"],
              os.listdir(stacks))
        with open(os.path.join(stacks, "igt@fake_test@slow.txt"),
                  encoding="utf-8") as f:
            text = f.read()
        check({m.groups() for m in sample.finditer(text)} ==
              {("igt@fake_test@slow", "running")}, text)
        # The subtest's own task and its child, each with a stack (or
        # why there is none).
        for comm in ("fake_test", "sleep"):
            check(re.search(rf"^-- (\d+)/\1 {comm} state [A-Za-z] wchan \S+ "
                            r"cpu \d+ user \d+\.\d\d s system \d+\.\d\d s "
                            r"cgroup .+\n   (\[<|\(no stack)", text, re.M),
                  f"no {comm}:\n{text}")
        check(re.search(r"^neuf-runner: igt@fake_test@slow still running "
                        r"after \d+ s: its tasks' kernel stacks go to \S+"
                        r"igt@fake_test@slow.txt$", out, re.M), out)
    with tempfile.TemporaryDirectory() as tmp:
        # A lane of the host's, for neuf-report: results.json alone.
        res = os.path.join(tmp, "host-stacks")
        out, tests = run_runner(tmp, "--sample-stacks", "100", "--timeout",
                                "1", "--filter", "first|@hang", results=res)
        path = os.path.join(res, "stacks", "igt@fake_test@hang.txt")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        check([m.groups() for m in sample.finditer(text)] ==
              [("igt@fake_test@hang", "timed out, before the kill")], text)
        check(re.search(r"^-- (\d+)/\1 sleep state ", text, re.M), text)
        # The report says where the samples are, and shows the last one
        # of a subtest that failed.
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "neuf-report"),
                            res], capture_output=True, text=True, timeout=60,
                           check=False)
        lines = {line.split()[1]: line for line in p.stdout.splitlines()
                 if line.startswith("host-stacks igt@")}
        check(set(lines) == {"igt@fake_test@first:", "igt@fake_test@hang:"} and
              "stack sample" not in lines["igt@fake_test@first:"] and
              lines["igt@fake_test@hang:"].endswith(
                  f"; 1 stack sample in {path}"), p.stdout)
        check(re.search(r"^---- kernel stacks, last sample ----\n== igt@fake_test"
                        r"@hang, timed out, before the kill, after \d+\.\d s\n"
                        r"-- (\d+)/\1 sleep ", p.stdout, re.M), p.stdout)
    with tempfile.TemporaryDirectory() as tmp:
        run_runner(tmp, "--timeout", "1", "--filter", "@hang")
        check(not os.path.exists(os.path.join(tmp, "stacks")), "stacks/")


@test
def runner_aborts_on_unkillable(c):
    with tempfile.TemporaryDirectory() as tmp:
        try:
            out, tests = run_runner(tmp, "--timeout", "1", "--kill-grace", "1")
        finally:
            # Only our own holder: other runs may share the machine.
            try:
                with open(os.path.join(tmp, "holder.pid"), encoding="ascii") as f:
                    os.kill(int(f.read()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        got = {k: v["result"] for k, v in tests.items()}
        check(got == {"igt@fake_test@first": "pass",
                      "igt@fake_test@hang": "timeout",
                      "igt@fake_test@hold-output": "timeout",
                      "igt@fake_test@oops": "notrun",
                      "igt@fake_test@warn-o": "notrun",
                      "igt@fake_test@last": "notrun",
                      "igt@fake_test@slow": "notrun"}, got)
        check("did not die" in tests["igt@fake_test@hold-output"]["err"],
              tests["igt@fake_test@hold-output"]["err"])
        check("aborting after igt@fake_test@hold-output: a task is stuck in "
              "the kernel; 4 subtest(s) not run" in out, out)


TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FAKE_KERNEL = os.path.join(TOOLS, "selftest", "fake-test-kernel")


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def fake_tree(tmp, states):
    """A git tree with one commit per state; returns (tree, [commits])."""
    tree = os.path.join(tmp, "linux")
    os.makedirs(tree)
    git(tree, "init", "-q", "-b", "main")
    git(tree, "config", "user.email", "selftest@neuf")
    git(tree, "config", "user.name", "neuf selftest")
    commits = []
    for i, state in enumerate(states):
        with open(os.path.join(tree, "STATE"), "w", encoding="ascii") as f:
            f.write(state + "\n")
        with open(os.path.join(tree, f"file{i}"), "w", encoding="ascii") as f:
            f.write(f"{i}\n")
        git(tree, "add", "-A")
        git(tree, "commit", "-q", "-m", f"commit {i}: {state}")
        commits.append(git(tree, "rev-parse", "HEAD"))
    return tree, commits


def fake_env():
    env = dict(os.environ, NEUF_TEST_KERNEL=FAKE_KERNEL)
    return env


def tree_rev(tree):
    return subprocess.run(["bash", "-c", f". {TOOLS}/kernels.sh; neuf_tree_rev \"$1\"",
                           "x", tree], capture_output=True, text=True,
                          check=True).stdout.strip()


@test
def kernel_tree_revisions(c):
    """What keys a tree's build: HEAD, HEAD plus its changes, or its files."""
    with tempfile.TemporaryDirectory() as tmp:
        tree, commits = fake_tree(tmp, ["good", "bad"])
        check(tree_rev(tree) == commits[-1], tree_rev(tree))
        with open(os.path.join(tree, "file0"), "a", encoding="ascii") as f:
            f.write("change\n")
        dirty = tree_rev(tree)
        check(dirty.startswith(commits[-1] + "-dirty-"), dirty)
        with open(os.path.join(tree, "file0"), "a", encoding="ascii") as f:
            f.write("another\n")
        check(tree_rev(tree) not in (dirty, commits[-1]), "a second change went unseen")
        plain = os.path.join(tmp, "plain")
        os.makedirs(os.path.join(plain, "mm"))
        with open(os.path.join(plain, "mm", "hmm.c"), "w", encoding="ascii") as f:
            f.write("int x;\n")
        first = tree_rev(plain)
        check(first.startswith("src-") and tree_rev(plain) == first, first)
        with open(os.path.join(plain, "mm", "hmm.c"), "w", encoding="ascii") as f:
            f.write("int y2;\n")
        check(tree_rev(plain) != first, "a changed file went unseen")


FAKE_KERNEL_TREE = {
    "Makefile": """\
# The targets of a kernel tree's Makefile that build-tree.sh runs.
allnoconfig:
\t@test ! -e FAIL-CONFIG
\t@echo '# CONFIG_FOO is not set' > $(O)/.config
olddefconfig bzImage modules:
\t@mkdir -p $(O)/arch/x86/boot && echo image > $(O)/arch/x86/boot/bzImage
kernelrelease:
\t@echo 6.12.0-fake
modules_install:
\t@mkdir -p $(INSTALL_MOD_PATH)/lib/modules/6.12.0-fake
""",
    "Kconfig": "config FOO\n\tbool \"foo\"\n",
    "scripts/kconfig/merge_config.sh": """\
#!/bin/sh
# merge_config.sh -m BASE FRAGMENT...: the fragments' lines go last.
[ "$1" = -m ] && shift
base=$1
shift
cat "$@" >> "$base"
""",
}


def write_files(root, files, mode=0o644):
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="ascii") as f:
            f.write(text)
        os.chmod(path, 0o755 if text.startswith("#!") else mode)


@test
def kernel_tree_build_stamp(c):
    """A build that stops before its end (here: a revision that does not
    configure) leaves obj/ stamped as no revision's, so the revision built
    before is built again rather than taken from an obj/ that now holds
    another's configuration."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "linux")
        write_files(tree, FAKE_KERNEL_TREE)
        frag = os.path.join(tmp, "frag.config")
        # depmod is not what is tested here.
        bindir = os.path.join(tmp, "bin")
        write_files(tmp, {"frag.config": "CONFIG_FOO=y\n",
                          "bin/depmod": "#!/bin/sh\nexit 0\n"})
        ident = ["-c", "user.email=selftest@neuf", "-c", "user.name=selftest"]
        git(tree, "init", "-q", "-b", "main")
        git(tree, "add", "-A")
        git(tree, *ident, "commit", "-q", "-m", "A")
        rev_a = git(tree, "rev-parse", "HEAD")
        env = dict(os.environ, NEUF_CACHE=os.path.join(tmp, "cache"),
                   NEUF_TREES=os.path.join(tmp, "trees"),
                   CCACHE_DIR=os.path.join(tmp, "ccache"), NEUF_JOBS="1",
                   PATH=bindir + os.pathsep + os.environ["PATH"])

        def build():
            return subprocess.run([os.path.join(TOOLS, "kernel", "build-tree.sh"),
                                   "--fragment", frag, tree], capture_output=True,
                                  text=True, env=env, timeout=120, check=False)

        def stamp():
            found = glob.glob(os.path.join(tmp, "trees", "*", "obj", ".neuf-rev"))
            if not found:
                return None
            with open(found[0], encoding="ascii") as f:
                return f.read().strip()

        p = build()
        check(p.returncode == 0 and p.stdout.strip().endswith("/builds/" + rev_a),
              f"A: exit {p.returncode}: {p.stdout}{p.stderr}")
        check(stamp() == rev_a, f"A built, obj/ stamped {stamp()}")
        write_files(tree, {"FAIL-CONFIG": "\n"})
        git(tree, "add", "-A")
        git(tree, *ident, "commit", "-q", "-m", "B")
        p = build()
        check(p.returncode == 1 and "allnoconfig failed" in p.stderr,
              f"B: exit {p.returncode}: {p.stdout}{p.stderr}")
        check(stamp() is None, f"B failed to configure, obj/ still stamped {stamp()}")
        git(tree, "checkout", "-q", rev_a)
        p = build()
        check(p.returncode == 0 and f"tree {tree} at {rev_a}" in p.stderr,
              f"A again: not rebuilt (exit {p.returncode}): {p.stdout}{p.stderr}")
        check(stamp() == rev_a, f"A rebuilt, obj/ stamped {stamp()}")


def marked_processes(entry):
    """Our processes whose environment holds entry ("NAME=VALUE")."""
    want = entry.encode()
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if want in f.read().split(b"\0"):
                    pids.append(int(pid))
        except OSError:  # gone, or not ours
            pass
    return pids


def wait_processes_gone(entry, timeout):
    """Wait up to timeout seconds for every process marked with entry to
    end, watching each through a pidfd; return those still there."""
    end = time.monotonic() + timeout
    while True:
        pids = marked_processes(entry)
        if not pids or time.monotonic() >= end:
            return pids
        for pid in pids:
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:
                continue
            try:
                select.select([fd], [], [], max(0.0, end - time.monotonic()))
            finally:
                os.close(fd)


@test
def bisect_step_exit_codes(c):
    with tempfile.TemporaryDirectory() as tmp:
        # hang, timeout, killed and panic boot through tools/guest/boot.sh,
        # under timeout, and are judged by test-kernel.sh's guest_exit():
        # the time limit or a kill is untestable unless the kernel's
        # console shows it died. garbled makes tools/neuf-report fail,
        # which stops the bisection.
        want = {"good": 0, "bad": 1, "splat": 1, "hang": 1, "panic": 1,
                "timeout": 125, "killed": 125, "nobuild": 125,
                "noboot": 125, "flaky": 125, "garbled": 128}
        tree, _ = fake_tree(tmp, ["good"])
        for state, code in want.items():
            with open(os.path.join(tree, "STATE"), "w", encoding="ascii") as f:
                f.write(state + "\n")
            logs = os.path.join(tmp, "logs-" + state)
            p = subprocess.run([os.path.join(TOOLS, "neuf-bisect-step"), "--tree", tree,
                                "--logs", logs], capture_output=True, text=True,
                               env=fake_env(), timeout=60, check=False)
            check(p.returncode == code, f"{state}: exit {p.returncode}, want {code}: "
                  f"{p.stdout}{p.stderr}")
            with open(os.path.join(logs, "steps"), encoding="utf-8") as f:
                line = f.read()
            if state == "flaky":
                check("flaky" in line, line)
            if state == "bad":
                check("igt@fake@sub2" in line and "confirmed" in line, line)
            if state in ("hang", "panic"):
                check("kernel died or hung" in line and "confirmed" in line, line)
            if state in ("timeout", "killed"):
                check("host stopped the guest" in line, line)
            if state == "garbled":
                check(" stop " in line and "neuf-report failed" in line, line)
        # --no-confirm runs a bad step once.
        with open(os.path.join(tree, "STATE"), "w", encoding="ascii") as f:
            f.write("flaky\n")
        p = subprocess.run([os.path.join(TOOLS, "neuf-bisect-step"), "--tree", tree,
                            "--logs", os.path.join(tmp, "nc"), "--no-confirm"],
                           capture_output=True, text=True, env=fake_env(),
                           timeout=60, check=False)
        check(p.returncode == 1, f"--no-confirm on flaky: exit {p.returncode}")
        # --runs N: good only after N good runs; the first bad run decides,
        # unconfirmed. An invalid count stops the bisection.
        with open(os.path.join(tree, "STATE"), "w", encoding="ascii") as f:
            f.write("intermittent\n")
        for runs, code, words in ((None, 0, ("good", "all passed")),
                                  ("2", 0, ("good", "2 runs")),
                                  ("3", 1, ("bad", "igt@fake@sub2", "run 3 of 3")),
                                  ("5", 1, ("bad", "run 3 of 5")),
                                  ("0", 128, ()), ("x", 128, ())):
            logs = os.path.join(tmp, f"runs-{runs}")
            p = subprocess.run([os.path.join(TOOLS, "neuf-bisect-step"), "--tree", tree,
                                "--logs", logs] + (["--runs", runs] if runs else []),
                               capture_output=True, text=True, env=fake_env(),
                               timeout=60, check=False)
            check(p.returncode == code, f"--runs {runs} on intermittent: exit "
                  f"{p.returncode}, want {code}: {p.stdout}{p.stderr}")
            if not words:
                continue
            with open(os.path.join(logs, "steps"), encoding="utf-8") as f:
                line = f.read()
            check(all(w in line for w in words) and "confirmed" not in line,
                  f"--runs {runs}: {line}")
            ran = len(glob.glob(os.path.join(logs, "001-*", "run*.log")))
            want_ran = 3 if code == 1 else int(runs or 1)
            check(ran == want_ran, f"--runs {runs}: {ran} runs, want {want_ran}")


@test
def bisect_finds_culprit(c):
    states = ["good", "good", "nobuild", "good", "good", "good", "bad", "bad",
              "noboot", "bad", "bad", "bad"]
    with tempfile.TemporaryDirectory() as tmp:
        tree, commits = fake_tree(tmp, states)
        head = commits[-1]
        p = subprocess.run([os.path.join(TOOLS, "neuf-bisect"), "--tree", tree,
                            "--good", commits[0], "--bad", "main",
                            "--logs", os.path.join(tmp, "logs")],
                           capture_output=True, text=True, env=fake_env(),
                           timeout=300, check=False)
        out = p.stdout + p.stderr
        check(p.returncode == 0, f"exit {p.returncode}: {out}")
        check(f"first bad commit: {commits[6][:7]}" in out and "commit 6: bad" in out, out)
        check("failing there: igt@fake@sub2" in out, out)
        check(len(re.findall(r"^[0-9a-f]{12} +(good|bad|skip) ", out, re.M)) >= 4, out)
        check(git(tree, "symbolic-ref", "HEAD") == "refs/heads/main", "not back on main")
        check(git(tree, "rev-parse", "HEAD") == head, "HEAD moved")
        check(not os.path.exists(os.path.join(tree, ".git", "BISECT_START")),
              "bisect left running")
        # An end that is not what it is said to be is refused.
        p = subprocess.run([os.path.join(TOOLS, "neuf-bisect"), "--tree", tree,
                            "--good", commits[7], "--bad", "main",
                            "--logs", os.path.join(tmp, "logs2")],
                           capture_output=True, text=True, env=fake_env(),
                           timeout=300, check=False)
        check(p.returncode == 1 and "good end fails" in p.stdout, p.stdout + p.stderr)
        check(git(tree, "rev-parse", "HEAD") == head, "HEAD moved")


@test
def bisect_runs_catches_intermittent(c):
    """A regression that fails only a step's third run: one run a step
    calls the bad end good; --runs 3 finds the culprit."""
    states = ["good"] * 4 + ["intermittent"] * 4
    with tempfile.TemporaryDirectory() as tmp:
        tree, commits = fake_tree(tmp, states)
        args = [os.path.join(TOOLS, "neuf-bisect"), "--tree", tree,
                "--good", commits[0], "--bad", "main"]
        p = subprocess.run(args + ["--logs", os.path.join(tmp, "logs1")],
                           capture_output=True, text=True, env=fake_env(),
                           timeout=300, check=False)
        check(p.returncode == 1 and "bad end passes" in p.stdout,
              f"one run: exit {p.returncode}: {p.stdout}{p.stderr}")
        p = subprocess.run(args + ["--runs", "3", "--logs", os.path.join(tmp, "logs3")],
                           capture_output=True, text=True, env=fake_env(),
                           timeout=300, check=False)
        out = p.stdout + p.stderr
        check(p.returncode == 0 and f"first bad commit: {commits[4][:7]}" in out,
              f"--runs 3: exit {p.returncode}: {out}")
        check("run 3 of 3" in out and "3 runs" in out, out)
        check(git(tree, "symbolic-ref", "HEAD") == "refs/heads/main", "not back on main")


@test
def bisect_stops_on_its_own_failure(c):
    """A step that fails itself (neuf-report crashes) stops the bisection,
    saying so, rather than give the commit a verdict."""
    with tempfile.TemporaryDirectory() as tmp:
        tree, commits = fake_tree(tmp, ["good", "good", "garbled", "bad", "bad"])
        p = subprocess.run([os.path.join(TOOLS, "neuf-bisect"), "--tree", tree,
                            "--good", commits[0], "--bad", "main", "--trust-ends",
                            "--logs", os.path.join(tmp, "logs")],
                           capture_output=True, text=True, env=fake_env(),
                           timeout=300, check=False)
        out = p.stdout + p.stderr
        check(p.returncode == 3 and "a step failed itself" in out and
              "neuf-report failed" in out and "first bad commit" not in out,
              f"exit {p.returncode}: {out}")
        check(git(tree, "symbolic-ref", "HEAD") == "refs/heads/main", "not back on main")
        check(not os.path.exists(os.path.join(tree, ".git", "BISECT_START")),
              "bisect left running")


@test
def bisect_refuses_missing_files(c):
    """A fragment or an exclusion list that cannot be read is refused,
    rather than bisected without."""
    with tempfile.TemporaryDirectory() as tmp:
        tree, commits = fake_tree(tmp, ["good", "bad"])
        args = [os.path.join(TOOLS, "neuf-bisect"), "--tree", tree,
                "--good", commits[0], "--bad", "main",
                "--logs", os.path.join(tmp, "logs")]
        missing = os.path.join(tmp, "no-such-dir", "x.config")
        for extra, env, what in [
                (["--debug-fragment", missing], fake_env(), f"no fragment {missing}"),
                (["--debug-fragment", tmp], fake_env(), f"cannot read the fragment {tmp}"),
                ([], dict(fake_env(), NEUF_BISECT_EXCLUDE=missing),
                 f"cannot read the exclusion list {missing}")]:
            p = subprocess.run(args + extra, capture_output=True, text=True,
                               env=env, timeout=60, check=False)
            check(p.returncode == 2 and what in p.stderr,
                  f"{extra or 'NEUF_BISECT_EXCLUDE'}: exit {p.returncode}: "
                  f"{p.stdout}{p.stderr}")
            check(not os.path.exists(os.path.join(tmp, "logs")), "logs made")


SYZLANG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "syzkaller")


def syzlang_check(path):
    p = subprocess.run([sys.executable, os.path.join(SYZLANG, "check-syzlang.py"), path],
                       capture_output=True, text=True, timeout=60, check=False)
    return p.returncode, p.stdout + p.stderr


@test
def syzlang_matches_uapi(_):
    """tools/syzkaller/neuf.txt describes every ioctl of the uAPI header,
    field by field."""
    rc, out = syzlang_check(os.path.join(SYZLANG, "neuf.txt"))
    check(rc == 0, f"check-syzlang.py: {out}")


@test
def syzlang_check_catches_drift(_):
    """The syzlang check fails when the descriptions drift from the header:
    a field missing, a size wrong, a constant or an ioctl unknown, a len[]
    of nothing, a pointer without a direction, a type undefined."""
    with open(os.path.join(SYZLANG, "neuf.txt"), encoding="utf-8") as f:
        good = f.read()
    drifts = {
        "missing field": ("\tgroup_size\tint32[0:NEUF_EXEC_MAX_GROUP]\n", ""),
        "size": ("\tcopy_ns\t\t\tint64", "\tcopy_ns\t\t\tint32"),
        "constant": ("NEUF_PARAM_VA_BITS,", "NEUF_PARAM_VA_BIT,"),
        "ioctl": ("ioctl$DRM_IOCTL_NEUF_DEVICE_STATS(fd fd_dri, cmd "
                  "const[DRM_IOCTL_NEUF_DEVICE_STATS], arg ptr[inout, "
                  "drm_neuf_device_stats])\n", ""),
        "len": ("len[in_syncobjs, int32]", "len[in_syncobj, int32]"),
        "direction": ("ptr64[in, array[int64, 1:256]]", "ptr64[array[int64, 1:256]]"),
        "type": ("vm_id\tneuf_vm_id\t(out)", "vm_id\tneuf_vm_idx\t(out)"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for what, (old, new) in drifts.items():
            check(good.count(old) == 1, f"{what}: {old!r} not in neuf.txt once")
            path = os.path.join(tmp, "neuf.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(good.replace(old, new))
            rc, out = syzlang_check(path)
            check(rc == 1 and out.strip(), f"{what}: not caught ({rc}: {out})")


@test
def mutants_verdicts(c):
    """neuf-mutants judges a run against the unmutated kernel's: a new
    failure or splat kills, one the unmutated kernel shows already does not,
    a splat after the hmm-tests mark is hmm-tests', a guest that dies in
    neuf's suite leaves hmm-tests not run, an unbuilt kernel is invalid."""
    mark = "neuf: hmm-tests start"
    splat = "[   9.0] WARNING: CPU: 0 PID: 1 at mm/hmm.c:1 f+0x0/0x1"
    leak = "[  12.5] kmemleak: 4 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"
    leak2 = "[  13.5] kmemleak: 5 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"
    tap_ok = "ok 1 hmm.a\nok 2 hmm.b\n# Totals: pass:2 fail:0\n"
    tap_b = "ok 1 hmm.a\nnot ok 2 hmm.b\n# Totals: pass:1 fail:1\n"
    runs = {  # name: (exit, neuf results, dmesg, hmm-tests TAP, done)
        "unmutated": (0, {"x": "pass", "y": "fail"}, f"boot\n{mark}\n{leak}\n", tap_b, True),
        "mprotect-no-notify": (0, {"x": "fail", "y": "fail"}, f"{mark}\n{leak2}\n", tap_b, True),
        "cow-no-notify": (0, {"x": "pass", "y": "fail"}, f"{mark}\n{splat}\n", tap_b, True),
        "mremap-no-notify": (0, {"x": "pass", "y": "fail"}, f"{splat}\n{mark}\n", tap_ok, True),
        "migrate-no-notify": (0, {"x": "pass", "y": "fail"}, "boot\n", None, False),
        "dontneed-no-notify": (3, {}, "", None, False),
    }
    want = {"mprotect-no-notify": ("killed", "survived"),
            "cow-no-notify": ("survived", "killed"),
            "mremap-no-notify": ("killed", "survived"),
            "migrate-no-notify": ("killed", "not run"),
            "dontneed-no-notify": ("invalid", "invalid")}
    with tempfile.TemporaryDirectory() as out:
        for name, (rc, results, dmesg, tap, done) in runs.items():
            run = os.path.join(out, name, "run")
            os.makedirs(run)
            with open(os.path.join(out, name, "entry.json"), "w", encoding="ascii") as f:
                json.dump({"name": name, "exit": rc, "seconds": 1, "filter": "",
                           "hmm_tests_built": True}, f)
            if rc == 3:
                continue
            # A failed subtest's output holds lines that look like
            # "NAME: RESULT"; they must not be taken for results.
            tests = {f"igt@neuf_svm@{k}": {
                "result": v, "err": "", "dmesg": "", "time": {"start": 0.0, "end": 1.0},
                "out": "" if v == "pass" else
                       f"(neuf_svm:7) CRITICAL: Failed assertion: {k}\nSubtest {k}: FAIL\n"}
                     for k, v in results.items()}
            with open(os.path.join(run, "results.json"), "w", encoding="ascii") as f:
                json.dump({"name": name, "tests": tests}, f)
            with open(os.path.join(run, "dmesg.txt"), "w", encoding="ascii") as f:
                f.write(dmesg)
            if tap is not None:
                with open(os.path.join(run, "hmm-tests.tap"), "w", encoding="ascii") as f:
                    f.write(tap)
            if done:
                open(os.path.join(run, "done"), "w", encoding="ascii").close()
        p = subprocess.run([os.path.join(TOOLS, "neuf-mutants"), "--rejudge", "--out", out],
                           capture_output=True, text=True, timeout=60, check=False)
        check(p.returncode == 0, p.stdout + p.stderr)
        with open(os.path.join(out, "mutants.json"), encoding="ascii") as f:
            judged = json.load(f)
        got = {e["name"]: (e["neuf"], e["hmm-tests"]) for e in judged["mutants"]}
        check(judged["unmutated"]["neuf_failures"] == ["igt@neuf_svm@y"],
              f"unmutated failures {judged['unmutated']['neuf_failures']}")
        kills = {e["name"]: e.get("neuf_kills") for e in judged["mutants"]}
        check(kills["mprotect-no-notify"] == ["igt@neuf_svm@x"], f"kills {kills}")
        check(got == want, f"verdicts {got}, expected {want}")
        check("kill rate: neuf 3/4, hmm-tests 1/3" in p.stdout, p.stdout)


@test
def bisect_excludes_listed_subtests(c):
    """A subtest in the exclusion list is not run, and neuf-bisect says why."""
    with tempfile.TemporaryDirectory() as tmp:
        tree, commits = fake_tree(tmp, ["good", "good", "bad"])
        excl = os.path.join(tmp, "exclude")
        with open(excl, "w", encoding="ascii") as f:
            f.write("# comment\n\nigt@fake@sub2  flaky: 2 of 10 runs failed\n")
        env = dict(fake_env(), NEUF_BISECT_EXCLUDE=excl)
        args = [os.path.join(TOOLS, "neuf-bisect"), "--tree", tree,
                "--good", commits[0], "--bad", "main"]
        p = subprocess.run(args + ["--logs", os.path.join(tmp, "l1")], capture_output=True,
                           text=True, env=env, timeout=300, check=False)
        out = p.stdout + p.stderr
        check(p.returncode == 1 and "nothing to find" in out, f"exit {p.returncode}: {out}")
        check("excluded: igt@fake@sub2: flaky: 2 of 10 runs failed" in out, out)
        p = subprocess.run(args + ["--no-exclude", "--logs", os.path.join(tmp, "l2")],
                           capture_output=True, text=True, env=env, timeout=300, check=False)
        out = p.stdout + p.stderr
        check(p.returncode == 0 and f"first bad commit: {commits[2][:7]}" in out,
              f"exit {p.returncode}: {out}")
        check("excluded: none (--no-exclude)" in out, out)


@test
def bisect_interrupted_restores_tree(c):
    """Interrupted in the middle of the bisection (Ctrl-C), and while
    testing an end (the terminal hung up): the tree is restored and the
    step's guest, which runs under timeout in a process group of its own
    as a real one does (tools/guest/boot.sh), ends too."""
    cases = [(["good"] * 6 + ["block"] + ["bad"] * 5, ["--trust-ends"],
              signal.SIGINT),
             (["good"] * 4 + ["block"], [], signal.SIGHUP)]
    for states, extra, sig in cases:
        with tempfile.TemporaryDirectory() as tmp:
            tree, commits = fake_tree(tmp, states)
            fifo = os.path.join(tmp, "fifo")
            os.mkfifo(fifo)
            env = dict(fake_env(), FAKE_BLOCK_FIFO=fifo)
            # Output to a file, not a pipe: a process left running would
            # hold a pipe open, and reading it to its end would wait for it.
            log = os.path.join(tmp, "out")
            with open(log, "w", encoding="utf-8") as f:
                p = subprocess.Popen([os.path.join(TOOLS, "neuf-bisect"), "--tree", tree,
                                      "--good", commits[0], "--bad", "main", *extra,
                                      "--logs", os.path.join(tmp, "logs")],
                                     stdout=f, stderr=subprocess.STDOUT, env=env,
                                     # As from a terminal: a shell that starts
                                     # with SIGINT or SIGHUP ignored (we may
                                     # run in a background job, or under
                                     # nohup) cannot trap it.
                                     preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL)
                                                         for s in (signal.SIGINT,
                                                                   signal.SIGHUP)])
            # Every process of the step, the guest's included, carries the
            # FIFO in its environment.
            mark = "FAKE_BLOCK_FIFO=" + fifo
            try:
                # Opening the FIFO waits until the fake kernel's step has started.
                with open(fifo, encoding="ascii") as f:
                    check(f.read().strip() == "started", "no start")
                comms = []
                for pid in marked_processes(mark):
                    with contextlib.suppress(OSError), \
                            open(f"/proc/{pid}/comm", encoding="ascii") as f:
                        comms.append(f.read().strip())
                check("timeout" in comms, f"the guest runs under no timeout: {comms}")
                p.send_signal(sig)
                p.wait(timeout=60)
                left = wait_processes_gone(mark, 30)
            finally:
                if p.poll() is None:
                    p.kill()
                for pid in marked_processes(mark):  # what a failure left
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            with open(log, encoding="utf-8") as f:
                out = f.read()
            what = f"{extra or 'testing the ends'}: "
            check(p.returncode == 128 + sig, f"{what}exit {p.returncode}: {out}")
            check("interrupted" in out, what + out)
            check(git(tree, "symbolic-ref", "HEAD") == "refs/heads/main",
                  what + "not back on main")
            check(git(tree, "rev-parse", "HEAD") == commits[-1], what + "HEAD moved")
            check(not os.path.exists(os.path.join(tree, ".git", "BISECT_START")),
                  what + "bisect left running")
            check(not left, f"{what}step or guest left running: {left}")


def stress_run(tmp, figures, dmesg="", skip=None):
    """A fake make stress run directory: each part's JSON, the kernel log."""
    out = os.path.join(tmp, f"run{len(os.listdir(tmp))}")
    os.makedirs(out)
    for part, fig in figures.items():
        with open(os.path.join(out, f"{part}.json"), "w", encoding="ascii") as f:
            json.dump(fig, f)
    if skip:
        with open(os.path.join(out, f"{skip}.skip"), "w", encoding="ascii") as f:
            f.write("neuf-stress: it cannot run here\n")
    marks = "".join(f"neuf-stress: {p} start\n" + (dmesg if p == "churn" else "") +
                    f"neuf-stress: {p} end\n" for p in figures)
    for name, text in (("dmesg.txt", marks), ("kmemleak.txt", ""), ("taint", "12288\n")):
        with open(os.path.join(out, name), "w", encoding="ascii") as f:
            f.write(text)
    p = subprocess.run([os.path.join(TOOLS, "neuf-stress-report"), out],
                       capture_output=True, text=True, timeout=60, check=False)
    return p.returncode, p.stdout + p.stderr


@test
def stress_report_goals(c):
    """make stress's table: met goals pass; each kind of finding fails it."""
    base = {"seed": 1, "procs": 8, "ops": 80000, "jobs": 500, "jobs_failed": 0,
            "events": 900, "recovered": 0, "attempts": 0, "escapes": 0,
            "bytes_checked": 1 << 30, "wrong_bytes": 0, "failures": 0,
            "seconds": 100.0, "first": ""}
    good = {"churn": dict(base),
            "oom": dict(base, procs=1, ops=100, events=100, recovered=100),
            "hang": dict(base, procs=2, ops=50, events=150, recovered=150),
            "unbind": dict(base, ops=50, events=150, recovered=50),
            "isolation": dict(base, ops=180, attempts=5000),
            "alloc": dict(base, ops=3000, events=300, recovered=300)}
    bad = {"wrong bytes": ("churn", {"wrong_bytes": 4}),
           "too few mm ops": ("churn", {"ops": 79999}),
           "too few kills": ("oom", {"ops": 99, "events": 99, "recovered": 99}),
           "a kill not recovered": ("oom", {"recovered": 99}),
           "too few hang rounds": ("hang", {"ops": 49}),
           "an escape": ("isolation", {"escapes": 1, "first": "ESCAPE: x"}),
           "a failure": ("alloc", {"failures": 1, "first": "failure: y"})}
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = stress_run(tmp, good)
        check(rc == 0 and "NOT MET" not in out, f"exit {rc}: {out}")
        for part in good:
            check(re.search(rf"^{part}  ", out, re.M), f"no row for {part}: {out}")
        for what, (part, change) in bad.items():
            figs = {p: dict(f) for p, f in good.items()}
            figs[part].update(change)
            rc, out = stress_run(tmp, figs)
            check(rc == 1 and "NOT MET" in out, f"{what}: exit {rc}: {out}")
        rc, out = stress_run(tmp, good, dmesg="WARNING: CPU: 0 PID: 1 at x\n")
        check(rc == 1 and "NOT MET" in out, f"a splat: exit {rc}: {out}")
        figs = {p: f for p, f in good.items() if p != "alloc"}
        rc, out = stress_run(tmp, figs, skip="alloc")
        check(rc == 1 and "cannot run here" in out, f"a skipped part: exit {rc}: {out}")


def bench_record(case, memory, mode, system, mib, median, lo, hi):
    return {"case": case, "memory": memory, "mode": mode, "system": system,
            "ablation": "all", "size_mib": mib, "runs": 5,
            "us_per_page": {"median": median, "min": lo, "max": hi}}


def p3_record(name, median):
    return {"case": "P3", "series": name, "samples": 200,
            "us": {"median": median, "p90": median * 1.5, "min": median / 2}}


def report_row(out, start):
    """The line of a table that starts with @start, split at the groups."""
    for line in out.splitlines():
        if line.startswith(start):
            return [part.split() for part in line[len(start):].split("|")]
    raise AssertionError(f"no row {start!r}: {out}")


@test
def bench_nvidia_report(c):
    """make bench-nvidia's side-by-side tables: each figure, each system's
    ratio to its own machine's CPU, "-" for a size one side lacks, NVIDIA
    alone when neuf's figures are missing, the GPU timer's step where the
    JSON has it; the tool skips without a driver."""
    nvidia = {"gpu": "Test GPU (sm_90, CUDA driver 12.4, HMM)", "backend": "cuda",
              "kernel": "6.8.0 x86_64", "runs": 5, "samples": 200, "gpu_timer": True,
              "gpu_timer_step_ns": 1024, "records": [
                  bench_record("P1", "fresh-4k", "read", "nvidia", 16, 2.0, 1.5, 3.0),
                  bench_record("P1", "fresh-4k", "read", "cpu", 16, 0.5, 0.4, 0.6),
                  bench_record("P1", "fresh-4k", "rw", "nvidia", 16, 4.0, 3.5, 4.5),
                  bench_record("P1", "fresh-4k", "rw", "cpu", 16, 2.0, 1.9, 2.1),
                  bench_record("P1", "fresh-4k", "read", "nvidia", 64, 1.2, 1.1, 1.3),
                  bench_record("P1", "fresh-4k", "read", "cpu", 64, 0.4, 0.3, 0.5),
                  bench_record("P4", "populated-4k", "munmap", "nvidia", 16, 0.9, 0.8, 1.0),
                  bench_record("P4", "populated-4k", "munmap", "never-mirrored", 16,
                               0.3, 0.2, 0.4),
                  p3_record("nvidia-fault", 30.0), p3_record("nvidia-no-fault", 1.0),
                  p3_record("nvidia-launch-fault", 45.0),
                  p3_record("nvidia-launch-no-fault", 10.0),
                  p3_record("cpu-fault", 1.5), p3_record("cpu-no-fault", 0.1),
                  p3_record("nvidia-beyond", 28.5), p3_record("nvidia-launch-beyond", 34.0),
                  p3_record("cpu-beyond", 1.25)]}
    neuf = {"kernel": "6.12.117-neuf-debug x86_64", "runs": 5, "samples": 200,
            "test_hmm": True, "records": [
                bench_record("P1", "fresh-4k", "read", "neuf", 16, 60.0, 55.0, 70.0),
                bench_record("P1", "fresh-4k", "read", "test_hmm", 16, 80.0, 75.0, 85.0),
                bench_record("P1", "fresh-4k", "read", "cpu", 16, 40.0, 39.0, 41.0),
                bench_record("P1", "fresh-4k", "read", "neuf", 4, 50.0, 45.0, 55.0),
                bench_record("P1", "fresh-4k", "read", "cpu", 4, 25.0, 24.0, 26.0),
                bench_record("P4", "populated-4k", "munmap", "neuf", 16, 12.0, 11.0, 13.0),
                bench_record("P4", "populated-4k", "munmap", "never-mirrored", 16,
                             8.0, 7.0, 9.0),
                bench_record("P4", "populated-4k", "munmap", "test_hmm", 16, 10.0, 9.0, 11.0),
                p3_record("neuf-fault", 500.0), p3_record("neuf-no-fault", 300.0),
                p3_record("cpu-fault", 60.0), p3_record("cpu-no-fault", 10.0),
                p3_record("neuf-beyond", 190.0), p3_record("cpu-beyond", 47.5)]}
    report = os.path.join(TOOLS, "neuf-bench-nvidia-report")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, doc in (("nvidia", nvidia), ("neuf", neuf)):
            paths[name] = os.path.join(tmp, f"{name}.json")
            with open(paths[name], "w", encoding="utf-8") as f:
                json.dump(doc, f)

        def run(neuf_path):
            p = subprocess.run([report, "--neuf", neuf_path, paths["nvidia"]],
                               capture_output=True, text=True, timeout=60, check=False)
            check(p.returncode == 0, f"exit {p.returncode}: {p.stdout}{p.stderr}")
            return p.stdout

        out = run(paths["neuf"])
        check("Test GPU (sm_90" in out and "6.12.117-neuf-debug" in out, out)
        check("× CPU" in out and "× never" in out, out)
        # neuf, x CPU, test_hmm, x CPU, guest CPU | NVIDIA, x CPU, host CPU
        want = {"  16 read": [["60.0", "[55.0-70.0]", "1.50", "80.0", "[75.0-85.0]",
                               "2.00", "40.0", "[39.0-41.0]"],
                              ["2.00", "[1.50-3.00]", "4.00", "0.500", "[0.400-0.600]"]],
                "  16 rw": [["-", "-", "-", "-", "-"],
                            ["4.00", "[3.50-4.50]", "2.00", "2.00", "[1.90-2.10]"]],
                "   4 read": [["50.0", "[45.0-55.0]", "2.00", "-", "-", "25.0",
                               "[24.0-26.0]"], ["-", "-", "-"]],
                "  64 read": [["-", "-", "-", "-", "-"],
                              ["1.20", "[1.10-1.30]", "3.00", "0.400", "[0.300-0.500]"]],
                "  16 munmap": [["12.0", "[11.0-13.0]", "1.50", "10.0", "[9.00-11.0]",
                                 "1.25", "8.00", "[7.00-9.00]"],
                                ["0.900", "[0.800-1.00]", "3.00", "0.300",
                                 "[0.200-0.400]"]]}
        for start, cells in want.items():
            row = report_row(out, start)
            check(row == cells, f"{start!r}: {row}, expected {cells}: {out}")
        # samples, fault, no-fault, beyond, beyond / the machine's CPU's
        for start, cells in (("  neuf dispatch", ["200", "500", "300", "190", "4.00"]),
                             ("  guest CPU", ["200", "60.0", "10.0", "47.5"]),
                             ("  NVIDIA GPU timer", ["200", "30.0", "1.00", "28.5", "22.80"]),
                             ("  NVIDIA launch+wait", ["200", "45.0", "10.0", "34.0",
                                                      "27.20"]),
                             ("  host CPU", ["200", "1.50", "0.100", "1.25"])):
            row = report_row(out, start)
            check(row == [cells], f"{start!r}: {row}, expected {cells}: {out}")

        out = run(os.path.join(tmp, "no-such.json"))
        check("neuf's figures are missing" in out and "make bench" in out, out)
        check("test_hmm" not in out and "guest CPU" not in out, out)
        check(report_row(out, "  16 read") ==
              [["2.00", "[1.50-3.00]", "4.00", "0.500", "[0.400-0.600]"]], out)
        check(report_row(out, "  NVIDIA GPU timer") ==
              [["200", "30.0", "1.00", "28.5", "22.80"]], out)
        step = ("  NVIDIA GPU timer: quantised to %globaltimer's step, 1024 ns here "
                "(1.02 us; ")
        check(step in out and out.index(step) > out.index("  host CPU"), out)

        # A JSON from before the step was measured: no line about it.
        del nvidia["gpu_timer_step_ns"]
        with open(paths["nvidia"], "w", encoding="utf-8") as f:
            json.dump(nvidia, f)
        out = run(paths["neuf"])
        check("quantised" not in out and report_row(out, "  NVIDIA GPU timer") ==
              [["200", "30.0", "1.00", "28.5", "22.80"]], out)

        tool = os.path.join(c.build, "tools", "neuf-bench-nvidia")
        if os.path.exists(tool):
            json_out = os.path.join(tmp, "out.json")
            p = subprocess.run([tool, "--out", json_out], capture_output=True, text=True,
                               timeout=60, check=False,
                               env=dict(os.environ,
                                        NEUF_LIBCUDA="/nonexistent/libcuda.so.1"))
            check(p.returncode == 77, f"exit {p.returncode}: {p.stderr}")
            check("neuf-bench-nvidia: cannot run: no NVIDIA driver" in p.stderr, p.stderr)
            check(not os.path.exists(json_out), "a JSON file without figures")


class Skip(Exception):
    """The test cannot run here; its result is skip, with the reason."""


def build_fake_libcuda(tmp):
    """The stand-in libcuda.so.1 (fake_libcuda.c), built in @tmp."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "fake_libcuda.c")
    lib = os.path.join(tmp, "libcuda.so.1")
    cc = shlex.split(os.environ.get("CC") or "cc")  # make's $(CC)
    subprocess.run(cc + ["-std=c11", "-Wall", "-Wextra", "-Werror",
                         "-shared", "-fPIC", "-o", lib, src], check=True,
                   capture_output=True, timeout=120)
    return lib


@test
def cuda_skip_reasons(c):
    """neuf_svm_cuda lists neuf_svm's shared subtests and, on every system
    it cannot run on, skips each of them with the right reason: no driver,
    cuInit failing, no GPU, no pageable memory access (and why), a context
    it cannot make. A stand-in libcuda.so.1 plays the systems."""
    cuda = os.path.join(c.build, "igt-tests", "neuf_svm_cuda")
    svm = os.path.join(c.build, "igt-tests", "neuf_svm")
    if not os.path.exists(cuda):
        raise Skip("neuf_svm_cuda was not built (no nvcc)")
    names = subprocess.run([cuda, "--list-subtests"], capture_output=True,
                           text=True, timeout=60, check=True).stdout.split()
    neuf = subprocess.run([svm, "--list-subtests"], capture_output=True,
                          text=True, timeout=60, check=True).stdout.split()
    check(len(names) >= 20, f"only {len(names)} shared subtests: {names}")
    check(not set(names) - set(neuf),
          f"not in neuf_svm: {sorted(set(names) - set(neuf))}")
    with tempfile.TemporaryDirectory() as tmp:
        lib = build_fake_libcuda(tmp)
        nohmm = os.path.join(tmp, "config-nohmm")
        with open(nohmm, "w", encoding="utf-8") as f:
            f.write("# CONFIG_HMM_MIRROR is not set\nCONFIG_DEVICE_PRIVATE=y\n")
        # As /proc/config.gz: read through gzip.
        nodp = os.path.join(tmp, "config-nodp.gz")
        with gzip.open(nodp, "wt", encoding="utf-8") as f:
            f.write("CONFIG_HMM_MIRROR=y\n# CONFIG_DEVICE_PRIVATE is not set\n")
        withhmm = os.path.join(tmp, "config-hmm")
        with open(withhmm, "w", encoding="utf-8") as f:
            f.write("CONFIG_HMM_MIRROR=y\nCONFIG_DEVICE_PRIVATE=y\n")
        systems = [
            ({"NEUF_LIBCUDA": os.path.join(tmp, "none", "libcuda.so.1")},
             "no NVIDIA driver: "),
            ({"NEUF_LIBCUDA": lib, "FAKE_CUDA_INIT": "100"},
             "cuInit: CUDA_ERROR_NO_DEVICE"),
            ({"NEUF_LIBCUDA": lib, "FAKE_CUDA_COUNT": "0"}, "no NVIDIA GPU"),
            ({"NEUF_LIBCUDA": lib, "NEUF_KERNEL_CONFIG": nohmm},
             "no pageable memory access: the kernel lacks CONFIG_HMM_MIRROR"),
            ({"NEUF_LIBCUDA": lib, "NEUF_KERNEL_CONFIG": nodp},
             "no pageable memory access: the kernel lacks CONFIG_DEVICE_PRIVATE"),
            ({"NEUF_LIBCUDA": lib, "NEUF_KERNEL_CONFIG": withhmm},
             "CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS is 0"),
            ({"NEUF_LIBCUDA": lib, "FAKE_CUDA_PAGEABLE": "1"},
             "setting up a context and loading the kernels: "
             "CUDA_ERROR_NOT_SUPPORTED"),
        ]
        for env, reason in systems:
            p = subprocess.run([cuda], capture_output=True, text=True,
                               timeout=120, check=False,
                               env={**os.environ, **env})
            what = f"{env}: exit {p.returncode}"
            check(p.returncode == 77, f"{what}\n{p.stdout}{p.stderr}")
            got = dict(re.findall(r"^Subtest (\S+): (\w+) ", p.stdout, re.M))
            check(sorted(got) == sorted(names) and
                  set(got.values()) == {"SKIP"}, f"{what}: {got}")
            check(reason in p.stdout + p.stderr,
                  f"{what}: no '{reason}' in\n{p.stdout}{p.stderr}")


# What neuf_svm_cuda must pass on the CPU stand-in, whatever the host's
# kernel (the others may skip for its configuration or privileges).
CUDA_ON_CPU_MUST_PASS = [
    "read-malloc", "write-malloc", "read-write-stack", "first-touch",
    "vector-add-16m", "linked-list", "munmap-then-fault", "mprotect-read-only",
    "mprotect-none", "mremap-move", "fork-cow", "fork-cow-under-gpu",
    "atomics-cpu-gpu",
    "large-dispatch-256m", "race-stress", "multi-process-8",
    "multi-process-same-address", "truncate-punch-hole"]


@test
def cuda_backend_on_cpu(c):
    """neuf_svm_cuda's scenarios and the CUDA backend's whole control flow
    (context, module loading, launches, synchronize, and the rebuild of the
    context after each sticky CUDA_ERROR_ILLEGAL_ADDRESS) run against a
    CPU stand-in for libcuda.so.1 (fake_libcuda.c, FAKE_CUDA_CPU=1): it
    runs svm_kernels.cu's kernels as C code whose every access goes through
    the process's page tables, as a GPU under HMM does. This checks the
    scenarios and the backend's code paths without an NVIDIA GPU; it proves
    nothing about NVIDIA hardware or its driver."""
    cuda = os.path.join(c.build, "igt-tests", "neuf_svm_cuda")
    if not os.path.exists(cuda):
        raise Skip("neuf_svm_cuda was not built (no nvcc)")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NEUF_LIBCUDA": build_fake_libcuda(tmp),
               "FAKE_CUDA_CPU": "1", "NEUF_SOFT_OFFLINE": "0"}
        p = subprocess.run([cuda], capture_output=True, text=True,
                           timeout=600, check=False, env=env)
    log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
    check(p.returncode in (0, 77), log)
    got = dict(re.findall(r"^Subtest (\S+): (\w+) ", p.stdout, re.M))
    bad = {name: r for name, r in got.items() if r in ("FAIL", "CRASH")}
    check(not bad, f"{bad}: {log}")
    missing = [name for name in CUDA_ON_CPU_MUST_PASS
               if got.get(name) != "SUCCESS"]
    check(not missing, f"did not pass: {missing}: {log}")
    # The faults the scenarios provoke made the backend rebuild its
    # context (at most once per fault the stand-in counted).
    m = re.search(r"^(\d+) CUDA context\(s\) rebuilt after sticky faults$",
                  p.stdout, re.M)
    check(m and int(m.group(1)) > 0, f"no context rebuilt: {log}")
    fake = re.search(r"^fake_libcuda: \d+ launches, \d+ invocations, "
                     r"(\d+) illegal addresses ", p.stderr, re.M)
    check(fake and int(fake.group(1)) >= int(m.group(1)),
          f"more contexts rebuilt than faults: {log}")

    # Where a sticky error outlives the context's reset (CUDA documents
    # only a new process as the way back), the rest of a subtest after
    # its first fault skips, saying so; it does not fail.
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NEUF_LIBCUDA": build_fake_libcuda(tmp),
               "FAKE_CUDA_CPU": "1", "FAKE_CUDA_STICKY_FOREVER": "1"}
        p = subprocess.run([cuda, "--run-subtest", "munmap-then-fault"],
                           capture_output=True, text=True, timeout=120,
                           check=False, env=env)
    log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
    check(p.returncode == 77 and
          "Subtest munmap-then-fault: SKIP" in p.stdout and
          "cannot run GPU work again in this process" in p.stdout + p.stderr,
          log)


# Runs the CUDA backend (svm_backend.h) on the stand-in: a job that faults,
# then one that does not, each line its return, its job's error and the
# contexts the backend rebuilt so far.
CUDA_REBUILD_CHECK = r"""
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "svm_backend.h"

static void run(struct svm_backend *b, const char *what, void *p)
{
	uint64_t args[4] = { (uintptr_t)p, 1 };
	struct svm_result res = { 0 };
	int ret = svm_backend_run(b, SVM_FILL, 1, args, &res);

	printf("%s: ret %d error %d recoveries %u\n", what, ret, res.error,
	       b->recoveries);
	fflush(stdout);
}

int main(void)
{
	struct svm_backend *b = svm_backend_cuda();
	char why[256] = "";
	void *none, *ok;

	if (!b || b->ops->open(b, why, sizeof(why))) {
		fprintf(stderr, "cannot open: %s\n", why);
		return 2;
	}
	none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (none == MAP_FAILED || ok == MAP_FAILED)
		return 2;
	run(b, "fault", none);
	run(b, "next", ok);
	svm_backend_free(b);
	return 0;
}
"""


@test
def cuda_backend_rebuilds_at_fault(c):
    """After a sticky fault the CUDA backend makes its new context before
    the faulting run returns, not at the next run: what the new context
    maps is there when the caller looks at its address space next
    (munmap-then-fault's check that its hole is still one). Where no new
    context can be made (FAKE_CUDA_STICKY_FOREVER=1) the faulting run still
    reports its fault, the next fails with -ENOTRECOVERABLE, and the
    backend says why once. The backend's objects of the build, linked with
    a small program, against the CPU stand-in for libcuda.so.1."""
    objs = [os.path.join(c.build, "igt-tests", "lib", o) for o in
            ("svm_backend_cuda.o", "svm_kernels_fatbin.o", "svm_backend.o")]
    if not all(os.path.exists(o) for o in objs):
        raise Skip("the CUDA backend was not built (no nvcc)")
    # The build's compiler and flags (its sanitizers, where it has them).
    with open(os.path.join(c.build, "compiler"), encoding="utf-8") as f:
        cc = shlex.split(f.read())
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "rebuild.c")
        exe = os.path.join(tmp, "rebuild")
        with open(src, "w", encoding="utf-8") as f:
            f.write(CUDA_REBUILD_CHECK)
        p = subprocess.run(cc + ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                                 "-Werror", "-I", os.path.join(TOOLS, "..", "igt-tests",
                                                               "lib"),
                                 src, *objs, "-o", exe, "-ldl"],
                           capture_output=True, text=True, timeout=120, check=False)
        check(p.returncode == 0, f"building the check: {p.stderr}")
        lib = build_fake_libcuda(tmp)
        cases = (({}, ["fault: ret 0 error -14 recoveries 1",
                       "next: ret 0 error 0 recoveries 1"]),
                 ({"FAKE_CUDA_STICKY_FOREVER": "1"},
                  ["fault: ret 0 error -14 ", "next: ret -131 "]))
        for env, want in cases:
            p = subprocess.run([exe], capture_output=True, text=True,
                               timeout=60, check=False,
                               env={**os.environ, "NEUF_LIBCUDA": lib,
                                    "FAKE_CUDA_CPU": "1", **env})
            log = f"{env}: exit {p.returncode}\n{p.stdout}{p.stderr}"
            lines = p.stdout.splitlines()
            check(p.returncode == 0 and len(lines) == len(want) and
                  all(line.startswith(w) for line, w in zip(lines, want)), log)
            lost = p.stderr.count("cuda: no new context after a sticky fault")
            check(lost == (1 if env else 0), log)
            check(re.search(r"^fake_libcuda: 2 launches, .* 1 illegal addresses "
                            r".* 1 primary context resets, 2 module loads$"
                            if not env else
                            r"^fake_libcuda: 1 launches, .* 1 illegal addresses ",
                            p.stderr, re.M), log)


@test
def nvidia_leg_build(c):
    """make check-nvidia and make bench-nvidia build the NVIDIA leg's two
    binaries and nothing else: not make deps (root and Debian's archive,
    which a GPU host may not have), not neuf's objects over libdrm. The
    two build where pkg-config knows no libdrm, so that xf86drm.h cannot
    be built against, and need nothing but the C library."""
    top = os.path.join(TOOLS, "..")
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    with tempfile.TemporaryDirectory() as tmp:
        build = os.path.join(tmp, "build")
        # Whether or not this host has nvcc: make -n runs nothing.
        p = subprocess.run(["make", "-C", top, "-n", f"BUILD={build}",
                            "NVCC=/nonexistent/bin/nvcc", "check-nvidia",
                            "bench-nvidia"], capture_output=True, text=True,
                           timeout=120, check=False, env=env)
        log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
        check(p.returncode == 0, log)
        for word in ("deps.sh", "libneuf", "svm_backend_neuf", "neuf_igt_device",
                     "-ldrm", "qemu"):
            check(word not in p.stdout, f"make -n names {word}: {log}")
        for word in (f"-o {build}/igt-tests/neuf_svm_cuda",
                     f"-o {build}/tools/neuf-bench-nvidia",
                     "tools/check-nvidia.sh", "tools/bench-nvidia.sh"):
            check(word in p.stdout, f"make -n does not name {word}: {log}")

    if not os.path.exists(os.path.join(c.build, "igt-tests", "neuf_svm_cuda")):
        raise Skip("neuf_svm_cuda was not built (no nvcc)")
    with tempfile.TemporaryDirectory() as tmp:
        build = os.path.join(tmp, "build")
        lib = os.path.join(build, "igt-tests", "lib")
        os.makedirs(lib)
        # nvcc's fatbin of the build, newer than svm_kernels.cu once copied:
        # nvcc does not run again.
        shutil.copy(os.path.join(c.build, "igt-tests", "lib", "svm_kernels.fatbin"), lib)
        nopc = os.path.join(tmp, "pkgconfig")
        os.makedirs(nopc)
        binaries = [os.path.join(build, "igt-tests", "neuf_svm_cuda"),
                    os.path.join(build, "tools", "neuf-bench-nvidia")]
        p = subprocess.run(["make", "-C", top, "-s", f"BUILD={build}", *binaries],
                           capture_output=True, text=True, timeout=600,
                           check=False, env={**env, "PKG_CONFIG_LIBDIR": nopc,
                                             "PKG_CONFIG_PATH": ""})
        log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
        check(p.returncode == 0, f"without libdrm: {log}")
        check("libdrm" not in p.stdout + p.stderr, f"a word about libdrm: {log}")
        check(not os.path.exists(os.path.join(build, "igt-tests", "lib",
                                              "svm_backend_neuf.o")), log)
        libc = {"libc.so.6", "libdl.so.2", "libpthread.so.0"}
        for binary in binaries:
            d = subprocess.run(["readelf", "-d", binary], capture_output=True,
                               text=True, timeout=60, check=True).stdout
            needed = set(re.findall(r"\(NEEDED\).*\[(.+)\]", d))
            check(needed and needed <= libc, f"{binary} needs {sorted(needed)}")


@test
def bench_usage_errors(c):
    """neuf-bench and neuf-bench-nvidia refuse a bad command line with
    exit status 2 before they measure anything (bench_take_option() and
    each tool's own options), and create no --out file."""
    bad = [["--runs", "5x"], ["--runs", "0"], ["--runs", "65"],
           ["--samples", "1"], ["--samples", "-3"], ["--sizes", "1,4x"],
           ["--sizes", "4097"], ["--only", "P9"], ["--bogus", "1"],
           ["--runs"]]
    tools = {"neuf-bench": [["--ablation-size", "0"], ["--no-ablation", "x"]],
             "neuf-bench-nvidia": [["--no-ablation"]]}
    for tool, own in tools.items():
        path = os.path.join(c.build, "tools", tool)
        if not os.path.exists(path):
            raise Skip(f"{tool} was not built (no nvcc)")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.json")
            for args in bad + own:
                p = subprocess.run([path, "--out", out, *args],
                                   capture_output=True, text=True,
                                   timeout=60, check=False)
                check(p.returncode == 2 and "usage:" in p.stderr,
                      f"{tool} {args}: exit {p.returncode}: {p.stderr}")
                check(not os.path.exists(out), f"{tool} {args} made --out")


@test
def neuf_as_command(c):
    """neuf-as writes the program; it refuses a source with a NUL byte
    (naming its line) rather than assemble what comes before it, a second
    input file, and input it cannot read (a directory: EISDIR); a write
    that fails, to stdout or to -o FILE, exits 1 and leaves no truncated
    FILE."""
    tool = os.path.join(c.build, "tools", "neuf-as")

    def run(args, stdin=b"", stdout=subprocess.PIPE, limit=None):
        p = subprocess.run([tool, *args], input=stdin, stdout=stdout,
                           stderr=subprocess.PIPE, preexec_fn=limit,
                           timeout=60, check=False)
        return p.returncode, p.stdout or b"", p.stderr.decode()

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (8, 8))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "a.s")
        out = os.path.join(tmp, "out.bin")
        with open(src, "wb") as f:
            f.write(b"nop\nhalt\n")
        code = bytes([1] + [0] * 15)
        rc, _, err = run(["-o", out, src])
        check(rc == 0 and not err, f"exit {rc}: {err}")
        with open(out, "rb") as f:
            check(f.read() == code, "wrong machine code")
        rc, so, err = run(["--hex"], stdin=b"li r1, 0x10\n")
        check(rc == 0 and so == b"0000001000000128\n", f"exit {rc}: {so} {err}")

        for source, line in [(b"nop\nli r1, 1\0\nhalt\n", 2),
                             (b"halt\n\0", 2), (b"\0halt\n", 1)]:
            rc, so, err = run([], stdin=source)
            check(rc == 1 and not so and
                  f"neuf-as: -: line {line}: NUL byte in the source" in err,
                  f"{source!r}: exit {rc}: {so} {err}")

        rc, so, err = run([src, src])
        check(rc == 2 and not so and "usage:" in err, f"exit {rc}: {err}")
        rc, so, err = run([tmp])
        check(rc == 1 and not so and
              err == f"neuf-as: {tmp}: {os.strerror(errno.EISDIR)}\n",
              f"a directory: exit {rc}: {err}")

        if os.path.exists("/dev/full"):
            for args in ([src], ["--hex", src]):
                with open("/dev/full", "wb") as full:
                    rc, _, err = run(args, stdout=full)
                check(rc == 1 and "neuf-as: -: " in err,
                      f"{args} > /dev/full: exit {rc}: {err}")
        for args in (["-o", out, src], ["--hex", "-o", out, src]):
            rc, _, err = run(args, limit=small_files)
            check(rc == 1 and f"neuf-as: {out}: " in err,
                  f"{args} past RLIMIT_FSIZE: exit {rc}: {err}")
            check(not os.path.exists(out), f"{args}: truncated {out} left")


def fake_igt_tree(tmp, function_like=True):
    """The two files of an IGT checkout that tools/igt-tree.sh looks at."""
    igt = os.path.join(tmp, "igt")
    os.makedirs(os.path.join(igt, "lib"))
    os.makedirs(os.path.join(igt, "tests"))
    with open(os.path.join(igt, "lib", "igt_core.h"), "w", encoding="utf-8") as f:
        f.write("#define igt_main() igt_main_args(NULL, NULL, NULL, NULL, NULL)\n"
                if function_like else
                "#define igt_main igt_main_args(NULL, NULL, NULL, NULL, NULL)\n")
    with open(os.path.join(igt, "tests", "meson.build"), "w", encoding="utf-8") as f:
        f.write("subdir('vkms')\n\nsubdir('vmwgfx')\n\n"
                "gen_testlist = find_program('generate_testlist.sh')\n")
    return igt


@test
def igt_tree_dropin(_):
    """tools/igt-tree.sh puts every test and helper of igt-tests/ into an IGT
    checkout's tests/neuf/ and hooks it in once, before IGT's test list is
    made; its meson.build names only files the copy has, builds every test
    of igt-tests/ and every helper of igt-tests/lib/, and leaves the
    stand-in for IGT's core out. An IGT older than the function-like
    igt_main() is refused."""
    top = os.path.join(TOOLS, "..")
    script = os.path.join(TOOLS, "igt-tree.sh")
    with tempfile.TemporaryDirectory() as tmp:
        igt = fake_igt_tree(tmp)
        for _ in range(2):
            p = subprocess.run([script, igt], capture_output=True, text=True,
                               timeout=60, check=False)
            check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
        with open(os.path.join(igt, "tests", "meson.build"), encoding="utf-8") as f:
            hook = f.read()
        check(hook.count("subdir('neuf')") == 1
              and hook.index("subdir('neuf')") < hook.index("gen_testlist"), hook)

        dst = os.path.join(igt, "tests", "neuf")
        with open(os.path.join(dst, "meson.build"), encoding="utf-8") as f:
            meson = f.read()
        named = set(re.findall(r"'([\w/]+\.(?:c|cu|S))'", meson))
        progs = set(re.findall(r"^\t\t'(neuf_\w+)' : \[", meson, re.M))
        named |= {prog + ".c" for prog in progs}
        missing = [n for n in sorted(named)
                   if not os.path.exists(os.path.join(dst, n))]
        check(not missing, f"meson.build names files the copy lacks: {missing}")

        tests = {os.path.basename(t) for t in glob.glob(
            os.path.join(top, "igt-tests", "*.c"))}
        check(tests - named == set(),
              f"tests left out of meson.build: {sorted(tests - named)}")
        helpers = {"lib/" + os.path.basename(h) for h in glob.glob(
            os.path.join(top, "igt-tests", "lib", "*.c"))} - {"lib/igt_core.c"}
        check(helpers - named == set(),
              f"helpers left out of meson.build: {sorted(helpers - named)}")
        for stand_in in ("igt.h", "igt_core.h", "igt_core.c", "igt_sizes.h"):
            check(not os.path.exists(os.path.join(dst, "lib", stand_in)),
                  f"the stand-in's {stand_in} was copied")

    with tempfile.TemporaryDirectory() as tmp:
        igt = fake_igt_tree(tmp, function_like=False)
        p = subprocess.run([script, igt], capture_output=True, text=True,
                           timeout=60, check=False)
        check(p.returncode == 1 and "predates" in p.stderr,
              f"old IGT: exit {p.returncode}: {p.stderr}")
        check(not os.path.exists(os.path.join(igt, "tests", "neuf")),
              "old IGT: tests/neuf was made")


@test
def bench_nvidia_on_cpu(c):
    """neuf-bench-nvidia runs P1, P3 and P4 to the end against the CPU
    stand-in for libcuda.so.1 (as cuda-backend-on-cpu) and writes their
    records, and the GPU timer's step it measured: its control flow only,
    the figures are the CPU's and mean nothing about NVIDIA hardware."""
    tool = os.path.join(c.build, "tools", "neuf-bench-nvidia")
    if not os.path.exists(tool):
        raise Skip("neuf-bench-nvidia was not built (no nvcc)")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        env = {**os.environ, "NEUF_LIBCUDA": build_fake_libcuda(tmp),
               "FAKE_CUDA_CPU": "1"}
        p = subprocess.run([tool, "--sizes", "1", "--runs", "2", "--samples",
                            "10", "--out", out], capture_output=True,
                           text=True, timeout=600, check=False, env=env)
        check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
    cases = {r.get("case") for r in doc.get("records", [])}
    check({"P1", "P3", "P4"} <= cases, f"cases {sorted(cases)}: {doc}")
    check(doc.get("backend") == "cuda" and doc.get("gpu_timer") is True, doc)
    # The stand-in's timer is CLOCK_MONOTONIC: a step of some nanoseconds.
    step = doc.get("gpu_timer_step_ns")
    check(isinstance(step, int) and 0 < step < 1000000, f"timer step {step!r}")
    check(f"the GPU timer's step: {step} ns" in p.stderr, p.stderr)


def device_tree(c, tmp):
    """What a GPU machine without a compiler gets: the tracked tools and
    test list, and of build/ only the NVIDIA leg's two binaries."""
    tree = os.path.join(tmp, "tree")
    shutil.copytree(TOOLS, os.path.join(tree, "tools"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    os.makedirs(os.path.join(tree, "igt-tests"))
    shutil.copy(os.path.join(TOOLS, "..", "igt-tests", "test-list-nvidia.txt"),
                os.path.join(tree, "igt-tests"))
    for binary in ("igt-tests/neuf_svm_cuda", "tools/neuf-bench-nvidia"):
        os.makedirs(os.path.join(tree, "build", os.path.dirname(binary)),
                    exist_ok=True)
        shutil.copy(os.path.join(c.build, binary),
                    os.path.join(tree, "build", binary))
    return tree


@test
def nvidia_leg_scripts(c):
    """tools/check-nvidia.sh and tools/bench-nvidia.sh, as a GPU machine
    runs them: in a tree that holds only the leg's two binaries of build/,
    with no make, against the CPU stand-in for libcuda.so.1. They write
    results.json, system.txt and the report where the docs say, end with
    the summary line, and say the one reason when nothing can run; the
    benchmark is stopped, saying so, past BENCH_TIMEOUT."""
    for binary in ("igt-tests/neuf_svm_cuda", "tools/neuf-bench-nvidia"):
        if not os.path.exists(os.path.join(c.build, binary)):
            raise Skip(f"{binary} was not built (no nvcc)")
    with tempfile.TemporaryDirectory() as tmp:
        tree = device_tree(c, tmp)
        cpu = {**os.environ, "NEUF_LIBCUDA": build_fake_libcuda(tmp),
               "FAKE_CUDA_CPU": "1", "NVIDIA_TIMEOUT": "120"}
        p = subprocess.run([os.path.join(tree, "tools", "check-nvidia.sh"),
                            "igt@neuf_svm_cuda@(read-malloc|munmap-then-fault)$"],
                           capture_output=True, text=True, timeout=600,
                           check=False, env=cpu)
        log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
        check(p.returncode == 0, log)
        check(p.stdout.rstrip().endswith("2 passed, 0 failed, 0 skipped"), log)
        res = os.path.join(tree, "build", "results", "nvidia")
        with open(os.path.join(res, "results.json"), encoding="utf-8") as f:
            tests = json.load(f)["tests"]
        check(sorted(tests) == ["igt@neuf_svm_cuda@munmap-then-fault",
                                "igt@neuf_svm_cuda@read-malloc"], tests)
        with open(os.path.join(res, "system.txt"), encoding="utf-8") as f:
            check(f.read().startswith("host: "), "system.txt")

        none = {**cpu, "NEUF_LIBCUDA": os.path.join(tmp, "no", "libcuda.so.1")}
        p = subprocess.run([os.path.join(tree, "tools", "check-nvidia.sh"),
                            "igt@neuf_svm_cuda@read-malloc$"],
                           capture_output=True, text=True, timeout=300,
                           check=False, env=none)
        log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
        # Nothing ran: not a pass (neuf-report's rule), and the reason.
        check(p.returncode == 1 and "check-nvidia: every subtest skipped: "
              "no NVIDIA driver" in p.stdout, log)
        check(p.stdout.rstrip().endswith("0 passed, 0 failed, 1 skipped"), log)

        small = {**cpu, "BENCH_SIZES": "1", "BENCH_RUNS": "2",
                 "BENCH_SAMPLES": "5"}
        bench = os.path.join(tree, "tools", "bench-nvidia.sh")
        p = subprocess.run([bench], capture_output=True, text=True,
                           timeout=600, check=False, env=small)
        log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
        check(p.returncode == 0, log)
        out = os.path.join(tree, "build", "bench-nvidia")
        with open(os.path.join(out, "report.txt"), encoding="utf-8") as f:
            report = f.read()
        check(report.startswith("NVIDIA: ") and "neuf's figures are missing"
              in report and report == p.stdout, log)
        with open(os.path.join(out, "bench.json"), encoding="utf-8") as f:
            cases = {r.get("case") for r in json.load(f)["records"]}
        check({"P1", "P3", "P4"} <= cases, f"cases {sorted(cases)}")

        p = subprocess.run([bench], capture_output=True, text=True,
                           timeout=300, check=False, env={**small, **{
                               "NEUF_LIBCUDA": none["NEUF_LIBCUDA"]}})
        log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
        check(p.returncode == 0 and p.stdout.startswith(
            "bench-nvidia: skipped: no NVIDIA driver"), log)

        # A kernel that never ends (the stand-in's wait never returns).
        p = subprocess.run([bench], capture_output=True, text=True,
                           timeout=120, check=False,
                           env={**small, "FAKE_CUDA_HANG": "1", "BENCH_TIMEOUT": "2"})
        log = f"exit {p.returncode}\n{p.stdout}{p.stderr}"
        check(p.returncode == 1 and "bench-nvidia: neuf-bench-nvidia was stopped "
              "after 2s (BENCH_TIMEOUT)" in p.stderr, log)
        check(not os.path.exists(os.path.join(out, "bench.json.tmp")), log)
        p = subprocess.run([bench], capture_output=True, text=True, timeout=60,
                           check=False, env={**small, "BENCH_TIMEOUT": "1h"})
        check(p.returncode == 2 and "BENCH_TIMEOUT=1h" in p.stderr,
              f"exit {p.returncode}\n{p.stdout}{p.stderr}")


@test
def nvidia_xid_reports(c):
    """make check-nvidia counts the NVIDIA driver's Xid reports in the
    kernel log against a subtest unless the subtest marked them as
    expected, as those that fault on purpose do (svm_backend.fault_log):
    with reports of each fault only, both subtests pass, the faulting one
    with the reports in its log; with a report of every launch, fault or
    not, both are dmesg-warn; the report's line of each says how many
    reports of which number came, and whether expected. The CPU stand-in
    plays the driver, writing
    reports of its own ("Xid (stand-in, no GPU)") to /dev/kmsg
    (FAKE_CUDA_XID). neuf-runner refuses a --dmesg-count that does not
    compile."""
    p = subprocess.run([os.path.join(TOOLS, "neuf-runner"), "--results",
                        os.devnull, "--dmesg-count", "(", "list"],
                       capture_output=True, text=True, timeout=60,
                       check=False)
    check(p.returncode == 2 and "--dmesg-count" in p.stderr,
          f"exit {p.returncode}: {p.stderr}")
    if not os.path.exists(os.path.join(c.build, "igt-tests", "neuf_svm_cuda")):
        raise Skip("neuf_svm_cuda was not built (no nvcc)")
    if not (os.access("/dev/kmsg", os.R_OK) and os.access("/dev/kmsg", os.W_OK)):
        raise Skip("/dev/kmsg cannot be read and written here (not root)")
    # What each subtest's line in the report says of the reports.
    cases = {"fault": ("pass", {"read-malloc": "",
                                "munmap-then-fault": r"; Xid 31 x\d+ \(expected\)"}),
             "launch": ("dmesg-warn",
                        {"read-malloc": r"; Xid 31 x(\d+) \(\1 not expected\)",
                         "munmap-then-fault": r"; Xid 31 x\d+ \(\d+ not expected\)"})}
    with tempfile.TemporaryDirectory() as tmp:
        tree = device_tree(c, tmp)
        res = os.path.join(tree, "build", "results", "nvidia", "results.json")
        for mode, (want, lines) in cases.items():
            env = {**os.environ, "NEUF_LIBCUDA": build_fake_libcuda(tmp),
                   "FAKE_CUDA_CPU": "1", "FAKE_CUDA_XID": mode,
                   "NVIDIA_TIMEOUT": "120"}
            p = subprocess.run([os.path.join(tree, "tools", "check-nvidia.sh"),
                                "igt@neuf_svm_cuda@(read-malloc|munmap-then-fault)$"],
                               capture_output=True, text=True, timeout=600,
                               check=False, env=env)
            log = f"FAKE_CUDA_XID={mode}: exit {p.returncode}\n{p.stdout}{p.stderr}"
            with open(res, encoding="utf-8") as f:
                tests = json.load(f)["tests"]
            got = {name.rsplit("@", 1)[1]: t["result"]
                   for name, t in tests.items()}
            check(got == {"read-malloc": want, "munmap-then-fault": want},
                  f"{got}: {log}")
            for name, tail in lines.items():
                check(re.search(rf"^nvidia  igt@neuf_svm_cuda@{name}: {want} "
                                rf"\(\d+\.\d+s\){tail}$",
                                p.stdout, re.M), f"{name}'s line: {log}")
            # The reports counted, or were excused, by the mark.
            dmesg = tests["igt@neuf_svm_cuda@munmap-then-fault"]["dmesg"]
            check("add ignored dmesg regex: NVRM: Xid [(]" in dmesg and
                  f"stand-in's report of a {mode}" in dmesg,
                  f"no mark or no report in munmap-then-fault's log: {log}")


def main():
    build, resdir = sys.argv[1], sys.argv[2]
    os.makedirs(resdir, exist_ok=True)
    tests = {}
    runs = []
    for fn in TESTS:
        cores = CORES if getattr(fn, "per_core", False) else {"selftest": None}
        runs += [(group, selftest, fn) for group, selftest in cores.items()]
    for group, selftest, fn in runs:
        ctx = Ctx(build, selftest) if selftest else Ctx(build)
        start = time.time()
        try:
            if selftest and not os.path.exists(ctx.bin):
                raise Skip(f"{selftest} was not built (no libigt.so.0)")
            fn(ctx)
            result, err = "pass", ""
        except Skip as e:
            result, err = "skip", str(e)
        except Exception as e:  # noqa: BLE001 - any error fails the test
            result, err = "fail", f"{type(e).__name__}: {e}"
        name = f"host@{group}@{fn.__name__.replace('_', '-')}"
        tests[name] = {"result": result, "out": "", "err": err, "dmesg": "",
                       "time": {"__type__": "TimeAttribute", "start": 0.0,
                                "end": time.time() - start}}
    for binary in HOST_IGT_TESTS:
        path = os.path.join(build, binary)
        name = os.path.basename(binary)
        p = subprocess.run([path], capture_output=True, text=True, timeout=300,
                           check=False)
        found = False
        for m in SUBTEST_LINE.finditer(p.stdout):
            found = True
            tests[f"host@{name}@{m.group(1)}"] = {
                "result": RESULT[m.group(2)], "out": p.stdout, "err": p.stderr,
                "dmesg": "", "time": {"__type__": "TimeAttribute", "start": 0.0,
                                      "end": float(m.group(3))}}
        if not found or p.returncode not in (0, 77, 98):
            tests[f"host@{name}"] = {
                "result": "fail", "out": p.stdout,
                "err": p.stderr + f"\nexit code {p.returncode}", "dmesg": "",
                "time": {"__type__": "TimeAttribute", "start": 0.0, "end": 0.0}}
    with open(os.path.join(resdir, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"__type__": "TestrunResult", "results_version": 10,
                   "name": "host", "tests": tests}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
