// SPDX-License-Identifier: GPL-2.0
/*
 * Inline data for regular files (format §5, feature INLINE_DATA): the
 * file's bytes live in the inode body. Every change to the body is one
 * jbd2 transaction; page 0 of the page cache is only a clean copy of the
 * body, refreshed after each change, so an inline file never has dirty
 * pages and never writes back. Whatever needs blocks (growth past the
 * body, shared writable mmap, O_DIRECT writes, fallocate past the body)
 * first converts the body to an extent tree, in one transaction.
 *
 * Lock order: inline_mutex, then the transaction, then page 0's lock.
 * read_folio runs with page 0 locked, so it always sees a body that
 * nobody is changing. inline_mutex is never held across a user copy, so
 * page_mkwrite (under mmap_lock) may take it.
 */
#include <linux/buffer_head.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mpage.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "ocfsx.h"

/* Inode block, cluster allocation, one extent, the data ordering. */
#define OCFSX_INLINE_CREDITS	48

u32 ocfsx_inline_capacity(struct inode *inode)
{
	return ocfsx_body_size(inode->i_sb, OCFSX_I(inode)->xattr_inline);
}

static int ocfsx_inline_read_folio(struct file *file, struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	struct buffer_head *bh;
	size_t len = 0;
	void *kaddr;

	if (folio->index == 0) {
		bh = ocfsx_read_inode_bh(inode);
		if (IS_ERR(bh)) {
			folio_unlock(folio);
			return PTR_ERR(bh);
		}
		/* Converted after our caller picked these aops. */
		if (((struct ocfsx_inode *)bh->b_data)->i_body_format !=
		    OCFSX_BODY_INLINE) {
			brelse(bh);
			return mpage_read_folio(folio, ocfsx_get_block);
		}
		len = min_t(size_t, i_size_read(inode), folio_size(folio));
		len = min_t(size_t, len, ocfsx_inline_capacity(inode));
		kaddr = kmap_local_folio(folio, 0);
		memcpy(kaddr, bh->b_data + OCFSX_INODE_BODY_OFFSET, len);
		kunmap_local(kaddr);
		brelse(bh);
	} else if (READ_ONCE(OCFSX_I(inode)->body_format) !=
		   OCFSX_BODY_INLINE) {
		return mpage_read_folio(folio, ocfsx_get_block);
	}
	folio_zero_segment(folio, len, folio_size(folio));
	folio_mark_uptodate(folio);
	folio_unlock(folio);
	return 0;
}

/*
 * O_DIRECT opens need a direct_IO. Moving 0 bytes makes the VFS finish a
 * direct read through the page cache; direct writes never get here, the
 * file is converted first.
 */
static ssize_t ocfsx_inline_direct_IO(struct kiocb *iocb,
				      struct iov_iter *iter)
{
	return 0;
}

/*
 * Nothing may dirty an inline page (writes go to the body), hence the
 * no-op dirty_folio rather than a NULL one.
 */
const struct address_space_operations ocfsx_inline_aops = {
	.read_folio	= ocfsx_inline_read_folio,
	.dirty_folio	= noop_dirty_folio,
	.direct_IO	= ocfsx_inline_direct_IO,
};

/* Page 0 (locked) becomes the body's first size bytes, then zeros. */
static void fill_page0(struct page *page, const void *body, loff_t size)
{
	void *kaddr = kmap_local_page(page);

	memcpy(kaddr, body, size);
	memset(kaddr + size, 0, PAGE_SIZE - size);
	kunmap_local(kaddr);
	flush_dcache_page(page);
	SetPageUptodate(page);
}

/*
 * Takes inline_mutex and, if the file is still inline, starts a
 * transaction and reads the inode block. -ENOTBLK: it is not inline.
 */
static int inline_begin(struct inode *inode, int credits, handle_t **h,
			struct buffer_head **bh)
{
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	int err;

	mutex_lock(&oi->inline_mutex);
	if (oi->body_format != OCFSX_BODY_INLINE) {
		err = -ENOTBLK;
		goto fail;
	}
	*h = ocfsx_start_trans(inode->i_sb, credits);
	if (IS_ERR(*h)) {
		err = PTR_ERR(*h);
		goto fail;
	}
	*bh = ocfsx_read_inode_bh(inode);
	if (!IS_ERR(*bh))
		return 0;
	err = PTR_ERR(*bh);
	ocfsx_commit_trans(*h);
fail:
	mutex_unlock(&oi->inline_mutex);
	return err;
}

