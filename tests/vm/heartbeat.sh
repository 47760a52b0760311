# heartbeat: the kernel disk heartbeat on 3 nodes, global mode, one boot
# (node 3 boots twice). Node 1 formats the shared disk; every node builds
# the cluster by raw configfs writes with the volume's heartbeat region and
# checks: every node sees the others live, also while every VM's CPU and
# disk are saturated for 20 s (no false deaths); node 3 powered off is seen dead
# by nodes 1 and 2 within the protocol's bound (measured on the host clock
# and printed); node 3 restarted comes back live with a new generation; a
# clean offline is seen as "stopped" at once; a node configured with node
# 2's number goes to conflict without writing, node 2 unaffected; an
# unformatted device is refused with one line; two nodes starting at once
# with one number end with at most one writer; node 3's link cut: it fences
# (halt) and does no further I/O, nodes 1 and 2 keep quorum.
# vm: nodes=3 timeout=900
. /lib/ocfsx/lib.sh

CFG=/sys/kernel/config/ocfsx
CNAME=hbtest
CL=$CFG/cluster/$CNAME
N=$CL/node
DISK=$OCFSX_DISK
INTERVAL=400
DEAD=5
SATURATE_S=20

# docs/cluster-protocol.md §5.2: a powered-off node is declared dead at
# most T_dead + 2 intervals plus I/O latency after its last write. SLACK_MS
# is that latency under TCG (3 emulated VMs on 2 shared host CPUs) plus the
# 50 ms status polling and the hostctl round trips around the kill.
SLACK_MS=3000
LIMIT_MS=$((INTERVAL * DEAD + SLACK_MS))

# sb_field OFFSET TYPE: a superblock field (od type u1/u8) from the disk.
sb_field() {
	od -An -t "$2" -j $((65536 + $1)) -N "${2#u}" "$DISK" | tr -d ' '
}

# status_key FILE KEY: the value of "KEY value" in a status file.
status_key() {
	sed -n "s/^$2 //p" "$1"
}

# wait_for SECONDS DESC CMD...: polls CMD every 50 ms until it succeeds.
wait_for() {
	local secs=$1 what=$2 i=0
	shift 2
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -lt $((secs * 20)) ] || fail "timed out after ${secs}s: $what"
		usleep 50000
	done
	echo "ok: $what"
}

node_hb() { [ "$(status_key "$N/node$1/status" hb)" = "$2" ]; }
region_state() { [ "$(status_key "$REG/status" state)" = "$1" ]; }
ms() { echo "$1" | awk '{ printf "%d", $1 * 1000 }'; }

# build_cluster LOCALNAME LOCALNUM: the 3-node cluster, this machine local.
build_cluster() {
	check "mkdir cluster" mkdir "$CL"
	echo halt >"$CL/fence_method"
	echo global >"$CL/heartbeat_mode"
	check "default heartbeat_interval_ms is $INTERVAL" [ "$(cat "$CL/heartbeat_interval_ms")" = $INTERVAL ]
	check "default dead_threshold is $DEAD" [ "$(cat "$CL/dead_threshold")" = $DEAD ]
	check "default idle_timeout_ms is 3000" [ "$(cat "$CL/idle_timeout_ms")" = 3000 ]
	for i in 1 2 3; do
		mkdir "$N/node$i"
		echo "$i" >"$N/node$i/num"
		echo "$(node_ip "$i")" >"$N/node$i/ipv4_address"
	done
	check "offline status" [ "$(status_key "$CL/status" state)" = offline ]
	check "node$OCFSX_NODE local" sh -c "echo 1 >$N/node$OCFSX_NODE/local"
	# Joining needs a connection to every live node within the quorum
	# grace (3.2 s), but the interconnect backs off up to 10 s after a
	# failed connect (a peer that was down): start heartbeat once the
	# connections are up, as a mount helper would.
	for p in $(peers); do
		wait_for 30 "connection to node $p up" sh -c "grep -qx 'conn up' $N/node$p/status"
	done
	add_region
}

add_region() {
	mkdir "$REG"
	echo "$BS" >"$REG/block_bytes"
	echo "$HB_START" >"$REG/start_block"
	echo 255 >"$REG/blocks"
	check "region state idle before dev" region_state idle
	check "dev $DISK accepted (region starts)" sh -c "echo $DISK >$REG/dev"
}

