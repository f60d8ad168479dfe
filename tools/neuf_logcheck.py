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
    """Yield (first, header, end, whether a frame is neuf's) for each KCSAN
    report in lines, timestamps removed: the index of its first line (the
    line of "=" before the header, where there is one), of its header, and
    one past its last line (the closing line of "=", where there is one)."""
    for i, line in enumerate(lines):
        if not _KCSAN.search(line):
            continue
        ours = bool(_NEUF_FRAME.search(line.rstrip()))
        end = i + 1
        while end < len(lines) and not _KCSAN.search(lines[end]):
            end += 1
            if _REPORT_END.search(lines[end - 1]):
                break
            ours = ours or bool(_NEUF_FRAME.search(lines[end - 1].rstrip()))
        first = i - 1 if i and _REPORT_END.search(lines[i - 1]) else i
        yield first, i, end, ours


def splat_lines(text):
    """Return the lines of a kernel log that report a splat (a KCSAN report
    only when it names a frame of neuf's: see foreign_races())."""
    raw = text.splitlines()
    lines = [_TIMESTAMP.sub("", line) for line in raw]
    foreign = {i for _, i, _, ours in _kcsan_reports(lines) if not ours}
    return [raw[i] for i, line in enumerate(lines)
            if i not in foreign and _SPLAT.search(line)]


# igt_runner's other rule (its --dmesg-warn-level, 4 by default): any line
# at that level or a more serious one turns a subtest's pass into
# dmesg-warn, whatever it says, unless the subtest marked it as expected
# with a kernel line holding IGT's "add ignored dmesg regex: RE"
# (igt_emit_ignore_dmesg_regex(), neuf_igt_ignore_dmesg()), which covers
# the lines after it in the subtest's log (neuf-runner's: until the next
# subtest starts). Lines are "<L>[ time] text", as neuf-runner stores them.
_LEVELLED = re.compile(r"^<(\d+)>\[\s*\d+\.\d+\]\s?(.*)$")
_IGNORE_MARK = re.compile(r"\[IGT\] .*?add ignored dmesg regex: (.*)$")
# Lines at warning level that say the host held the guest up and the
# kernel did nothing about it, as igt_runner's own built-in ignore list
# has lines that are no fault of the test's. Under QEMU's TCG a vCPU can
# stand still for seconds on a busy host: the clocksource watchdog then
# says "Long readout interval, skipping watchdog check" (one came during a
# debug-kernel subtest), and checks again at its next run. The hrtimer
# interrupt, finding its next event already past after three passes over
# the expired timers, says "hrtimer: interrupt took N ns" (once a boot),
# delays the next event by that much (100 ms at most) and goes on (one
# came during ioctl-fuzz-short on 6.1: 76 ms). neuf has no hrtimer of its
# own.
_BENIGN = re.compile(r"^clocksource: .*skipping watchdog check"
                     r"|^hrtimer: interrupt took \d+ ns$")


def level_lines(text, warn_level=4, count=()):
    """Return the lines of a subtest's kernel log at warn_level or more
    serious, or matching a regular expression of count whatever their
    level, that no earlier mark covers; a KCSAN report of the core
    kernel's (foreign_races()) is not neuf's and not counted either.
    warn_level -1 leaves count alone to say what counts."""
    raw = text.splitlines()
    lines = [_TIMESTAMP.sub("", line) for line in raw]
    skip = {k for first, _, end, ours in _kcsan_reports(lines) if not ours
            for k in range(first, end)}
    ignore = []
    found = []
    for i, line in enumerate(raw):
        m = _LEVELLED.match(line)
        if not m or i in skip:
            continue
        msg = m.group(2)
        mark = _IGNORE_MARK.search(msg)
        if mark:
            try:
                ignore.append(re.compile(mark.group(1)))
            except re.error:    # a POSIX class Python lacks: marks nothing
                pass
            continue
        counted = int(m.group(1)) & 7 <= warn_level or \
            any(re.search(r, msg) for r in count)
        if counted and not _BENIGN.search(msg) \
                and not any(r.search(msg) for r in ignore):
            found.append(line)
    return found


# The NVIDIA driver's Xid reports, "NVRM: Xid (PCI:0000:01:00): 31, pid=...,
# name=..., MMU Fault: ...", whose number says what went wrong (31 an MMU
# fault, 13 an engine's exception, 43 a channel stopped): nvidia.rst.
NVIDIA_XID = re.compile(r"NVRM: Xid [(][^)]*[)]: (\d+),")


def xid_reports(text):
    """Return the Xid numbers of the NVIDIA driver's reports in a subtest's
    kernel log, and those of the reports that no mark of the subtest's
    covers (level_lines()), each in the log's order."""
    def xids(lines):
        return [int(m.group(1)) for m in map(NVIDIA_XID.search, lines) if m]
    return (xids(text.splitlines()),
            xids(level_lines(text, -1, [NVIDIA_XID.pattern])))


def foreign_races(text):
    """Return the header lines of the KCSAN reports in a kernel log whose
    stacks have no frame of neuf's: data races in the core kernel."""
    raw = text.splitlines()
    lines = [_TIMESTAMP.sub("", line) for line in raw]
    return [raw[i] for _, i, _, ours in _kcsan_reports(lines) if not ours]


# The taints after which igt_runner's --abort-on-monitored-error stops a
# run (IGT's lib/igt_taints.c): M, a machine check; B, a bad page; D, the
# kernel died (an Oops, a BUG); W, a warning.
ABORT_TAINT = (1 << 4) | (1 << 5) | (1 << 7) | (1 << 9)


def taint_letters(value):
    """Return the letters of the taint bits set in value."""
    return "".join(TAINT_LETTERS[i] if i < len(TAINT_LETTERS) else f"bit{i}"
                   for i in range(value.bit_length()) if value & (1 << i))


def bad_taint(value):
    """Return the letters of taint bits in value that are not allowed."""
    return taint_letters(value & ~ALLOWED_TAINT)
