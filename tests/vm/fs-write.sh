# fs-write: the journaled write path on one node. Files, directories,
# links, symlinks, renames, truncates, a directory that outgrows its inode
# and a file whose extent tree outgrows its inode, each checked after a
# remount (so from disk, not the page cache), then fsck.ocfsx -n must find
# the volume clean.
# vm: nodes=1 timeout=900 disk=256M
. /lib/ocfsx/lib.sh

fs_env

remount() {
	check "umount" umount "$MNT"
	check "fsck.ocfsx -n clean ($1)" fsck.ocfsx -n -f "$DEV"
	check "mount again" mount -t ocfsx "$DEV" "$MNT"
}

# pattern N: N bytes of a deterministic, position-dependent pattern.
pattern() { seq 1 $(($1 / 4 + 10)) | head -c "$1"; }

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
check "mount" mount -t ocfsx "$DEV" "$MNT"

# --- files and data -------------------------------------------------------
check "touch empty file" touch "$MNT/empty"
pattern 10000 >/tmp/p10k
check "write 10000 bytes" cp /tmp/p10k "$MNT/small"
pattern 3000000 >/tmp/p3m
check "write 3000000 bytes" cp /tmp/p3m "$MNT/big"
check "append 5 bytes" sh -c "printf 'hello' >>'$MNT/small'"
check "sparse: 1 byte at 40 MiB" dd if=/tmp/p10k of="$MNT/sparse" bs=1 count=1 seek=41943040 2>/dev/null
check "read back small before remount" sh -c "[ \"\$(head -c 10000 '$MNT/small' | md5sum)\" = \"\$(md5sum </tmp/p10k)\" ]"

# --- directories, links, renames -----------------------------------------
check "mkdir d1" mkdir "$MNT/d1"
check "mkdir -p d1/d2/d3" mkdir -p "$MNT/d1/d2/d3"
check "file in d3" cp /tmp/p10k "$MNT/d1/d2/d3/f"
check "hard link" ln "$MNT/small" "$MNT/d1/small-link"
check "short symlink" ln -s small "$MNT/sym"
long=$(printf 'x%.0s' $(seq 1 3900))
check "long symlink (3900 bytes)" ln -s "$long" "$MNT/longsym"
check "rename within root" mv "$MNT/empty" "$MNT/empty2"
check "rename across dirs" mv "$MNT/d1/d2/d3/f" "$MNT/d1/f-moved"
check "rename dir across dirs" mv "$MNT/d1/d2/d3" "$MNT/d3"
check "rename over an existing file" sh -c "cp /tmp/p10k '$MNT/victim' && mv '$MNT/empty2' '$MNT/victim'"
check "rmdir d1/d2" rmdir "$MNT/d1/d2"
check "rmdir of non-empty d1 fails" sh -c "! rmdir '$MNT/d1' 2>/dev/null"
check "unlink big copy" sh -c "cp /tmp/p3m '$MNT/gone' && rm '$MNT/gone'"
check "truncate big to 100000" truncate -s 100000 "$MNT/big"
check "truncate small up to 20000" truncate -s 20000 "$MNT/small"
check "chmod 640" chmod 640 "$MNT/d1/f-moved"
check "chown 12:34" chown 12:34 "$MNT/d1/f-moved"
check "touch -d mtime" touch -d '2001-02-03 04:05:06' "$MNT/d1/f-moved"
check "mknod fifo" mkfifo "$MNT/fifo"
check "mknod char device 1:3" mknod "$MNT/null" c 1 3

# A directory that outgrows its inline body (about 100 names fit).
mkdir "$MNT/many"
i=0
while [ $i -lt 400 ]; do
	echo "$i" >"$MNT/many/file-with-a-longish-name-$i" || fail "create many/$i"
	i=$((i + 1))
