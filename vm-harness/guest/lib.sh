# Shell helpers for VM scenarios: source /lib/ocfsx/lib.sh.
# Environment from /init: OCFSX_NODE, OCFSX_NODES, OCFSX_BOOT, OCFSX_IP,
# OCFSX_NET, OCFSX_DISK.

# OCFSX_TEST_* variables the host had when it ran ocfsx-vm.
if [ -r /etc/ocfsx/scenario.env ]; then . /etc/ocfsx/scenario.env; fi

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

# cluster_online NAME [NODES]: o2cbx adds cluster NAME with nodes 1..NODES
# (default: every node of the run) and brings it online. Scenarios that do
# not measure heartbeat timing set OCFSX_RELAXED_HB=1 first: a TCG guest
# starved by a loaded host can miss the default 1.5 s lease and fence
# itself, so they get a 3.2 s dead time (lease 2.7 s) instead. Not more:
# every mount first watches the region for one dead time.
cluster_online() {
	local cl=$1 n=${2:-$OCFSX_NODES} i=1
	if [ "${OCFSX_RELAXED_HB:-0}" = 1 ]; then
		mkdir -p /etc/default
		echo O2CBX_HEARTBEAT_THRESHOLD=8 >>/etc/default/o2cbx
	fi
	check "o2cbx add-cluster $cl" o2cbx add-cluster "$cl"
	while [ "$i" -le "$n" ]; do
		check "o2cbx add-node node$i" o2cbx add-node "$cl" "node$i" \
			--ip "$(node_ip "$i")" --number "$i"
		i=$((i + 1))
	done
	check "o2cbx online $cl" o2cbx online "$cl"
}

# fs_env [CLUSTER]: the settings every file system scenario shares:
# OCFSX_MODULE (where o2cbx loads the module from), CL (the cluster name,
# default fstest), MNT (an existing mount point) and DEV (the shared disk).
fs_env() {
	export OCFSX_MODULE=/lib/ocfsx/ocfsx.ko
	CL=${1:-fstest}
	MNT=/mnt/ocfsx
	DEV=$OCFSX_DISK
	mkdir -p "$MNT"
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
