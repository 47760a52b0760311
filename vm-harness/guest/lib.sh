# Shell helpers for VM scenarios: source /lib/ocfsx/lib.sh.
# Environment from /init: OCFSX_NODE, OCFSX_NODES, OCFSX_BOOT, OCFSX_IP,
# OCFSX_NET, OCFSX_DISK.

# hostctl CMD...: asks the harness on the host to act (barrier NAME, kill N,
# start N, link N on|off, time, log MSG); prints its answer, fails if refused.
hostctl() {
	local kw st msg
	exec 3<>/dev/ttyS1
	echo "REQ $*" >&3
	while read -r kw st msg <&3; do
		[ "$kw" = ACK ] && break
	done
	exec 3>&-
	if [ "$st" != 0 ]; then
		echo "hostctl $*: ${msg:-refused}" >&2
		return 1
	fi
	[ -z "$msg" ] || echo "$msg"
}

# barrier NAME: waits until every running node has reached NAME.
barrier() { hostctl barrier "$1" >/dev/null; }

node_ip() { echo "$OCFSX_NET$1"; }

# Nodes other than this one, as numbers.
peers() {
	local i=1
	while [ "$i" -le "$OCFSX_NODES" ]; do
		[ "$i" = "$OCFSX_NODE" ] || echo "$i"
		i=$((i + 1))
	done
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# check DESCRIPTION CMD...: runs CMD, fails the scenario with DESCRIPTION if it fails.
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		fail "$what (command: $*)"
	fi
}

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every 100 ms until it
# succeeds; fails the scenario after SECONDS.
wait_for() {
	local secs=$1 desc=$2 i=0
	shift 2
	until "$@"; do
		i=$((i + 1))
		[ $i -lt $((secs * 10)) ] || fail "timed out after ${secs}s waiting for: $desc"
		sleep 0.1
	done
	echo "ok: $desc"
}
