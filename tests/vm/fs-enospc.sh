# fs-enospc: filling the volume gives ENOSPC to writes and creates without
# turning the filesystem read-only; deleting gives the space back, and
# fsck.ocfsx -n -f finds the volume clean.
# vm: nodes=1 timeout=600 disk=256M
. /lib/ocfsx/lib.sh

fs_env

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
check "mount" mount -t ocfsx "$DEV" "$MNT"
free0=$(stat -f -c %f "$MNT")
if dd if=/dev/zero of="$MNT/fill" bs=1M count=400 2>/tmp/dd.err; then
	fail "writing 400 MiB to a 256 MiB volume succeeded"
fi
check "dd stopped with ENOSPC" grep -q "No space left on device" /tmp/dd.err
check "statfs shows (almost) no free space" [ "$(stat -f -c %f "$MNT")" -lt 16 ]
size=$(stat -c %s "$MNT/fill")
echo "filled $size bytes ($free0 clusters were free)"
# Less the first inode group (1024 clusters) the file's inode came from.
check "the full file holds the rest of the free space" [ $((size / 4096)) -gt $((free0 - 1100)) ]
i=0
while [ $i -lt 20 ] && echo x >"$MNT/small-$i" 2>/dev/null; do i=$((i + 1)); done
check "still read-write after ENOSPC" sh -c "grep ' $MNT ' /proc/mounts | grep -q ' rw,'"
check "rm the big file" rm "$MNT/fill"
check "space is back" [ "$(stat -f -c %f "$MNT")" -gt $((free0 - 1100)) ]
check "write 10 MiB after freeing" dd if=/dev/zero of="$MNT/again" bs=1M count=10 conv=fsync
check "umount" umount "$MNT"
check "fsck.ocfsx -n -f clean after ENOSPC" fsck.ocfsx -n -f "$DEV"
check "o2cbx offline" o2cbx offline "$CL"
