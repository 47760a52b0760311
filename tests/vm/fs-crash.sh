# fs-crash: 10 power cuts at random moments while node 1 runs
# tests/guest/fs_crash.cc, which writes files with known bytes, fsyncs
# some of them (and their directory) and records each fsync'ed file in a
# log on the raw disk past the end of the volume. Node 2 holds the power
# switch: after a random delay it cuts node 1 off and boots it again.
# After an odd round's cut node 1 mounts (replaying its own journal),
# unmounts and runs fsck.ocfsx -f -n (must be clean); after an even
# round's, node 2 does that while node 1 boots (its mount finds node 1's
# slot with a dead heartbeat, replays that journal and frees the slot), so
# both recovery paths are cut at random moments and half of the reboots
# overlap a check. Then node 1 mounts and checks that every recorded file
# has exactly its bytes and every other surviving file a prefix of them.
# OCFSX_TEST_SEED replays a run (node 1 prints the seed and leaves it on
# disk for node 2's delays); OCFSX_TEST_CRASH_ROUNDS changes the number of
# cuts.
# vm: nodes=2 timeout=900 disk=256M
. /lib/ocfsx/lib.sh

fs_env
ROUNDS=${OCFSX_TEST_CRASH_ROUNDS:-10}
VOL_BLOCKS=61440 # 240 MiB of 4 KiB blocks; the rest of the disk is not the volume
LOG="$DEV:$((VOL_BLOCKS * 4096))"
SEED_BLOCK=$((VOL_BLOCKS + 512))

# replayed_here ROUND: node 2's mount recovers node 1's slot, says so in
# one line, and fsck.ocfsx -f -n finds the volume clean afterwards.
replayed_here() {
	dmesg -c >/dev/null
	check "round $1: node 2's mount recovers node 1's slot" mount -t ocfsx "$DEV" "$MNT"
	dmesg | grep -F "ocfsx: " || true
	check "round $1: one line says node 1's slot was recovered and freed" \
		[ "$(dmesg | grep -c 'ocfsx: vda: slot [0-9]* of dead node 1 recovered (journal [a-z ]*) and freed$')" = 1 ]
	check "round $1: umount" umount "$MNT"
	check "round $1: fsck.ocfsx -f -n clean after node 2's recovery" fsck.ocfsx -f -n "$DEV"
}

OCFSX_RELAXED_HB=1 cluster_online "$CL" 2

if [ "$OCFSX_NODE" = 2 ]; then
	barrier seeded
	SEED=$(dd if="$DEV" bs=4096 skip=$SEED_BLOCK count=1 2>/dev/null | tr -d '\000')
	echo "fs-crash: seed $SEED"
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		delay=$(awk -v s="$SEED" -v r="$r" 'BEGIN { srand(s + r * 7919); printf "%d", 500000 + rand() * 7000000 }')
		barrier "go$r"
		usleep "$delay"
		hostctl log "fs-crash round $r: power cut $delay us into the workload"
		check "power node 1 off" hostctl kill 1
		check "boot node 1 again" hostctl start 1
		if [ $((r % 2)) = 0 ]; then
			replayed_here "$r"
			barrier "replayed$r"
		fi
		r=$((r + 1))
	done
	barrier done
	exit 0
fi

if [ "$OCFSX_BOOT" = 1 ]; then
	SEED=${OCFSX_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	echo "fs-crash: seed $SEED (OCFSX_TEST_SEED=$SEED replays it), $ROUNDS rounds"
	check "mkfs.ocfsx (240 MiB of the 256 MiB disk)" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV" "$VOL_BLOCKS"
	check "seed on disk for node 2" sh -c "echo $SEED | dd of=$DEV bs=4096 seek=$SEED_BLOCK conv=notrunc,sync,fsync 2>/dev/null"
	barrier seeded
	check "mount" mount -t ocfsx "$DEV" "$MNT"
else
	SEED=$(dd if="$DEV" bs=4096 skip=$SEED_BLOCK count=1 2>/dev/null | tr -d '\000')
	prev=$((OCFSX_BOOT - 1))
	if [ $((prev % 2)) = 0 ]; then
		echo "fs-crash: round $prev, seed $SEED: node 2 recovers the volume"
		barrier "replayed$prev"
		check "mount after node 2's recovery" mount -t ocfsx "$DEV" "$MNT"
	else
		echo "fs-crash: round $prev, seed $SEED: checking after the power cut"
		dmesg -c >/dev/null
		check "mount after the cut (journal replay)" mount -t ocfsx "$DEV" "$MNT"
		dmesg | grep -F "ocfsx: " || true
		check "umount" umount "$MNT"
		check "fsck.ocfsx -f -n clean after the cut" fsck.ocfsx -f -n "$DEV"
		check "mount again" mount -t ocfsx "$DEV" "$MNT"
	fi
	check "fsync'ed files have exactly their bytes" fs_crash verify "$MNT" "$LOG" "$SEED" "$prev"
	check "remove round $prev" rm -rf "$MNT/r$prev"
fi

if [ "$OCFSX_BOOT" -gt "$ROUNDS" ]; then
	check "umount" umount "$MNT"
	check "fsck.ocfsx -f -n clean at the end" fsck.ocfsx -f -n "$DEV"
	check "o2cbx offline" o2cbx offline "$CL"
	barrier done
	exit 0
fi

barrier "go$OCFSX_BOOT"
fs_crash work "$MNT" "$LOG" "$SEED" "$OCFSX_BOOT" || fail "workload failed before the power cut"
sleep 600
fail "still running after the power cut"
