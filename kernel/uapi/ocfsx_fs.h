/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ocfsx on-disk format: every structure, constant and pure geometry helper
 * that defines what an ocfsx volume looks like. Shared unchanged by the kernel
 * module (C, Kbuild) and the userspace tools (C11 / C++20); docs/format.md is
 * the prose description and must be kept in step with this file.
 *
 * Conventions (apply to every structure below):
 *  - All multi-byte integers are little-endian (__le16/__le32/__le64); byte
 *    strings are __u8 arrays. No bitfields, no pointers, no implicit padding:
 *    every struct is a multiple of 8 bytes and every field sits at a naturally
 *    aligned offset, so the layout is identical on 32- and 64-bit hosts. The
 *    static asserts at the end of this file pin sizes and key offsets.
 *  - "blkno" is a 64-bit block number counted from byte 0 of the device in
 *    units of the volume block size; 0 means "none" (block 0 is never
 *    metadata). "cluster" numbers are likewise device-absolute, in units of the
 *    cluster size. An inode number IS the block number of its inode block.
 *  - Every reserved field/byte is written as zero and ignored on read; fsck
 *    reports non-zero reserved fields only for the current format revision.
 *  - Arrays that follow a header (extent records, bitmap bytes, dirent names,
 *    ...) are not declared as flexible array members, because C++ has none;
 *    their position is given by the OCFSX_*_OFFSET constants / helpers.
 */
#ifndef OCFSX_FS_H
#define OCFSX_FS_H

#if defined(__KERNEL__)
# include <linux/types.h>
# include <linux/build_bug.h>
# include <linux/stddef.h>
# define OCFSX_STATIC_ASSERT(expr) static_assert(expr, #expr)
#elif defined(__cplusplus)
# include <cstddef>
# include <linux/types.h>
# define OCFSX_STATIC_ASSERT(expr) static_assert(expr, #expr)
#else
# include <stddef.h>
# include <linux/types.h>
# define OCFSX_STATIC_ASSERT(expr) _Static_assert(expr, #expr)
#endif

#define OCFSX_INLINE static inline

#define OCFSX_ASSERT_SIZE(type, size) \
	OCFSX_STATIC_ASSERT(sizeof(struct type) == (size))
#define OCFSX_ASSERT_OFFSET(type, member, off) \
	OCFSX_STATIC_ASSERT(offsetof(struct type, member) == (off))

/* ------------------------------------------------------------------------ */
/* Identity and revision                                                    */
/* ------------------------------------------------------------------------ */

/*
 * One magic for every metadata block; the block type says what it is. The
 * value is chosen so the first four bytes of each block read "OCFX" in a
 * hex dump.
 */
#define OCFSX_META_MAGIC		0x5846434fU

/* A major bump means old code must not touch the volume at all; minor bumps
 * only describe additions that feature bits already gate. */
#define OCFSX_FORMAT_MAJOR		1
#define OCFSX_FORMAT_MINOR		0

/*
 * Block types: two ASCII characters stored as a __le16 so they are readable
 * in a hex dump right after the magic.
 */
#define OCFSX_BT(a, b)			((__u16)((a) | ((b) << 8)))
#define OCFSX_BT_SUPER			OCFSX_BT('S', 'B')
#define OCFSX_BT_INODE			OCFSX_BT('I', 'N')
#define OCFSX_BT_EXTENT			OCFSX_BT('E', 'X')
#define OCFSX_BT_GROUP			OCFSX_BT('G', 'D')
#define OCFSX_BT_DIRBLOCK		OCFSX_BT('D', 'B')	/* header in trailer */
#define OCFSX_BT_DX_ROOT		OCFSX_BT('D', 'R')
#define OCFSX_BT_DX_NODE		OCFSX_BT('D', 'N')
#define OCFSX_BT_XATTR			OCFSX_BT('X', 'A')
#define OCFSX_BT_HEARTBEAT		OCFSX_BT('H', 'B')
#define OCFSX_BT_SLOT_MAP		OCFSX_BT('S', 'M')

/* ------------------------------------------------------------------------ */
/* Units, fixed locations, limits                                           */
/* ------------------------------------------------------------------------ */

#define OCFSX_MIN_BLOCKSIZE_BITS	9	/* 512 B */
#define OCFSX_MAX_BLOCKSIZE_BITS	12	/* 4 KiB */
#define OCFSX_MIN_CLUSTERSIZE_BITS	12	/* 4 KiB */
#define OCFSX_MAX_CLUSTERSIZE_BITS	20	/* 1 MiB */
#define OCFSX_MIN_BLOCKSIZE		(1U << OCFSX_MIN_BLOCKSIZE_BITS)
#define OCFSX_MAX_BLOCKSIZE		(1U << OCFSX_MAX_BLOCKSIZE_BITS)

/*
 * The primary superblock lives at a fixed BYTE offset, independent of block
 * size, so a probe needs one read and the first 64 KiB (boot code, partition
 * or RAID labels of other software) is never written by ocfsx.
 */
#define OCFSX_SUPER_OFFSET		65536U
#define OCFSX_RESERVED_BYTES		OCFSX_SUPER_OFFSET

/* Backup superblocks at 1 GiB << 2*i (1G, 4G, 16G, 64G, 256G, 1T). */
#define OCFSX_BACKUP_SB_COUNT		6
#define OCFSX_BACKUP_SB_FIRST_SHIFT	30

#define OCFSX_MAX_SLOTS			255	/* slot numbers 0..254 */
#define OCFSX_MAX_NODES			255	/* node numbers 0..254 */
#define OCFSX_SLOT_NONE			0xFFFFU	/* "no slot" in __le16 slot fields */
#define OCFSX_SLOT_GLOBAL		0xFFFEU	/* the global (mkfs/fsck) allocator */
#define OCFSX_NODE_NONE			0xFFFFFFFFU

#define OCFSX_NAME_MAX			255
#define OCFSX_LABEL_LEN			64
#define OCFSX_UUID_LEN			16
#define OCFSX_CLUSTER_NAME_LEN		16
#define OCFSX_STACK_NAME_LEN		8
#define OCFSX_HOST_NAME_LEN		64
#define OCFSX_DX_KEY_LEN		16
#define OCFSX_LINK_MAX			0x7FFFFFFFU

/*
 * Logical cluster numbers are 32 bit; an extent's end (lcluster + clusters)
 * is computed in 64 bit and may equal 2^32, so a file can span exactly 2^32
 * clusters: 16 TiB at 4 KiB clusters, 4 PiB at 1 MiB clusters.
 */
#define OCFSX_MAX_FILE_CLUSTERS		(1ULL << 32)

#define OCFSX_XATTR_NAME_MAX		255
#define OCFSX_XATTR_VALUE_MAX		65536U

/* jbd2 refuses journals shorter than 1024 blocks; we also want >= 4 MiB. */
#define OCFSX_MIN_JOURNAL_BLOCKS	1024U
#define OCFSX_MIN_JOURNAL_BYTES		(4U << 20)

/* Tree depth caps bound recursion and journal credits per operation. */
#define OCFSX_MAX_EXTENT_DEPTH		8
#define OCFSX_MAX_DX_LEVEL		6

/* ------------------------------------------------------------------------ */
/* Checksums                                                                */
/* ------------------------------------------------------------------------ */

/*
 * Metadata checksum = standard CRC-32C (Castagnoli; iSCSI/RFC 3720 variant):
 *   reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF,
 *   final XOR 0xFFFFFFFF, bytes fed in order from offset 0.
 * It is computed over the WHOLE block (block-size bytes) with the 4-byte
 * checksum field itself taken as zero, and stored as __le32.
 *
 * The kernel's crc32c(seed, p, len) is the raw update (no inversion on either
 * side), so the kernel computes:
 *     ~crc32c(~0U, block, blocksize)            (field zeroed), or in pieces
 *     c = crc32c(~0U, block, off);  c = crc32c(c, zero4, 4);
 *     c = crc32c(c, block + off + 4, blocksize - off - 4);  stored = ~c
 * where off = ocfsx_csum_offset(). "123456789" checks to 0xE3069283.
 */