done
echo "ok: 400 files created in many/"
# A file whose extents outgrow the inode (150 records): every other block.
i=0
while [ $i -lt 400 ]; do
	dd if=/tmp/p10k of="$MNT/frag" bs=4096 count=1 seek=$((i * 2)) conv=notrunc 2>/dev/null || fail "frag block $i"
	i=$((i + 1))
done
echo "ok: 400 separate extents written"

remount "after the workload"
check "empty file has size 0" [ "$(stat -c %s "$MNT/victim")" = 0 ]
check "small: 20000 bytes" [ "$(stat -c %s "$MNT/small")" = 20000 ]
small_ok() {
	[ "$(head -c 10000 "$MNT/small" | md5sum)" = "$(md5sum </tmp/p10k)" ] &&
		[ "$(dd if="$MNT/small" bs=1 skip=10000 count=5 2>/dev/null)" = hello ] &&
		[ "$(tail -c 9995 "$MNT/small" | tr -d '\000' | wc -c)" = 0 ]
}
check "small: content, then hello, then zeros" small_ok
check "big: 100000 bytes, the first 100000 of the pattern" sh -c "[ \"\$(md5sum <'$MNT/big')\" = \"\$(head -c 100000 /tmp/p3m | md5sum)\" ]"
check "sparse: size 41943041" [ "$(stat -c %s "$MNT/sparse")" = 41943041 ]
check "sparse: uses at most 2 blocks" [ "$(stat -c %b "$MNT/sparse")" -le 16 ]
check "hard link: 2 links, same inode" [ "$(stat -c %h "$MNT/small")" = 2 -a "$(stat -c %i "$MNT/small")" = "$(stat -c %i "$MNT/d1/small-link")" ]
check "short symlink target" [ "$(readlink "$MNT/sym")" = small ]
check "long symlink target" [ "$(readlink "$MNT/longsym")" = "$long" ]
check "moved file content" sh -c "[ \"\$(md5sum <'$MNT/d1/f-moved')\" = \"\$(md5sum </tmp/p10k)\" ]"
check "moved dir's .. is root" [ "$(stat -c %i "$MNT/d3/..")" = "$(stat -c %i "$MNT")" ]
check "d1 has 2 links after its subdir left" [ "$(stat -c %h "$MNT/d1")" = 2 ]
check "root links: . .. d1 d3 many lost+found = 6" [ "$(stat -c %h "$MNT")" = 6 ]
check "gone is gone" [ ! -e "$MNT/gone" ]
check "mode/owner/mtime kept" [ "$(stat -c '%a %u %g %Y' "$MNT/d1/f-moved")" = "640 12 34 981173106" ]
check "fifo" [ -p "$MNT/fifo" ]
check "char device 1:3" [ "$(stat -c '%F %t %T' "$MNT/null")" = "character special file 1 3" ]
check "many: 400 names" [ "$(ls "$MNT/many" | wc -l)" = 400 ]
check "many: file 399 content" [ "$(cat "$MNT/many/file-with-a-longish-name-399")" = 399 ]
check "frag: size" [ "$(stat -c %s "$MNT/frag")" = $((798 * 4096 + 4096)) ]
check "frag: block 399*2 holds the pattern" sh -c "[ \"\$(dd if='$MNT/frag' bs=4096 skip=798 count=1 2>/dev/null | md5sum)\" = \"\$(head -c 4096 /tmp/p10k | md5sum)\" ]"

# Deleting the big structures frees their space.
free_before=$(stat -f -c %f "$MNT")
check "rm -r many" rm -r "$MNT/many"
check "rm frag" rm "$MNT/frag"
free_after=$(stat -f -c %f "$MNT")
check "space came back ($free_before -> $free_after)" [ "$free_after" -gt $((free_before + 400)) ]
remount "after the deletes"
check "umount" umount "$MNT"
check "fsck.ocfsx -n clean at the end" fsck.ocfsx -n -f "$DEV"
check "o2cbx offline" o2cbx offline "$CL"
