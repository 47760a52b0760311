# net: the TCP interconnect on 3 nodes, one boot. Every pair connects and
# answers pings and keepalives; a node with another cluster name, another
# key or no key is refused with one line on each side; garbage on the port
# is dropped without disturbing the real connections; a cut link is
# dropped after idle_timeout_ms and reconnects once restored.
# vm: nodes=3 timeout=600
. /lib/ocfsx/lib.sh

CFG=/sys/kernel/config/ocfsx
DBG=/sys/kernel/debug/ocfsx_net
ME=$OCFSX_NODE
IDLE_MS=4000
# Two keys and the fingerprints (first 16 hex digits of SHA-256 of the
# bytes) the key attribute must read, computed on the host.
K1=00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef
FP1=9ffbc98cd73bec86
K2=ffeeddccbbaa99887766554433221100
FP2=811407f10d6c0f49

# build NAME [KEY]: the 3-node cluster NAME with this node local. The
# local node goes online first, so the peers are found by the rescan of
# nodes added while online.
build() {
	cl=$CFG/cluster/$1
	mkdir "$cl" || fail "mkdir cluster $1"
	echo "${BUILD_IDLE_MS:-$IDLE_MS}" >"$cl/idle_timeout_ms"
	if [ -n "${2:-}" ]; then
		echo "$2" >"$cl/key" || fail "writing the key refused"
	fi
	for i in $ME $(peers); do
		mkdir "$cl/node/node$i"
		echo "$i" >"$cl/node/node$i/num"
		node_ip "$i" >"$cl/node/node$i/ipv4_address"
		if [ "$i" = "$ME" ]; then
			echo 1 >"$cl/node/node$ME/local" || fail "local 1 refused"
		fi
	done
}

# teardown NAME: offline, and the cluster removed.
teardown() {
	cl=$CFG/cluster/$1
	echo 0 >"$cl/node/node$ME/local"
	for i in 1 2 3; do
		rmdir "$cl/node/node$i"
	done
	rmdir "$cl" || fail "rmdir cluster $1"
}

# state N: this node's view of its connection to node N.
state() { awk -v n="$1" '$1 == "node" && $2 == n { print $3 }' "$DBG"; }
# field N NAME: a number from node N's line in the debugfs file.
field() {
	awk -v n="$1" -v f="$2" '$1 == "node" && $2 == n {
		for (i = 3; i < NF; i++) if ($i == f) print $(i + 1) }' "$DBG"
}

# wait_state N STATE SECONDS
wait_state() {
	end=$(($(date +%s) + $3))
	while [ "$(state "$1")" != "$2" ]; do
		[ "$(date +%s)" -lt "$end" ] ||
			fail "connection to node $1 is '$(state "$1")', not '$2' after $3 s"
		sleep 0.2
	done
}

# wait_log PATTERN SECONDS: a kernel line containing PATTERN appears.
wait_log() {
	end=$(($(date +%s) + $2))
	until dmesg | grep -qF -- "$1"; do
		[ "$(date +%s)" -lt "$end" ] || fail "no kernel line with '$1' after $2 s"
		sleep 0.2
	done
	echo "ok: logged: $(dmesg | grep -F -- "$1" | head -n 1 | sed 's/^\[[^]]*\] //')"
}

# count_log PATTERN: how many kernel lines contain PATTERN.
count_log() { dmesg | grep -cF -- "$1" || true; }

all_up() {
	for p in $(peers); do
		wait_state "$p" up 60
	done
}

check "insmod ocfsx.ko" insmod /lib/ocfsx/ocfsx.ko
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug
check "debugfs file $DBG" [ -e "$DBG" ]

# --- the key attribute -----------------------------------------------------------
KC=$CFG/cluster/keytest
mkdir "$KC"
check "key is mode 600" [ "$(stat -c %a "$KC/key")" = 600 ]
for bad in abc 0123456789abcdef0123456789abcde 0123456789abcdef0123456789abcdeg \
	"$K1$K1$K1" "${K1}0"; do
	dmesg -c >/dev/null
	if echo "$bad" >"$KC/key" 2>/dev/null; then
		fail "key '$bad' accepted"
	fi
	check "key of ${#bad} characters refused with one line" \
		[ "$(dmesg | grep -cF "ocfsx: cluster \"keytest\": key refused: ${#bad} characters are not 32..128 hex digits")" = 1 ]
	check "... which does not show the value" sh -c "! dmesg | grep -qF -- '$bad'"
	check "... and the key stays unset" [ -z "$(cat "$KC/key")" ]
done
check "a 64-byte key is accepted" sh -c "echo $K1$K1 >$KC/key"
check "an uppercase 16-byte key is accepted" sh -c "echo FFEEDDCCBBAA99887766554433221100 >$KC/key"
check "its fingerprint reads $FP2" [ "$(cat "$KC/key")" = "$FP2" ]
check "an empty line clears the key" sh -c "echo >$KC/key"
check "a cleared key reads nothing" [ -z "$(cat "$KC/key")" ]
rmdir "$KC"

