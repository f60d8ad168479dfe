# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Sourced where make check runs its sanitizer lane's programs (build/asan),
# on the host and in the guest: how ASan and UBSan report. Harmless to
# programs built without them.
#
# An error ends the program with exit status 1 and its report on stderr
# (built with -fno-sanitize-recover=all, UBSan's too), so the subtest
# fails with the report in its output. LeakSanitizer is off: a subtest
# that fails or skips leaves through IGT's longjmp and forked children end
# with exit(), both leaving their allocations behind by design, as in IGT.
# An ASAN_OPTIONS or UBSAN_OPTIONS already set is kept.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:exitcode=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:exitcode=1}