#define OCFSX_CRC32C_POLY_REFLECTED	0x82F63B78U
#define OCFSX_CRC32C_INIT		0xFFFFFFFFU
#define OCFSX_CRC32C_XOROUT		0xFFFFFFFFU
#define OCFSX_CRC32C_CHECK		0xE3069283U	/* of ASCII "123456789" */

/*
 * Common header at byte 0 of every metadata block, except dirent blocks,
 * which carry the same header inside their trailer (see ocfsx_dir_trailer)
 * so that directory entries start at byte 0 in both inline and block form.
 *
 * A reader accepts a block only if magic, type, blkno (== where it was read
 * from), fs_generation (== superblock's) and checksum all match; each failure
 * has its own error so fsck can tell torn writes from misdirected writes from
 * leftovers of an earlier mkfs.
 */
struct ocfsx_block_header {
	__le32	bh_magic;		/* OCFSX_META_MAGIC */
	__le32	bh_crc32c;		/* see OCFSX_CRC32C_* above */
	__le64	bh_blkno;		/* self reference: where this block lives */
	__le64	bh_owner;		/* inode blkno that owns this block (back
					 * pointer for fsck); 0 for the superblock */
	__le64	bh_alloc_group;		/* group descriptor blkno this block was
					 * suballocated from; 0 if not suballocated */
	__le32	bh_alloc_bit;		/* bit in that group */
	__le32	bh_fs_generation;	/* random per mkfs; == superblock's */
	__le16	bh_type;		/* OCFSX_BT_* */
	__le16	bh_alloc_slot;		/* suballocator slot, OCFSX_SLOT_GLOBAL,
					 * or OCFSX_SLOT_NONE */
	__le16	bh_last_writer;		/* slot that last wrote it (diagnostics
					 * for cross-node corruption), or NONE */
	__le16	bh_reserved;
};

/* ------------------------------------------------------------------------ */
/* Feature bits                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Base format 1.0 (no bit, every implementation must handle it): metadata
 * checksums on every block, 64-bit block numbers, sparse files, UNWRITTEN
 * extents (ignoring them would leak stale disk contents, so they cannot be
 * optional), discontiguous suballocator groups, 255-slot map with 32-bit node
 * numbers, cluster identity in the superblock, jbd2 journals with 64BIT.
 *
 * compat:    an old implementation may read and write without knowing it.
 * ro_compat: an old implementation may read, but writing would break it.
 * incompat:  an old implementation must not mount at all.
 */
#define OCFSX_FEATURE_COMPAT_BACKUP_SB		0x00000001U

#define OCFSX_FEATURE_RO_COMPAT_INDEXED_DIRS	0x00000001U /* unaware writer
							 * would not update dx */
#define OCFSX_FEATURE_RO_COMPAT_XATTR		0x00000002U /* unaware writer
							 * would leak xattr blocks */
/* Reserved, not in format 1.0: */
#define OCFSX_FEATURE_RO_COMPAT_USRQUOTA	0x00000100U
#define OCFSX_FEATURE_RO_COMPAT_GRPQUOTA	0x00000200U
#define OCFSX_FEATURE_RO_COMPAT_PRJQUOTA	0x00000400U

#define OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT	0x00000001U /* single node, no
							 * heartbeat/DLM */
#define OCFSX_FEATURE_INCOMPAT_INLINE_DATA	0x00000002U
/* Reserved, not in format 1.0 (extent flag SHARED, refcount trees): */
#define OCFSX_FEATURE_INCOMPAT_REFLINK		0x00000100U
/* An offline tunefs/resize was interrupted; s_tune_flags says which. */
#define OCFSX_FEATURE_INCOMPAT_TUNE_IN_PROGRESS	0x80000000U

#define OCFSX_FEATURE_COMPAT_SUPP	(OCFSX_FEATURE_COMPAT_BACKUP_SB)
#define OCFSX_FEATURE_RO_COMPAT_SUPP	(OCFSX_FEATURE_RO_COMPAT_INDEXED_DIRS | \
					 OCFSX_FEATURE_RO_COMPAT_XATTR)
#define OCFSX_FEATURE_INCOMPAT_SUPP	(OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT | \
					 OCFSX_FEATURE_INCOMPAT_INLINE_DATA | \
					 OCFSX_FEATURE_INCOMPAT_TUNE_IN_PROGRESS)
/* Understood, but the kernel must still refuse to mount while set. */
#define OCFSX_FEATURE_INCOMPAT_NOMOUNT	(OCFSX_FEATURE_INCOMPAT_TUNE_IN_PROGRESS)

/* s_tune_flags: which offline operation was interrupted. */
#define OCFSX_TUNE_RESIZE		0x00000001U
#define OCFSX_TUNE_SLOTS		0x00000002U
#define OCFSX_TUNE_FEATURES		0x00000004U
#define OCFSX_TUNE_UUID			0x00000008U
#define OCFSX_TUNE_JOURNAL		0x00000010U

/* s_state */
#define OCFSX_STATE_CLEAN		0x0001U	/* last node out left no dirty
						 * journal; set/cleared under
						 * the super lock */
#define OCFSX_STATE_ERROR		0x0002U	/* corruption seen: run fsck */

/* s_errors: default behaviour on detected corruption */
#define OCFSX_ERRORS_CONTINUE		1
#define OCFSX_ERRORS_REMOUNT_RO		2
#define OCFSX_ERRORS_PANIC		3
#define OCFSX_ERRORS_DEFAULT		OCFSX_ERRORS_REMOUNT_RO

/* ci_flags */
#define OCFSX_CLUSTER_F_GLOBAL_HB	0x00000001U	/* heartbeat runs on the
							 * cluster's global regions,
							 * not on this volume */

/* ------------------------------------------------------------------------ */
/* Superblock                                                               */
/* ------------------------------------------------------------------------ */

/* Cluster identity: mount refuses if the running stack/cluster differ. */
struct ocfsx_cluster_info {
	__u8	ci_stack[OCFSX_STACK_NAME_LEN];		/* "o2cb", "ocfsx", "pcmk";
							 * NUL padded, all zero
							 * for LOCAL_MOUNT */
	__u8	ci_cluster[OCFSX_CLUSTER_NAME_LEN];	/* NUL padded */
	__le32	ci_flags;				/* OCFSX_CLUSTER_F_* */
	__le32	ci_reserved;
};

/*
 * The superblock structure is exactly 512 bytes so it is complete in the
 * first sector whatever the block size; the remainder of its block is zero
 * and is covered by the checksum. Backups are byte-identical except for
 * s_hdr.bh_blkno (their own location) and hence the checksum.
 */