# --- all pairs connect ---------------------------------------------------------
dmesg -c >/dev/null
build alpha
check "no key: key reads nothing" [ -z "$(cat $CFG/cluster/alpha/key)" ]
all_up
echo "ok: connected to every peer"
# The lower-numbered node connects: node 1 has 2 outgoing, node 3 2 incoming.
tcp=$(awk '$4 == "01" && ($2 ~ /:1E61$/ || $3 ~ /:1E61$/)' /proc/net/tcp | wc -l)
check "/proc/net/tcp: 2 established connections on port 7777 (found $tcp)" [ "$tcp" = 2 ]
for p in $(peers); do
	if [ "$p" -gt "$ME" ]; then dir=to; else dir=from; fi
	wait_log "ocfsx: net: connection $dir $(node_ip "$p") (node $p) up" 5
	check "ping node $p" sh -c "echo 'ping $p' >$DBG"
	wait_log "ping node $p: status 0, 11 bytes echoed," 5
done
# Keepalives go out after keepalive_delay_ms (1000) of silence; under TCG
# on a busy host the first one may take a few seconds more.
for p in $(peers); do
	i=0
	while [ "$(field "$p" rtt_us)" = 0 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rtt=$(field "$p" rtt_us)
	check "keepalive round trip to node $p measured (rtt_us $rtt)" [ "${rtt:-0}" -gt 0 ]
done
# Requests the peer has no handler for, or too long for the handler, are
# answered with an error status; the connection stays up.
for p in $(peers); do
	check "send type 0x1234 to node $p" sh -c "echo 'send $p 0x1234 100' >$DBG"
	wait_log "send to node $p: type 0x1234, 100 bytes: status -92, 0 bytes back" 5
	check "send a 16384-byte ping to node $p" sh -c "echo 'send $p 0xff10 16384' >$DBG"
	wait_log "send to node $p: type 0xff10, 16384 bytes: status -90, 0 bytes back" 5
	check "16385 bytes are refused before sending" sh -c "! echo 'send $p 0xff10 16385' >$DBG 2>/dev/null"
	wait_log "send to node $p: type 0xff10, 16385 bytes: not sent or no answer (error -90)" 5
	check "still connected to node $p" [ "$(state "$p")" = up ]
done
# Each peer logged one line about the request without a handler.
for p in $(peers); do
	wait_log "connection $([ "$p" -gt "$ME" ] && echo to || echo from) $(node_ip "$p") (node $p): message type 0x1234 key 0x00000000 has no handler here; answered -92" 10
done
check "ping of a node that is not connected fails" sh -c "! echo 'ping 9' >$DBG 2>/dev/null"
check "key cannot change while online" sh -c "! echo $K1 >$CFG/cluster/alpha/key 2>/dev/null"
check "writing the same (empty) key while online succeeds" sh -c "echo >$CFG/cluster/alpha/key"
barrier connected

# --- another cluster name: refused, one line on each side -------------------------
dmesg -c >/dev/null
barrier name-start
if [ "$ME" = 3 ]; then
	teardown alpha
	build beta
	for p in 1 2; do
		wait_log "ocfsx: net: connection from $(node_ip $p) (node $p) refused: cluster name \"alpha\" differs from ours \"beta\"; both nodes need the same cluster.conf" 60
	done
else
	wait_log "ocfsx: net: connection to $(node_ip 3) (node 3) refused: cluster name \"beta\" differs from ours \"alpha\"; both nodes need the same cluster.conf" 60
	wait_state 3 refused 5
fi
# Retries go on (backoff up to 10 s) without repeating the line.
sleep 12
for p in $(peers); do
	n=$(count_log "(node $p) refused: cluster name")
	if [ "$ME" = 3 ] || [ "$p" = 3 ]; then
		check "one refusal line about node $p (found $n)" [ "$n" = 1 ]
	fi
done
barrier name-done
if [ "$ME" = 3 ]; then teardown beta; else teardown alpha; fi
barrier offline

# --- the same key everywhere: connected, equal fingerprints ---------------------
dmesg -c >/dev/null
build alpha "$K1"
check "key fingerprint reads $FP1" [ "$(cat $CFG/cluster/alpha/key)" = "$FP1" ]
all_up
for p in $(peers); do
	wait_log "$(node_ip "$p") (node $p) up, cluster key proven" 5
	check "ping node $p with a key" sh -c "echo 'ping $p' >$DBG"
done
check "writing the same key while online succeeds" sh -c "echo $K1 >$CFG/cluster/alpha/key"
check "another key while online is refused" sh -c "! echo $K2 >$CFG/cluster/alpha/key 2>/dev/null"
check "... and the fingerprint stays $FP1" [ "$(cat $CFG/cluster/alpha/key)" = "$FP1" ]
barrier keyed

# --- node 3 with another key, then with none: refused ----------------------------
dmesg -c >/dev/null
barrier key2-start
if [ "$ME" = 3 ]; then
	teardown alpha
	build alpha "$K2"
	check "other key's fingerprint reads $FP2" [ "$(cat $CFG/cluster/alpha/key)" = "$FP2" ]
	for p in 1 2; do
		wait_log "connection from $(node_ip $p) (node $p) refused: the peer does not prove our cluster key (fingerprint $FP2)" 60
	done
else
	wait_log "connection to $(node_ip 3) (node 3) refused: the peer does not prove our cluster key (fingerprint $FP1)" 60
	wait_state 3 refused 5
	check "node 2 or 1 still connected" wait_state $((3 - ME)) up 1
fi
barrier key2-done
dmesg -c >/dev/null
barrier nokey-start
if [ "$ME" = 3 ]; then
	teardown alpha
	build alpha
	for p in 1 2; do
		wait_log "connection from $(node_ip $p) (node $p) refused: the peer has a cluster key and we have none; write the same key to cluster/alpha/key on every node" 60
	done
else
	wait_log "connection to $(node_ip 3) (node 3) refused: we have a cluster key and the peer has none" 60
fi
barrier nokey-done

# --- node 3 with another idle timeout: refused ------------------------------------
dmesg -c >/dev/null
barrier idle-start
if [ "$ME" = 3 ]; then
	teardown alpha
	BUILD_IDLE_MS=5000
	build alpha "$K1"
	BUILD_IDLE_MS=
	for p in 1 2; do
		wait_log "connection from $(node_ip $p) (node $p) refused: idle_timeout_ms $IDLE_MS differs from ours 5000; set the same timeouts on every node (/etc/default/o2cbx)" 60
	done
else
	wait_log "connection to $(node_ip 3) (node 3) refused: idle_timeout_ms 5000 differs from ours $IDLE_MS; set the same timeouts on every node (/etc/default/o2cbx)" 60
fi
barrier idle-done
if [ "$ME" = 3 ]; then
	teardown alpha
	build alpha "$K1"
fi
all_up
barrier rekeyed

# --- garbage on node 1's port ----------------------------------------------------
dmesg -c >/dev/null
c2=$(field 2 connects)
c3=$(field 3 connects)
barrier garbage-start
if [ "$ME" = 3 ]; then
	check "garbage_peer against node 1" garbage_peer "$(node_ip 1)" 7777 3 1
fi
barrier garbage-done
if [ "$ME" = 1 ]; then
	from="ocfsx: net: connection from $(node_ip 3)"
	wait_log "$from dropped during the handshake: wrong frame magic" 1
	wait_log "$from dropped during the handshake: frame length over the limit (magic 0x6f786e31, length 2147483647" 1
	wait_log "$from dropped during the handshake: the peer closed it in the middle of a frame header (10 of 24 bytes)" 1
	wait_log "$from dropped during the handshake: the peer closed it in the middle of a frame (type 0xff01, 20 of 96 payload bytes)" 1
	wait_log "$from refused: protocol version 99 differs from ours 1" 1
fi
for p in $(peers); do
	check "still connected to node $p" [ "$(state "$p")" = up ]
done
check "node 2 connection untouched (connects $c2)" [ "$(field 2 connects)" = "$c2" ]
check "node 3 connection untouched (connects $c3)" [ "$(field 3 connects)" = "$c3" ]
check "ping node 2 after the garbage" sh -c "echo 'ping 2' >$DBG 2>/dev/null || [ $ME = 2 ]"
barrier garbage-checked

# --- a cut link: idle timeout, then reconnect ----------------------------------------
dmesg -c >/dev/null
barrier cut
if [ "$ME" = 1 ]; then
	t0=$(hostctl time)
	hostctl link 3 off >/dev/null
	wait_state 3 down 30
	t1=$(hostctl time)
	ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
	echo "measured: connection to node 3 dropped $ms ms after the link was cut (idle_timeout_ms $IDLE_MS)"
	check "dropped within idle_timeout_ms + 3000 ms slack ($ms ms)" [ "$ms" -le $((IDLE_MS + 3000)) ]
	check "not before idle_timeout_ms - 1000 ms ($ms ms)" [ "$ms" -ge $((IDLE_MS - 1000)) ]
	wait_log "connection to $(node_ip 3) (node 3) dropped: silent for" 1
	check "node 2 still connected during the cut" [ "$(state 2)" = up ]
	t0=$(hostctl time)
	hostctl link 3 on >/dev/null
	wait_state 3 up 60
	t1=$(hostctl time)
	echo "measured: reconnected to node 3 $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }') ms after the link came back"
elif [ "$ME" = 3 ]; then
	wait_state 1 down 30
	wait_log "connection from $(node_ip 1) (node 1) dropped: silent for" 1
fi
all_up
barrier reconnected

# --- offline and unload: every worker stops ------------------------------------------
dmesg -c >/dev/null
teardown alpha
wait_log "ocfsx: net: node $ME stopped: all connections closed" 5
check "no connection left on port 7777" \
	[ "$(awk '$4 == "01" && ($2 ~ /:1E61$/ || $3 ~ /:1E61$/)' /proc/net/tcp | wc -l)" = 0 ]
check "rmmod ocfsx" rmmod ocfsx
echo "net: all checks passed"
