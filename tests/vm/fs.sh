# fs: the ocfsx filesystem on one node. A cluster is set up with o2cbx,
# mkfs.ocfsx makes a volume for it, and mount -t ocfsx must claim a slot,
# show root and lost+found with exact attributes and statfs numbers, free
# the slot at umount and mount again. A volume of another cluster and a
# garbage disk must be refused with one clear kernel line and no oops.
# vm: nodes=1 timeout=600 disk=256M
. /lib/ocfsx/lib.sh

fs_env

# refused_mount PATTERN: mount must fail, log exactly one "ocfsx: " error
# line containing PATTERN, and leave nothing mounted.
refused_mount() {
	dmesg -c >/dev/null
	if mount -t ocfsx "$DEV" "$MNT" 2>/tmp/mount.err; then
		umount "$MNT"
		fail "mount accepted; expected a refusal with '$1'"
	fi
	lines=$(dmesg | grep -F "ocfsx: " || true)
	echo "$lines" | grep -qF -- "$1" || fail "no kernel line with '$1' (got: ${lines:-none})"
	[ "$(echo "$lines" | grep -c .)" = 1 ] || fail "expected one ocfsx line, got: $lines"
	grep -q " $MNT " /proc/mounts && fail "$MNT is mounted after a refused mount"
	echo "ok: refused: $lines"
}

# slot_line SLOT: the slotmap line of SLOT ("0  1  <time>" or "0  free").
# jline SLOT: the journal line of SLOT in debugfs stats.
jline() {
	debugfs.ocfsx -R stats "$DEV" | grep "slot $1:"
}
state() {
	debugfs.ocfsx -R stats "$DEV" | sed -n 's/^ *State: //p'
}

slot_line() {
	debugfs.ocfsx -R slotmap "$DEV" | awk -v s="$1" '$1 == s && $2 != "of" { print $2 }'
}

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx for cluster $CL" mkfs.ocfsx -q -F --cluster-name "$CL" -N 4 -L fsvol "$DEV"

dmesg -c >/dev/null
check "mount -t ocfsx" mount -t ocfsx -o errors=remount-ro,data=ordered,commit=5,acl,user_xattr "$DEV" "$MNT"
dmesg | grep -F "ocfsx: " || true
check "kernel says mounted on node 1, slot 0" sh -c "dmesg | grep -q 'ocfsx: vda: mounted (node 1, slot 0, 4096-byte blocks, 4096-byte clusters)'"
check "local heartbeat started on the volume" sh -c "dmesg | grep -Eq 'ocfsx: region [0-9A-Fa-f]{32}: heartbeat started as node 1 '"
STATUS=/sys/kernel/config/ocfsx/cluster/$CL/status
check "one heartbeat region runs while mounted" grep -qx 'heartbeat_regions 1' "$STATUS"
check "node 1 live by its own heartbeat" grep -qx 'live_nodes 1' "$STATUS"
check "in /proc/mounts as ocfsx" sh -c "grep -q '^/dev/vda $MNT ocfsx rw' /proc/mounts"
check "options shown" sh -c "grep '^/dev/vda $MNT' /proc/mounts | grep -q 'errors=remount-ro,data=ordered,commit=5,acl,user_xattr,slot=0'"
check "slot 0 held by node 1 on disk" [ "$(slot_line 0)" = 1 ]
check "slot 1 free on disk" [ "$(slot_line 1)" = free ]
jline 0
check "journal of slot 0 marked dirty while mounted" sh -c "debugfs.ocfsx -R stats $DEV | grep 'slot 0:' | grep -q 'marked dirty'"
check "journal of slot 1 untouched" sh -c "debugfs.ocfsx -R stats $DEV | grep 'slot 1:' | grep -qv 'marked dirty'"
check "volume state not clean while mounted" [ "$(state)" = 0x0 ]