struct ocfsx_super_block {
	struct ocfsx_block_header s_hdr;	/* type SB, owner 0 */
	__le16	s_major;			/* OCFSX_FORMAT_MAJOR */
	__le16	s_minor;
	__le32	s_feature_compat;
	__le32	s_feature_incompat;
	__le32	s_feature_ro_compat;
	__u8	s_blocksize_bits;		/* 9..12 */
	__u8	s_clustersize_bits;		/* 12..20, >= blocksize bits */
	__le16	s_max_slots;			/* 1..255 */
	__le16	s_state;			/* OCFSX_STATE_* */
	__le16	s_errors;			/* OCFSX_ERRORS_* */
	__le64	s_clusters;			/* clusters in the volume */
	__le64	s_root_blkno;
	__le64	s_system_dir_blkno;
	__le64	s_first_group_blkno;		/* global bitmap group 0 */
	__le64	s_ctime;			/* mkfs time, seconds since epoch */
	__le64	s_mtime;			/* last mount */
	__le64	s_wtime;			/* last superblock write */
	__le64	s_lastcheck;			/* last full fsck */
	__le32	s_checkinterval;		/* seconds; 0 = never forced */
	__le16	s_mount_count;			/* mounts since last fsck */
	__le16	s_max_mount_count;		/* 0 = never forced */
	__le32	s_tune_flags;			/* OCFSX_TUNE_* */
	__le16	s_inline_xattr_size;		/* default for new inodes */
	__le16	s_reserved0;
	__u8	s_uuid[OCFSX_UUID_LEN];		/* DLM domain / heartbeat region */
	__u8	s_label[OCFSX_LABEL_LEN];	/* NUL padded */
	__u8	s_dx_key[OCFSX_DX_KEY_LEN];	/* secret SipHash key for dir index */
	struct ocfsx_cluster_info s_cluster;
	__le64	s_hb_blkno;			/* first heartbeat block (copy of the
						 * heartbeat inode's single extent so
						 * the mount helper needs no dir walk) */
	__le32	s_hb_blocks;			/* OCFSX_MAX_NODES */
	__le32	s_reserved1;
	__u8	s_reserved[216];
};

/* ------------------------------------------------------------------------ */
/* Inodes                                                                   */
/* ------------------------------------------------------------------------ */

/* i_flags: internal state */
#define OCFSX_IFL_VALID			0x00000001U	/* allocated, in use */
#define OCFSX_IFL_SYSTEM		0x00000002U	/* i_sys_type says what */
#define OCFSX_IFL_ORPHANED		0x00000004U	/* linked in orphan dir
							 * i_orphan_slot */
#define OCFSX_IFL_TRUNCATE_PENDING	0x00000008U	/* orphan entry only
							 * trims past i_size */

/* i_attr: user-visible attributes (chattr), mapped to FS_*_FL by the kernel */
#define OCFSX_ATTR_APPEND		0x00000001U
#define OCFSX_ATTR_IMMUTABLE		0x00000002U
#define OCFSX_ATTR_NOATIME		0x00000004U
#define OCFSX_ATTR_SYNC			0x00000008U
#define OCFSX_ATTR_DIRSYNC		0x00000010U
#define OCFSX_ATTR_NODUMP		0x00000020U

/*
 * i_body_format: what the body (bytes [OCFSX_INODE_BODY_OFFSET, blocksize -
 * i_xattr_inline_size)) holds. Explicit, rather than inferred from mode and
 * flags, so fsck can cross-check it against i_mode / i_sys_type.
 */
#define OCFSX_BODY_EMPTY		0	/* devices, fifos, sockets: zero */
#define OCFSX_BODY_EXTENTS		1	/* ocfsx_extent_hdr + records */
#define OCFSX_BODY_INLINE		2	/* i_size bytes of file/dir/symlink */
#define OCFSX_BODY_CHAINS		3	/* ocfsx_chain_table + entries */
#define OCFSX_BODY_LOCAL_ALLOC		4	/* ocfsx_local_alloc + bitmap */
#define OCFSX_BODY_DEALLOC_LOG		5	/* ocfsx_dealloc_log + records */

/*
 * i_sys_type: identity of a system inode, so fsck can rebuild the system
 * directory from the inodes alone. Types >= OCFSX_SYS_FIRST_PER_SLOT exist
 * once per slot and i_sys_slot holds the slot; global ones have
 * i_sys_slot == OCFSX_SLOT_NONE.
 */
#define OCFSX_SYS_NONE			0
#define OCFSX_SYS_SYSTEM_DIR		1	/* the system directory itself */
#define OCFSX_SYS_GLOBAL_BITMAP		2	/* "global_bitmap" */
#define OCFSX_SYS_GLOBAL_INODE_ALLOC	3	/* "global_inode_alloc" */
#define OCFSX_SYS_SLOT_MAP		4	/* "slot_map" */
#define OCFSX_SYS_HEARTBEAT		5	/* "heartbeat" */
#define OCFSX_SYS_FIRST_PER_SLOT	16
#define OCFSX_SYS_JOURNAL		16	/* "journal:NNNN" */
#define OCFSX_SYS_INODE_ALLOC		17	/* "inode_alloc:NNNN" */
#define OCFSX_SYS_META_ALLOC		18	/* "meta_alloc:NNNN" */
#define OCFSX_SYS_LOCAL_ALLOC		19	/* "local_alloc:NNNN" */
#define OCFSX_SYS_DEALLOC_LOG		20	/* "dealloc_log:NNNN" */
#define OCFSX_SYS_ORPHAN_DIR		21	/* "orphan_dir:NNNN" */
#define OCFSX_SYS_LAST			21

/* ij_flags (journal inodes only) */
#define OCFSX_JOURNAL_F_DIRTY		0x00000001U	/* owner mounted; replay
							 * before anyone else
							 * trusts this slot */

/*
 * Inode: one per block, inode number == block number. Fixed 224-byte part,
 * then the body, then an optional inline xattr area at the very end.
 * Allocated from a per-slot inode allocator; bh_alloc_{slot,group,bit}
 * record where, so any node can free it.
 */
struct ocfsx_inode {
	struct ocfsx_block_header i_hdr;	/* type IN, owner == own blkno */
	__le16	i_mode;
	__u8	i_body_format;			/* OCFSX_BODY_* */
	__u8	i_reserved0;
	__le32	i_uid;
	__le32	i_gid;
	__le32	i_links;
	__le64	i_size;				/* bytes */
	__le64	i_clusters;			/* clusters allocated (data only) */
	__le64	i_atime;			/* seconds since epoch, signed */
	__le64	i_ctime;
	__le64	i_mtime;
	__le64	i_crtime;			/* birth time */
	__le32	i_atime_nsec;
	__le32	i_ctime_nsec;
	__le32	i_mtime_nsec;
	__le32	i_crtime_nsec;
	__le64	i_dtime;			/* when orphaned/deleted; else 0 */
	__le32	i_generation;			/* NFS handles, lock-name reuse */
	__le32	i_flags;			/* OCFSX_IFL_* */
	__le32	i_attr;				/* OCFSX_ATTR_* */
	__le32	i_projid;			/* reserved for project quota */
	__le64	i_version;			/* bumped on every change (NFS
						 * change attribute, cache checks) */
	__le64	i_xattr_blkno;			/* external xattr block, 0 = none */
	__le64	i_dx_root;			/* dir index root, 0 = unindexed */
	__le64	i_last_leaf;			/* rightmost extent block, 0 when
						 * the tree has depth 0 */
	__le16	i_xattr_inline_size;		/* bytes at block end, multiple of
						 * 8, 0 = no inline xattrs */
	__le16	i_orphan_slot;			/* valid with IFL_ORPHANED */
	__le16	i_sys_type;			/* OCFSX_SYS_* */
	__le16	i_sys_slot;
	__le32	i_rdev_major;			/* char/block devices */
	__le32	i_rdev_minor;
	__le32	ij_flags;			/* journal inodes: OCFSX_JOURNAL_F_* */
	__le32	ij_recovery_gen;		/* journal inodes: bumped by whoever
						 * replays it, so the owner learns
						 * it was recovered */
	__u8	i_reserved1[16];
};
#define OCFSX_INODE_BODY_OFFSET		224U

/* ------------------------------------------------------------------------ */
/* Extent trees (files, dirs, long symlinks, system files, xattr values)    */
/* ------------------------------------------------------------------------ */

/* ex_flags */
#define OCFSX_EXT_UNWRITTEN		0x0001U	/* allocated, reads as zeroes */
#define OCFSX_EXT_SHARED		0x0002U	/* reserved for REFLINK */

/*
 * Header of every extent node (inode body, extent block, xattr value root).
 * Capacity is stored, not derived, so one walker handles every container.
 */
