# fs-dx: large directories through the hash index on one node. 20,000
# names in one directory (indexed when it outgrows its first block): every
# name found by stat and listed exactly once, the index as debugfs.ocfsx
# shows it, readdir stable while names come and go, unlink of half, renames
# within and across directories, rm -rf; fsck.ocfsx -fn clean after each
# phase. Then a 1 KiB-block volume, whose small nodes make a deep tree
# (splits on every level, growing roots, nodes freed on delete), and a
# damaged index root: EUCLEAN with one line naming directory and block, no
# oops, fsck.ocfsx -fy rebuilds it. Per-file create and cold-lookup times at
# 1k and 20k names are printed only; nothing depends on timing.
# vm: nodes=1 timeout=900 disk=256M
. /lib/ocfsx/lib.sh

fs_env
N=20000

# names FIRST LAST [STEP]: the test's file names, one per line.
names() { seq "$1" "${3:-1}" "$2" | sed 's/.*/file-&-entry/'; }
# Centiseconds since boot.
now() { cut -d' ' -f1 /proc/uptime | tr -d .; }

# remount WHAT [CHECKS]: umount, fsck, then CHECKS (a function: debugfs
# reads the device, so it must run while nothing is left in the journal),
# then mount again.
remount() {
	check "umount ($1)" umount "$MNT"
	check "fsck.ocfsx -fn clean ($1)" fsck.ocfsx -fn "$DEV"
	rm -f /tmp/dx.*
	[ -z "$2" ] || "$2"
	check "mount again ($1)" mount -t ocfsx "$DEV" "$MNT"
}

# dx_entries DIR: the entry count in the index root, as debugfs shows it.
# dx DIR: debugfs.ocfsx's dump of DIR's index, run once per check phase
# (each run walks the whole index: seconds at 20,000 names under TCG);
# remount drops the copies.
dx() {
	[ -s "/tmp/dx.$1" ] || debugfs.ocfsx -R "dx /$1" "$DEV" >"/tmp/dx.$1"
	cat "/tmp/dx.$1"
}
dx_line() { dx "$1" | head -n 1; }
dx_entries() { dx_line "$1" | sed -n 's/.*  entries: \([0-9]*\)  .*/\1/p'; }
# The leaf level's entry total must equal the root's count.
dx_leaf_entries() {
	dx "$1" | sed -n 's/^  level 0: [0-9]* nodes*, \([0-9]*\) entries$/\1/p'
}

# listed_once DIR WANTFILE: ls shows exactly the names in WANTFILE (sorted).
listed_once() {
	ls -1 "$MNT/$1" >/tmp/ls.out || return 1
	[ -z "$(sort /tmp/ls.out | uniq -d)" ] || { echo "names listed twice in $1:"; sort /tmp/ls.out | uniq -d | head; return 1; }
	sort /tmp/ls.out | cmp -s - "$2" || { echo "ls of $1 differs from the expected names"; return 1; }
}

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
check "mount" mount -t ocfsx "$DEV" "$MNT"
check "mkdir big small other" mkdir "$MNT/big" "$MNT/small" "$MNT/other"

# --- phase 1: create ---------------------------------------------------------
cd "$MNT/small" || fail "cd small"
t0=$(now)
names 1 1000 | xargs touch || fail "touch 1000 names in small"
t1=$(now)
cd "$MNT/big" || fail "cd big"
names 1 $((N - 1000)) | xargs touch || fail "touch $((N - 1000)) names in big"
t2=$(now)
names $((N - 999)) $N | xargs touch || fail "touch the last 1000 names in big"
t3=$(now)
cd /
echo "timing: create of 1000 names: $(((t1 - t0) * 10)) ms in an empty directory, $(((t3 - t2) * 10)) ms at $((N - 1000))..$N names"

names 1 $N | sort >/tmp/want
check "ls lists every name of big exactly once" listed_once big /tmp/want

