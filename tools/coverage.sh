#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make coverage: what the whole suite covers of neuf.ko's and neuf_vgpu.ko's code.
#
# Builds the debug kernel's source with the debug fragment plus
# CONFIG_GCOV_KERNEL (a kernel of its own in the cache; the debug kernel
# is left alone), builds neuf.ko against it with GCOV_PROFILE=y, boots it
# and runs the whole suite (or FILTER's subtests). The guest copies the
# module's counters out of /sys/kernel/debug/gcov/ (kept across the
# suite's module reloads by gcov_persist); lcov turns them into
# build/coverage/neuf.info and an HTML report in build/coverage/html/.
# Prints the line and branch coverage of each driver file and the least
# covered functions.
#
# Usage: tools/coverage.sh [FILTER]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/kernels.sh"

filter=${1:-}
out=$top/build/coverage
mkdir -p "$out"
command -v lcov > /dev/null || { echo "coverage: lcov missing: run 'make deps'" >&2; exit 1; }

frag=$out/neuf-coverage.config
{
	cat "$top/tools/kernel/neuf-debug.config"
	echo
	echo "## make coverage: gcov for the objects that ask (neuf.ko), not all"
	echo "CONFIG_GCOV_KERNEL=y"
	echo "# CONFIG_GCOV_PROFILE_ALL is not set"
} > "$frag.new"
cmp -s "$frag.new" "$frag" && rm "$frag.new" || mv "$frag.new" "$frag"

src=$(neuf_debug_source)
export NEUF_FRAGMENT=$frag NEUF_MODULE_LABEL=coverage-module
export NEUF_MODULE_KBUILD_ARGS="GCOV_PROFILE=y"
mod=$top/build/$NEUF_MODULE_LABEL/neuf
# Counters of an earlier run must not add up with this one's.
[ ! -d "$mod" ] || find "$mod" -name '*.gcda' -delete
rc=0
"$top/tools/test-kernel.sh" "$src" "$out/run" "$filter" || rc=$?
[ $rc -eq 0 ] || { echo "coverage: the suite did not run to its end (exit $rc): $out/run" >&2; exit 1; }
"$top/tools/neuf-report" "$out/run" | tail -n 1

# The guest's copy mirrors the build paths: neuf.ko's counters, and
# neuf_vgpu.ko's under vgpu/.
gcov_mod=$(find "$out/run/gcov" -type d -path "*$mod" 2>/dev/null | head -n 1)
[ -n "$gcov_mod" ] && [ -n "$(find "$gcov_mod" -name '*.gcda' | head -n 1)" ] ||
	{ echo "coverage: the guest left no gcov data for $mod" >&2; exit 1; }
(cd "$gcov_mod" && find . -name '*.gcda') | while IFS= read -r f; do
	cp "$gcov_mod/$f" "$mod/$f"
done

lc=(--rc lcov_branch_coverage=1 --quiet)
lcov "${lc[@]}" --capture --directory "$mod" --output-file "$out/raw.info"
# Report the repository's files, not the build copy's.
sed "s|^SF:$mod/|SF:$top/drivers/gpu/drm/neuf/|" "$out/raw.info" > "$out/all.info"
lcov "${lc[@]}" --extract "$out/all.info" "$top/drivers/gpu/drm/neuf/*" \
	--output-file "$out/neuf.info"
genhtml "${lc[@]}" --branch-coverage --output-directory "$out/html" "$out/neuf.info" > /dev/null

python3 - "$out/neuf.info" "$top/drivers/gpu/drm/neuf/" <<'EOF'
import sys

info, prefix = sys.argv[1], sys.argv[2]
files, cur = {}, None
for line in open(info, encoding="utf-8"):
    key, _, val = line.rstrip("\n").partition(":")
    if key == "SF":
        cur = files.setdefault(val[len(prefix):] if val.startswith(prefix) else val,
                               {"da": {}, "br": [0, 0], "fn": {}, "fnda": {}})
    elif key == "DA":
        ln, hits = val.split(",")[:2]
        cur["da"][int(ln)] = int(hits)
    elif key == "BRDA":
        taken = val.split(",")[3]
        cur["br"][0] += 1
        cur["br"][1] += taken not in ("-", "0")
    elif key == "FN":
        ln, name = val.split(",", 1)
        cur["fn"][name] = int(ln)
    elif key == "FNDA":
        hits, name = val.split(",", 1)
        cur["fnda"][name] = int(hits)


def pct(a, b):
    return f"{100.0 * a / b:5.1f}%" if b else "    -"


print(f"\n{'file':28s} {'lines':>16s} {'branches':>16s}")
tl = th = tb = tt = 0
funcs = []
for name in sorted(files):
    f = files[name]
    lines, hit = len(f["da"]), sum(1 for h in f["da"].values() if h)
    tl, th, tb, tt = tl + lines, th + hit, tb + f["br"][0], tt + f["br"][1]
    print(f"{name:28s} {hit:5d}/{lines:<5d} {pct(hit, lines)} "
          f"{f['br'][1]:5d}/{f['br'][0]:<5d} {pct(f['br'][1], f['br'][0])}")
    starts = sorted((ln, fn) for fn, ln in f["fn"].items())
    for i, (ln, fn) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else 1 << 30
        body = [h for l, h in f["da"].items() if ln <= l < end]
        if body:
            funcs.append((sum(1 for h in body if h) / len(body), -len(body), name, fn,
                          len(body), f["fnda"].get(fn, 0)))
print(f"{'total':28s} {th:5d}/{tl:<5d} {pct(th, tl)} {tt:5d}/{tb:<5d} {pct(tt, tb)}")
print("\nleast covered functions (lines covered, calls):")
for ratio, _, name, fn, n, calls in sorted(funcs)[:5]:
    print(f"  {fn:40s} {name:24s} {100 * ratio:5.1f}% of {n:3d} lines, {calls} calls")
EOF
echo "coverage: $out/html/index.html"