struct ocfsx_extent_hdr {
	__le16	eh_depth;		/* 0: records map data; >0: children */
	__le16	eh_capacity;		/* records that fit in this node */
	__le16	eh_used;		/* records in use, sorted by lcluster */
	__le16	eh_reserved0;
	__le32	eh_reserved1;
	__le32	eh_reserved2;
};

/*
 * Leaf (depth 0): clusters [lcluster, lcluster + clusters) of the file live
 * at physical clusters [start, start + clusters).
 * Interior (depth > 0): start is the blkno of the child extent block, which
 * covers logical clusters from lcluster up to the next record's lcluster (or
 * the parent's end; 2^32 at the root); clusters is 0. Leaving the span
 * implicit lets one interior record cover all 2^32 logical clusters.
 */
struct ocfsx_extent {
	__le64	ex_start;		/* physical cluster (leaf) / blkno (interior) */
	__le32	ex_lcluster;		/* first logical cluster */
	__le32	ex_clusters;		/* length (leaf), 1..2^32-1; 0 (interior) */
	__le16	ex_flags;		/* OCFSX_EXT_* (leaf only) */
	__le16	ex_reserved0;
	__le32	ex_reserved1;
};

/* Extent block: a non-root node of an extent tree, from meta_alloc:NNNN. */
struct ocfsx_extent_block {
	struct ocfsx_block_header eb_hdr;	/* type EX, owner = inode */
	__le64	eb_next_leaf;			/* next leaf to the right at the
						 * same depth, 0 = last (leaves
						 * only; fsck & sequential walks) */
	__le64	eb_reserved;
	struct ocfsx_extent_hdr eb_list;
	/* struct ocfsx_extent records[eb_list.eh_capacity] follow */
};

/* ------------------------------------------------------------------------ */
/* Allocators: global cluster bitmap and per-slot block suballocators       */
/* ------------------------------------------------------------------------ */

/*
 * Body of an allocator inode (global_bitmap, global_inode_alloc,
 * inode_alloc:NNNN, meta_alloc:NNNN). Free space is tracked at three levels
 * (here, per chain, per group); they must agree, and fsck recomputes the
 * upper two from the group descriptors.
 */
struct ocfsx_chain_table {
	__le64	ct_total_bits;
	__le64	ct_free_bits;
	__le32	ct_cpg;			/* clusters per group (the last global
					 * group may be shorter) */
	__le16	ct_bpc;			/* bits per cluster: 1 for the global
					 * bitmap, blocks/cluster for suballocs */
	__le16	ct_capacity;		/* chain entries that fit */
	__le16	ct_used;		/* chain entries in use */
	__le16	ct_reserved0;
	__le32	ct_reserved1;
	/* struct ocfsx_chain_entry entries[ct_capacity] follow */
};

struct ocfsx_chain_entry {
	__le64	ce_first_group;		/* blkno of first group descriptor */
	__le64	ce_free;		/* free bits on this chain */
	__le64	ce_total;		/* total bits on this chain */
};

/* A run of clusters making up part of a discontiguous suballocator group. */
struct ocfsx_group_run {
	__le64	gr_cluster;
	__le32	gr_clusters;
	__le32	gr_reserved;
};

/*
 * Group descriptor: one block holding the group's header and its whole
 * bitmap, so an allocation journals exactly one group block. Global bitmap
 * groups are contiguous and at computable places (see
 * ocfsx_global_group_desc_blkno); suballocator groups are wherever the global
 * bitmap gave them clusters, optionally as up to N runs (gd_nr_runs > 0:
 * run table at offset 96, bitmap after it; blocks are numbered through the
 * runs in order). Bit i set == cluster/block i of the group is in use.
 */
struct ocfsx_group_desc {
	struct ocfsx_block_header gd_hdr;	/* type GD, owner = allocator inode */
	__le64	gd_next;			/* next group on this chain, 0 = end */
	__le64	gd_first_cluster;		/* first cluster the group covers
						 * (first run if discontiguous) */
	__le32	gd_bits;			/* bits in the bitmap */
	__le32	gd_free;			/* clear bits */
	__le32	gd_contig_free;			/* longest run of clear bits */
	__le16	gd_chain;			/* index in the owner's chain table */
	__le16	gd_flags;			/* none defined; zero */
	__le16	gd_bitmap_offset;		/* byte offset of bitmap in block */
	__le16	gd_nr_runs;			/* 0 = contiguous */
	__le32	gd_reserved0;
	__le64	gd_reserved1;
	/* [struct ocfsx_group_run runs[gd_nr_runs]] then the bitmap, LSB first */
};

/*
 * Per-slot window of the global bitmap ("local_alloc:NNNN" body). The owning
 * node claims window_bits clusters inside ONE global group (so claim and
 * return each touch one group descriptor), then allocates data clusters from
 * this private bitmap with no cluster-wide lock. Bits set here are in use by
 * files; the whole window is set in the global bitmap while held.
 */
struct ocfsx_local_alloc {
	__le64	la_window_start;	/* first cluster; 0 = no window held */
	__le32	la_window_bits;		/* clusters in the window */
	__le32	la_used;		/* bits set below */
	/* __u8 bitmap[] follows, LSB first, to the end of the body */
};

/*
 * Per-slot batch of cluster frees ("dealloc_log:NNNN" body) waiting to be
 * returned to the global bitmap, so truncate/unlink does not take the global
 * bitmap lock for every extent.
 */
struct ocfsx_dealloc_log {
	__le16	dl_capacity;
	__le16	dl_used;
	__le32	dl_reserved0;
	__le64	dl_reserved1;
	/* struct ocfsx_dealloc_rec records[dl_capacity] follow */
};

struct ocfsx_dealloc_rec {
	__le64	dr_cluster;
	__le32	dr_clusters;
	__le32	dr_reserved;
};

/* ------------------------------------------------------------------------ */
/* Directories                                                              */
/* ------------------------------------------------------------------------ */

/* de_file_type */
#define OCFSX_FT_UNKNOWN		0
#define OCFSX_FT_REG			1
#define OCFSX_FT_DIR			2
#define OCFSX_FT_CHRDEV			3
#define OCFSX_FT_BLKDEV			4
#define OCFSX_FT_FIFO			5
#define OCFSX_FT_SOCK			6
#define OCFSX_FT_SYMLINK		7
#define OCFSX_FT_MAX			8

/*
 * Directory entry: 16-byte fixed part, then de_name_len name bytes (no NUL),
 * then padding to an 8-byte boundary; de_rec_len covers the entry plus any
 * free space after it up to the next entry. de_ino == 0 marks an unused
 * record. Entries are 8-byte aligned so de_ino is naturally aligned.
 */
struct ocfsx_dir_entry {
	__le64	de_ino;			/* inode blkno, 0 = unused */
	__le16	de_rec_len;		/* multiple of 8, >= ocfsx_dir_rec_len() */
	__u8	de_name_len;		/* 1..255 */
	__u8	de_file_type;		/* OCFSX_FT_* */
	__le32	de_hash;		/* low 32 bits of the name's dx hash:
					 * cheap reject in block scans, and fsck
					 * cross-checks it against the index */
	/* __u8 name[de_name_len] follows at OCFSX_DIRENT_NAME_OFFSET */
};
#define OCFSX_DIRENT_NAME_OFFSET	16U
#define OCFSX_DIR_ALIGN			8U

/*
 * In an indexed directory a dirent block is on the free-space list exactly
 * when dt_largest_free >= this (room for a name of up to 48 bytes); smaller
 * holes are not worth an insert probe. fsck checks this invariant.
 */
#define OCFSX_DIR_FREE_LIST_MIN		64U

/* Orphan-dir entries are named by the inode number: 16 lowercase hex digits. */
#define OCFSX_ORPHAN_NAME_LEN		16

/*
 * Last 64 bytes of every dirent block. Entries fill [0, blocksize - 64);
 * readdir cookies are byte offsets into the directory, and entries never
 * move between blocks, so cookies stay valid while other nodes insert and
 * delete.
 */