echo 3 >/proc/sys/vm/drop_caches
t0=$(now)
names 1 1000 | (cd "$MNT/small" && xargs stat -c %i) >/dev/null || fail "stat 1000 names in small"
t1=$(now)
names 1 $N | (cd "$MNT/big" && xargs stat -c %n) >/tmp/stat.out || fail "stat every name in big"
t2=$(now)
echo "timing: cold stat of 1000 names: $(((t1 - t0) * 10)) ms in small; $N names in big: $(((t2 - t1) * 10)) ms ($(((t2 - t1) * 10000 / N)) ms per 1000)"
check "stat found all $N names" [ "$(wc -l </tmp/stat.out)" = $N ]
check "a missing name is ENOENT" sh -c "! stat '$MNT/big/file-0-entry' 2>/dev/null"
created_checks() {
	check "debugfs dx: small holds 1000 + 2 index entries" [ "$(dx_entries small)" = 1002 ]
	check "debugfs dx: big holds $N + 2 index entries" [ "$(dx_entries big)" = $((N + 2)) ]
	check "debugfs dx: the leaves hold them all" [ "$(dx_leaf_entries big)" = $((N + 2)) ]
	dx big
	check "debugfs dx: other (only . and .., inline) is not indexed" \
		sh -c "debugfs.ocfsx -R 'dx /other' '$DEV' | grep -qx 'Inode [0-9]*: not indexed'"
}
remount "after creating $N names" created_checks
check "ls after remount" listed_once big /tmp/want

# --- phase 2: readdir while names come and go, unlink half -------------------
# Names 1..2000 come and go during the listing; 2001..N stay put.
names 2001 $N | sort >/tmp/stable
(cd "$MNT/big" && names 1 2000 | xargs rm && names 30001 32000 | xargs touch) &
bg=$!
ls -1 "$MNT/big" >/tmp/ls.concurrent
wait $bg || fail "create/delete next to the listing"
check "concurrent readdir: no name twice" sh -c "[ -z \"\$(sort /tmp/ls.concurrent | uniq -d)\" ]"
# Names in both lists, once each, must be all the stable names.
check "concurrent readdir: every stable name listed" sh -c "sort /tmp/ls.concurrent /tmp/stable | uniq -d | cmp -s - /tmp/stable"
(cd "$MNT/big" && names 30001 32000 | xargs rm) || fail "rm the concurrent names"
(cd "$MNT/big" && names 2001 $N 2 | xargs rm) || fail "unlink every other name"
names 2002 $N 2 | sort >/tmp/want
check "after unlinking: ls lists the rest exactly once" listed_once big /tmp/want
check "an unlinked name is gone" sh -c "! stat '$MNT/big/file-2001-entry' 2>/dev/null"
check "a kept name is found" stat "$MNT/big/file-2002-entry"
half_checks() {
	check "debugfs dx: $((N / 2 - 1000)) + 2 entries left" [ "$(dx_entries big)" = $((N / 2 - 1000 + 2)) ]
	check "debugfs dx: leaves agree" [ "$(dx_leaf_entries big)" = $((N / 2 - 1000 + 2)) ]
}
remount "after unlinking half" half_checks

# --- phase 3: renames --------------------------------------------------------
(cd "$MNT/big" && names 2002 4000 2 | xargs sh -c 'mv "$@" ../other' mv) || fail "move 1000 names to other"
(cd "$MNT/big" && for i in $(seq 4002 2 4200); do mv "file-$i-entry" "renamed-$i" || exit 1; done) ||
	fail "rename 100 names within big"
check "rename over an existing name" mv "$MNT/big/file-4202-entry" "$MNT/big/file-4204-entry"
check "mkdir big/sub" mkdir "$MNT/big/sub"
check "move a directory out of big" mv "$MNT/big/sub" "$MNT/other/sub"
check "its .. follows" [ "$(stat -c %i "$MNT/other/sub/..")" = "$(stat -c %i "$MNT/other")" ]
check "move it back" mv "$MNT/other/sub" "$MNT/big/sub2"
check "link into big" ln "$MNT/other/file-2002-entry" "$MNT/big/hardlink"
{ names 4206 $N 2; seq 4002 2 4200 | sed 's/^/renamed-/'; echo file-4204-entry; echo sub2; echo hardlink; } | sort >/tmp/want
check "big after renames" listed_once big /tmp/want
nbig=$(wc -l </tmp/want)
names 2002 4000 2 | sort >/tmp/want
check "other after renames" listed_once other /tmp/want
check "renamed name resolves" [ "$(stat -c %i "$MNT/big/renamed-4002")" -gt 0 ]
rename_checks() {
	check "debugfs dx: big holds $nbig + 2 entries" [ "$(dx_entries big)" = $((nbig + 2)) ]
	check "debugfs dx: other holds 1000 + 2 entries" [ "$(dx_entries other)" = 1002 ]
}
remount "after renames" rename_checks

# --- phase 4: rm -rf ---------------------------------------------------------
check "rm -rf big other small" rm -rf "$MNT/big" "$MNT/other" "$MNT/small"
check "root is empty again" [ "$(ls -A "$MNT" | grep -v lost+found | wc -l)" = 0 ]
check "umount after rm -rf" umount "$MNT"
check "fsck.ocfsx -fn clean after rm -rf" fsck.ocfsx -fn "$DEV"

