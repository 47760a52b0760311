# fs-extent-crash: power cut while buffered writes convert unwritten extents.
# Node 1 fallocates a file, fills the disk under it with 0xAA behind the
# file system's back, then writes 'Z' clusters into it without fsync
# (commit=1), one cluster in two, until node 2 pulls the plug. After the
# replay every byte of the file must be 0 (still unwritten, or converted with its data) or 'Z': a
# conversion that committed before its data would show 0xAA. The clusters
# synced before the cut must hold 'Z', and fsck.ocfsx -fn must be clean.
# vm: nodes=2 timeout=900 disk=256M
. /lib/ocfsx/lib.sh

fs_env
U=4096
N=2048	# clusters in the file (8 MiB)

if [ "$OCFSX_NODE" = 2 ]; then
	barrier writing
	sleep 4
	check "power node 1 off in the middle of the writes" hostctl kill 1
	check "boot node 1 again" hostctl start 1
	barrier checked
	exit 0
fi

# Node 2 only holds the plug: the cluster has node 1 alone.
OCFSX_RELAXED_HB=1 cluster_online "$CL" 1
if [ "$OCFSX_BOOT" = 1 ]; then
	check "mkfs.ocfsx" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
	check "mount" mount -t ocfsx "$DEV" "$MNT"
	check "fallocate $N clusters" extent_io falloc "$MNT/f" alloc 0 $((N * U))
	check "umount" umount "$MNT"
	head -c $((N * U)) /dev/zero | tr '\000' '\252' >/tmp/aa
	debugfs.ocfsx -R "stat /f" "$DEV" | awk '/^    [0-9]/ { print $2, $3, $4 }' >/tmp/recs
	check "f: $N unwritten clusters" [ "$(awk '$3 == "unwritten" { n += $2 } END { print n }' /tmp/recs)" = $N ]
	while read -r pc n flags; do
		check "0xAA under clusters $pc+$n" dd if=/tmp/aa of="$DEV" bs=$U seek="$pc" count="$n" conv=notrunc
	done </tmp/recs
	rm /tmp/aa
	sync
	check "mount with commit=1" mount -t ocfsx -o commit=1 "$DEV" "$MNT"
	check "first 16 clusters, synced" extent_io write "$MNT/f" 0 $((16 * U)) 0x5a buffered
	barrier writing
	i=16
	while [ $i -lt $N ]; do
		extent_io write "$MNT/f" $((i * U)) $U 0x5a cached || fail "write at cluster $i"
		i=$((i + 2))
	done
	sleep 600
	fail "still running after the power-off"
fi

check "mount after the power cut" mount -t ocfsx "$DEV" "$MNT"
check "size kept" [ "$(stat -c %s "$MNT/f")" = $((N * U)) ]
check "synced clusters hold Z" [ "$(head -c $((16 * U)) "$MNT/f" | tr -d Z | wc -c)" = 0 ]
check "no byte other than 0 and Z (no stale 0xAA)" [ "$(tr -d 'Z\000' <"$MNT/f" | wc -c)" = 0 ]
echo "clusters with Z after the cut: $(($(tr -d '\000' <"$MNT/f" | wc -c) / U))"
check "umount" umount "$MNT"
check "fsck.ocfsx -fn clean after the power cut" fsck.ocfsx -fn "$DEV"
check "o2cbx offline" o2cbx offline "$CL"
barrier checked