struct ocfsx_dir_trailer {
	struct ocfsx_block_header dt_hdr;	/* type DB, owner = dir inode,
						 * alloc slot NONE */
	__le64	dt_next_free;			/* next dirent block with free
						 * space, 0 = end (indexed dirs) */
	__le16	dt_largest_free;		/* largest record an insert could
						 * get in this block */
	__le16	dt_live;			/* entries with de_ino != 0 */
	__le32	dt_reserved;
};

/* Directory index (hash B+tree over names -> dirent blocks). */
#define OCFSX_DX_HASH_SIPHASH24		1	/* SipHash-2-4, key s_dx_key */

struct ocfsx_dx_entry {
	__le64	dx_hash;		/* 64-bit name hash */
	__le64	dx_blkno;		/* leaf: dirent block holding the name;
					 * interior: child node blkno */
};

/*
 * Node header shared by the root and other nodes. Entries are sorted by
 * (dx_hash, dx_blkno); duplicate hashes are allowed and may span leaves,
 * which is why leaves keep a right-sibling link.
 */
struct ocfsx_dx_node_hdr {
	__u8	dn_level;		/* 0 = leaf; root level = tree height-1 */
	__u8	dn_reserved0;
	__le16	dn_count;
	__le16	dn_capacity;
	__le16	dn_reserved1;
	__le64	dn_next;		/* right sibling at this level, 0 = last */
};

struct ocfsx_dx_root {
	struct ocfsx_block_header dr_hdr;	/* type DR, owner = dir inode,
						 * from meta_alloc:NNNN */
	__le64	dr_entries;			/* names in the directory */
	__le64	dr_free_head;			/* first dirent block on the
						 * free-space list, 0 = none */
	__le32	dr_flags;			/* none defined; zero */
	__u8	dr_hash_version;		/* OCFSX_DX_HASH_* */
	__u8	dr_reserved[11];
	struct ocfsx_dx_node_hdr dr_node;
	/* struct ocfsx_dx_entry entries[dr_node.dn_capacity] follow */
};

struct ocfsx_dx_node {
	struct ocfsx_block_header dn_hdr;	/* type DN, owner = dir inode */
	struct ocfsx_dx_node_hdr dn_node;
	/* struct ocfsx_dx_entry entries[dn_node.dn_capacity] follow */
};

/* ------------------------------------------------------------------------ */
/* Extended attributes                                                      */
/* ------------------------------------------------------------------------ */

/* xe_index: namespace prefix, not stored in the name */
#define OCFSX_XATTR_INDEX_USER			1	/* "user." */
#define OCFSX_XATTR_INDEX_POSIX_ACL_ACCESS	2	/* "system.posix_acl_access",
							 * name stored empty */
#define OCFSX_XATTR_INDEX_POSIX_ACL_DEFAULT	3	/* "system.posix_acl_default",
							 * name stored empty */
#define OCFSX_XATTR_INDEX_TRUSTED		4	/* "trusted." */
#define OCFSX_XATTR_INDEX_SECURITY		5	/* "security." */
#define OCFSX_XATTR_INDEX_SYSTEM		6	/* other "system." */
#define OCFSX_XATTR_INDEX_MAX			6

/* xe_flags */
#define OCFSX_XE_VALUE_OUTSIDE		0x01U	/* value area holds an
						 * ocfsx_xattr_value_root */

/*
 * Header of an xattr area: the inline area at the end of an inode, or the
 * area after the block header of an xattr block. Entries grow up from the
 * header, name/value data grows down from the end of the area; all offsets
 * are relative to the start of this header.
 */
struct ocfsx_xattr_header {
	__le16	xh_count;		/* entries, sorted by (index, hash, name) */
	__le16	xh_data_start;		/* lowest offset used by names/values */
	__le16	xh_area_size;		/* bytes in this area incl. this header */
	__le16	xh_reserved0;
	__le64	xh_reserved1;
	/* struct ocfsx_xattr_entry entries[xh_count] follow */
};

struct ocfsx_xattr_entry {
	__le32	xe_name_hash;		/* CRC-32C of the stored name bytes */
	__le32	xe_value_size;		/* bytes, <= OCFSX_XATTR_VALUE_MAX */
	__le16	xe_offset;		/* name, padded to 8, then value (padded
					 * to 8) or value root */
	__u8	xe_name_len;		/* 0..255 (0 only for ACL indexes) */
	__u8	xe_index;		/* OCFSX_XATTR_INDEX_* */
	__u8	xe_flags;		/* OCFSX_XE_* */
	__u8	xe_reserved[3];
};

/* Large values live in clusters mapped by a small extent tree. */
#define OCFSX_XATTR_VALUE_ROOT_RECS	2
struct ocfsx_xattr_value_root {
	struct ocfsx_extent_hdr xv_hdr;	/* capacity 2, grows via extent blocks */
	struct ocfsx_extent xv_recs[OCFSX_XATTR_VALUE_ROOT_RECS];
};

struct ocfsx_xattr_block {
	struct ocfsx_block_header xb_hdr;	/* type XA, owner = inode,
						 * from meta_alloc:NNNN */
	struct ocfsx_xattr_header xb_area;	/* area = blocksize - 48 bytes */
};

/* ------------------------------------------------------------------------ */
/* Slot map                                                                 */
/* ------------------------------------------------------------------------ */

/* A slot is free when se_node == OCFSX_NODE_NONE. */
struct ocfsx_slot_entry {
	__le32	se_node;		/* node number holding the slot */
	__le32	se_flags;		/* none defined; zero */
	__le64	se_mount_time;		/* seconds; informational (probe tools) */
};

/*
 * The "slot_map" system file is ceil(max_slots / per-block) of these blocks;
 * it is only modified under the cluster-wide super lock.
 */
struct ocfsx_slot_map_block {
	struct ocfsx_block_header sm_hdr;	/* type SM, owner = slot_map inode */
	__le16	sm_first_slot;			/* slot number of entry 0 */
	__le16	sm_count;			/* entries used in this block */
	__le32	sm_reserved0;
	__le64	sm_reserved1;
	/* struct ocfsx_slot_entry entries[sm_count] follow */
};

/* ------------------------------------------------------------------------ */
/* Disk heartbeat                                                           */
/* ------------------------------------------------------------------------ */

/* hb_flags */
#define OCFSX_HB_F_STOPPED		0x00000001U	/* writer stopped cleanly:
							 * readers may mark it down
							 * at once */

/*
 * One block per node number (block index == node number) in the contiguous
 * "heartbeat" file; written only by that node's heartbeat thread, directly
 * (never journaled). Liveness is judged by (generation, seq) changing as seen
 * on the reader's own clock; the timestamps are for humans only, since node
 * clocks may disagree.
 */
struct ocfsx_heartbeat_block {
	struct ocfsx_block_header hb_hdr;	/* type HB, owner = heartbeat inode */
	__le64	hb_seq;				/* +1 on every write */
	__le64	hb_generation;			/* random, chosen at heartbeat start */
	__le64	hb_time_sec;			/* writer's wall clock */
	__le32	hb_time_nsec;
	__le32	hb_node;			/* == block index */
	__le32	hb_interval_ms;			/* writer's write interval */
	__le32	hb_dead_ms;			/* writer's dead timeout; must match */
	__le32	hb_flags;			/* OCFSX_HB_F_* */
	__le16	hb_slot;			/* slot held on this volume or NONE */
	__le16	hb_reserved0;
	__u8	hb_cluster[OCFSX_CLUSTER_NAME_LEN];	/* writer's cluster name */
	__u8	hb_host[OCFSX_HOST_NAME_LEN];		/* writer's host name */
	__u8	hb_reserved1[16];
};

/* ------------------------------------------------------------------------ */
/* Layout offsets                                                           */
/* ------------------------------------------------------------------------ */