# --- phase 5: deep trees on 1 KiB blocks ----------------------------------
check "mkfs.ocfsx -b 1K" mkfs.ocfsx -q -F -b 1K --cluster-name "$CL" -N 2 "$DEV"
check "mount (1 KiB blocks)" mount -t ocfsx "$DEV" "$MNT"
check "mkdir deep" mkdir "$MNT/deep"
(cd "$MNT/deep" && names 1 4000 | xargs touch) || fail "touch 4000 names in deep"
names 1 4000 | sort >/tmp/want
check "deep: every name listed once" listed_once deep /tmp/want
echo 3 >/proc/sys/vm/drop_caches
(cd "$MNT/deep" && names 1 4000 | xargs stat -c %n) >/tmp/stat.out || fail "stat every name in deep"
check "stat found all 4000 names in deep" [ "$(wc -l </tmp/stat.out)" = 4000 ]
built_checks() {
	dx deep
	h=$(dx_line deep | sed -n 's/.*height: \([0-9]*\).*/\1/p')
	check "deep index has at least 3 levels (height $h)" [ "${h:-0}" -ge 3 ]
	check "debugfs dx: deep holds 4000 + 2 entries" [ "$(dx_entries deep)" = 4002 ]
	check "debugfs dx: deep leaves" [ "$(dx_leaf_entries deep)" = 4002 ]
}
remount "deep tree built" built_checks
# Deleting all but 10 names empties most nodes on every level: they are
# freed and unlinked from their level; the root keeps its height.
(cd "$MNT/deep" && names 1 3990 | xargs rm) || fail "unlink all but 10 names in deep"
names 3991 4000 | sort >/tmp/want
check "deep: the last 10 listed once" listed_once deep /tmp/want
emptied_checks() {
	dx deep
	check "debugfs dx: the root keeps its height" [ "$(dx_line deep | sed -n 's/.*height: \([0-9]*\).*/\1/p')" = "$h" ]
	check "debugfs dx: 12 entries left in deep" [ "$(dx_entries deep)" = 12 ]
	check "debugfs dx: 12 in the leaves" [ "$(dx_leaf_entries deep)" = 12 ]
}
remount "deep tree emptied" emptied_checks
# --- a damaged index: EUCLEAN and one line with directory and block, no
# oops; fsck.ocfsx -fy rebuilds the index --------------------------------------
dino=$(stat -c %i "$MNT/deep")
check "umount before damaging the index" umount "$MNT"
rm -f /tmp/dx.*
root=$(dx_line deep | sed -n 's/^Index root: \([0-9]*\) .*/\1/p')
off=$((root * 1024 + 100))	# in the root's first entry
b=$(dd if="$DEV" bs=1 skip=$off count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $((255 - b)))" | dd of="$DEV" bs=1 seek=$off conv=notrunc,fsync 2>/dev/null
# errors=continue: the volume stays writable, and fsck has only the index
# to repair.
check "mount with a damaged index" mount -t ocfsx -o errors=continue "$DEV" "$MNT"
dmesg -c >/dev/null
check "lookup through the damaged index fails with EUCLEAN" \
	sh -c "stat '$MNT/deep/file-3991-entry' 2>&1 | grep -q 'Structure needs cleaning'"
check "one line names the directory and the index block" \
	sh -c "dmesg | grep -q 'inode $dino: block $root (dx root): checksum mismatch'"
check "still read-write with errors=continue" sh -c "grep ' $MNT ' /proc/mounts | grep -q ' rw,'"
check "umount (damaged index)" umount "$MNT"
rc=0
fsck.ocfsx -fy "$DEV" >/tmp/fsck.out 2>&1 || rc=$?
[ "$rc" = 1 ] || cat /tmp/fsck.out
check "fsck.ocfsx -fy repairs the index (exit $rc)" [ "$rc" = 1 ]
check "fsck.ocfsx -fn clean after the repair" fsck.ocfsx -fn "$DEV"
check "mount after the repair" mount -t ocfsx "$DEV" "$MNT"
check "lookup after the repair" stat -c %n "$MNT/deep/file-3991-entry"
check "rm -rf deep" rm -rf "$MNT/deep"
check "umount (1 KiB blocks)" umount "$MNT"
check "fsck.ocfsx -fn clean after rm -rf deep" fsck.ocfsx -fn "$DEV"
check "o2cbx offline" o2cbx offline "$CL"
