# make bench: the same fio workload on Debian's OCFS2 (kernel ocfs2 modules,
# a real one-node o2cb cluster) and on ocfsx in one VM run; prints a table.
# vm: nodes=1 timeout=1800 disk=1G mem=1024
# vm: programs=fio,o2cb,mkfs.ocfs2,mount.ocfs2,ocfs2_hb_ctl
# vm: modules=ocfs2,ocfs2_stack_o2cb,ocfs2_dlmfs
. /lib/ocfsx/lib.sh

# bench/fs.sh rewrites these two lines from BENCH_FILES and BENCH_MB.
FILES=2000
MB=256

CL=bench
DEV=$OCFSX_DISK
NODE=node$OCFSX_NODE
RES=/tmp/results     # lines "FS METRIC VALUE"
: >"$RES"

now() { cut -d' ' -f1 /proc/uptime; }

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# fio JOB-OPTIONS...: runs one job and prints its terse v3 record. Fields
# (1-based): 8 = read IOPS, 7 = read KiB/s, 48 = write KiB/s. The file
# engines (filecreate, filestat, filedelete) count one "read" per file.
fio_terse() {
	fio --output-format=terse --terse-version=3 --name=bench "$@" >/tmp/fio.out 2>/tmp/fio.err ||
		{ cat /tmp/fio.err /tmp/fio.out >&2; fail "fio $* failed"; }
	grep '^3;' /tmp/fio.out
}

# workload FS DIR: create, stat (cold: caches dropped first), unlink $FILES
# empty files in one directory, then write and read back one $MB MiB file
# sequentially (buffered, fsync at the end of the write, caches dropped
# before the read). Appends the figures to $RES.
workload() {
	local fs=$1 dir=$2 files="--nrfiles=$FILES --filesize=4k --openfiles=1"
	mkdir -p "$dir/meta"
	local fmt='--filename_format=f.$filenum'
	local t0 r
	t0=$(now)
	r=$(fio_terse --directory="$dir/meta" --ioengine=filecreate $files "$fmt")
	echo "$fs create $(echo "$r" | cut -d';' -f8)" >>"$RES"
	check "$fs: $FILES files created" [ "$(ls "$dir/meta" | wc -l)" = "$FILES" ]
	drop_caches
	r=$(fio_terse --directory="$dir/meta" --ioengine=filestat $files "$fmt")
	echo "$fs stat $(echo "$r" | cut -d';' -f8)" >>"$RES"
	drop_caches
	r=$(fio_terse --directory="$dir/meta" --ioengine=filedelete $files "$fmt")
	echo "$fs unlink $(echo "$r" | cut -d';' -f8)" >>"$RES"
	check "$fs: all files unlinked" [ "$(ls "$dir/meta" | wc -l)" = 0 ]

	local seq="--filename=$dir/seq --bs=1M --size=${MB}M --ioengine=psync --direct=0"
	r=$(fio_terse $seq --rw=write --end_fsync=1)
	echo "$fs seq_write $(echo "$r" | cut -d';' -f48)" >>"$RES"
	drop_caches
	r=$(fio_terse $seq --rw=read)
	echo "$fs seq_read $(echo "$r" | cut -d';' -f7)" >>"$RES"
	rm -f "$dir/seq"
	echo "$fs: workload took $(awk "BEGIN { printf \"%.0f\", $(now) - $t0 }")s"
}

# Both file systems start on a disk whose every block was written once, so
# neither pays for the host allocating the sparse image file.
DISK_MB=$(($(blockdev --getsize64 "$DEV") / 1048576))
check "prefill the $DISK_MB MiB disk" dd if=/dev/zero of="$DEV" bs=1M count="$DISK_MB" conv=fsync
ln -sf /proc/mounts /etc/mtab

# --- OCFS2: Debian's ocfs2-tools on the kernel's o2cb stack -------------
# A one-node o2cb cluster registered from /etc/ocfs2/cluster.conf by o2cb,
# with dlmfs for the tools' locking and local heartbeat on the volume.
check "o2cb add-cluster $CL" o2cb add-cluster "$CL"
check "o2cb add-node $NODE" o2cb add-node "$CL" "$NODE" --ip "$OCFSX_IP" --number 1
check "o2cb register-cluster $CL" o2cb register-cluster "$CL"
mkdir -p /dlm /mnt/ocfs2 /mnt/ocfsx
check "mount ocfs2_dlmfs" mount -t ocfs2_dlmfs ocfs2_dlmfs /dlm
# The kernel stops the volume's heartbeat through this helper at umount.
echo /usr/bin/ocfs2_hb_ctl >/proc/sys/fs/ocfs2/nm/hb_ctl_path
check "mkfs.ocfs2" mkfs.ocfs2 -q -F -b 4K -C 4K -N 2 -L bench \
	--cluster-stack=o2cb --cluster-name="$CL" "$DEV"
check "mount ocfs2" mount.ocfs2 "$DEV" /mnt/ocfs2
workload ocfs2 /mnt/ocfs2
check "umount ocfs2" umount /mnt/ocfs2
check "umount dlmfs" umount /dlm
check "o2cb unregister-cluster $CL" o2cb unregister-cluster "$CL"

# --- ocfsx: our tools and module, the same workload -----------------------
export OCFSX_MODULE=/lib/ocfsx/ocfsx.ko
check "o2cbx add-cluster $CL" o2cbx add-cluster "$CL"
check "o2cbx add-node $NODE" o2cbx add-node "$CL" "$NODE" --ip "$OCFSX_IP" --number 1
check "o2cbx online $CL" o2cbx online "$CL"
check "mkfs.ocfsx" mkfs.ocfsx -q -F -b 4K -C 4K -N 2 -L bench --cluster-name "$CL" "$DEV"
if mount -t ocfsx "$DEV" /mnt/ocfsx; then
	workload ocfsx /mnt/ocfsx
	check "umount ocfsx" umount /mnt/ocfsx
else
	echo "ocfsx: not mountable yet"
fi
check "o2cbx offline $CL" o2cbx offline "$CL"

# --- the table ---------------------------------------------------------
awk -v files="$FILES" -v mb="$MB" '
	{ v[$1 "," $2] = $3 }
	END {
		split("create stat unlink seq_write seq_read", m, " ")
		unit["create"] = "files/s"; unit["stat"] = "files/s"; unit["unlink"] = "files/s"
		unit["seq_write"] = "MB/s"; unit["seq_read"] = "MB/s"
		printf "BENCH %d files, %d MiB sequential file; higher is better for every metric\n", files, mb
		printf "BENCH %-10s %-8s %10s %10s %8s\n", "metric", "unit", "ocfs2", "ocfsx", "ratio"
		for (i = 1; i <= 5; i++) {
			k = m[i]; o = v["ocfs2," k]; x = v["ocfsx," k]
			if (unit[k] == "MB/s") { o = o * 1024 / 1e6; if (x != "") x = x * 1024 / 1e6 }
			if (x == "")
				printf "BENCH %-10s %-8s %10.1f %10s %8s\n", k, unit[k], o, "-", "-"
			else
				printf "BENCH %-10s %-8s %10.1f %10.1f %7.2fx\n", k, unit[k], o, x, (o > 0 ? x / o : 0)
		}
		print "BENCH ratio = ocfsx / ocfs2: above 1 means ocfsx is faster"
	}' "$RES"
