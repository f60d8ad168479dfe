# SPDX-License-Identifier: MIT
"""What counts as a kernel splat, for the runner and the report alike.

A neuf test run fails when the guest kernel log shows a WARNING, BUG, Oops,
lockdep report, KASAN, UBSAN or kmemleak finding, a KCSAN data race with a
frame in neuf's modules, or a taint other than out-of-tree / unsigned
module.
"""
import re

# Matched against a log line with its "[ 12.345678] " timestamp removed.
SPLAT_PATTERNS = [
    r"^WARNING:",                      # WARN*(), lockdep's WARNING reports
    r"^BUG:",                          # BUG: KASAN, KCSAN, sleeping in atomic, ...
    r"^\[ BUG: ",                      # lockdep's "[ BUG: Invalid wait context ]"
    r"kernel BUG at",
    r"\bOops\b",
    r"general protection fault",
    r"^INFO: (trying to register non-static key|lockdep is turned off"
    r"|task .* blocked for more than)",
    r"turning off the locking correctness validator",
    r"DEBUG_LOCKS_WARN_ON",
    r"^UBSAN:",
    r"kmemleak: \d+ new suspected memory leaks",
    r"Kernel panic",
    r"-+\[ cut here \]-+",
    # A release of a resource never requested (or requested elsewhere): the
    # real one stays in /proc/iomem, named by whoever is gone.
    r"Trying to free nonexistent resource",
]
_SPLAT = re.compile("|".join(f"(?:{p})" for p in SPLAT_PATTERNS))
_TIMESTAMP = re.compile(r"^(<\d+>)?\[\s*\d+\.\d+\]\s?")

# Taint bits that loading neuf itself sets: O (out-of-tree), E (unsigned).
ALLOWED_TAINT = (1 << 12) | (1 << 13)
TAINT_LETTERS = "PFSRMBUDAWCIOELKXTN"


# KCSAN's reports: "BUG: KCSAN: ..." up to a line of "=". On the kcsan
# kernel it also reports races in the core kernel that have nothing to do
# with neuf (virtio's rings, the workqueue's pool counters: races at an
# unknown origin, neither stack in neuf); a report is neuf's when its
# header or a frame of either stack names one of neuf's modules.
_KCSAN = re.compile(r"^BUG: KCSAN: ")
_REPORT_END = re.compile(r"^=+$")
_NEUF_FRAME = re.compile(r" \[(neuf|neuf_vgpu)\]( |$)")


def _kcsan_reports(lines):
    """Yield (index of the header line, whether a frame is neuf's) for each
    KCSAN report in lines, timestamps removed."""
    for i, line in enumerate(lines):
        if not _KCSAN.search(line):
            continue
        ours = bool(_NEUF_FRAME.search(line.rstrip()))
        for body in lines[i + 1:]:
            if _REPORT_END.search(body) or _KCSAN.search(body):
                break
            ours = ours or bool(_NEUF_FRAME.search(body.rstrip()))
        yield i, ours


def splat_lines(text):
    """Return the lines of a kernel log that report a splat (a KCSAN report
    only when it names a frame of neuf's: see foreign_races())."""
    raw = text.splitlines()
    lines = [_TIMESTAMP.sub("", line) for line in raw]
    foreign = {i for i, ours in _kcsan_reports(lines) if not ours}
    return [raw[i] for i, line in enumerate(lines)
            if i not in foreign and _SPLAT.search(line)]


def foreign_races(text):
    """Return the header lines of the KCSAN reports in a kernel log whose
    stacks have no frame of neuf's: data races in the core kernel."""
    raw = text.splitlines()
    lines = [_TIMESTAMP.sub("", line) for line in raw]
    return [raw[i] for i, ours in _kcsan_reports(lines) if not ours]


def bad_taint(value):
    """Return the letters of taint bits in value that are not allowed."""
    bad = value & ~ALLOWED_TAINT
    return "".join(TAINT_LETTERS[i] if i < len(TAINT_LETTERS) else f"bit{i}"
                   for i in range(bad.bit_length()) if bad & (1 << i))
