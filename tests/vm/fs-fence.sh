# fs-fence: a fenced node writes nothing more to the shared disk. Three
# nodes run global heartbeat on the volume (o2cbx, fence_method halt);
# node 3 mounts it and keeps writing and fsyncing files. Its link is cut:
# it loses quorum and fences (halt). Its filesystem must then log one line
# saying why, turn read-only, fail writes on an open file with EIO and
# unmount without writing or hanging. Nodes 1 and 2 checksum the whole disk
# except their own heartbeat blocks (node 3's block included) twice, five
# seconds apart, and once more after node 3's umount: no byte may change.
# vm: nodes=3 timeout=600 disk=64M
. /lib/ocfsx/lib.sh

fs_env fence
CFG=/sys/kernel/config/ocfsx/cluster/$CL
FENCED_LINE="ocfsx: vda: this node is fenced: no more writes to the volume, it is read-only now; unmount it (nothing more is written) and mount again once the node has rejoined the cluster"

sb_field() { od -An -t "$2" -j $((65536 + $1)) -N "${2#u}" "$DEV" | tr -d ' '; }

# sum_disk: md5 of the whole disk without the heartbeat blocks of nodes 1
# and 2 (they keep heartbeating); the device's page cache is dropped first.
# A small disk: under TCG a long busy read can delay our own heartbeat
# writes past the lease.
sum_disk() {
	blockdev --flushbufs "$DEV"
	{
		dd if="$DEV" bs="$BS" count=$((HB + 1)) 2>/dev/null
		dd if="$DEV" bs="$BS" skip=$((HB + 3)) 2>/dev/null
	} | md5sum | cut -d' ' -f1
}
is_md5() { echo "$1" | grep -Eqx '[0-9a-f]{32}'; }

if [ "$OCFSX_NODE" = 1 ]; then
	check "mkfs.ocfsx --global-heartbeat" mkfs.ocfsx -q -F -N 2 --cluster-name "$CL" --global-heartbeat "$DEV"
fi
barrier formatted
blockdev --flushbufs "$DEV"
BS=$((1 << $(sb_field 64 u1)))
HB=$(sb_field 280 u8)
check "superblock: block size $BS, heartbeat at block $HB" sh -c "[ '$BS' = 4096 ] && [ '$HB' -gt 0 ]"

check "o2cbx add-cluster" o2cbx add-cluster "$CL"
for i in 1 2 3; do
	check "o2cbx add-node node$i" o2cbx add-node "$CL" "node$i" --ip "$(node_ip "$i")" --number "$i"
done
check "o2cbx heartbeat-mode global" o2cbx heartbeat-mode "$CL" global
check "o2cbx add-heartbeat $DEV" o2cbx add-heartbeat "$CL" "$DEV"
check "fence_method halt (test)" sh -c "mkdir -p /etc/default && echo O2CBX_FENCE_METHOD=halt >>/etc/default/o2cbx"
check "o2cbx online" o2cbx online "$CL"
wait_for 60 "the region heartbeats" sh -c "grep -qx 'state active' $CFG/heartbeat/*/status"
for p in $(peers); do
	wait_for 60 "node $p live" sh -c "grep -qx 'hb live' $CFG/node/node$p/status"
	wait_for 60 "connected to node $p" sh -c "grep -qx 'conn up' $CFG/node/node$p/status"
done
wait_for 60 "quorum joined" grep -qx 'quorum joined' "$CFG/status"
barrier online

if [ "$OCFSX_NODE" = 3 ]; then
	dmesg -c >/dev/null
	check "mount" mount -t ocfsx "$DEV" "$MNT"
	check "a file held open for writing" sh -c "echo start >'$MNT/held'"
	# fd 7: hostctl uses fd 3.
	exec 7>>"$MNT/held"
	# Data, metadata and fsyncs all the time, up to and past the fence.
	(
		set +e	# the scenario runs under sh -e; failures are logged
		i=0
		while :; do
			dd if=/dev/urandom of="$MNT/f$((i % 16))" bs=4096 count=8 conv=fsync 2>/dev/null
			echo "$i $?" >>/tmp/writer.log
			mkdir "$MNT/d$i" 2>/dev/null
			rmdir "$MNT/d$((i - 1))" 2>/dev/null
			i=$((i + 1))
		done
	) &
	WRITER=$!
	: >/tmp/writer.log
	wait_for 60 "writer busy" sh -c "[ \$(grep -c ' 0\$' /tmp/writer.log) -ge 5 ]"
	check "write on the open file works" sh -c "echo before >&7"
	t0=$(hostctl time)
	hostctl link 3 off >/dev/null
	wait_for 60 "node 3 fenced" sh -c "grep -qx 'state fenced' $CFG/status"
	t1=$(hostctl time)
	hostctl log "node 3: fenced $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }') ms after its link was cut"
	wait_for 10 "the filesystem says why it stopped" sh -c "dmesg | grep -qF '$FENCED_LINE'"
	dmesg | grep -F "ocfsx: " || true
	check "one fenced line from the filesystem" [ "$(dmesg | grep -cF "$FENCED_LINE")" = 1 ]
	check "mounted read-only now" sh -c "grep ' $MNT ' /proc/mounts | grep -q ' ro,'"
	check "write on the open file fails with EIO" sh -c "! echo after 2>/tmp/w.err >&7 && grep -Eq 'I/O error|Input/output error' /tmp/w.err"
	check "new files are refused" sh -c "! touch '$MNT/new' 2>/dev/null"
	barrier fenced
	barrier summed
	kill "$WRITER"
	wait "$WRITER" 2>/dev/null || true
	exec 7>&-
	check "writer saw failures after the fence" sh -c "tail -n 1 /tmp/writer.log | grep -qv ' 0\$'"
	t0=$(date +%s)
	check "umount (writes nothing, does not hang)" timeout 120 umount "$MNT"
	echo "umount took $(($(date +%s) - t0)) s"
	check "nothing mounted" sh -c "! grep -q ' $MNT ' /proc/mounts"
	check "the umount said nothing new" [ "$(dmesg | grep -cF "$FENCED_LINE")" = 1 ]
	barrier umounted
else
	barrier fenced
	wait_for 30 "node 3 dead after its fence" sh -c "grep -qx 'hb dead' $CFG/node/node3/status"
	a=$(sum_disk)
	echo "disk sum after the fence: $a"
	check "the disk was read" is_md5 "$a"
	sleep 5
	b=$(sum_disk)
	echo "disk sum 5 s later: $b"
	check "no byte changed in 5 s" [ "$a" = "$b" ]
	barrier summed
	barrier umounted
	c=$(sum_disk)
	echo "disk sum after node 3's umount: $c"
	check "no byte changed by the fenced node's umount" [ "$a" = "$c" ]
fi
barrier done