teardown() {
	for d in "$N"/*; do
		if [ "$(cat "$d/local")" = 1 ]; then
			echo 0 >"$d/local" || fail "going offline refused"
		fi
	done
	for d in "$CL"/heartbeat/*; do [ -d "$d" ] && rmdir "$d"; done
	for d in "$N"/*; do rmdir "$d"; done
	rmdir "$CL"
}

check "insmod ocfsx.ko" insmod /lib/ocfsx/ocfsx.ko

# --- an unformatted device is refused (boot 1, before mkfs) -------------------
if [ "$OCFSX_BOOT" = 1 ]; then
	mkdir "$CL"
	echo global >"$CL/heartbeat_mode"
	mkdir "$N/me"
	echo "$OCFSX_NODE" >"$N/me/num"
	echo "$OCFSX_IP" >"$N/me/ipv4_address"
	echo 1 >"$N/me/local"
	mkdir "$CL/heartbeat/bogus"
	dmesg -c >/dev/null
	if echo "$DISK" >"$CL/heartbeat/bogus/dev" 2>/dev/null; then
		fail "dev on a device without an ocfsx volume was accepted"
	fi
	lines=$(dmesg | grep -c "ocfsx: region bogus: $DISK holds no valid ocfsx superblock; format it" || true)
	check "one line for the unformatted device" [ "$lines" = 1 ]
	check "status says error" [ "$(status_key "$CL/heartbeat/bogus/status" state)" = error ]
	check "dev stays unset" [ -z "$(cat "$CL/heartbeat/bogus/dev")" ]
	grep -q "^error $DISK holds no valid ocfsx superblock; format it" "$CL/heartbeat/bogus/status" ||
		fail "status error line: $(cat "$CL/heartbeat/bogus/status")"
	echo "ok: unformatted device refused: $(status_key "$CL/heartbeat/bogus/status" error)"
	rmdir "$CL/heartbeat/bogus"
	echo 0 >"$N/me/local"
	rmdir "$N/me" "$CL"
	barrier refused
fi

# --- format and learn the region ------------------------------------------------
if [ "$OCFSX_BOOT" = 1 ]; then
	if [ "$OCFSX_NODE" = 1 ]; then
		check "mkfs.ocfsx" mkfs.ocfsx -q -F -b 512 -N 4 -J size=4M --cluster-name "$CNAME" "$DISK"
	fi
	barrier formatted
fi
blockdev --flushbufs "$DISK"
BS=$((1 << $(sb_field 64 u1)))
HB_START=$(sb_field 280 u8)
UUID=$(dd if="$DISK" bs=1 skip=$((65536 + 152)) count=16 2>/dev/null | xxd -p | tr a-f A-F)
REG=$CL/heartbeat/$UUID
check "superblock read: block $BS, heartbeat at $HB_START, uuid $UUID" \
	sh -c "[ '$BS' = 512 ] && [ '$HB_START' -gt 0 ] && [ ${#UUID} = 32 ]"

# --- everybody live --------------------------------------------------------------
dmesg -c >/dev/null
build_cluster
wait_for 30 "own region active" region_state active
wait_for 30 "quorum joined" sh -c "grep -qx 'quorum joined' $CL/status"
check "cluster status online" [ "$(status_key "$CL/status" state)" = online ]
check "one region heartbeats" [ "$(status_key "$CL/status" heartbeat_regions)" = 1 ]
check "own node live" node_hb "$OCFSX_NODE" live
for p in $(peers); do
	wait_for 30 "node $p live" node_hb "$p" live
done
check "live_nodes is 1 2 3" [ "$(status_key "$CL/status" live_nodes)" = "1 2 3" ]
check "rounds counted" [ "$(status_key "$REG/status" rounds)" -gt 0 ]
for i in 1 2 3; do
	g=$(status_key "$N/node$i/status" hb_generation)
	check "node $i generation $g non-zero" [ "$g" != 0x0000000000000000 ]
	age=$(status_key "$N/node$i/status" hb_age_ms)
	check "node $i heartbeat age $age ms below the dead time" \
		sh -c "[ '$age' -ge 0 ] && [ '$age' -lt $((INTERVAL * DEAD)) ]"
done
check "conn none for the local node" [ "$(status_key "$N/node$OCFSX_NODE/status" conn)" = none ]
check "configfs tree matches the schema" sh /lib/ocfsx/configfs-schema/check-live.sh \
	$(for i in 1 2 3; do echo "cluster/$CNAME/node/node$i/num=$i cluster/$CNAME/node/node$i/ipv4_address=$(node_ip "$i")"; done) \
	"cluster/$CNAME/node/node$OCFSX_NODE/local=1" "cluster/$CNAME/fence_method=halt" \
	"cluster/$CNAME/heartbeat_mode=global" "cluster/$CNAME/heartbeat/$UUID/dev=$DISK" \
	"cluster/$CNAME/heartbeat/$UUID/start_block=$HB_START" "cluster/$CNAME/heartbeat/$UUID/block_bytes=$BS"

if [ "$OCFSX_BOOT" = 1 ]; then
	# --- no false deaths while every VM is saturated ---------------------------------
	# Each node's only CPU runs three busy loops and a reader of the shared
	# disk for SATURATE_S seconds (on top of TCG emulating 3 VMs on 2 host
	# CPUs): no node may be declared dead or lose quorum meanwhile.
	barrier saturate
	dmesg -c >/dev/null
	hogs=""
	for _ in 1 2 3; do
		sh -c 'while :; do :; done' &
		hogs="$hogs $!"
	done
	sh -c "while :; do dd if=$DISK of=/dev/null bs=64k count=512 2>/dev/null; done" &
	hogs="$hogs $!"
	sleep $SATURATE_S
	kill $hogs
	wait $hogs 2>/dev/null || true
	check "no node declared dead under load" sh -c "! dmesg | grep -q 'is down'"
	check "no fence under load" [ "$(status_key "$CL/status" state)" = online ]
	check "live_nodes still 1 2 3 after load" [ "$(status_key "$CL/status" live_nodes)" = "1 2 3" ]
	check "still joined after load" grep -qx 'quorum joined' "$CL/status"
fi

if [ "$OCFSX_BOOT" = 1 ]; then
	# --- power node 3 off ------------------------------------------------------------
	status_key "$N/node3/status" hb_generation >/tmp/gen3
	barrier all-live
	if [ "$OCFSX_NODE" = 3 ]; then
		sleep 600	# powered off by node 1 meanwhile
		fail "node 3 was not powered off"
	fi
	t0=$(hostctl time)
	if [ "$OCFSX_NODE" = 1 ]; then
		hostctl kill 3 >/dev/null
	fi
	wait_for 30 "node 3 dead" node_hb 3 dead
	t1=$(hostctl time)
	took=$(($(ms "$t1") - $(ms "$t0")))
	hostctl log "node $OCFSX_NODE: detection time of powered-off node 3: $took ms (bound $LIMIT_MS ms)"
	echo "detection time: $took ms (bound $LIMIT_MS ms)"
	check "detected within T_dead + slack ($took <= $LIMIT_MS ms)" [ "$took" -le "$LIMIT_MS" ]
	check "live_nodes is 1 2" [ "$(status_key "$CL/status" live_nodes)" = "1 2" ]
	check "logged: node 3 down by timeout" sh -c "dmesg | grep -q 'node 3 (generation [0-9a-f]*) is down: timeout'"
	check "still joined" grep -qx 'quorum joined' "$CL/status"
	barrier dead-seen
	if [ "$OCFSX_NODE" = 1 ]; then
		hostctl start 3 >/dev/null
	fi
	wait_for 120 "node 3 live again" node_hb 3 live
	g=$(status_key "$N/node3/status" hb_generation)
	check "node 3 has a new generation ($(cat /tmp/gen3) -> $g)" [ "$g" != "$(cat /tmp/gen3)" ]
fi
barrier back

# --- clean stop, then node 3 configured with node 2's number ------------------------
if [ "$OCFSX_NODE" = 3 ]; then
	teardown
	dmesg -c >/dev/null
	check "mkdir cluster (impostor)" mkdir "$CL"
	echo global >"$CL/heartbeat_mode"
	echo halt >"$CL/fence_method"
	mkdir "$N/node1" "$N/impostor"
	echo 1 >"$N/node1/num"
	echo "$(node_ip 1)" >"$N/node1/ipv4_address"
	echo 2 >"$N/impostor/num"
	echo "$OCFSX_IP" >"$N/impostor/ipv4_address"
	echo 1 >"$N/impostor/local"
	add_region
	wait_for 30 "region goes to conflict" region_state conflict
	lines=$(dmesg | grep -c 'ocfsx: region [0-9A-F]*: node number 2 is already in use by a live node (host "node2"); give this node another number' || true)
	check "one line names the number and the other host" [ "$lines" = 1 ]
	check "nothing fenced" [ "$(status_key "$CL/status" state)" = online ]
	g2=$(status_key "$N/node1/status" hb)
	echo "impostor sees node 1: $g2"
	echo 0 >"$N/impostor/local"
	rmdir "$REG" "$N/node1" "$N/impostor" "$CL"
else
	wait_for 10 "node 3 seen down (stopped)" node_hb 3 dead
	check "logged: node 3 down: stopped" sh -c "dmesg | grep -q 'node 3 (generation [0-9a-f]*) is down: stopped'"
	gen2=$(status_key "$N/node2/status" hb_generation)
fi
barrier conflict
if [ "$OCFSX_NODE" != 3 ]; then
	sleep 3		# more than a dead time after the impostor started reading
	check "node 2 still live" node_hb 2 live
	check "node 2 generation unchanged" [ "$(status_key "$N/node2/status" hb_generation)" = "$gen2" ]
	check "region still active" region_state active
	check "not fenced" [ "$(status_key "$CL/status" state)" = online ]
	check "no fence logged" sh -c "! dmesg | grep -Eq 'fenced|FENCING'"
fi
barrier checked

# --- tear down: rmdir of the region writes STOPPED ----------------------------------
if [ "$OCFSX_NODE" = 1 ]; then
	check "rmdir region" rmdir "$REG"
	check "heartbeat stopped cleanly" sh -c "dmesg | grep -q 'ocfsx: region $UUID: heartbeat stopped (clean)'"
	check "quorum none without regions" grep -qx 'quorum none' "$CL/status"
fi
if [ "$OCFSX_NODE" = 2 ]; then
	wait_for 10 "node 1 seen down (stopped)" node_hb 1 dead
	check "logged: node 1 down: stopped" sh -c "dmesg | grep -q 'node 1 (generation [0-9a-f]*) is down: stopped'"
fi
barrier stopped
if [ "$OCFSX_NODE" != 3 ]; then
	teardown
fi
barrier empty

# --- nodes 2 and 3 start at once with the same number: at most one survives ----
# Interval 2000 ms (dead time 10 s) so that the barrier's skew is far below
# one interval: both finish observing before either sees the other's
# writes, become active, and then find a foreign write in their block. A
# node that does fences (halt); the outcome is exchanged on the shared disk.
OUT_OFF=$((200 * 1024 * 1024))		# past everything mkfs wrote (4 slots)
if [ "$OCFSX_NODE" != 1 ]; then
	dmesg -c >/dev/null
	mkdir "$CL"
	echo halt >"$CL/fence_method"
	echo global >"$CL/heartbeat_mode"
	echo 2000 >"$CL/heartbeat_interval_ms"
	mkdir "$N/me"
	echo 4 >"$N/me/num"
	echo "$OCFSX_IP" >"$N/me/ipv4_address"
	echo 1 >"$N/me/local"
	barrier dup-start
	add_region
	i=0
	while [ $i -lt 400 ]; do	# 40 s: observing 10 s, then some rounds
		st=$(status_key "$REG/status" state)
		case $st in conflict | fenced) break ;; esac
		usleep 100000
		i=$((i + 1))
	done
	echo "same-number start: node $OCFSX_NODE ends $st"
	hostctl log "node $OCFSX_NODE: same-number start: $st"
	if [ "$st" = fenced ]; then
		lines=$(dmesg | grep -c '^.*ocfsx: fenced (halt): another node writes heartbeat with our node number; all I/O to shared devices stopped$' || true)
		check "one halt line" [ "$lines" = 1 ]
		check "cluster status fenced" [ "$(status_key "$CL/status" state)" = fenced ]
		check "fence_reason same_node" [ "$(status_key "$CL/status" fence_reason)" = same_node ]
		check "quorum fenced" [ "$(status_key "$CL/status" quorum)" = fenced ]
		rounds=$(status_key "$REG/status" rounds)
		sleep 2
		check "a fenced region reads nothing more" [ "$(status_key "$REG/status" rounds)" = "$rounds" ]
	fi
	# One 4 KiB page each: the page cache rewrites whole pages.
	printf '%-16s' "$st" | dd of="$DISK" bs=16 seek=$(((OUT_OFF + OCFSX_NODE * 4096) / 16)) conv=notrunc,fsync 2>/dev/null
	barrier dup-done
	blockdev --flushbufs "$DISK"
	o2=$(dd if="$DISK" bs=16 skip=$(((OUT_OFF + 2 * 4096) / 16)) count=1 2>/dev/null | tr -d ' ')
	o3=$(dd if="$DISK" bs=16 skip=$(((OUT_OFF + 3 * 4096) / 16)) count=1 2>/dev/null | tr -d ' ')
	echo "outcomes: node 2 $o2, node 3 $o3"
	for o in "$o2" "$o3"; do
		case $o in
		active | conflict | fenced) ;;
		*) fail "a node ended the same-number start in state '$o'" ;;
		esac
	done
	check "not both active with one number" [ "$o2 $o3" != "active active" ]
	teardown
	# The halt fence holds until the module is unloaded.
	check "rmmod ocfsx after the same-number start" rmmod ocfsx
	check "insmod ocfsx.ko again" insmod /lib/ocfsx/ocfsx.ko
else
	barrier dup-start
	barrier dup-done
fi
barrier reloaded

# --- node 3's link cut: it fences (halt), nodes 1 and 2 keep quorum ------------
# Node 3 loses both connections after idle_timeout_ms; G = (dead_threshold
# + 3) intervals later the rule (docs/cluster-protocol.md §4) finds 1 of 3
# members reachable and fences it; nodes 1 and 2 keep 2 of 3. Its heartbeat
# then stops, so they declare it dead; with the link back it stays silent.
dmesg -c >/dev/null
build_cluster
wait_for 30 "own region active" region_state active
wait_for 30 "quorum joined" sh -c "grep -qx 'quorum joined' $CL/status"
for p in $(peers); do
	wait_for 30 "node $p live" node_hb "$p" live
done
barrier partition-ready
if [ "$OCFSX_NODE" = 3 ]; then
	t0=$(hostctl time)
	hostctl link 3 off >/dev/null
	wait_for 60 "node 3 fenced" sh -c "grep -qx 'state fenced' $CL/status"
	t1=$(hostctl time)
	echo "node 3 fenced $(($(ms "$t1") - $(ms "$t0"))) ms after its link was cut"
	hostctl log "node 3: fenced $(($(ms "$t1") - $(ms "$t0"))) ms after its link was cut"
	lines=$(dmesg | grep -c 'ocfsx: fenced (halt): lost quorum (cut off from the majority of the live nodes); all I/O to shared devices stopped$' || true)
	check "one halt line for lost quorum" [ "$lines" = 1 ]
	check "fence_reason no_quorum" [ "$(status_key "$CL/status" fence_reason)" = no_quorum ]
	check "quorum fenced" [ "$(status_key "$CL/status" quorum)" = fenced ]
	check "region fenced" region_state fenced
	rounds=$(status_key "$REG/status" rounds)
	barrier fenced
	barrier seen-dead
	hostctl link 3 on >/dev/null
	sleep 6		# three dead-time's worth of rounds
	check "no read since the fence (rounds $rounds)" [ "$(status_key "$REG/status" rounds)" = "$rounds" ]
	check "still fenced with the link back" [ "$(status_key "$CL/status" state)" = fenced ]
	barrier healed
else
	barrier fenced
	wait_for 30 "node 3 dead after its fence" node_hb 3 dead
	check "still joined" grep -qx 'quorum joined' "$CL/status"
	check "not fenced" [ "$(status_key "$CL/status" state)" = online ]
	check "live_nodes is 1 2" [ "$(status_key "$CL/status" live_nodes)" = "1 2" ]
	barrier seen-dead
	barrier healed
	check "node 3 stays dead with its link back: no heartbeat written" node_hb 3 dead
	age=$(status_key "$N/node3/status" hb_age_ms)
	check "node 3's block unchanged for $age ms" [ "$age" -gt 6000 ]
	check "no fence here" sh -c "! dmesg | grep -q 'ocfsx: fenced'"
fi
teardown
check "rmmod ocfsx" rmmod ocfsx
barrier done
