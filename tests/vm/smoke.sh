# Smoke test: every node reaches the others over the private network, sees
# what node 1 wrote to the shared disk, and loads and unloads ocfsx.ko.
# vm: nodes=3 timeout=600
. /lib/ocfsx/lib.sh

# A deterministic 1 MiB pattern every node can build on its own; the disk
# starts zeroed, so a lost or misplaced write shows up as a mismatch.
pattern() { seq 1 200000 | head -c 1048576; }
OFFSET_MB=64

check "insmod ocfsx.ko" insmod /lib/ocfsx/ocfsx.ko
check "ocfsx in /proc/modules" grep -q '^ocfsx ' /proc/modules

barrier network-up
for p in $(peers); do
	check "ping node $p" ping -c 2 -W 5 "$(node_ip "$p")"
done

pattern >/tmp/pattern
want=$(md5sum </tmp/pattern)
if [ "$OCFSX_NODE" = 1 ]; then
	before=$(dd if="$OCFSX_DISK" bs=1M skip=$OFFSET_MB count=1 2>/dev/null | md5sum)
	check "region differs from the pattern before the write" [ "$before" != "$want" ]
	check "write pattern at ${OFFSET_MB} MiB" \
		dd if=/tmp/pattern of="$OCFSX_DISK" bs=1M seek=$OFFSET_MB conv=fsync
fi
barrier written
if [ "$OCFSX_NODE" != 1 ]; then
	blockdev --flushbufs "$OCFSX_DISK"
	got=$(dd if="$OCFSX_DISK" bs=1M skip=$OFFSET_MB count=1 2>/dev/null | md5sum)
	check "node 1's pattern read back (md5 $want)" [ "$got" = "$want" ]
fi

check "rmmod ocfsx" rmmod ocfsx
check "ocfsx gone from /proc/modules" sh -c '! grep -q "^ocfsx " /proc/modules'
