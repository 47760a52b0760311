#!/usr/bin/env bash
# make bench: boots one test VM that runs bench/vm/fs-bench.sh (the same fio
# workload on Debian's OCFS2 and on ocfsx) and prints its table of ratios.
# A benchmark, not a test: it reports figures and fails only if a step fails.
# Knobs: BENCH_FILES (files created/stat'ed/unlinked, default 2000),
# BENCH_MB (sequential file size in MiB, default 256), BENCH_KVM=1 (use KVM).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
files=${BENCH_FILES:-2000}
mb=${BENCH_MB:-256}
for v in "$files" "$mb"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_FILES and BENCH_MB must be positive integers, got '$v'" >&2; exit 2; }
done
[ "$mb" -le 512 ] || { echo "bench: BENCH_MB=$mb does not fit the 1 GiB VM disk with room to spare; use 512 or less" >&2; exit 2; }
dir=$root/build/bench
mkdir -p "$dir"
scenario=$dir/fs-bench.sh
sed -e "s/^FILES=.*/FILES=$files/" -e "s/^MB=.*/MB=$mb/" "$root/bench/vm/fs-bench.sh" >"$scenario"
log=$dir/fs.log
kvm=()
[ "${BENCH_KVM:-0}" = 1 ] && kvm=(--kvm)

echo "bench: $files files, $mb MiB file, 1 VM ($([ ${#kvm[@]} -gt 0 ] && echo KVM || echo TCG)); transcript in $log"
rc=0
"$root/vm-harness/ocfsx-vm" run "${kvm[@]}" "$scenario" >"$log" 2>&1 || rc=$?
grep -E 'n1\| (ok: |FAIL|ocfsx: not mountable|[a-z0-9]+: workload took)' "$log" | sed 's/^\[[ 0-9.]*s\] n1| /  /' || true
echo
grep 'n1| BENCH ' "$log" | sed 's/^.*n1| BENCH //' || true
if [ $rc -ne 0 ]; then
	echo "bench: the VM run failed; see $log and $root/build/vm/runs/fs-bench/console-1.log" >&2
	tail -n 5 "$log" >&2
fi
exit $rc