static int inline_end(struct inode *inode, handle_t *h,
		      struct buffer_head *bh, int err)
{
	brelse(bh);
	if (ocfsx_commit_trans(h) && !err)
		err = -EIO;
	mutex_unlock(&OCFSX_I(inode)->inline_mutex);
	return err;
}

/*
 * Stores len bytes of buf (zeros when buf is NULL) at pos of the body and
 * sets the size to size (size < 0: grow to pos + len if needed), in one
 * transaction. Bytes between the old and new size are zeroed either way,
 * so the body past i_size is always zero. Returns -ENOTBLK when the file
 * is no longer inline.
 */
static int inline_store(struct inode *inode, loff_t pos, const void *buf,
			size_t len, loff_t size)
{
	struct super_block *sb = inode->i_sb;
	u32 cap = ocfsx_inline_capacity(inode);
	struct buffer_head *bh;
	struct page *page;
	loff_t old;
	handle_t *h;
	void *body;
	int err;

	err = inline_begin(inode, 4, &h, &bh);
	if (err)
		return err;
	old = i_size_read(inode);
	if (size < 0)
		size = max_t(loff_t, old, pos + len);
	if (size > cap || pos + len > cap)
		return inline_end(inode, h, bh, -EFBIG);
	/*
	 * Page 0 stays locked from the body change to the size change, so a
	 * read_folio (mmap faults take no lock of ours) sees both or neither.
	 */
	page = find_or_create_page(inode->i_mapping, 0, GFP_NOFS);
	if (!page)
		return inline_end(inode, h, bh, -ENOMEM);
	err = ocfsx_journal_access(h, bh, false);
	if (err)
		goto out_page;
	body = bh->b_data + OCFSX_INODE_BODY_OFFSET;
	if (size != old)
		memset(body + min(old, size), 0, abs(size - old));
	if (buf)
		memcpy(body + pos, buf, len);
	else
		memset(body + pos, 0, len);
	err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_INODE);
	if (err)
		goto out_page;
	fill_page0(page, body, size);
	i_size_write(inode, size);
	inode->i_mtime = inode->i_ctime = current_time(inode);
	err = ocfsx_update_inode(h, inode);
out_page:
	unlock_page(page);
	put_page(page);
	/* truncate_setsize() without the size: it locks page 0 itself. */
	if (i_size_read(inode) < old)
		truncate_pagecache(inode, size);
	else if (i_size_read(inode) > old)
		pagecache_isize_extended(inode, old, size);
	return inline_end(inode, h, bh, err);
}

/*
 * Inline body -> extent tree in one transaction: a cluster for the data
 * (when there is any), the body rewritten as an empty extent root plus
 * that extent, and page 0 dirtied over the new block. The data is on the
 * jbd2 ordered list whatever data= says, so the commit that makes the
 * inode point at the block only lands after the block holds the data.
 */
static int inline_convert_once(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	struct page *page = NULL;
	struct ocfsx_extent_hdr *eh;
	struct buffer_head *bh;
	u64 pc = 0;
	loff_t size;
	handle_t *h;
	void *body;
	u32 got;
	int err;

	if (READ_ONCE(oi->body_format) != OCFSX_BODY_INLINE)
		return 0;
	err = inline_begin(inode, OCFSX_INLINE_CREDITS, &h, &bh);
	if (err)
		return err == -ENOTBLK ? 0 : err;
	size = i_size_read(inode);
	/* Everything that can fail cleanly comes before the first change. */
	if (size) {
		err = ocfsx_alloc_clusters(h, sb, 1, 1, &pc, &got);
		if (err)
			goto out_page;
		/* Writeback fills the first block; zero the rest. */
		if (sbi->c2b_bits)
			err = sb_issue_zeroout(sb, pc << sbi->c2b_bits,
					       1ULL << sbi->c2b_bits, GFP_NOFS);
		if (!err) {
			page = find_or_create_page(inode->i_mapping, 0,
						   GFP_NOFS);
			if (!page)
				err = -ENOMEM;
		}
		if (err) {
			ocfsx_free_clusters(h, sb, pc, 1);
			goto out_page;
		}
	}
	err = ocfsx_journal_access(h, bh, false);
	if (err)
		goto out_abort;
	body = bh->b_data + OCFSX_INODE_BODY_OFFSET;
	if (page && !PageUptodate(page))
		fill_page0(page, body, size);
	memset(body, 0, ocfsx_inline_capacity(inode));
	eh = body;
	eh->eh_capacity = cpu_to_le16(ocfsx_inode_extent_recs(sb->s_blocksize,
							      oi->xattr_inline));
	err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_INODE);
	if (err)
		goto out_abort;
	oi->body_format = OCFSX_BODY_EXTENTS;
	oi->last_leaf = 0;
	inode->i_mapping->a_ops = &ocfsx_file_aops;
	if (size) {
		down_write(&oi->alloc_sem);
		err = ocfsx_extent_insert(h, inode, 0, pc, 1, 0);
		up_write(&oi->alloc_sem);
		if (!err)
			err = __block_write_begin(page, 0, size,
						  ocfsx_get_block_create);
		if (!err)
			err = block_commit_write(page, 0, size);
		if (!err)
			err = jbd2_journal_inode_ranged_write(h, &oi->jinode,
							      0, size);
	}
	if (!err)
		err = ocfsx_update_inode(h, inode);