#define OCFSX_EXTENT_BLOCK_RECS_OFFSET	80U	/* sizeof(ocfsx_extent_block) */
#define OCFSX_GROUP_RUNS_OFFSET		96U	/* sizeof(ocfsx_group_desc) */
#define OCFSX_GROUP_BITMAP_OFFSET	96U	/* contiguous groups */
#define OCFSX_DIR_TRAILER_SIZE		64U
#define OCFSX_DX_ROOT_ENTRIES_OFFSET	96U
#define OCFSX_DX_NODE_ENTRIES_OFFSET	64U
#define OCFSX_XATTR_BLOCK_AREA_OFFSET	48U
#define OCFSX_SLOT_MAP_ENTRIES_OFFSET	64U
#define OCFSX_SUPER_STRUCT_SIZE		512U

/* Constant-expression capacities (used by static asserts and helpers). */
#define OCFSX_INODE_BODY_SIZE(bs, xattr) \
	((bs) - OCFSX_INODE_BODY_OFFSET - (xattr))
#define OCFSX_INODE_EXTENT_RECS(bs, xattr) \
	((OCFSX_INODE_BODY_SIZE(bs, xattr) - 16U) / 24U)
#define OCFSX_EXTENT_BLOCK_RECS(bs) \
	(((bs) - OCFSX_EXTENT_BLOCK_RECS_OFFSET) / 24U)
#define OCFSX_CHAIN_ENTRIES(bs, xattr) \
	((OCFSX_INODE_BODY_SIZE(bs, xattr) - 32U) / 24U)
#define OCFSX_GROUP_BITMAP_BYTES(bs)	((bs) - OCFSX_GROUP_BITMAP_OFFSET)
#define OCFSX_GROUP_BITMAP_BITS(bs)	(OCFSX_GROUP_BITMAP_BYTES(bs) * 8U)
#define OCFSX_LOCAL_ALLOC_BITS(bs, xattr) \
	((OCFSX_INODE_BODY_SIZE(bs, xattr) - 16U) * 8U)
#define OCFSX_DEALLOC_RECS(bs, xattr) \
	((OCFSX_INODE_BODY_SIZE(bs, xattr) - 16U) / 16U)
#define OCFSX_DIRENT_AREA(bs)		((bs) - OCFSX_DIR_TRAILER_SIZE)
#define OCFSX_DX_ROOT_ENTRIES(bs) \
	(((bs) - OCFSX_DX_ROOT_ENTRIES_OFFSET) / 16U)
#define OCFSX_DX_NODE_ENTRIES(bs) \
	(((bs) - OCFSX_DX_NODE_ENTRIES_OFFSET) / 16U)
#define OCFSX_SLOTS_PER_BLOCK(bs) \
	(((bs) - OCFSX_SLOT_MAP_ENTRIES_OFFSET) / 16U)

/* Default suballocator group: 4 MiB, limited by what one bitmap can hold. */
#define OCFSX_SUBALLOC_GROUP_BYTES	(4U << 20)

/* ------------------------------------------------------------------------ */
/* Pure helpers (no allocation, no libc; host-order arguments)              */
/* ------------------------------------------------------------------------ */

OCFSX_INLINE int ocfsx_geometry_valid(unsigned int bbits, unsigned int cbits)
{
	return bbits >= OCFSX_MIN_BLOCKSIZE_BITS &&
	       bbits <= OCFSX_MAX_BLOCKSIZE_BITS &&
	       cbits >= OCFSX_MIN_CLUSTERSIZE_BITS &&
	       cbits <= OCFSX_MAX_CLUSTERSIZE_BITS && cbits >= bbits;
}

OCFSX_INLINE __u64 ocfsx_super_blkno(unsigned int bbits)
{
	return (__u64)OCFSX_SUPER_OFFSET >> bbits;
}

/* Byte offset of backup superblock i (0..5). */
OCFSX_INLINE __u64 ocfsx_backup_sb_offset(unsigned int i)
{
	return (__u64)1 << (OCFSX_BACKUP_SB_FIRST_SHIFT + 2 * i);
}

OCFSX_INLINE __u64 ocfsx_backup_sb_blkno(unsigned int i, unsigned int bbits)
{
	return ocfsx_backup_sb_offset(i) >> bbits;
}

/* Number of backups that fit in a volume of 'clusters' clusters. */
OCFSX_INLINE unsigned int ocfsx_backup_sb_count(__u64 clusters,
						 unsigned int cbits)
{
	unsigned int i;

	for (i = 0; i < OCFSX_BACKUP_SB_COUNT; i++)
		if ((ocfsx_backup_sb_offset(i) >> cbits) >= clusters)
			break;
	return i;
}

/* Is blkno the location of a backup superblock (volume size not checked)? */
OCFSX_INLINE int ocfsx_is_backup_sb_blkno(__u64 blkno, unsigned int bbits)
{
	unsigned int i;

	for (i = 0; i < OCFSX_BACKUP_SB_COUNT; i++)
		if (ocfsx_backup_sb_blkno(i, bbits) == blkno)
			return 1;
	return 0;
}

OCFSX_INLINE __u32 ocfsx_inode_body_size(__u32 bs, __u32 xattr_inline)
{
	return OCFSX_INODE_BODY_SIZE(bs, xattr_inline);
}

/* Largest file, directory or symlink target kept inline in the inode. */
OCFSX_INLINE __u32 ocfsx_inline_data_max(__u32 bs, __u32 xattr_inline)
{
	return OCFSX_INODE_BODY_SIZE(bs, xattr_inline);
}

OCFSX_INLINE __u32 ocfsx_inode_extent_recs(__u32 bs, __u32 xattr_inline)
{
	return OCFSX_INODE_EXTENT_RECS(bs, xattr_inline);
}

OCFSX_INLINE __u32 ocfsx_extent_block_recs(__u32 bs)
{
	return OCFSX_EXTENT_BLOCK_RECS(bs);
}

OCFSX_INLINE __u32 ocfsx_chain_entries(__u32 bs, __u32 xattr_inline)
{
	return OCFSX_CHAIN_ENTRIES(bs, xattr_inline);
}

/* Bitmap bytes in a contiguous group descriptor block. */
OCFSX_INLINE __u32 ocfsx_group_bitmap_bytes(__u32 bs)
{
	return OCFSX_GROUP_BITMAP_BYTES(bs);
}

/* Clusters per global bitmap group (mkfs default and maximum). */
OCFSX_INLINE __u32 ocfsx_global_cpg(__u32 bs)
{
	return OCFSX_GROUP_BITMAP_BITS(bs);
}

/*
 * Clusters per suballocator group: as close to 4 MiB as whole clusters
 * allow, at least one cluster, and never more blocks than one bitmap holds.
 */
OCFSX_INLINE __u32 ocfsx_suballoc_cpg(unsigned int bbits, unsigned int cbits)
{
	__u32 bpc = 1U << (cbits - bbits);
	__u32 max_bits = OCFSX_GROUP_BITMAP_BITS(1U << bbits);
	__u32 cpg = OCFSX_SUBALLOC_GROUP_BYTES >> cbits;

	if (cpg == 0)
		cpg = 1;
	while (cpg > 1 && cpg * bpc > max_bits)
		cpg--;
	return cpg;
}

/*
 * Block holding the descriptor of global bitmap group g: the first block of
 * the group, except group 0 (first block after the primary superblock) and a
 * group whose first block is a backup superblock (the next block).
 */
OCFSX_INLINE __u64 ocfsx_global_group_desc_blkno(__u64 g, __u32 cpg,
						  unsigned int bbits,
						  unsigned int cbits)
{
	__u64 blkno;

	if (g == 0)
		return ocfsx_super_blkno(bbits) + 1;
	blkno = (g * cpg) << (cbits - bbits);
	if (ocfsx_is_backup_sb_blkno(blkno, bbits))
		blkno++;
	return blkno;
}

