# fs-corrupt: damaged metadata is reported with inode and block, handled
# as errors= says (remount-ro / continue), and never oopses: a flipped
# byte in a file's inode block, in a directory's dirent block, and in an
# extent block. The error is recorded on disk (s_state ERROR), the next
# mount says fsck is needed, and a clean fsck.ocfsx run clears it.
# vm: nodes=1 timeout=600 disk=256M
. /lib/ocfsx/lib.sh

fs_env

# flip BLOCK OFFSET: inverts one byte of a 4 KiB block on the device.
# state: the superblock's s_state as debugfs.ocfsx shows it.
state() {
	debugfs.ocfsx -R stats "$DEV" | sed -n 's/^ *State: //p'
}

flip() {
	b=$(dd if="$DEV" bs=1 skip=$(($1 * 4096 + $2)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	printf "\\$(printf '%03o' $((255 - b)))" |
		dd of="$DEV" bs=1 seek=$(($1 * 4096 + $2)) conv=notrunc,fsync 2>/dev/null
}

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
check "mount" mount -t ocfsx "$DEV" "$MNT"
check "victim file" sh -c "echo data >'$MNT/victim'"
check "bystander file" sh -c "echo fine >'$MNT/bystander'"
check "dir with a dirent block" mkdir "$MNT/dir"
i=0
while [ $i -lt 150 ]; do : >"$MNT/dir/name-long-enough-to-fill-the-inline-body-$i"; i=$((i + 1)); done
ino=$(stat -c %i "$MNT/victim")
dino=$(stat -c %i "$MNT/dir")
check "umount" umount "$MNT"
dblk=$(debugfs.ocfsx -R "stat <$dino>" "$DEV" | awk '/^ *0 +[0-9]+ +[0-9]+/ { print $2; exit }')
echo "victim inode $ino, dir inode $dino, first dirent block $dblk"
check "dirent block found" [ -n "$dblk" ]
check "state clean before any error" [ "$(state)" = "0x1 (clean)" ]

flip "$ino" 300
dmesg -c >/dev/null
check "mount with errors=remount-ro" mount -t ocfsx -o errors=remount-ro "$DEV" "$MNT"
check "stat of the damaged inode fails with EUCLEAN" sh -c "stat '$MNT/victim' 2>&1 | grep -q 'Structure needs cleaning'"
dmesg | grep -F "ocfsx: " || true
check "one line names inode and block and the cause" sh -c "dmesg | grep -q 'ocfsx: vda: corruption in .*: inode $ino: block $ino (inode): checksum mismatch (torn or corrupted block); run fsck.ocfsx'"
check "remounted read-only" sh -c "grep ' $MNT ' /proc/mounts | grep -q ' ro,'"
check "writes now fail with EROFS" sh -c "touch '$MNT/new' 2>&1 | grep -q 'Read-only file system'"
check "the bystander is still readable" [ "$(cat "$MNT/bystander")" = fine ]
check "umount" umount "$MNT"
check "s_state ERROR on disk (and not clean: the volume went read-only)" [ "$(state)" = "0x2 (error)" ]

flip "$ino" 300
flip "$dblk" 40
dmesg -c >/dev/null
check "mount with errors=continue" mount -t ocfsx -o errors=continue "$DEV" "$MNT"
check "the mount says fsck is needed, once" [ "$(dmesg | grep -cF 'ocfsx: vda: volume is marked with errors (corruption was found): fsck is needed, unmount it and run fsck.ocfsx -f')" = 1 ]
check "victim readable again after the byte was restored" [ "$(cat "$MNT/victim")" = data ]
check "lookup in the damaged directory fails with EUCLEAN" sh -c "stat '$MNT/dir/name-long-enough-to-fill-the-inline-body-0' 2>&1 | grep -q 'Structure needs cleaning'"
check "dirent block reported with directory and block" sh -c "dmesg | grep -q 'inode $dino: block $dblk (dirent block): checksum mismatch'"
check "still read-write with errors=continue" sh -c "grep ' $MNT ' /proc/mounts | grep -q ' rw,'"
check "a new file can still be made" sh -c "echo ok >'$MNT/after'"
check "umount" umount "$MNT"
check "fsck.ocfsx -n -f reports the damaged block" sh -c "! fsck.ocfsx -n -f '$DEV' >/tmp/fsck.out 2>&1; grep -q '$dblk' /tmp/fsck.out"
check "ERROR kept, CLEAN set by the clean unmount" [ "$(state)" = "0x3 (clean error)" ]
flip "$dblk" 40
check "fsck.ocfsx -f -y after the byte was restored: no problems" fsck.ocfsx -f -y "$DEV"
check "the clean fsck run cleared ERROR" [ "$(state)" = "0x1 (clean)" ]
dmesg -c >/dev/null
check "mount after fsck" mount -t ocfsx "$DEV" "$MNT"
check "no fsck-needed line now" sh -c "! dmesg | grep -q 'marked with errors'"
check "umount" umount "$MNT"
check "o2cbx offline" o2cbx offline "$CL"
