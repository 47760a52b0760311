# fs-inline: inline data (INLINE_DATA, on by default). Small files, empty
# files and short symlinks live in the inode body; write, append, pwrite,
# truncate, mmap and O_DIRECT reads, SEEK_DATA/HOLE and fallocate inside
# the body keep them inline. Growing past the body (write, pwrite,
# truncate, shared mmap store, also racing pwrites, O_DIRECT write,
# fallocate) converts them to extents with the same bytes. Directories start inline and become block
# directories at 200 entries without losing or repeating a name, even for
# a reader in the middle of readdir. Each phase: umount, debugfs.ocfsx
# body kinds, fsck.ocfsx -fn clean, contents compared with copies in tmpfs
# after the remount.
# vm: nodes=1 timeout=600 disk=256M
. /lib/ocfsx/lib.sh

fs_env
REF=/tmp/ref

# body PATH: the body kind debugfs.ocfsx reports (inline, extents, ...).
body() { debugfs.ocfsx -R "stat $1" "$DEV" | sed -n 's/^ *Body: \([a-z]*\).*/\1/p'; }
# inline_bytes PATH: the "Inline data: N bytes" count.
inline_bytes() { debugfs.ocfsx -R "stat $1" "$DEV" | sed -n 's/^ *Inline data: \([0-9]*\) bytes/\1/p'; }
expect_body() {
	got=$(body "$1")
	[ "$got" = "$2" ] || fail "$1: body is '$got', expected '$2'"
	echo "ok: $1 has a $2 body"
}
expect_inline() {
	expect_body "$1" inline
	got=$(inline_bytes "$1")
	[ "$got" = "$2" ] || fail "$1: $got inline bytes, expected $2"
	echo "ok: $1 holds $2 inline bytes"
}
# same NAME...: each file under $MNT equals its reference under $REF.
same() {
	for n in "$@"; do
		[ "$(md5sum <"$MNT/$n")" = "$(md5sum <"$REF/$n")" ] ||
			fail "$n differs from its reference"
	done
	echo "ok: contents equal the references: $*"
}
# both CMD ARGS... NAME: runs an inline_io command on the file and its reference.
both() {
	n=$1
	shift
	check "inline_io $* on $n" inline_io "$1" "$MNT/$n" "$2" "$3" ${4:+"$4"}
	inline_io "$1" "$REF/$n" "$2" "$3" ${4:+"$4"} || fail "reference: inline_io $*"
}
phase_end() {
	check "umount ($1)" umount "$MNT"
	check "fsck.ocfsx -fn clean ($1)" fsck.ocfsx -fn "$DEV"
}
remount() { check "mount ($1)" mount -t ocfsx "$DEV" "$MNT"; }

OCFSX_RELAXED_HB=1 cluster_online "$CL"
check "mkfs.ocfsx" mkfs.ocfsx -q -F --cluster-name "$CL" -N 2 "$DEV"
check "INLINE_DATA is on" sh -c "debugfs.ocfsx -R stats $DEV | grep -q inline-data"
mkdir -p "$REF"
remount start
check "touch" touch "$MNT/probe"
phase_end probe
# The body capacity at this geometry, from the format (bs - 224 - xattr area).
CAP=$(debugfs.ocfsx -R "stat /probe" "$DEV" | sed -n 's/^ *Body: inline (\([0-9]*\) bytes)/\1/p')
check "a new empty file is inline" [ -n "$CAP" ]
echo "inline capacity: $CAP bytes"
remount inline

# --- phase 1: stays inline ----------------------------------------------
for d in "$MNT" "$REF"; do
	printf 'hello inline' >"$d/a"
	printf ' world' >>"$d/a"
	: >"$d/empty"
	seq 1 2000 | head -c "$CAP" >"$d/full"
	printf 'x' >"$d/t"
	ln -s short-target "$d/sl"
done
both a pwrite 100 XYZ
check "size after pwrite at 100" [ "$(stat -c %s "$MNT/a")" = 103 ]
check "SEEK_DATA/SEEK_HOLE at 0" [ "$(inline_io seek "$MNT/a" 0)" = "data 0 hole 103" ]
check "SEEK_DATA/SEEK_HOLE at EOF: ENXIO" [ "$(inline_io seek "$MNT/a" 103)" = "data -6 hole -6" ]
check "mmap read of an inline file" sh -c "[ \"\$(inline_io mmapcat $MNT/a | md5sum)\" = \"\$(md5sum <$REF/a)\" ]"
check "O_DIRECT read of an inline file" sh -c "[ \"\$(inline_io dcat $MNT/a | md5sum)\" = \"\$(md5sum <$REF/a)\" ]"
for d in "$MNT" "$REF"; do
	truncate -s 2000 "$d/t"
	truncate -s 50 "$d/t"
	# Shrinking then growing again must show zeros, not the old bytes.
	printf 'tail' | dd of="$d/t" bs=1 seek=46 conv=notrunc 2>/dev/null
	truncate -s 1000 "$d/t"
	truncate -s 20 "$d/t"
	truncate -s 120 "$d/t"