OCFSX_INLINE __u32 ocfsx_local_alloc_bits(__u32 bs, __u32 xattr_inline)
{
	return OCFSX_LOCAL_ALLOC_BITS(bs, xattr_inline);
}

OCFSX_INLINE __u32 ocfsx_dealloc_recs(__u32 bs, __u32 xattr_inline)
{
	return OCFSX_DEALLOC_RECS(bs, xattr_inline);
}

/* Minimal record length of a directory entry with this name length. */
OCFSX_INLINE __u32 ocfsx_dir_rec_len(__u32 name_len)
{
	return (OCFSX_DIRENT_NAME_OFFSET + name_len + OCFSX_DIR_ALIGN - 1) &
	       ~(OCFSX_DIR_ALIGN - 1);
}

OCFSX_INLINE __u32 ocfsx_dirent_area(__u32 bs)
{
	return OCFSX_DIRENT_AREA(bs);
}

OCFSX_INLINE __u32 ocfsx_dx_root_entries(__u32 bs)
{
	return OCFSX_DX_ROOT_ENTRIES(bs);
}

OCFSX_INLINE __u32 ocfsx_dx_node_entries(__u32 bs)
{
	return OCFSX_DX_NODE_ENTRIES(bs);
}

OCFSX_INLINE __u32 ocfsx_slots_per_block(__u32 bs)
{
	return OCFSX_SLOTS_PER_BLOCK(bs);
}

OCFSX_INLINE __u32 ocfsx_slot_map_blocks(__u32 bs, __u32 max_slots)
{
	__u32 per = OCFSX_SLOTS_PER_BLOCK(bs);

	return (max_slots + per - 1) / per;
}

OCFSX_INLINE __u64 ocfsx_max_file_bytes(unsigned int cbits)
{
	return OCFSX_MAX_FILE_CLUSTERS << cbits;
}

/* Byte offset of the checksum field in a block of this type. */
OCFSX_INLINE __u32 ocfsx_csum_offset(__u16 type, __u32 bs)
{
	__u32 hdr = 0;

	if (type == OCFSX_BT_DIRBLOCK)
		hdr = bs - OCFSX_DIR_TRAILER_SIZE;
	return hdr + (__u32)offsetof(struct ocfsx_block_header, bh_crc32c);
}

/*
 * Bitwise reference CRC-32C raw update: same contract as the kernel's
 * crc32c(seed, p, len) (no inversion). Slow; it exists so every tool can
 * check its fast implementation against the definition. The kernel should
 * call crc32c() from <linux/crc32c.h>.
 */
OCFSX_INLINE __u32 ocfsx_crc32c_ref(__u32 crc, const void *buf, __u32 len)
{
	const __u8 *p = (const __u8 *)buf;
	__u32 i;
	unsigned int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^
			      (OCFSX_CRC32C_POLY_REFLECTED & (0U - (crc & 1U)));
	}
	return crc;
}

/* Reference block checksum: whole block, checksum field read as zero. */
OCFSX_INLINE __u32 ocfsx_block_csum_ref(const void *block, __u32 bs,
					__u32 csum_off)
{
	const __u8 *p = (const __u8 *)block;
	const __u8 zero[4] = { 0, 0, 0, 0 };
	__u32 crc;

	crc = ocfsx_crc32c_ref(OCFSX_CRC32C_INIT, p, csum_off);
	crc = ocfsx_crc32c_ref(crc, zero, 4);
	crc = ocfsx_crc32c_ref(crc, p + csum_off + 4, bs - csum_off - 4);
	return crc ^ OCFSX_CRC32C_XOROUT;
}

/*
 * Reference directory-index hash: SipHash-2-4 (64-bit output) of the name
 * bytes, keyed with s_dx_key read as two little-endian 64-bit words k0 =
 * bytes 0..7, k1 = bytes 8..15. Identical to the kernel's siphash() with
 * siphash_key_t { k0, k1 }. A keyed hash, unlike CRC, cannot be steered by
 * a user creating colliding names to degrade one directory.
 */
#define OCFSX_ROTL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

OCFSX_INLINE void ocfsx_sipround(__u64 v[4])
{
	v[0] += v[1]; v[1] = OCFSX_ROTL64(v[1], 13); v[1] ^= v[0];
	v[0] = OCFSX_ROTL64(v[0], 32);
	v[2] += v[3]; v[3] = OCFSX_ROTL64(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = OCFSX_ROTL64(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = OCFSX_ROTL64(v[1], 17); v[1] ^= v[2];
	v[2] = OCFSX_ROTL64(v[2], 32);
}

OCFSX_INLINE __u64 ocfsx_dx_hash_ref(__u64 k0, __u64 k1, const void *name,
				     __u32 len)
{
	const __u8 *p = (const __u8 *)name;
	__u64 v[4];
	__u64 m;
	__u32 i, j;

	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (j = 0; j < 8; j++)
			m |= (__u64)p[i + j] << (8 * j);
		v[3] ^= m;
		ocfsx_sipround(v);
		ocfsx_sipround(v);
		v[0] ^= m;
	}
	m = (__u64)(len & 0xffU) << 56;
	for (j = 0; i + j < len; j++)
		m |= (__u64)p[i + j] << (8 * j);
	v[3] ^= m;
	ocfsx_sipround(v);
	ocfsx_sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (j = 0; j < 4; j++)
		ocfsx_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* Name prefix of a system file type, or 0 if the type is unknown. */
OCFSX_INLINE const char *ocfsx_sysfile_prefix(unsigned int type)
{
	switch (type) {
	case OCFSX_SYS_GLOBAL_BITMAP:		return "global_bitmap";
	case OCFSX_SYS_GLOBAL_INODE_ALLOC:	return "global_inode_alloc";
	case OCFSX_SYS_SLOT_MAP:		return "slot_map";
	case OCFSX_SYS_HEARTBEAT:		return "heartbeat";
	case OCFSX_SYS_JOURNAL:			return "journal";
	case OCFSX_SYS_INODE_ALLOC:		return "inode_alloc";
	case OCFSX_SYS_META_ALLOC:		return "meta_alloc";
	case OCFSX_SYS_LOCAL_ALLOC:		return "local_alloc";
	case OCFSX_SYS_DEALLOC_LOG:		return "dealloc_log";
	case OCFSX_SYS_ORPHAN_DIR:		return "orphan_dir";
	default:				return 0;
	}
}

/*
 * Write the system-directory name of (type, slot) into buf, e.g.
 * "journal:0003", NUL terminated. Returns the length without NUL, or -1 if
 * the type or slot is invalid or buf is too small.
 */
OCFSX_INLINE int ocfsx_sysfile_name(char *buf, __u32 buflen,
				    unsigned int type, unsigned int slot)
{
	const char *prefix = ocfsx_sysfile_prefix(type);
	__u32 n = 0;
	int per_slot = type >= OCFSX_SYS_FIRST_PER_SLOT;

	if (!prefix || (per_slot && slot >= OCFSX_MAX_SLOTS))
		return -1;
	while (prefix[n]) {
		if (n + 1 >= buflen)
			return -1;
		buf[n] = prefix[n];
		n++;
	}
	if (per_slot) {
		if (n + 6 > buflen)
			return -1;
		buf[n++] = ':';
		buf[n++] = (char)('0' + slot / 1000);
		buf[n++] = (char)('0' + slot / 100 % 10);
		buf[n++] = (char)('0' + slot / 10 % 10);
		buf[n++] = (char)('0' + slot % 10);
	}
	if (n >= buflen)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* ------------------------------------------------------------------------ */
/* Layout checks                                                            */
/* ------------------------------------------------------------------------ */

OCFSX_ASSERT_SIZE(ocfsx_block_header, 48);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_crc32c, 4);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_blkno, 8);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_owner, 16);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_alloc_group, 24);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_alloc_bit, 32);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_fs_generation, 36);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_type, 40);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_alloc_slot, 42);
OCFSX_ASSERT_OFFSET(ocfsx_block_header, bh_last_writer, 44);

