# fs-fuzz-mount: 50 damaged images (tests/guest/fs_fuzz.cc: bit flips with
# a stale or a recomputed checksum, edge values in header and record
# fields) of a small populated volume, one metadata block each, over the
# superblock, inodes, system inodes, extent blocks, group descriptors,
# dirent blocks, slot map, heartbeat and journal superblock. Each image is
# mounted: the mount either fails with a kernel line saying why, or works
# and then ls -lR, reading every file, creating, writing and removing and
# umount all return (errors allowed) and nothing oopses (the harness fails
# on BUG/Oops/WARNING). fsck.ocfsx -f -n must not crash on any of them.
# Every mount first watches its heartbeat region for a dead time (seconds
# of sleep), so three streams, each with a volume of its own (its own UUID,
# so its own region) on a loop device over tmpfs, take the cases in turn
# side by side; a marker line in the kernel log tells each image's kernel
# lines apart. OCFSX_TEST_FUZZ_CASES and OCFSX_TEST_SEED (printed) change
# the set.
# vm: nodes=1 timeout=900 disk=16M
. /lib/ocfsx/lib.sh

fs_env
VOL_BLOCKS=16384
CASES=${OCFSX_TEST_FUZZ_CASES:-50}
SEED=${OCFSX_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "fs-fuzz-mount: seed $SEED (OCFSX_TEST_SEED=$SEED replays it), $CASES images"

STREAMS=3
OCFSX_RELAXED_HB=1 cluster_online "$CL"

populate() {
	set -e
	echo small >"$1/small"
	seq 1 30000 >"$1/medium"
	mkdir "$1/dir" "$1/dir/sub"
	i=0
	while [ $i -lt 120 ]; do
		: >"$1/dir/entry-with-a-name-long-enough-to-fill-blocks-$i"
		i=$((i + 1))
	done
	# A fragmented file: one block every other cluster grows an extent block.
	i=0
	while [ $i -lt 300 ]; do
		dd if=/dev/zero of="$1/dir/sub/frag" bs=4096 count=1 seek=$((i * 2)) conv=notrunc 2>/dev/null
		i=$((i + 1))
	done
	ln "$1/small" "$1/dir/hardlink"
	ln -s ../small "$1/dir/symlink"
	ln -s "$(printf '%0200d' 0)" "$1/dir/longlink"
	mknod "$1/dir/fifo" p
}

# exercise MNT: everything a user might do on a damaged volume; failures
# are fine, a hang is not.
exercise() {
	timeout 60 ls -lR "$1" >/dev/null 2>&1 || true
	timeout 60 find "$1" -type f -exec cat {} + >/dev/null 2>&1 || true
	timeout 60 sh -c "echo new >'$1/new' && seq 1 5000 >>'$1/medium' && mkdir '$1/newdir' && mv '$1/small' '$1/newdir/' && rm -rf '$1/dir/sub' && touch '$1/dir/entry-with-a-name-long-enough-to-fill-blocks-5'" >/dev/null 2>&1 || true
	timeout 60 sync || true
}

# kernel_says CASE LOOPDEV: the first kernel line about LOOPDEV since the
# marker of CASE (the other streams log in between).
kernel_says() {
	dmesg | awk -v m="fs-fuzz-mount: image $1 starts" 'on; index($0, m) { on = 1 }' |
		grep -F "ocfsx: $2: " | head -n 1
}

# stream S: formats, populates and snapshots stream S's volume, then
# mounts images S, S + STREAMS, ... of it; counts go to /tmp/counts-S.
stream() {
	s=$1 dev=$(cat "/tmp/loop-$s") mnt=$MNT-$s
	ld=${dev#/dev/}
	mkdir -p "$mnt"
	check "stream $s: mkfs.ocfsx (64 MiB volume)" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$dev" "$VOL_BLOCKS"
	check "stream $s: mount" mount -t ocfsx "$dev" "$mnt"
	check "stream $s: populate" populate "$mnt"
	check "stream $s: umount" umount "$mnt"
	check "stream $s: fsck.ocfsx -f -n clean before the damage" fsck.ocfsx -f -n "$dev"
	check "stream $s: snapshot of the volume" fs_fuzz snapshot "$dev" "$VOL_BLOCKS" "/tmp/snap-$s"
	mounted=0 refused=0 c=$s
	while [ $c -lt "$CASES" ]; do
		check "image $c" fs_fuzz make "$dev" "/tmp/snap-$s" "$SEED" "$c"
		opt=remount-ro
		[ $((c % 2)) = 0 ] || opt=continue
		echo "fs-fuzz-mount: image $c starts" >/dev/kmsg
		if mount -t ocfsx -o errors=$opt "$dev" "$mnt" 2>/dev/null; then
			mounted=$((mounted + 1))
			exercise "$mnt"
			check "image $c: umount" umount "$mnt"
			echo "image $c: mounted (errors=$opt); kernel said: $(kernel_says "$c" "$ld")"
		else
			refused=$((refused + 1))
			why=$(kernel_says "$c" "$ld")
			echo "image $c: refused: $why"
			check "image $c: the refusal says why" [ -n "$why" ]
		fi
		rc=0
		fsck.ocfsx -f -n "$dev" >"/tmp/fsck-$s.out" 2>&1 || rc=$?
		check "image $c: fsck.ocfsx -f -n does not crash (exit $rc)" [ "$rc" -lt 128 ]
		c=$((c + STREAMS))
	done
	echo "$mounted $refused" >"/tmp/counts-$s"
}

s=0
while [ $s -lt $STREAMS ]; do
	check "stream $s: 64 MiB tmpfs file" truncate -s $((VOL_BLOCKS * 4096)) "/tmp/vol-$s"
	loop=$(losetup -f) || fail "stream $s: no free loop device"
	check "stream $s: $loop over /tmp/vol-$s" losetup "$loop" "/tmp/vol-$s"
	echo "$loop" >"/tmp/loop-$s"
	s=$((s + 1))
done
pids=""
s=0
while [ $s -lt $STREAMS ]; do
	stream $s &
	pids="$pids $!"
	s=$((s + 1))
done
bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
[ $bad = 0 ] || fail "$bad of $STREAMS streams failed (see above)"
mounted=0 refused=0
s=0
while [ $s -lt $STREAMS ]; do
	read -r m r <"/tmp/counts-$s"
	mounted=$((mounted + m)) refused=$((refused + r))
	s=$((s + 1))
done
check "every image mounted or refused" [ $((mounted + refused)) = "$CASES" ]
echo "fs-fuzz-mount: $mounted images mounted, $refused refused"
check "o2cbx offline" o2cbx offline "$CL"