done
both t falloc 0 0 300
both t falloc keep 0 3000
both t falloc punch 1 2
check "size after fallocate inside the body" [ "$(stat -c %s "$MNT/t")" = 300 ]
check "write at the exact capacity" sh -c "printf Z | dd of=$MNT/full bs=1 seek=$((CAP - 1)) conv=notrunc 2>/dev/null"
printf Z | dd of="$REF/full" bs=1 seek=$((CAP - 1)) conv=notrunc 2>/dev/null
same a empty full t
check "short symlink target" [ "$(readlink "$MNT/sl")" = short-target ]
phase_end inline
expect_inline /a 103
expect_inline /empty 0
expect_inline /full "$CAP"
expect_inline /t 300
expect_inline /sl 12
remount inline-read
same a empty full t
check "short symlink target after remount" [ "$(readlink "$MNT/sl")" = short-target ]

# --- phase 2: conversions -------------------------------------------------
seq 1 4000 >/tmp/seq
for d in "$MNT" "$REF"; do
	cat /tmp/seq >>"$d/a"			# append past the body
	printf 'b' >"$d/b"
	printf 'c' >"$d/c"
	truncate -s 100000 "$d/c"		# truncate up past the body
	seq 1 100 >"$d/m"
	printf 'e' >"$d/e"
	printf 'f' >"$d/f"
	cp "$d/full" "$d/g"
	printf '+' >>"$d/g"			# one byte past the body
	printf 'h' >"$d/h"
	seq 1 100 | head -c 100 >"$d/r"
done
# pwrites racing the conversion a shared mmap store starts.
check "pwrite loop while a mapping stores" inline_io race "$MNT/r"
inline_io pwrite "$REF/r" 0 abc
inline_io pwrite "$REF/r" 50 XY
both b pwrite 5000 far
both m mmapwrite 10 MAPPED
check "O_DIRECT write over e" inline_io dwrite "$MNT/e" 0 4096 D
head -c 4096 /dev/zero | tr '\0' D >"$REF/e"	# tmpfs has no O_DIRECT
both f falloc 0 0 1048576
check "mmap store visible to read" sh -c "[ \"\$(head -c 16 $MNT/m | tail -c 6)\" = MAPPED ]"
check "O_DIRECT write visible to read" sh -c "[ \"\$(head -c 3 $MNT/e)\" = DDD ]"
check "fallocate past the body sets the size" [ "$(stat -c %s "$MNT/f")" = 1048576 ]
check "O_DIRECT read of the converted file" sh -c "[ \"\$(inline_io dcat $MNT/a | md5sum)\" = \"\$(md5sum <$REF/a)\" ]"
same a b c m e f g r
LONG=$(seq 1 1200 | tr -d '\n' | head -c $((CAP + 100)))
check "long symlink" ln -s "$LONG" "$MNT/ll"
phase_end convert
for n in a b c m e f g r ll; do expect_body "/$n" extents; done
expect_inline /h 1
remount convert-read
same a b c m e f g h r
check "long symlink target after remount" [ "$(readlink "$MNT/ll")" = "$LONG" ]

# --- phase 3: truncate back ----------------------------------------------
for d in "$MNT" "$REF"; do
	truncate -s 10 "$d/a"
	truncate -s 7 "$d/g"
	truncate -s 0 "$d/c"
done
same a g c
phase_end truncate
remount truncate-read
same a g c
check "rm the files" rm "$MNT/a" "$MNT/b" "$MNT/c" "$MNT/m" "$MNT/e" "$MNT/f" "$MNT/g" "$MNT/h" "$MNT/t" "$MNT/full" "$MNT/empty" "$MNT/probe" "$MNT/sl" "$MNT/ll" "$MNT/r"

# --- phase 4: directories ------------------------------------------------
check "mkdir" mkdir "$MNT/d"
for i in 1 2 3 4 5; do check "create d/f$i" touch "$MNT/d/f$i"; done
phase_end dir-small
expect_body /d inline
remount dir-grow
# 5 entries there, 3 read, 200 created (converting), the rest read.
check "readdir across the conversion" [ "$(inline_io dirgrow "$MNT/d" 200)" = "first 5 seen 5 dup 0" ]
ls "$MNT/d" >/tmp/ls.out
check "205 names listed" [ "$(wc -l </tmp/ls.out)" = 205 ]
check "each name once" [ -z "$(sort /tmp/ls.out | uniq -d)" ]
(for i in 1 2 3 4 5; do echo "f$i"; done; i=0; while [ $i -lt 200 ]; do printf 'g%03d\n' $i; i=$((i + 1)); done) | sort >/tmp/ls.want
check "exactly the names created" sh -c "sort /tmp/ls.out | cmp -s - /tmp/ls.want"
phase_end dir-block
expect_body /d extents
remount dir-rm
check "ls after remount: 205 names" [ "$(ls "$MNT/d" | wc -l)" = 205 ]
check "rm all entries" sh -c "rm $MNT/d/*"
check "rmdir" rmdir "$MNT/d"
check "directory gone" [ ! -e "$MNT/d" ]
phase_end dir-gone
check "o2cbx offline" o2cbx offline "$CL"
