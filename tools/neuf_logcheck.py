# SPDX-License-Identifier: MIT
"""What counts as a kernel splat, for the runner and the report alike.

A neuf test run fails when the guest kernel log shows a WARNING, BUG, Oops,
lockdep report, KASAN, KCSAN, UBSAN or kmemleak finding, or a taint other
than out-of-tree / unsigned module.
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


def splat_lines(text):
    """Return the lines of a kernel log that report a splat."""
    found = []
    for line in text.splitlines():
        if _SPLAT.search(_TIMESTAMP.sub("", line)):
            found.append(line)
    return found


def bad_taint(value):
    """Return the letters of taint bits in value that are not allowed."""
    bad = value & ~ALLOWED_TAINT
    return "".join(TAINT_LETTERS[i] if i < len(TAINT_LETTERS) else f"bit{i}"
                   for i in range(bad.bit_length()) if bad & (1 << i))
