# SPDX-License-Identifier: MIT
"""What the tools that judge whole boots share (neuf-flakes, neuf-mutants).

kernels_sh() asks tools/kernels.sh, the one place that knows kernel labels
and cache paths; subtest_results() reads one tools/test-kernel.sh results
directory through tools/neuf-report, so every tool judges a boot the way
make check does.
"""
import os
import re
import subprocess

TOOLS = os.path.dirname(os.path.abspath(__file__))

# neuf-report's per-result lines: "KERNEL  igt@BIN@SUBTEST: RESULT (S.SSSs)"
# and "KERNEL  kernel@CHECK: RESULT". They all come before the first failure's
# details ("==== KERNEL NAME: RESULT ====", then the subtest's own output,
# whose lines must not be taken for results).
REPORT_LINE = re.compile(r"^\S+ +((?:igt|kernel|host)@\S+): ([a-z-]+)\b", re.M)
DETAILS = "\n==== "

# Results that are not a failure: everything else (fail, crash, timeout,
# dmesg-warn, dmesg-fail, warn, abort, incomplete) is one.
NOT_FAILED = ("pass", "skip", "notrun")


def kernels_sh(function, *args):
    """stdout of a kernels.sh shell function called with args, stripped;
    empty when it fails (its error goes to stderr)."""
    p = subprocess.run(["bash", "-c", f'. "{TOOLS}/kernels.sh"; {function} "$@"', "-",
                        *args], stdout=subprocess.PIPE, text=True, check=False)
    return p.stdout.strip() if p.returncode == 0 else ""


def subtest_results(resdir):
    """{name: result} for every subtest and kernel check of one boot."""
    report = subprocess.run([os.path.join(TOOLS, "neuf-report"), resdir],
                            capture_output=True, text=True, check=False).stdout
    return dict(REPORT_LINE.findall(report.split(DETAILS, 1)[0]))


def failed(result):
    """Whether a result counts as a failure."""
    return result not in NOT_FAILED
