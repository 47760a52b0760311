#!/usr/bin/env bash
# make bench-tools: times mkfs and fsck of ocfsx against Debian's ocfs2-tools
# on the same 64 GiB sparse image file, same slot count, and prints ratios.
# A benchmark, not a test: it reports figures and fails only if a tool fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/build/release/tools
size=${BENCH_SIZE:-64G}
slots=${BENCH_SLOTS:-8}
runs=${BENCH_RUNS:-3}
dir=$root/build/bench
mkdir -p "$dir"
img=$dir/tools.img

# median wall seconds of $runs runs of: prepare-cmd ; timed-cmd
median_time() {
	local prep=$1 cmd=$2 t=()
	for _ in $(seq "$runs"); do
		eval "$prep"
		local t0 t1
		t0=$(date +%s.%N)
		eval "$cmd" >/dev/null 2>&1 || { echo "bench: '$cmd' failed" >&2; return 1; }
		t1=$(date +%s.%N)
		t+=("$(echo "$t1 - $t0" | bc)")
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}
fresh="rm -f '$img'; truncate -s $size '$img'"

echo "bench-tools: $size sparse image, $slots slots, median of $runs runs, image in $dir"
printf '%-10s %12s %12s %10s\n' step ocfsx ocfs2 ratio
row() {
	local step=$1 ours=$2 theirs=$3
	printf '%-10s %11.3fs %11.3fs %9.2fx\n' "$step" "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)"
}

o2_mkfs=$(median_time "$fresh" "mkfs.ocfs2 -q -F -M local -N $slots '$img' </dev/null")
o2_fsck=$(median_time ":" "fsck.ocfs2 -fn '$img'")
o2_used=$(du -k "$img" | cut -f1)

if [ ! -x "$tools/mkfs.ocfsx" ]; then
	echo "bench: $tools/mkfs.ocfsx not built; run 'make'" >&2
	exit 1
fi
ox_mkfs=$(median_time "$fresh" "'$tools/mkfs.ocfsx' -q -F -N $slots '$img'")
ox_used=$(du -k "$img" | cut -f1)
row mkfs "$ox_mkfs" "$o2_mkfs"
if [ -x "$tools/fsck.ocfsx" ]; then
	ox_fsck=$(median_time ":" "'$tools/fsck.ocfsx' -fn '$img'")
	row fsck "$ox_fsck" "$o2_fsck"
else
	printf '%-10s %12s %11.3fs %10s\n' fsck "not built" "$o2_fsck" "-"
fi
echo "image blocks written by mkfs: ocfsx $((ox_used / 1024)) MiB, ocfs2 $((o2_used / 1024)) MiB"
echo "(ratio < 1: ocfsx is faster; ocfs2 formatted with -M local so fsck.ocfs2 needs no cluster stack)"
rm -f "$img"