OCFSX_ASSERT_SIZE(ocfsx_cluster_info, 32);
OCFSX_ASSERT_SIZE(ocfsx_super_block, OCFSX_SUPER_STRUCT_SIZE);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_major, 48);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_feature_compat, 52);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_feature_incompat, 56);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_feature_ro_compat, 60);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_blocksize_bits, 64);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_clusters, 72);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_root_blkno, 80);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_ctime, 104);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_checkinterval, 136);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_inline_xattr_size, 148);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_uuid, 152);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_label, 168);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_dx_key, 232);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_cluster, 248);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_hb_blkno, 280);
OCFSX_ASSERT_OFFSET(ocfsx_super_block, s_reserved, 296);

OCFSX_ASSERT_SIZE(ocfsx_inode, OCFSX_INODE_BODY_OFFSET);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_mode, 48);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_body_format, 50);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_size, 64);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_clusters, 72);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_atime, 80);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_atime_nsec, 112);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_dtime, 128);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_generation, 136);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_version, 152);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_xattr_blkno, 160);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_dx_root, 168);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_last_leaf, 176);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_xattr_inline_size, 184);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_sys_type, 188);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_rdev_major, 192);
OCFSX_ASSERT_OFFSET(ocfsx_inode, ij_flags, 200);
OCFSX_ASSERT_OFFSET(ocfsx_inode, i_reserved1, 208);

OCFSX_ASSERT_SIZE(ocfsx_extent_hdr, 16);
OCFSX_ASSERT_SIZE(ocfsx_extent, 24);
OCFSX_ASSERT_OFFSET(ocfsx_extent, ex_lcluster, 8);
OCFSX_ASSERT_OFFSET(ocfsx_extent, ex_clusters, 12);
OCFSX_ASSERT_OFFSET(ocfsx_extent, ex_flags, 16);
OCFSX_ASSERT_SIZE(ocfsx_extent_block, OCFSX_EXTENT_BLOCK_RECS_OFFSET);
OCFSX_ASSERT_OFFSET(ocfsx_extent_block, eb_list, 64);

OCFSX_ASSERT_SIZE(ocfsx_chain_table, 32);
OCFSX_ASSERT_SIZE(ocfsx_chain_entry, 24);
OCFSX_ASSERT_SIZE(ocfsx_group_run, 16);
OCFSX_ASSERT_SIZE(ocfsx_group_desc, OCFSX_GROUP_BITMAP_OFFSET);
OCFSX_ASSERT_OFFSET(ocfsx_group_desc, gd_next, 48);
OCFSX_ASSERT_OFFSET(ocfsx_group_desc, gd_bits, 64);
OCFSX_ASSERT_OFFSET(ocfsx_group_desc, gd_chain, 76);
OCFSX_ASSERT_OFFSET(ocfsx_group_desc, gd_bitmap_offset, 80);
OCFSX_ASSERT_SIZE(ocfsx_local_alloc, 16);
OCFSX_ASSERT_SIZE(ocfsx_dealloc_log, 16);
OCFSX_ASSERT_SIZE(ocfsx_dealloc_rec, 16);

OCFSX_ASSERT_SIZE(ocfsx_dir_entry, OCFSX_DIRENT_NAME_OFFSET);
OCFSX_ASSERT_OFFSET(ocfsx_dir_entry, de_rec_len, 8);
OCFSX_ASSERT_OFFSET(ocfsx_dir_entry, de_name_len, 10);
OCFSX_ASSERT_OFFSET(ocfsx_dir_entry, de_file_type, 11);
OCFSX_ASSERT_OFFSET(ocfsx_dir_entry, de_hash, 12);
OCFSX_ASSERT_SIZE(ocfsx_dir_trailer, OCFSX_DIR_TRAILER_SIZE);
OCFSX_ASSERT_OFFSET(ocfsx_dir_trailer, dt_next_free, 48);
OCFSX_ASSERT_SIZE(ocfsx_dx_entry, 16);
OCFSX_ASSERT_SIZE(ocfsx_dx_node_hdr, 16);
OCFSX_ASSERT_SIZE(ocfsx_dx_root, OCFSX_DX_ROOT_ENTRIES_OFFSET);
OCFSX_ASSERT_OFFSET(ocfsx_dx_root, dr_node, 80);
OCFSX_ASSERT_SIZE(ocfsx_dx_node, OCFSX_DX_NODE_ENTRIES_OFFSET);

OCFSX_ASSERT_SIZE(ocfsx_xattr_header, 16);
OCFSX_ASSERT_SIZE(ocfsx_xattr_entry, 16);
OCFSX_ASSERT_SIZE(ocfsx_xattr_value_root, 64);
OCFSX_ASSERT_SIZE(ocfsx_xattr_block, 64);
OCFSX_ASSERT_OFFSET(ocfsx_xattr_block, xb_area, OCFSX_XATTR_BLOCK_AREA_OFFSET);

OCFSX_ASSERT_SIZE(ocfsx_slot_entry, 16);
OCFSX_ASSERT_SIZE(ocfsx_slot_map_block, OCFSX_SLOT_MAP_ENTRIES_OFFSET);
OCFSX_ASSERT_SIZE(ocfsx_heartbeat_block, 192);
OCFSX_ASSERT_OFFSET(ocfsx_heartbeat_block, hb_seq, 48);
OCFSX_ASSERT_OFFSET(ocfsx_heartbeat_block, hb_node, 76);
OCFSX_ASSERT_OFFSET(ocfsx_heartbeat_block, hb_cluster, 96);
OCFSX_ASSERT_OFFSET(ocfsx_heartbeat_block, hb_host, 112);

/* Every structure that must fit in the smallest block does. */
OCFSX_STATIC_ASSERT(sizeof(struct ocfsx_heartbeat_block) <= OCFSX_MIN_BLOCKSIZE);
/* Even at 512-byte blocks the containers keep a useful fan-out. */
OCFSX_STATIC_ASSERT(OCFSX_INODE_EXTENT_RECS(OCFSX_MIN_BLOCKSIZE, 0U) >= 8);
OCFSX_STATIC_ASSERT(OCFSX_EXTENT_BLOCK_RECS(OCFSX_MIN_BLOCKSIZE) >= 16);
OCFSX_STATIC_ASSERT(OCFSX_CHAIN_ENTRIES(OCFSX_MIN_BLOCKSIZE, 0U) >= 8);
OCFSX_STATIC_ASSERT(OCFSX_DX_ROOT_ENTRIES(OCFSX_MIN_BLOCKSIZE) >= 16);
OCFSX_STATIC_ASSERT(OCFSX_SLOTS_PER_BLOCK(OCFSX_MIN_BLOCKSIZE) >= 16);
/* The longest dirent fits a dirent block of the smallest size. */
OCFSX_STATIC_ASSERT(OCFSX_DIRENT_NAME_OFFSET + OCFSX_NAME_MAX <=
		    OCFSX_DIRENT_AREA(OCFSX_MIN_BLOCKSIZE));
/* Group bitmaps are whole 64-bit words, for word-at-a-time scans. */
OCFSX_STATIC_ASSERT(OCFSX_GROUP_BITMAP_BYTES(OCFSX_MIN_BLOCKSIZE) % 8 == 0);
/* Fixed offsets: superblock and backups are block- and cluster-aligned. */
OCFSX_STATIC_ASSERT(OCFSX_SUPER_OFFSET % OCFSX_MAX_BLOCKSIZE == 0);
OCFSX_STATIC_ASSERT((1ULL << OCFSX_BACKUP_SB_FIRST_SHIFT) %
		    (1ULL << OCFSX_MAX_CLUSTERSIZE_BITS) == 0);

#endif /* OCFSX_FS_H */
