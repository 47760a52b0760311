// SPDX-License-Identifier: GPL-2.0
/*
 * Local implementation of the ocfsx lock layer (see locks.h): one
 * rw_semaphore per resource, plus the per-type ops tables that a DLM
 * backend will call on grant and on downconvert.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/pagemap.h>

#include "ocfsx.h"

/*
 * Inode meta lock gained after a remote change: drop what we cached from
 * the inode block. Locally nobody else changes it, so needs_refresh stays
 * false; the hook exists so the DLM can set it.
 */
static int meta_refresh(struct ocfsx_lock_res *res, int level)
{
	return 0;
}

/* Before another node may read an inode's data: our dirty pages go out. */
static int data_downconvert(struct ocfsx_lock_res *res, int new_level)
{
	struct inode *inode = res->owner;

	return filemap_write_and_wait(inode->i_mapping);
}

/* After giving up the data lock entirely, cached pages may be stale. */
static void data_invalidate(struct ocfsx_lock_res *res, int new_level)
{
	struct inode *inode = res->owner;

	if (new_level == 0)
		truncate_inode_pages(inode->i_mapping, 0);
}

/* Journaled metadata must be at its home location before others read it. */
static int journaled_downconvert(struct ocfsx_lock_res *res, int new_level)
{
	struct super_block *sb = res->owner;
	struct ocfsx_sb_info *sbi;
	int err = 0;

	if (res->type == OCFSX_LOCK_META)
		sb = ((struct inode *)res->owner)->i_sb;
	sbi = OCFSX_SB(sb);
	if (sbi->journal) {
		jbd2_journal_lock_updates(sbi->journal);
		err = jbd2_journal_flush(sbi->journal, 0);
		jbd2_journal_unlock_updates(sbi->journal);
	}
	return err;
}

static const struct ocfsx_lock_ops ocfsx_lock_ops[OCFSX_LOCK_NR_TYPES] = {
	[OCFSX_LOCK_SUPER] = { .name = "S",
			       .downconvert = journaled_downconvert },
	[OCFSX_LOCK_META] = { .name = "M", .refresh = meta_refresh,
			      .downconvert = journaled_downconvert },
	[OCFSX_LOCK_DATA] = { .name = "D", .downconvert = data_downconvert,
			      .invalidate = data_invalidate },
	[OCFSX_LOCK_ALLOC] = { .name = "A",
			       .downconvert = journaled_downconvert },
	[OCFSX_LOCK_GBITMAP] = { .name = "G",
				 .downconvert = journaled_downconvert },
	[OCFSX_LOCK_JOURNAL] = { .name = "J" },
};

void ocfsx_lock_res_init(struct ocfsx_lock_res *res,
			 enum ocfsx_lock_type type, u64 blkno, u32 gen,
			 void *owner)
{
	res->type = type;
	res->blkno = blkno;
	res->generation = gen;
	res->owner = owner;
	res->ops = &ocfsx_lock_ops[type];
	res->needs_refresh = false;
	init_rwsem(&res->sem);
	/* Same shape as the DLM resource name: type, blkno, generation. */
	snprintf(res->name, sizeof(res->name), "%s%016llx%08x",
		 res->ops->name, blkno, gen);
}

int ocfsx_lock(struct ocfsx_lock_res *res, int level)
{
	int err;

	if (level == OCFSX_LKM_EX)
		down_write(&res->sem);
	else
		down_read(&res->sem);
	if (res->needs_refresh && res->ops->refresh) {
		err = res->ops->refresh(res, level);
		if (err) {
			ocfsx_unlock(res, level);
			return err;
		}
		res->needs_refresh = false;
	}
	return 0;
}

void ocfsx_unlock(struct ocfsx_lock_res *res, int level)
{
	if (level == OCFSX_LKM_EX)
		up_write(&res->sem);
	else
		up_read(&res->sem);
}

int ocfsx_inode_lock(struct inode *inode, int level)
{
	return ocfsx_lock(&OCFSX_I(inode)->meta_lock, level);
}

void ocfsx_inode_unlock(struct inode *inode, int level)
{
	ocfsx_unlock(&OCFSX_I(inode)->meta_lock, level);
}

/* Two inodes in blkno order, so concurrent renames cannot deadlock. */
int ocfsx_inode_lock2(struct inode *a, struct inode *b, int level)
{
	int err;

	if (a == b || !b)
		return ocfsx_inode_lock(a, level);
	if (a->i_ino > b->i_ino)
		swap(a, b);
	err = ocfsx_inode_lock(a, level);
	if (err)
		return err;
	err = ocfsx_inode_lock(b, level);
	if (err)
		ocfsx_inode_unlock(a, level);
	return err;
}

void ocfsx_inode_unlock2(struct inode *a, struct inode *b, int level)
{
	ocfsx_inode_unlock(a, level);
	if (b && b != a)
		ocfsx_inode_unlock(b, level);
}

int ocfsx_data_lock(struct inode *inode, int level)
{
	return ocfsx_lock(&OCFSX_I(inode)->data_lock, level);
}

void ocfsx_data_unlock(struct inode *inode, int level)
{
	ocfsx_unlock(&OCFSX_I(inode)->data_lock, level);
}
