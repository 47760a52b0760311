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
# Meanwhile tests/guest/meta_hammer's threads change one inode's times,
# mode, owner, xattrs and size at once (first 6 s alone, where every call
# must succeed, then paced through the cut): no checksum or corruption
# line may be logged after the replay, and fsck covers that inode too.
#
# Then long unmaps on a small journal: 512-byte blocks, a 4 MiB journal
# (jbd2 takes at most 2048 blocks per transaction) and a file of $E
# one-cluster extents, more leaves than one transaction holds. Truncate to
# 0 and a punch over the whole file must commit between leaves and leave
# fsck.ocfsx -fn clean; then node 1 pulls its own plug in the middle of a
# third one: the next mount finishes it from the orphan directory (one line),
# nothing is left allocated, fsck clean.
# vm: nodes=2 timeout=900 disk=256M
. /lib/ocfsx/lib.sh

fs_env
U=4096
N=2048	# clusters in the file (8 MiB)
E=${OCFSX_TEST_EXTENTS:-40000}	# extents of the long-unmap file
# Hole writers: file, byte, its code, unit, count, how (extent_io holes).
HOLES="d D 0x44 1048576 48 direct
s S 0x53 65536 256 sparse
r R 0x52 65536 256 range
y F 0x46 65536 128 fsync
t T 0x54 1048576 1 stall"

# Fails if ocfsx or jbd2 logged a checksum or corruption line.
no_csum_errors() {
	! dmesg | grep -iE "ocfsx|jbd2" | grep -iE "checksum|corruption"
}

if [ "$OCFSX_NODE" = 2 ]; then
	barrier writing
	sleep $((3 + $(od -An -N1 -tu1 /dev/urandom) % 4))
	check "power node 1 off in the middle of the writes" hostctl kill 1
	check "boot node 1 again" hostctl start 1
	barrier checked
	barrier truncating	# node 1 powers itself off mid-truncate
	check "boot node 1 again (3)" hostctl start 1
	barrier checked2
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
	check "fill the free space with 0xC3" extent_io fill "$MNT/fill" 0xc3
	check "delete the filler" rm "$MNT/fill"
	sync
	dmesg -c >/dev/null
	check "meta_hammer: 8 threads change one inode's metadata" meta_hammer "$MNT/m" 6
	check "no checksum or corruption line while hammering" no_csum_errors
	# Paced, so that the extent writes below still get most of the CPU.
	meta_hammer "$MNT/m" 600 5000 &
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

size_blocks() { stat -c '%s %b' "$MNT/$1"; }
nrecs() {
	debugfs.ocfsx -R "stat /$1" "$DEV" | grep -c '^    [0-9]'
}
expect() {	# expect WHAT GOT WANT
	[ "$2" = "$3" ] && echo "ok: $1 ($2)" || fail "$1: got '$2', want '$3'"
}

if [ "$OCFSX_BOOT" = 3 ]; then
	dmesg -c >/dev/null
	check "mount after the cut in the truncate" mount -t ocfsx "$DEV" "$MNT"
	dmesg | grep -F "ocfsx: " || true
	check "one line: the cut-short truncate finished" [ "$(dmesg | grep -cx '.*ocfsx: vda: slot 0: 0 orphans freed, 1 cut-short truncates finished')" = 1 ]
	expect "big: nothing left" "$(size_blocks big)" "0 0"
	check "umount" umount "$MNT"
	check "fsck.ocfsx -fn clean after the cut in the truncate" fsck.ocfsx -fn "$DEV"
	expect "big: no extents" "$(nrecs big)" 0
	check "orphan_dir:0000 listed" sh -c "debugfs.ocfsx -R 'ls //orphan_dir:0000' $DEV >/tmp/od"
	expect "orphan_dir:0000 holds only . and .." "$(awk '{ print $3 }' /tmp/od | tr '\n' ' ')" ". .. "
	check "o2cbx offline" o2cbx offline "$CL"
	barrier checked2
	exit 0
fi

dmesg -c >/dev/null
check "mount after the power cut" mount -t ocfsx "$DEV" "$MNT"
check "hammered inode readable" sh -c "stat '$MNT/m' >/dev/null && cat '$MNT/m' >/dev/null"
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
check "no checksum or corruption line after the replay" no_csum_errors
check "fsck.ocfsx -fn clean after the power cut" fsck.ocfsx -fn "$DEV"
barrier checked

# ==== long unmaps on a small journal =========================================
big() {	# big WHAT: a fresh file of $E separate extents
	t0=$(date +%s)
	check "$E separate unwritten clusters ($1)" extent_io ffrag "$MNT/big" $U $E
	echo "making $E extents took $(($(date +%s) - t0)) s"
}
check "mkfs.ocfsx -b 512 -J size=4M" mkfs.ocfsx -q -F -b 512 -C 4K -J size=4M --cluster-name "$CL" -N 2 "$DEV"
check "mount (512-byte blocks)" mount -t ocfsx "$DEV" "$MNT"
big "for the truncate"
# $E one-cluster records: depth 3 at 18 per extent block and 11 in the
# inode (debugfs would take 15 s to list them, so only the count).
expect "big: sectors" "$(stat -c %b "$MNT/big")" $((E * 8))
check "umount" umount "$MNT"
check "mount" mount -t ocfsx "$DEV" "$MNT"
# unmap_all WHAT SIZE_BLOCKS CMD...: CMD frees all of big; then big has
# SIZE_BLOCKS ("size sectors"), fsck is clean, and a fresh big follows.
unmap_all() {
	what=$1 want=$2
	shift 2
	t0=$(date +%s)
	check "$what all of big" "$@"
	echo "$what $E extents took $(($(date +%s) - t0)) s"
	expect "big: size and blocks after the $what" "$(size_blocks big)" "$want"
	check "umount" umount "$MNT"
	check "fsck.ocfsx -fn clean after the long $what" fsck.ocfsx -fn "$DEV"
	expect "big: no extents after the $what" "$(nrecs big)" 0
	check "mount" mount -t ocfsx "$DEV" "$MNT"
	check "rm big" rm "$MNT/big"
}
unmap_all truncate "0 0" truncate -s 0 "$MNT/big"
big "for the punch"
unmap_all punch "$(((2 * E - 1) * U)) 0" extent_io falloc "$MNT/big" punch 0 $((2 * E * U))
big "for the cut"
sync
J=$(echo /proc/fs/jbd2/vda-*)
read -r c0 rest <"$J/info"
truncate -s 0 "$MNT/big" &
tpid=$!
# Node 1 pulls its own plug (no barrier round trip) once a commit happened
# since the truncate started: its first batches and the orphan entry are on
# disk, the rest is not done. Shell builtins only, so the loop forks nothing.
c=$c0
while kill -0 $tpid 2>/dev/null; do
	read -r c rest <"$J/info"
	[ "$c" -gt "$c0" ] && break
done
kill -0 $tpid 2>/dev/null || fail "the truncate finished before its first commit ($c0 -> $c)"
hostctl kill 1
sleep 600
fail "still running after the power-off"
