# fs-recovery: node 1 writes and commits (an inline file and a file
# converted from inline to extents among it), then is powered off without
# unmounting; booted again, its mount must replay its slot's journal (one
# kernel line says so), show the committed data, and leave a volume that
# fsck.ocfsx -n -f finds clean. Node 2 first tries to mount the volume
# while node 1 has it mounted (refused with one line: one node at a time
# until the DLM lands), then pulls the plug. Then node 1 mounts, writes
# and commits again and is powered off for good: node 2's mount finds
# node 1's slot with a dead heartbeat, replays its journal and frees the
# slot (one line), shows node 1's data, and fsck.ocfsx -n -f is clean.
# vm: nodes=2 timeout=900 disk=256M
. /lib/ocfsx/lib.sh

fs_env

if [ "$OCFSX_NODE" = 2 ]; then
	cluster_online "$CL"
	barrier mounted
	dmesg -c >/dev/null
	if mount -t ocfsx "$DEV" "$MNT" 2>/dev/null; then
		umount "$MNT"
		fail "second node mounted a volume node 1 has mounted"
	fi
	check "refused: node 1 has the volume mounted" sh -c "dmesg | grep -q 'ocfsx: vda: node 1 has this volume mounted; ocfsx mounts a volume on one node at a time'"
	check "nothing mounted here" sh -c "! grep -q ' $MNT ' /proc/mounts"
	check "node 2 took no slot" sh -c "! debugfs.ocfsx -R slotmap $DEV | awk '\$2 == 2' | grep -q ."
	barrier committed
	check "power node 1 off" hostctl kill 1
	check "boot node 1 again" hostctl start 1
	barrier recovered
	barrier committed2
	check "power node 1 off for good" hostctl kill 1
	dmesg -c >/dev/null
	check "mount: node 1's slot is recovered here" mount -t ocfsx "$DEV" "$MNT"
	dmesg | grep -F "ocfsx: " || true
	check "one line: node 1's slot recovered and freed" [ "$(dmesg | grep -cx '.*ocfsx: vda: slot 0 of dead node 1 recovered (journal replayed) and freed')" = 1 ]
	check "we took slot 1" sh -c "grep ' $MNT ' /proc/mounts | grep -q ',slot=1'"
	seq 1 70000 >/tmp/data2
	check "node 1's committed file has its content" sh -c "[ \"\$(md5sum <$MNT/second)\" = \"\$(md5sum </tmp/data2)\" ]"
	check "node 1's committed directory is there" [ -d "$MNT/dir2" ]
	check "umount" umount "$MNT"
	check "slot 0 is free" sh -c "debugfs.ocfsx -R slotmap $DEV | awk '\$1 == 0 && \$2 != \"of\" { print \$2 }' | grep -qx free"
	check "slot 0's journal is clean" sh -c "debugfs.ocfsx -R stats $DEV | grep 'slot 0:' >/tmp/j0 && ! grep -q 'marked dirty' /tmp/j0"
	check "slot 0's recovery generation bumped again" sh -c "debugfs.ocfsx -R 'stat //journal:0000' $DEV | grep -q 'Recovery generation: 2'"
	check "fsck.ocfsx -n -f clean after recovering node 1's slot" fsck.ocfsx -n -f "$DEV"
	check "o2cbx offline" o2cbx offline "$CL"
	exit 0
fi

cluster_online "$CL"
seq 1 60000 >/tmp/data
if [ "$OCFSX_BOOT" = 1 ]; then
	check "mkfs.ocfsx" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
	check "mount" mount -t ocfsx -o commit=600 "$DEV" "$MNT"
	barrier mounted
	check "write a file" cp /tmp/data "$MNT/kept"
	check "mkdir" mkdir "$MNT/dir"
	check "rename into it" mv "$MNT/kept" "$MNT/dir/kept"
	check "an inline file" sh -c "printf small >'$MNT/inl'"
	check "an inline file converted by an append" sh -c "printf small >'$MNT/conv' && cat /tmp/data >>'$MNT/conv'"
	check "sync (commits the journal)" sync
	check "journal marked dirty on disk" sh -c "debugfs.ocfsx -R stats $DEV | grep 'slot 0:' | grep -q 'marked dirty'"
	barrier committed
	sleep 600
	fail "still running after the power-off"
fi

dmesg -c >/dev/null
check "mount after the crash" mount -t ocfsx "$DEV" "$MNT"
dmesg | grep -F "ocfsx: " || true
check "kernel says the journal was replayed" sh -c "dmesg | grep -q 'ocfsx: vda: journal of slot 0 was left dirty; replayed'"
check "renamed file has its content" sh -c "[ \"\$(md5sum <$MNT/dir/kept)\" = \"\$(md5sum </tmp/data)\" ]"
check "old name is gone" [ ! -e "$MNT/kept" ]
check "inline file after the replay" [ "$(cat "$MNT/inl")" = small ]
check "converted file after the replay" sh -c "[ \"\$(md5sum <$MNT/conv)\" = \"\$( (printf small; cat /tmp/data) | md5sum)\" ]"
check "umount" umount "$MNT"
check "recovery generation bumped" sh -c "debugfs.ocfsx -R 'stat //journal:0000' $DEV | grep -q 'Recovery generation: 1'"
check "fsck.ocfsx -n -f clean after recovery" fsck.ocfsx -n -f "$DEV"
barrier recovered
check "mount again" mount -t ocfsx -o commit=600 "$DEV" "$MNT"
check "write a second file" sh -c "seq 1 70000 >$MNT/second"
check "mkdir" mkdir "$MNT/dir2"
check "sync (commits the journal)" sync
barrier committed2
sleep 600
fail "still running after the second power-off"