ls -la "$MNT"
check "root lists exactly . .. lost+found" [ "$(ls -a "$MNT" | tr '\n' ' ')" = ". .. lost+found " ]
check "root is a directory 0755" [ "$(stat -c '%F %a %h' "$MNT")" = "directory 755 3" ]
check "lost+found is a directory 0755 with 2 links" [ "$(stat -c '%F %a %h %u %g' "$MNT/lost+found")" = "directory 755 2 0 0" ]
check "lost+found is empty" [ "$(ls -a "$MNT/lost+found" | tr '\n' ' ')" = ". .. " ]
check "inode of lost+found equals its dirent" [ "$(stat -c %i "$MNT/lost+found")" = "$(ls -id "$MNT/lost+found" | awk '{print $1}')" ]
check "lost+found/.. is the root" [ "$(stat -c %i "$MNT/lost+found/..")" = "$(stat -c %i "$MNT")" ]
check "missing name is ENOENT" sh -c "stat '$MNT/nope' 2>&1 | grep -q 'No such file'"
check "system files are not visible" sh -c "! ls -a '$MNT' | grep -q journal"
stat -f "$MNT"
check "statfs type is the ocfsx magic" [ "$(stat -f -c %t "$MNT")" = 5846434f ]
check "statfs block size 4096" [ "$(stat -f -c %S "$MNT")" = 4096 ]
check "statfs total 65536 clusters" [ "$(stat -f -c %b "$MNT")" = 65536 ]
free=$(stat -f -c %f "$MNT")
check "statfs free between 1 and 65536 ($free)" [ "$free" -gt 0 -a "$free" -lt 65536 ]
check "statfs name max 255" [ "$(stat -f -c %l "$MNT")" = 255 ]
check "cat of a directory fails with EISDIR" sh -c "cat '$MNT/lost+found' 2>&1 | grep -q 'Is a directory'"

dmesg -c >/dev/null
check "umount" umount "$MNT"
check "umount stopped the heartbeat cleanly" sh -c "dmesg | grep -Eq 'ocfsx: region [0-9A-Fa-f]{32}: heartbeat stopped \\(clean\\)'"
check "no heartbeat region after umount" grep -qx 'heartbeat_regions 0' "$STATUS"
check "slot 0 free after umount" [ "$(slot_line 0)" = free ]
jline 0
check "journal of slot 0 clean, not marked dirty after umount" sh -c "debugfs.ocfsx -R stats $DEV | grep 'slot 0:' | grep -v 'marked dirty' | grep -q ', clean'"
check "volume state clean after umount" [ "$(state)" = "0x1 (clean)" ]
check "fsck.ocfsx -n clean after umount" fsck.ocfsx -n -f "$DEV"
check "mount again" mount -t ocfsx "$DEV" "$MNT"
check "slot 0 held again" [ "$(slot_line 0)" = 1 ]
check "lost+found still there" [ -d "$MNT/lost+found" ]
check "umount again" umount "$MNT"
check "fsck.ocfsx -n clean after the second umount" fsck.ocfsx -n -f "$DEV"

# Options that must be refused by the parser.
check "errors=bogus refused" sh -c "! mount -t ocfsx -o errors=bogus '$DEV' '$MNT' 2>/dev/null"
check "preferred_slot=300 refused" sh -c "! mount -t ocfsx -o preferred_slot=300 '$DEV' '$MNT' 2>/dev/null"
check "preferred_slot=2 takes slot 2" mount -t ocfsx -o preferred_slot=2 "$DEV" "$MNT"
check "slot 2 held by node 1" [ "$(slot_line 2)" = 1 ]
check "umount from slot 2" umount "$MNT"

# A volume made for another cluster.
check "mkfs.ocfsx for cluster othercl" mkfs.ocfsx -q -F --cluster-name othercl -N 2 "$DEV"
refused_mount 'volume belongs to cluster "othercl" but the running cluster is "fstest"'
# Garbage where the superblock should be.
check "overwrite the first MiB with garbage" dd if=/dev/urandom of="$DEV" bs=1M count=1 conv=fsync
refused_mount 'no ocfsx superblock at byte 65536'
# A real superblock with one byte flipped: checksum refusal.
check "mkfs.ocfsx again" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
printf '\377' | dd of="$DEV" bs=1 seek=$((65536 + 200)) conv=notrunc,fsync 2>/dev/null
refused_mount 'superblock checksum or self-reference is bad'

check "o2cbx offline $CL" o2cbx offline "$CL"
check "o2cbx unload" o2cbx unload
