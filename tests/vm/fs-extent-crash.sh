# fs-extent-crash: power cut while buffered writes convert unwritten extents.
# Node 1 fallocates a file, fills the disk under it with 0xAA behind the
# file system's back, then writes 'Z' clusters into it without fsync
# (commit=1), one cluster in two, until node 2 pulls the plug. After the
# replay every byte of the file must be 0 (still unwritten, or converted with its data) or 'Z': a
# conversion that committed before its data would show 0xAA. The clusters
# synced before the cut must hold 'Z', and fsck.ocfsx -fn must be clean.
# In the same boot, before the cut, a file filled the free space with 0xC3
# and was deleted; then writers allocate into holes of new files while the
# plug is pulled: O_DIRECT appends with gaps (direct I/O allocates past
# EOF), O_DIRECT into a sparse file (holes inside i_size), buffered with
# sync_file_range, buffered with fsync, and one 2 MiB O_DIRECT write whose
# source buffer stalls in a userfaultfd page fault after 1.5 MiB (its first
# blocks are mapped, their data not sent, for seconds: the commits and the
# cut happen there). After the replay each file is
# extended to its full span (so clusters mapped past EOF show too) and must
# hold only its own byte and zeros: a cluster mapped before its data
# reached the disk would show 0xC3.
# vm: nodes=2 timeout=900 disk=256M
. /lib/ocfsx/lib.sh

export OCFSX_MODULE=/lib/ocfsx/ocfsx.ko
CL=fstest
MNT=/mnt/ocfsx
DEV=$OCFSX_DISK
U=4096
N=2048	# clusters in the file (8 MiB)
# Hole writers: file, byte, its code, unit, count, how (extent_io holes).
HOLES="d D 0x44 1048576 48 direct
s S 0x53 65536 256 sparse
r R 0x52 65536 256 range
y F 0x46 65536 128 fsync
t T 0x54 1048576 1 stall"

if [ "$OCFSX_NODE" = 2 ]; then
	barrier writing
	sleep $((3 + $(od -An -N1 -tu1 /dev/urandom) % 4))
	check "power node 1 off in the middle of the writes" hostctl kill 1
	check "boot node 1 again" hostctl start 1
	barrier checked
	exit 0
fi

# Node 2 only holds the plug: the cluster has node 1 alone.
OCFSX_RELAXED_HB=1 cluster_online "$CL" 1
mkdir -p "$MNT"
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
	check "fill the free space with 0xC3" extent_io fill "$MNT/fill" 0xc3
	check "delete the filler" rm "$MNT/fill"
	sync
	while read -r name byte code unit count how; do
		if [ "$how" = stall ]; then
			extent_io stall "$MNT/$name" "$code" &
		else
			extent_io holes "$MNT/$name" "$unit" "$count" "$code" "$how" &
		fi
	done <<EOF
$HOLES
EOF
	sleep 1
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
while read -r name byte code unit count how; do
	check "$how file $name exists" [ -f "$MNT/$name" ]
	[ "$how" != stall ] ||
		check "the stalled write never completed" [ "$(stat -c %s "$MNT/$name")" = 0 ]
	check "extend $name to its span" truncate -s $((2 * count * unit)) "$MNT/$name"
	check "$name ($how): no byte other than 0 and $byte (no stale 0xC3)" \
		[ "$(tr -d "$byte\000" <"$MNT/$name" | wc -c)" = 0 ]
	echo "$name ($how): $(($(tr -d '\000' <"$MNT/$name" | wc -c) / unit)) units written before the cut"
done <<EOF
$HOLES
EOF
check "umount" umount "$MNT"
debugfs.ocfsx -R "stat /t" "$DEV" | awk '/^    [0-9]/ { print $2, $3, $4 }' >/tmp/recs
cat /tmp/recs
check "t: the stalled write's clusters are mapped, unwritten" \
	[ "$(awk '$3 == "unwritten" { n += $2 } END { print n + 0 }' /tmp/recs)" -gt 0 ]
check "fsck.ocfsx -fn clean after the power cut" fsck.ocfsx -fn "$DEV"
check "o2cbx offline" o2cbx offline "$CL"
barrier checked
