#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host-side tests of neuf's test infrastructure itself.

- The IGT stand-in speaks IGT's protocol: runs build/igt-tests/lib/igt_selftest
  (each subtest ends in a known way) and checks output lines and exit codes.
- The splat and taint rules catch what they must and nothing else.
- neuf-runner kills a subtest that hangs, and aborts the run when one
  cannot be killed.
- IGT tests of userspace alone (HOST_IGT_TESTS, e.g. the assembler's) run
  here rather than in the guests: one entry per subtest.

Writes RESULTS_DIR/results.json in the runner's layout, so the report counts
these with the guest tests.
Usage: host-tests.py BUILD_DIR RESULTS_DIR
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from neuf_logcheck import bad_taint, splat_lines  # noqa: E402

TESTS = []
HOST_IGT_TESTS = ["igt-tests/neuf_asm", "igt-tests/neuf_float"]
SUBTEST_LINE = re.compile(r"^Subtest (\S+): (SUCCESS|FAIL|SKIP|CRASH) \((\d+\.\d+)s\)$",
                          re.M)
RESULT = {"SUCCESS": "pass", "FAIL": "fail", "SKIP": "skip", "CRASH": "crash"}


def test(fn):
    TESTS.append(fn)
    return fn


class Ctx:
    def __init__(self, build):
        self.bin = os.path.join(build, "igt-tests", "lib", "igt_selftest")

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


@test
def igt_list_subtests(c):
    rc, out, _ = c.run("--list-subtests")
    check(rc == 0, f"rc {rc}")
    check(out.split() == ["pass", "fail", "skip", "after-fail", "dynamic",
                          "dynamic-empty", "fork-pass", "fork-fail", "crash",
                          "after-fixture-skip"], out)
    check("IGT-Version" not in out, "version line while listing")


@test
def igt_version_line(c):
    _, out, _ = c.run("--run-subtest", "pass")
    check(re.match(r"IGT-Version: \S+ \(\w+\) \(Linux: \S+ \w+\)$",
                   out.splitlines()[0]), out)


@test
def igt_results_and_failures_continue(c):
    rc, out, err = c.run("--run-subtest", "pass,fail,skip,after-fail")
    check(rc == 98, f"rc {rc}")
    check(result_of(out, "pass") == "SUCCESS", out)
    check(result_of(out, "fail") == "FAIL", out)
    check(result_of(out, "skip") == "SKIP", out)
    check(result_of(out, "after-fail") == "SUCCESS", out)
    check("Starting subtest: fail" in out, out)
    check("Failed assertion: 1 == 2" in err, err)
    check("Test requirement: false" in out, out)


@test
def igt_exit_codes(c):
    check(c.run("--run-subtest", "pass")[0] == 0, "pass")
    check(c.run("--run-subtest", "skip")[0] == 77, "skip")
    check(c.run("--run-subtest", "fail")[0] == 98, "fail")
    check(c.run("--run-subtest", "no-such-subtest")[0] == 79, "unknown")
    check(c.run("--no-such-option")[0] == 79, "bad option")


@test
def igt_wildcards_and_negation(c):
    rc, out, _ = c.run("--run-subtest", "fork-*,!fork-fail")
    check(rc == 0, f"rc {rc}")
    check(result_of(out, "fork-pass") == "SUCCESS", out)
    check("fork-fail" not in out, out)


@test
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
    rc, _, _ = c.run("--run-subtest", "dynamic", "--dynamic-subtest", "nope")
    check(rc == 79, f"rc {rc}")
    rc, out, _ = c.run("--run-subtest", "dynamic-empty")
    check(rc == 77 and result_of(out, "dynamic-empty") == "SKIP", out)


@test
def igt_fork(c):
    rc, out, _ = c.run("--run-subtest", "fork-pass")
    check(rc == 0, f"rc {rc}: {out}")
    rc, out, err = c.run("--run-subtest", "fork-fail")
    check(rc == 98 and result_of(out, "fork-fail") == "FAIL", out + err)


@test
def igt_crash(c):
    rc, out, err = c.run("--run-subtest", "crash")
    check(rc < 0, f"rc {rc}")
    check(result_of(out, "crash") == "CRASH", out)
    check("Received signal SIGSEGV." in err, err)


@test
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
        "[    3.1] Oops: general protection fault, probably for address",
        "[    3.1] kernel BUG at mm/hmm.c:10!",
        "[    3.1] kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
        "[    3.1] INFO: task neuf_basic:300 blocked for more than 120 seconds.",
        "[    3.1] ------------[ cut here ]------------",
        "<4>[    3.1] UBSAN: shift-out-of-bounds in x",
    ]
    for line in splats:
        check(splat_lines(line) == [line], f"missed: {line}")


