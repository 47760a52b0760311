#!/usr/bin/env bash
# Runs the deliberately failing scenario and checks that the harness fails
# it with every node and reason named.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$here/../../../vm-harness/ocfsx-vm" run "$here/fail.sh" >"$out" 2>&1
rc=$?
cat "$out"
ok=1
expect() {
	if grep -Eq "$1" "$out"; then
		echo "selftest: ok: $2"
	else
		echo "selftest: MISSING: $2 (pattern: $1)"
		ok=0
	fi
}
[ "$rc" -ne 0 ] && echo "selftest: ok: harness exit code $rc" || { echo "selftest: harness exited 0"; ok=0; }
expect '^  node 1: scenario exited 3 \(console-1\.log:[0-9]+' "node 1's exit code named"
expect '^  node 2: console-2\.log:[0-9]+: .*WARNING:' "node 2's WARNING named with its line"
expect '^  node 2: console-2\.log:[0-9]+: .*(Oops|BUG:)' "node 2's oops named with its line"
expect '^  node 3: timed out' "node 3's hang named"
[ "$ok" = 1 ] && echo "selftest: PASSED" || { echo "selftest: FAILED"; exit 1; }
