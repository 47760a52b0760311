/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cluster-shaped lock layer: every access to an inode or to shared
 * metadata takes a lock resource of a type (super, inode meta, inode data,
 * allocator, journal) at a level (PR shared, EX exclusive). Each type has
 * an ops table that says what to do when the lock is gained (refresh
 * cached state from disk) and before it is given up to another node
 * (write back / checkpoint, then invalidate). This implementation is local
 * to one node; the DLM replaces ocfsx_lock()/ocfsx_unlock() bodies only.
 */
#ifndef OCFSX_FS_LOCKS_H
#define OCFSX_FS_LOCKS_H

#include <linux/rwsem.h>
#include <linux/types.h>

enum ocfsx_lock_type {
	OCFSX_LOCK_SUPER,	/* superblock + slot map */
	OCFSX_LOCK_META,	/* inode block, extent tree, dirents */
	OCFSX_LOCK_DATA,	/* file data pages (page cache coherency) */
	OCFSX_LOCK_ALLOC,	/* a slot's allocator inodes */
	OCFSX_LOCK_GBITMAP,	/* the global bitmap */
	OCFSX_LOCK_JOURNAL,	/* a slot's journal, EX for the whole mount */
	OCFSX_LOCK_NR_TYPES,
};

enum ocfsx_lock_level {
	OCFSX_LKM_PR = 1,	/* protected read */
	OCFSX_LKM_EX = 2,	/* exclusive */
};

struct ocfsx_lock_res;

/*
 * Per-type behaviour, the part a cluster lock manager calls back into.
 * Every hook is optional.
 */
struct ocfsx_lock_ops {
	const char *name;		/* short type name in lock names */
	/* Lock gained at level after another node may have changed the
	 * object: re-read what is cached (inode fields, extent cache). */
	int (*refresh)(struct ocfsx_lock_res *res, int level);
	/* Before a held level drops to new_level (another node wants it):
	 * write back dirty pages / checkpoint journaled blocks. */
	int (*downconvert)(struct ocfsx_lock_res *res, int new_level);
	/* After the drop: discard cached copies that are now stale. */
	void (*invalidate)(struct ocfsx_lock_res *res, int new_level);
};

struct ocfsx_lock_res {
	enum ocfsx_lock_type type;
	u64 blkno;			/* object: inode / allocator blkno */
	u32 generation;
	void *owner;			/* struct inode or super_block */
	const struct ocfsx_lock_ops *ops;
	struct rw_semaphore sem;	/* local implementation */
	bool needs_refresh;		/* set by a remote EX (DLM later) */
	char name[32];			/* "M000000000000abcd" style */
};

void ocfsx_lock_res_init(struct ocfsx_lock_res *res,
			 enum ocfsx_lock_type type, u64 blkno, u32 gen,
			 void *owner);
int ocfsx_lock(struct ocfsx_lock_res *res, int level);
void ocfsx_unlock(struct ocfsx_lock_res *res, int level);

/* Inode helpers: meta lock of one inode, and of two in a stable order. */
struct inode;
int ocfsx_inode_lock(struct inode *inode, int level);
void ocfsx_inode_unlock(struct inode *inode, int level);
int ocfsx_inode_lock2(struct inode *a, struct inode *b, int level);
void ocfsx_inode_unlock2(struct inode *a, struct inode *b, int level);
int ocfsx_data_lock(struct inode *inode, int level);
void ocfsx_data_unlock(struct inode *inode, int level);

#endif /* OCFSX_FS_LOCKS_H */
