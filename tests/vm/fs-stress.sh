# fs-stress: 4 processes do random create/write/mmap-write/rename/unlink/
# truncate/mkdir/rmdir/link/symlink/setxattr/fsync in one shared tree
# (tests/guest/fs_stress.cc); no operation may fail with anything but the
# errors a race explains, the kernel must log no corruption, and after
# umount fsck.ocfsx -f -n must find the volume clean; a remount then reads
# every file. OCFSX_TEST_STRESS_SECONDS (default 120) runs it longer;
# OCFSX_TEST_SEED replays a run (the seed is printed).
# vm: nodes=1 timeout=900 disk=256M
. /lib/ocfsx/lib.sh

fs_env
SECONDS_RUN=${OCFSX_TEST_STRESS_SECONDS:-120}
SEED=${OCFSX_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "fs-stress: seed $SEED (OCFSX_TEST_SEED=$SEED replays it), $SECONDS_RUN s"

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
check "mount" mount -t ocfsx "$DEV" "$MNT"
dmesg -c >/dev/null
check "fs_stress: 4 processes, only race errors" fs_stress "$MNT" "$SECONDS_RUN" 4 "$SEED"
check "no corruption logged" sh -c "! dmesg | grep 'ocfsx: '"
check "still read-write" sh -c "grep ' $MNT ' /proc/mounts | grep -q ' rw,'"
echo "tree after the run: $(find "$MNT" | wc -l) names, $(du -sk "$MNT" | cut -f1) KiB"
check "umount" umount "$MNT"
check "fsck.ocfsx -f -n clean after the stress run" fsck.ocfsx -f -n "$DEV"
check "mount again" mount -t ocfsx "$DEV" "$MNT"
check "ls -lR of the tree" sh -c "ls -lR '$MNT' >/dev/null"
check "every file reads back" sh -c "find '$MNT' -type f -exec cat {} + >/dev/null"
check "umount" umount "$MNT"
check "o2cbx offline" o2cbx offline "$CL"
