# SPDX-License-Identifier: MIT
"""The one reader of a boot's results, and what the tools judging boots share.

A results directory is what tools/guest/run-tests.sh leaves in a guest
(results.json, dmesg.txt, kmemleak.txt, taint, done), or the host's
(tools/selftest/host-tests.py). boot_results() reads one into results:
every subtest, and for a guest the four checks of its kernel. neuf-report
prints them for make check; neuf-flakes and neuf-mutants judge boots with
the same function, so every tool judges a boot the way make check does.
kernels_sh() asks tools/kernels.sh, the one place that knows kernel labels
and cache paths.
"""
import json
import os
import re
import subprocess
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
from neuf_logcheck import bad_taint, foreign_races, splat_lines  # noqa: E402

# Results that are not a failure: everything else (fail, crash, timeout,
# dmesg-warn, dmesg-fail, warn, abort, incomplete) is one.
PASSED = ("pass",)
SKIPPED = ("skip", "notrun")


def read(path):
    """A file's text, or None when it does not exist."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def kernel_checks(resdir):
    """Yield (name, ok, details) for the kernel-wide checks of a guest's
    results: it ran to the end, having run at least one subtest, its log
    has no splat, kmemleak found
    nothing, dma-debug counted no error (kernels with CONFIG_DMA_API_DEBUG),
    the taint is only an out-of-tree, unsigned module's."""
    done = os.path.exists(os.path.join(resdir, "done"))
    console = read(os.path.join(resdir, "console.log")) or ""
    live = read(os.path.join(resdir, "dmesg-live.txt")) or ""
    raw = read(os.path.join(resdir, "results.json"))
    if not done:
        yield ("guest-completed", False,
               ["the guest did not finish; console tail:"] +
               console.splitlines()[-80:] + ["kernel log tail:"] +
               live.splitlines()[-60:])
    elif not (raw and json.loads(raw)["tests"]):
        # A run that selects nothing proves nothing: a FILTER that
        # matches no subtest, or one the guest never received.
        guest = read(os.path.join(resdir, "guest.log")) or ""
        yield ("guest-completed", False,
               ["the guest finished without running a subtest (does "
                "FILTER match any?); guest log:"] + guest.splitlines()[-40:])
    else:
        yield ("guest-completed", True, [])

    dmesg = read(os.path.join(resdir, "dmesg.txt"))
    if dmesg is not None:
        splats = splat_lines(dmesg)
        yield ("kernel-log-clean", not splats, splats[:40])

    leaks = read(os.path.join(resdir, "kmemleak.txt"))
    if leaks is not None:
        yield ("kmemleak-clean", not leaks.strip(), leaks.splitlines()[:40])

    dma_errors = read(os.path.join(resdir, "dma-debug-errors"))
    if dma_errors is not None:
        count = int(dma_errors.strip() or "0")
        yield ("dma-debug-clean", count == 0,
               [f"dma-debug counted {count} errors (only the first is "
                "printed: see kernel@kernel-log-clean)"] if count else [])

    taint = read(os.path.join(resdir, "taint"))
    if taint is not None:
        bad = bad_taint(int(taint.strip() or "0"))
        yield ("taint-clean", not bad,
               [f"tainted {taint.strip()}: unexpected flags {bad}"] if bad else [])


INVARIANTS_RE = re.compile(
    r"invariant checker: (\d+) checks, (\d+) violations")


def invariant_totals(resdir):
    """(checks, violations) the SVM invariant checker logged in a guest's
    kernel log, summed over the devices unbound, or None if it never ran."""
    dmesg = read(os.path.join(resdir, "dmesg.txt")) or ""
    found = [tuple(map(int, m.groups())) for m in INVARIANTS_RE.finditer(dmesg)]
    if not found:
        return None
    return sum(c for c, _ in found), sum(v for _, v in found)


def core_races(resdir):
    """The header lines of the KCSAN reports in a guest's kernel log that
    name no frame of neuf's (data races in the core kernel, not failures)."""
    return foreign_races(read(os.path.join(resdir, "dmesg.txt")) or "")


def boot_results(resdir, host=False):
    """[(name, result, seconds, entry)] of one results directory: its
    subtests in name order (entry: igt_runner's, with out, err and dmesg),
    then, unless host, its kernel checks as kernel@CHECK (seconds None,
    entry's out holding the details of a failed one)."""
    raw = read(os.path.join(resdir, "results.json"))
    tests = json.loads(raw)["tests"] if raw else {}
    results = []
    for name in sorted(tests):
        entry = tests[name]
        results.append((name, entry["result"],
                        entry["time"]["end"] - entry["time"]["start"], entry))
    if not host:
        for check, ok, details in kernel_checks(resdir):
            results.append((f"kernel@{check}", "pass" if ok else "fail", None,
                            {"result": "fail", "out": "\n".join(details),
                             "err": "", "dmesg": ""}))
    return results


def subtest_results(resdir):
    """{name: result} for every subtest and kernel check of one boot."""
    return {name: result for name, result, _, _ in boot_results(resdir)}


def failed(result):
    """Whether a result counts as a failure."""
    return result not in PASSED + SKIPPED


def kernels_sh(function, *args):
    """stdout of a kernels.sh shell function called with args, stripped;
    empty when it fails (its error goes to stderr)."""
    p = subprocess.run(["bash", "-c", f'. "{TOOLS}/kernels.sh"; {function} "$@"', "-",
                        *args], stdout=subprocess.PIPE, text=True, check=False)
    return p.stdout.strip() if p.returncode == 0 else ""
