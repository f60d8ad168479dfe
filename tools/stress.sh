#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make stress: boot the debug kernel (or KERNEL=...) once, run the stress
# parts in it (tools/guest/run-stress.sh), and print one table
# (tools/neuf-stress-report): the load each part held, the faults it
# survived, the bad inputs it tried, the wrong bytes it found, the splats.
# Exits non-zero if any part found anything.
#
# Usage: tools/stress.sh [KERNEL]
# Environment: STRESS_PARTS (default: every part, in this order:
# fuzz,churn,oom,hang,unbind,isolation,alloc); STRESS_SEED (default: each
# part's from the clock, printed in its log); STRESS_SIZES, e.g.
# "fuzz=3000 churn=500": a part's size (fuzz: calls, default 1000000;
# churn: mm operations per process, 10000; oom: kills, 100; hang and
# unbind: rounds, 50; isolation: tries of each scenario, 20; alloc:
# functions swept one by one, 0 for all).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"

kernel=${1:-debug}
out=$top/build/stress
rm -rf "$out"
mkdir -p "$out"
neuf_kernel "$kernel"
ko=$("$top/tools/build-module.sh" "$kernel" 2> "$out/module-build.log") ||
	{ tail -n 30 "$out/module-build.log"; exit 1; }
start=$(date +%s)
"$top/tools/guest/boot.sh" "$kernel" "$out" "${NEUF_GUEST_TIMEOUT:-43200}" \
	"$top/tools/guest/run-stress.sh" --out "$out" --module "$ko" \
	${MODROOT:+--modroot "$MODROOT"} ${TEST_PARAMS:+--params "$TEST_PARAMS"} \
	--bindir "$top/build" \
	--parts "${STRESS_PARTS:-fuzz,churn,oom,hang,unbind,isolation,alloc}" \
	${STRESS_SEED:+--seed "$STRESS_SEED"} \
	$(for s in ${STRESS_SIZES:-}; do printf -- '--size %s ' "$s"; done) \
	> "$out/console.log" 2>&1 || true
echo "stress: guest ran $(( $(date +%s) - start )) s"
[ -e "$out/done" ] ||
	{ tail -n 40 "$out/console.log"; echo "stress: the run did not complete" >&2; exit 1; }
"$top/tools/neuf-stress-report" "$out" | tee "$out/report.txt"