@test
def logcheck_ignores_normal_lines(_):
    clean = [
        "[    1.8] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc.",
        "[    1.8] ... MAX_LOCKDEP_SUBCLASSES:  8",
        "[    1.0] kasan: KernelAddressSanitizer initialized",
        "[   15.8] kmemleak: Kernel memory leak detector initialized",
        "[   16.8] [IGT] neuf_basic: starting subtest DEBUG-BUGS-warning",
        "[   16.9] neuf neuf: [drm] neuf 1.0, 2 engines, 48-bit VA",
    ]
    check(splat_lines("\n".join(clean)) == [], "false positive")


@test
def logcheck_taint(_):
    check(bad_taint(0) == "", "0")
    check(bad_taint(4096 | 8192) == "", "O|E")
    check(bad_taint(512 | 4096) == "W", "W")
    check(bad_taint(1) == "P", "P")


# A fake test binary for the runner: subtests that pass, hang, or hang
# with a grandchild in its own session holding the output open, which
# SIGKILL to the subtest's process group cannot reach (as it cannot reach
# a task stuck in the kernel).
FAKE_TEST = """#!/bin/sh
case "$1" in
--list-subtests) echo first; echo hang; echo hold-output; echo last ;;
--run-subtest)
	echo "IGT-Version: 1.27.1-fake (x86_64) (Linux: fake x86_64)"
	echo "Starting subtest: $2"
	case "$2" in
	hang) exec sleep 1000 ;;
	hold-output)
		setsid sleep 1000 &
		echo $! > "$(dirname "$0")/holder.pid"
		exec sleep 1000 ;;
	esac
	echo "Subtest $2: SUCCESS (0.000s)" ;;
esac
"""


def run_runner(tmp, *opts):
    binary = os.path.join(tmp, "fake_test")
    with open(binary, "w", encoding="ascii") as f:
        f.write(FAKE_TEST)
    os.chmod(binary, 0o755)
    with open(os.path.join(tmp, "list"), "w", encoding="ascii") as f:
        f.write("fake_test\n")
    runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                          "neuf-runner")
    p = subprocess.run([sys.executable, runner, "--results", tmp, "--bindir",
                        tmp, *opts, os.path.join(tmp, "list")],
                       capture_output=True, text=True, timeout=60, check=False)
    check(p.returncode == 0, f"runner rc {p.returncode}: {p.stderr}")
    with open(os.path.join(tmp, "results.json"), encoding="utf-8") as f:
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
                      "igt@fake_test@hold-output": "timeout"}, got)
        check("did not die" in tests["igt@fake_test@hold-output"]["err"],
              tests["igt@fake_test@hold-output"]["err"])
        check("aborting after igt@fake_test@hold-output" in out, out)


def main():
    build, resdir = sys.argv[1], sys.argv[2]
    os.makedirs(resdir, exist_ok=True)
    ctx = Ctx(build)
    tests = {}
    for fn in TESTS:
        start = time.time()
        try:
            fn(ctx)
            result, err = "pass", ""
        except Exception as e:  # noqa: BLE001 - any error fails the test
            result, err = "fail", f"{type(e).__name__}: {e}"
        name = f"host@selftest@{fn.__name__.replace('_', '-')}"
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