out_abort:
	if (err) {
		/* Memory and journal may disagree now: stop here. */
		ocfsx_abort_trans(sb, err);
		ocfsx_error(sb, "inode %lu: block %lu (inode): converting inline data to extents failed with error %d; journal aborted",
			    inode->i_ino, inode->i_ino, err);
	}
out_page:
	/* Before the commit: a sync commit writes page 0 back. */
	if (page) {
		unlock_page(page);
		put_page(page);
	}
	return inline_end(inode, h, bh, err);
}

/*
 * Every caller holds no handle (write, truncate, fallocate, page_mkwrite,
 * O_DIRECT), so an ENOSPC, which comes before any change, is retried.
 */
int ocfsx_inline_convert(struct inode *inode)
{
	return ocfsx_retry_enospc(inode->i_sb, inline_convert_once(inode));
}

/*
 * write(2) to an inline file (inode lock and data lock held, checks done).
 * Returns -ENOTBLK when the caller must use the block path: the write
 * does not fit the body (or is O_DIRECT) and the file was converted.
 */
ssize_t ocfsx_inline_write(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	size_t count = iov_iter_count(from), copied;
	loff_t pos = iocb->ki_pos;
	void *buf;
	int err;

	if ((iocb->ki_flags & IOCB_DIRECT) ||
	    pos + count > ocfsx_inline_capacity(inode)) {
		err = ocfsx_inline_convert(inode);
		return err ? err : -ENOTBLK;
	}
	/* The user copy happens before any lock of ours or a transaction. */
	buf = kmalloc(count, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	copied = copy_from_iter(buf, count, from);
	err = copied ? file_modified(iocb->ki_filp) : -EFAULT;
	if (!err)
		err = inline_store(inode, pos, buf, copied, -1);
	kfree(buf);
	if (err == -ENOTBLK)
		iov_iter_revert(from, copied);
	if (err)
		return err;
	iocb->ki_pos = pos + copied;
	return copied;
}

/* Truncate of an inline file; -ENOTBLK: continue on the extent path. */
int ocfsx_inline_truncate(struct inode *inode, loff_t size)
{
	int err;

	if (size <= ocfsx_inline_capacity(inode))
		return inline_store(inode, 0, NULL, 0, size);
	if (!S_ISREG(inode->i_mode))
		return -EOPNOTSUPP;
	err = ocfsx_inline_convert(inode);
	return err ? err : -ENOTBLK;
}

/*
 * fallocate of an inline file: a hole punch zeroes body bytes, an
 * allocation inside the body only sets the size; anything past the body
 * converts (-ENOTBLK: continue on the extent path).
 */
int ocfsx_inline_fallocate(struct inode *inode, int mode, loff_t offset,
			   loff_t len)
{
	loff_t size = i_size_read(inode), end = offset + len;
	int err;

	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (offset >= size)
			return 0;
		return inline_store(inode, offset, NULL,
				    min(end, size) - offset, -1);
	}
	if (end > ocfsx_inline_capacity(inode)) {
		/* The extent path does the whole job, zero range included. */
		err = ocfsx_inline_convert(inode);
		return err ? err : -ENOTBLK;
	}
	if ((mode & FALLOC_FL_ZERO_RANGE) && offset < size) {
		err = inline_store(inode, offset, NULL,
				   min(end, size) - offset, -1);
		if (err)
			return err;
	}
	if ((mode & FALLOC_FL_KEEP_SIZE) || end <= size)
		return 0;
	return inline_store(inode, 0, NULL, 0, end);
}
