# fs-fuzz-mount: 50 damaged images (tests/guest/fs_fuzz.cc: bit flips with
# a stale or a recomputed checksum, edge values in header and record
# fields) of a small populated volume, one metadata block each, over the
# superblock, inodes, system inodes, extent blocks, group descriptors,
# dirent blocks, slot map, heartbeat and journal superblock. Each image is
# mounted: the mount either fails with a kernel line saying why, or works
# and then ls -lR, reading every file, creating, writing and removing and
# umount all return (errors allowed; ls -lR and find must end within
# 60 s) and nothing oopses (the harness fails
# on BUG/Oops/WARNING). fsck.ocfsx -f -n must not crash on any of them.
# OCFSX_TEST_FUZZ_CASES and OCFSX_TEST_SEED (printed) change the set.
# vm: nodes=1 timeout=900 disk=128M
. /lib/ocfsx/lib.sh

fs_env
VOL_BLOCKS=16384
CASES=${OCFSX_TEST_FUZZ_CASES:-50}
SEED=${OCFSX_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "fs-fuzz-mount: seed $SEED (OCFSX_TEST_SEED=$SEED replays it), $CASES images"

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx (64 MiB volume)" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV" "$VOL_BLOCKS"
check "mount" mount -t ocfsx "$DEV" "$MNT"
populate() {
	set -e
	echo small >"$MNT/small"
	seq 1 30000 >"$MNT/medium"
	mkdir "$MNT/dir" "$MNT/dir/sub"
	i=0
	while [ $i -lt 120 ]; do
		: >"$MNT/dir/entry-with-a-name-long-enough-to-fill-blocks-$i"
		i=$((i + 1))
	done
	# A fragmented file: one block every other cluster grows an extent block.
	i=0
	while [ $i -lt 300 ]; do
		dd if=/dev/zero of="$MNT/dir/sub/frag" bs=4096 count=1 seek=$((i * 2)) conv=notrunc 2>/dev/null
		i=$((i + 1))
	done
	ln "$MNT/small" "$MNT/dir/hardlink"
	ln -s ../small "$MNT/dir/symlink"
	ln -s "$(printf '%0200d' 0)" "$MNT/dir/longlink"
	mknod "$MNT/dir/fifo" p
}
check "populate" populate
check "umount" umount "$MNT"
check "fsck.ocfsx -f -n clean before the damage" fsck.ocfsx -f -n "$DEV"
check "snapshot of the volume" fs_fuzz snapshot "$DEV" "$VOL_BLOCKS" /tmp/snap

# exercise: everything a user might do on a damaged volume; failures are
# fine, a hang is not.
exercise() {
	# A walk of this small tree still going after 60 s loops (readdir
	# once handed out its last good entry again and again).
	rc=0
	timeout 60 ls -lR "$MNT" >/dev/null 2>&1 || rc=$?
	case $rc in 124|143) fail "image $c: ls -lR of the damaged volume ran 60 s without ending" ;; esac
	rc=0
	timeout 60 find "$MNT" -type f -exec cat {} + >/dev/null 2>&1 || rc=$?
	case $rc in 124|143) fail "image $c: find over the damaged volume ran 60 s without ending" ;; esac
	timeout 60 sh -c "echo new >'$MNT/new' && seq 1 5000 >>'$MNT/medium' && mkdir '$MNT/newdir' && mv '$MNT/small' '$MNT/newdir/' && rm -rf '$MNT/dir/sub' && touch '$MNT/dir/entry-with-a-name-long-enough-to-fill-blocks-5'" >/dev/null 2>&1 || true
	timeout 60 sync || true
}

mounted=0 refused=0 c=0
while [ $c -lt "$CASES" ]; do
	check "image $c" fs_fuzz make "$DEV" /tmp/snap "$SEED" "$c"
	opt=remount-ro
	[ $((c % 2)) = 0 ] || opt=continue
	dmesg -c >/dev/null
	if mount -t ocfsx -o errors=$opt "$DEV" "$MNT" 2>/dev/null; then
		mounted=$((mounted + 1))
		exercise
		check "image $c: umount" umount "$MNT"
		echo "image $c: mounted (errors=$opt); kernel said: $(dmesg | grep -F 'ocfsx: vda: ' | head -1)"
	else
		refused=$((refused + 1))
		why=$(dmesg | grep -F 'ocfsx: vda: ' | head -1)
		echo "image $c: refused: $why"
		check "image $c: the refusal says why" [ -n "$why" ]
	fi
	rc=0
	fsck.ocfsx -f -n "$DEV" >/tmp/fsck.out 2>&1 || rc=$?
	check "image $c: fsck.ocfsx -f -n does not crash (exit $rc)" [ "$rc" -lt 128 ]
	c=$((c + 1))
done
echo "fs-fuzz-mount: $mounted images mounted, $refused refused"
check "o2cbx offline" o2cbx offline "$CL"
