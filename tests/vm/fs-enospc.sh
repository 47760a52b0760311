# fs-enospc: filling the volume gives ENOSPC to writes and creates without
# turning the filesystem read-only; deleting gives the space back, and
# fsck.ocfsx -n -f finds the volume clean. Right after a big rm (no commit
# yet: commit=3600) every allocating entry point still succeeds:
# fallocate, an mmap store into a hole, an O_DIRECT write, creates that
# grow a new directory, a setxattr that needs an xattr block. Every block
# of a removed directory is revoked in the log.
# vm: nodes=1 timeout=600 disk=256M
. /lib/ocfsx/lib.sh

fs_env

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx" mkfs.ocfsx -q -F -b 4096 -C 4096 --cluster-name "$CL" -N 2 "$DEV"
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

# Space freed by a transaction that has not committed is not handed out:
# each operation below is the first allocation after a rm, with no commit
# in between (commit=3600), so it only succeeds by committing and retrying.
check "mount commit=3600" mount -t ocfsx -o commit=3600 "$DEV" "$MNT"
fill_and_rm() {
	sync	# what earlier steps freed is usable: the fill takes it all
	: >"$MNT/fill"
	if inline_io falloc "$MNT/fill" 0 0 419430400 2>/dev/null; then
		fail "fallocate of 400 MiB on a 256 MiB volume succeeded ($1)"
	fi
	check "volume full before $1" [ "$(stat -f -c %f "$MNT")" -lt 16 ]
	check "rm before $1" rm "$MNT/fill"
}
: >"$MNT/fa"
: >"$MNT/mm"
check "sparse 1 MiB file for mmap" truncate -s 1048576 "$MNT/mm"
: >"$MNT/dio"
: >"$MNT/xa"
fill_and_rm fallocate
check "fallocate 1 MiB right after rm" inline_io falloc "$MNT/fa" 0 0 1048576
check "fallocate size" [ "$(stat -c %s "$MNT/fa")" -eq 1048576 ]
fill_and_rm mmap
check "mmap store into a hole right after rm" inline_io mmapwrite "$MNT/mm" 524288 MAPPED
check "mmap store reads back" [ "$(dd if="$MNT/mm" bs=1 skip=524288 count=6 2>/dev/null)" = MAPPED ]
fill_and_rm O_DIRECT
check "O_DIRECT write right after rm" inline_io dwrite "$MNT/dio" 0 65536 D
check "O_DIRECT write reads back" [ "$(tr -d D <"$MNT/dio" | wc -c) $(stat -c %s "$MNT/dio")" = "0 65536" ]
fill_and_rm "directory growth"
check "mkdir right after rm" mkdir "$MNT/d"
i=0
while [ $i -lt 300 ] && true >"$MNT/d/entry-with-a-longer-name-$i" 2>/dev/null; do i=$((i + 1)); done
check "300 creates grow the new directory right after rm ($i made)" [ $i -eq 300 ]
check "300 names listed" [ "$(ls "$MNT/d" | wc -l)" -eq 300 ]
fill_and_rm setxattr
check "setxattr of 3000 bytes right after rm" inline_io xattr "$MNT/xa" user.big 3000
check "still read-write after the retries" sh -c "grep ' $MNT ' /proc/mounts | grep -q ' rw,'"

# Revokes: every block of a removed directory gets a revoke record, so a
# replay can never write an old directory block over the cluster's next
# owner. The blocks are read while mounted, after sync made them current.
check "sync before reading the directory's extents" sync
debugfs.ocfsx -R "stat /d" "$DEV" >/tmp/d.stat
awk '/^    [0-9]/ { for (b = $2; b < $2 + $3; b++) print b }' /tmp/d.stat | sort -n >/tmp/d.blocks
echo "directory d has $(wc -l </tmp/d.blocks) blocks"
check "directory d has several blocks" [ "$(wc -l </tmp/d.blocks)" -ge 3 ]
check "rm -rf the directory" rm -rf "$MNT/d"
check "sync commits its removal" sync
debugfs.ocfsx -R logdump "$DEV" >/tmp/log.dump
awk '/: revoke, transaction/ { r = 1; next } r && /^     *[0-9]/ { for (i = 1; i <= NF; i++) print $i; next } { r = 0 }' \
	/tmp/log.dump | sort -un >/tmp/revoked
awk 'NR == FNR { r[$1] = 1; next } !($1 in r)' /tmp/revoked /tmp/d.blocks >/tmp/missing
missing=$(wc -l </tmp/missing)
echo "$(wc -l </tmp/revoked) blocks revoked in the log; not revoked: $(tr '\n' ' ' </tmp/missing)"
check "every block of the removed directory is revoked ($missing missing)" [ "$missing" -eq 0 ]
check "umount after the retries" umount "$MNT"
check "fsck.ocfsx -n -f clean after the retries" fsck.ocfsx -n -f "$DEV"
check "o2cbx offline" o2cbx offline "$CL"
