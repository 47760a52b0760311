# The 'make demo' scenario: a 3-node cluster on one shared disk.
# vm: nodes=3 timeout=600
. /lib/ocfsx/lib.sh

size=$(($(cat /sys/block/vda/size) / 2048))
echo "node $OCFSX_NODE: $(hostname), $OCFSX_IP, kernel $(uname -r), shared disk $OCFSX_DISK ${size} MiB"
insmod /lib/ocfsx/ocfsx.ko
echo "node $OCFSX_NODE: $(dmesg | grep -o 'ocfsx: module loaded.*' | tail -n 1)"

barrier up
for p in $(peers); do
	ping -c 1 -W 5 "$(node_ip "$p")" >/dev/null || fail "node $p unreachable"
	echo "node $OCFSX_NODE: node $p reachable at $(node_ip "$p")"
done

# Each node writes one line into its own 4 KiB block of the shared disk...
msg="hello from $(hostname) ($OCFSX_IP), written at $(date -u +%H:%M:%S)"
printf '%-4095s\n' "$msg" |
	dd of="$OCFSX_DISK" bs=4096 seek=$((256 + OCFSX_NODE)) conv=fsync 2>/dev/null
echo "node $OCFSX_NODE: wrote block $((256 + OCFSX_NODE)): $msg"
barrier written

# ...and reads every node's block back straight from the disk.
blockdev --flushbufs "$OCFSX_DISK"
i=1
while [ "$i" -le "$OCFSX_NODES" ]; do
	line=$(dd if="$OCFSX_DISK" bs=4096 skip=$((256 + i)) count=1 2>/dev/null | tr -d '\0' | sed 's/ *$//')
	[ -n "$line" ] || fail "block of node $i is empty"
	echo "node $OCFSX_NODE: reads block $((256 + i)): $line"
	i=$((i + 1))
done
barrier read
rmmod ocfsx
