// SPDX-License-Identifier: GPL-2.0
/*
 * Regular file writes under jbd2: blocks are allocated from our local-alloc
 * window inside a transaction at write_begin / page_mkwrite / direct I/O,
 * with data=ordered through jbd2's inode lists. Also setattr (truncate),
 * fsync, and eviction of unlinked inodes (free clusters, inode block,
 * orphan entry).
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mpage.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include <linux/writeback.h>
#include <linux/falloc.h>
#include <linux/posix_acl.h>

#include "ocfsx.h"

#define OCFSX_WRITE_CREDITS	48

/*
 * How an allocating get_block makes sure a crash never exposes what a new
 * or unwritten cluster held before (another file's deleted data):
 * ORDERED: the caller puts the data on the handle's data=ordered list, so
 *	the commit that maps the cluster waits for the data.
 * ZERO: writeback, whose data bypasses data=ordered: the cluster is
 *	zeroed before the mapping can commit.
 * DIO: direct I/O: a hole gets an UNWRITTEN cluster and an unwritten one
 *	stays so; dio_end_io() converts them once the data is on disk.
 */
enum alloc_mode { ALLOC_ORDERED, ALLOC_ZERO, ALLOC_DIO };

/*
 * Allocating get_block: needs a running handle, or starts its own.
 * Clusters larger than a block are zeroed (but for DIO, see
 * dio_convert()): only one block of them is written here, and the rest
 * must not show stale bytes once the cluster reads as written.
 */
static int get_block_alloc(struct inode *inode, sector_t iblock,
			   struct buffer_head *bh, enum alloc_mode mode)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	unsigned int c2b = sbi->c2b_bits;
	bool zero = mode != ALLOC_DIO && (c2b || mode == ALLOC_ZERO);
	u64 lc = (u64)iblock >> c2b, pc;
	handle_t *h, *own = NULL;
	struct ocfsx_map m;
	u32 got;
	int err;

	err = ocfsx_get_block(inode, iblock, bh, 0);
	if (err || buffer_mapped(bh))
		return err;
	if (lc >= OCFSX_MAX_FILE_CLUSTERS)
		return -EFBIG;
	h = journal_current_handle();
	if (!h) {
		own = ocfsx_start_trans(sb, OCFSX_WRITE_CREDITS);
		if (IS_ERR(own))
			return PTR_ERR(own);
		h = own;
	}
	down_write(&oi->alloc_sem);
	err = ocfsx_extent_map(inode, (u32)lc, &m);
	if (err)
		goto out;
	if (m.pcluster && (m.flags & OCFSX_EXT_UNWRITTEN)) {
		if (zero) {
			err = sb_issue_zeroout(sb, m.pcluster << c2b, 1ULL << c2b,
					       GFP_NOFS);
			if (err)
				goto out;
		}
		if (mode != ALLOC_DIO) {
			err = ocfsx_extent_mark_written(h, inode, (u32)lc, 1);
			if (err)
				goto out;
		}
		set_buffer_new(bh);
	} else if (!m.pcluster) {
		err = ocfsx_alloc_clusters(h, sb, 1, 1, &pc, &got);
		if (err)
			goto out;
		if (zero) {
			err = sb_issue_zeroout(sb, pc << c2b, 1ULL << c2b,
					       GFP_NOFS);
			if (err) {
				ocfsx_free_clusters(h, sb, pc, got);
				goto out;
			}
		}
		err = ocfsx_extent_insert(h, inode, (u32)lc, pc, got,
					  mode == ALLOC_DIO ?
					  OCFSX_EXT_UNWRITTEN : 0);
		if (err) {
			ocfsx_free_clusters(h, sb, pc, got);
			goto out;
		}
		err = ocfsx_update_inode(h, inode);
		if (err)
			goto out;
		m.pcluster = pc;
		set_buffer_new(bh);
	}
	if (mode == ALLOC_DIO && buffer_new(bh)) {
		/* Tells dio_end_io() there is something to convert. */
		bh->b_private = inode;
		/* An async completion runs in bio context: no handles there. */
		set_buffer_defer_completion(bh);
	}
	map_bh(bh, sb, (m.pcluster << c2b) + (iblock & ((1ULL << c2b) - 1)));
	bh->b_size = sb->s_blocksize;
out:
	up_write(&oi->alloc_sem);
	if (own) {
		int err2 = ocfsx_commit_trans(own);

		if (!err)
			err = err2;
	}
	return err;
}

/* For writes whose data the caller puts on the handle's ordered list. */
int ocfsx_get_block_create(struct inode *inode, sector_t iblock,
			   struct buffer_head *bh, int create)
{
	if (!create)
		return ocfsx_get_block(inode, iblock, bh, 0);
	return get_block_alloc(inode, iblock, bh, ALLOC_ORDERED);
}

/* For writeback, whose data bypasses data=ordered. */
static int ocfsx_get_block_writeback(struct inode *inode, sector_t iblock,
				     struct buffer_head *bh, int create)
{
	if (!create)
		return ocfsx_get_block(inode, iblock, bh, 0);
	return get_block_alloc(inode, iblock, bh, ALLOC_ZERO);
}


/* Writes stopped (fenced): the page's data is dropped, never written. */
static int ocfsx_writepage(struct page *page, struct writeback_control *wbc)
{
	if (ocfsx_io_gate(page->mapping->host->i_sb)) {
		block_invalidate_folio(page_folio(page), 0, PAGE_SIZE);
		unlock_page(page);
		return -EIO;
	}
	return block_write_full_page(page, ocfsx_get_block_writeback, wbc);
}

static int ocfsx_writepages(struct address_space *mapping,
			    struct writeback_control *wbc)
{
	if (ocfsx_io_gate(mapping->host->i_sb))
		return -EIO;
	return mpage_writepages(mapping, wbc, ocfsx_get_block_writeback);
}

/*
 * Direct I/O only allocates past i_size: DIO_SKIP_HOLES sends holes and
 * unwritten clusters inside i_size to the buffered path (create == 0).
 * It allocates block by block, each in its own handle: a block that gets
 * ENOSPC is tried again after a commit. Writeback must not: it holds the
 * page lock that the commit's data=ordered writeout takes.
 */
static int ocfsx_get_block_dio(struct inode *inode, sector_t iblock,
			       struct buffer_head *bh, int create)
{
	if (!create)
		return ocfsx_get_block(inode, iblock, bh, 0);
	return ocfsx_retry_enospc(inode->i_sb,
				  get_block_alloc(inode, iblock, bh, ALLOC_DIO));
}

static int write_begin_once(struct address_space *mapping, loff_t pos,
			    unsigned int len, struct page **pagep)
{
	struct inode *inode = mapping->host;
	handle_t *h;
	int err;

	h = ocfsx_start_trans(inode->i_sb, OCFSX_WRITE_CREDITS);
	if (IS_ERR(h))
		return PTR_ERR(h);
	err = block_write_begin(mapping, pos, len, pagep,
				ocfsx_get_block_create);
	if (err) {
		ocfsx_commit_trans(h);
		if (pos + len > inode->i_size)
			truncate_pagecache(inode, inode->i_size);
	}
	return err;
}

static int ocfsx_write_begin(struct file *file, struct address_space *mapping,
			     loff_t pos, unsigned int len, struct page **pagep,
			     void **fsdata)
{
	return ocfsx_retry_enospc(mapping->host->i_sb,
				  write_begin_once(mapping, pos, len, pagep));
}

static int ocfsx_write_end(struct file *file, struct address_space *mapping,
			   loff_t pos, unsigned int len, unsigned int copied,
			   struct page *page, void *fsdata)
{
	struct inode *inode = mapping->host;
	struct ocfsx_sb_info *sbi = OCFSX_SB(inode->i_sb);
	handle_t *h = journal_current_handle();
	loff_t old = inode->i_size;
	int ret, err = 0;

	ret = generic_write_end(file, mapping, pos, len, copied, page, fsdata);
	if (ret > 0 && !sbi->opts.data_writeback)
		err = jbd2_journal_inode_ranged_write(h, &OCFSX_I(inode)->jinode,
						      pos, ret);
	if (!err && inode->i_size != old)
		err = ocfsx_update_inode(h, inode);
	if (ocfsx_commit_trans(h) && !err)
		err = -EIO;
	return err ? err : ret;
}

/*
 * Zeroes the blocks of cluster lc outside the bytes [pos, end) a direct
 * write put there (direct-io.c already zeroed the rest of partial blocks,
 * since get_block said buffer_new).
 */
static int zero_cluster_edges(struct inode *inode, u64 lc, u64 pc,
			      loff_t pos, loff_t end)
{
	struct super_block *sb = inode->i_sb;
	unsigned int c2b = OCFSX_SB(sb)->c2b_bits, bits = inode->i_blkbits;
	u64 first = lc << c2b, last = first + (1ULL << c2b);
	u64 wfirst = max_t(u64, pos >> bits, first);
	u64 wlast = min_t(u64, DIV_ROUND_UP(end, 1ULL << bits), last);
	int err = 0;

	if (wfirst > first)
		err = sb_issue_zeroout(sb, pc << c2b, wfirst - first, GFP_NOFS);
	if (!err && wlast < last)
		err = sb_issue_zeroout(sb, (pc << c2b) + (wlast - first),
				       last - wlast, GFP_NOFS);
	return err;
}

/*
 * The data of a direct write is on disk: the unwritten clusters it went
 * to become written, one transaction per extent record. Clusters larger
 * than a block first get zeros where the write did not reach. A failure
 * leaves them unwritten: they read as zeros, never as stale bytes.
 */
static int dio_convert(struct inode *inode, loff_t pos, ssize_t size)
{
	struct super_block *sb = inode->i_sb;
	unsigned int cbits = OCFSX_SB(sb)->cbits;
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	u64 lc = pos >> cbits, end = ((pos + size - 1) >> cbits) + 1;
	int err = 0;

	while (lc < end && !err) {
		struct ocfsx_map m;
		handle_t *h;
		u32 n;

		h = ocfsx_start_trans(sb, OCFSX_WRITE_CREDITS);
		if (IS_ERR(h))
			return PTR_ERR(h);
		down_write(&oi->alloc_sem);
		err = ocfsx_extent_map(inode, (u32)lc, &m);
		n = err ? 0 : min_t(u64, m.len, end - lc);
		if (!err && m.pcluster && (m.flags & OCFSX_EXT_UNWRITTEN)) {
			if (OCFSX_SB(sb)->c2b_bits) {
				err = zero_cluster_edges(inode, lc, m.pcluster,
							 pos, pos + size);
				if (!err && n > 1)
					err = zero_cluster_edges(inode,
						lc + n - 1, m.pcluster + n - 1,
						pos, pos + size);
			}
			if (!err)
				err = ocfsx_extent_mark_written(h, inode,
								(u32)lc, n);
		}
		up_write(&oi->alloc_sem);
		if (ocfsx_commit_trans(h) && !err)
			err = -EIO;
		lc += n;
	}
	return err;
}

static int ocfsx_dio_end_io(struct kiocb *iocb, loff_t pos, ssize_t size,
			    void *private)
{
	if (!private || size <= 0)
		return 0;
	return dio_convert(file_inode(iocb->ki_filp), pos, size);
}

static ssize_t ocfsx_direct_IO(struct kiocb *iocb, struct iov_iter *iter)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	if (iov_iter_rw(iter) == WRITE && ocfsx_io_gate(inode->i_sb))
		return -EIO;
	return __blockdev_direct_IO(iocb, inode, inode->i_sb->s_bdev, iter,
				    ocfsx_get_block_dio, ocfsx_dio_end_io, NULL,
				    DIO_LOCKING | DIO_SKIP_HOLES);
}

static sector_t ocfsx_bmap(struct address_space *mapping, sector_t block)
{
	return generic_block_bmap(mapping, block, ocfsx_get_block);
}

static int ocfsx_file_read_folio(struct file *file, struct folio *folio)
{
	return mpage_read_folio(folio, ocfsx_get_block);
}

static void ocfsx_file_readahead(struct readahead_control *rac)
{
	mpage_readahead(rac, ocfsx_get_block);
}

const struct address_space_operations ocfsx_file_aops = {
	.dirty_folio	= block_dirty_folio,
	.invalidate_folio = block_invalidate_folio,
	.read_folio	= ocfsx_file_read_folio,
	.readahead	= ocfsx_file_readahead,
	.writepage	= ocfsx_writepage,
	.writepages	= ocfsx_writepages,
	.write_begin	= ocfsx_write_begin,
	.write_end	= ocfsx_write_end,
	.bmap		= ocfsx_bmap,
	.direct_IO	= ocfsx_direct_IO,
	.migrate_folio	= buffer_migrate_folio,
	.is_partially_uptodate = block_is_partially_uptodate,
	.error_remove_page = generic_error_remove_page,
};

/* 0 with the page locked, or an errno with it unlocked. */
static int page_mkwrite_once(struct vm_fault *vmf, struct inode *inode)
{
	handle_t *h;
	int err;

	h = ocfsx_start_trans(inode->i_sb, OCFSX_WRITE_CREDITS);
	if (IS_ERR(h))
		return PTR_ERR(h);
	err = block_page_mkwrite(vmf->vma, vmf, ocfsx_get_block_create);
	/* The page's blocks may be newly mapped: data before the commit. */
	if (!err && !OCFSX_SB(inode->i_sb)->opts.data_writeback &&
	    jbd2_journal_inode_ranged_write(h, &OCFSX_I(inode)->jinode,
					    page_offset(vmf->page), PAGE_SIZE)) {
		unlock_page(vmf->page);
		err = -EIO;
	}
	ocfsx_commit_trans(h);
	return err;
}

static vm_fault_t ocfsx_page_mkwrite(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	int err;

	sb_start_pagefault(inode->i_sb);
	file_update_time(vmf->vma->vm_file);
	/* Inline pages are copies of the body: give the file blocks. */
	err = ocfsx_inline_convert(inode);
	if (!err)
		err = ocfsx_retry_enospc(inode->i_sb,
					 page_mkwrite_once(vmf, inode));
	sb_end_pagefault(inode->i_sb);
	return block_page_mkwrite_return(err);
}

static const struct vm_operations_struct ocfsx_vm_ops = {
	.fault		= filemap_fault,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= ocfsx_page_mkwrite,
};

static int ocfsx_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	file_accessed(file);
	vma->vm_ops = &ocfsx_vm_ops;
	return 0;
}

static ssize_t ocfsx_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = ocfsx_data_lock(inode, OCFSX_LKM_EX);
	if (ret)
		goto out;
	ret = -ENOTBLK;
	if (OCFSX_I(inode)->body_format == OCFSX_BODY_INLINE)
		ret = ocfsx_inline_write(iocb, from);
	/* Direct, buffered fallback, privs, times and ki_pos: the VFS's. */
	if (ret == -ENOTBLK)
		ret = __generic_file_write_iter(iocb, from);
	ocfsx_data_unlock(inode, OCFSX_LKM_EX);
out:
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

int ocfsx_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct inode *inode = file->f_mapping->host;
	struct ocfsx_sb_info *sbi = OCFSX_SB(inode->i_sb);
	int err;

	err = file_write_and_wait_range(file, start, end);
	if (err)
		return err;
	if (!sbi->journal)
		return 0;
	return jbd2_journal_force_commit(sbi->journal);
}

static ssize_t ocfsx_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	ret = ocfsx_data_lock(inode, OCFSX_LKM_PR);
	if (ret)
		return ret;
	ret = generic_file_read_iter(iocb, to);
	ocfsx_data_unlock(inode, OCFSX_LKM_PR);
	return ret;
}

/*
 * SEEK_DATA/SEEK_HOLE from the extent map. Every mapped extent counts as
 * data, unwritten ones too (POSIX lets a hole be reported as data);
 * writes allocate at once, so dirty pages are always mapped.
 */
static loff_t seek_data_hole(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file->f_mapping->host;
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	unsigned int cbits = OCFSX_SB(inode->i_sb)->cbits;
	loff_t size = i_size_read(inode), pos = offset;
	struct ocfsx_map m;
	u64 lc = offset >> cbits;
	int err;

	if (offset < 0 || offset >= size)
		return -ENXIO;
	err = ocfsx_data_lock(inode, OCFSX_LKM_PR);
	if (err)
		return err;
	down_read(&oi->alloc_sem);
	while (oi->body_format == OCFSX_BODY_EXTENTS) {
		if ((lc << cbits) >= size) {
			pos = whence == SEEK_DATA ? -ENXIO : size;
			break;
		}
		err = ocfsx_extent_map(inode, lc, &m);
		if (err) {
			pos = err;
			break;
		}
		if (!m.pcluster == (whence == SEEK_HOLE)) {
			pos = max_t(loff_t, offset, lc << cbits);
			break;
		}
		lc += m.len;
	}
	/* An inline body is all data, with the hole at EOF after it. */
	if (oi->body_format != OCFSX_BODY_EXTENTS && whence == SEEK_HOLE)
		pos = size;
	up_read(&oi->alloc_sem);
	ocfsx_data_unlock(inode, OCFSX_LKM_PR);
	if (pos < 0)
		return pos;
	return vfs_setpos(file, min(pos, size), inode->i_sb->s_maxbytes);
}

static loff_t ocfsx_llseek(struct file *file, loff_t offset, int whence)
{
	if (whence == SEEK_DATA || whence == SEEK_HOLE)
		return seek_data_hole(file, offset, whence);
	return generic_file_llseek(file, offset, whence);
}

static long ocfsx_fallocate(struct file *file, int mode, loff_t offset,
			    loff_t len);

const struct file_operations ocfsx_file_fops = {
	.fallocate	= ocfsx_fallocate,
	.llseek		= ocfsx_llseek,
	.read_iter	= ocfsx_read_iter,
	.write_iter	= ocfsx_file_write_iter,
	.mmap		= ocfsx_file_mmap,
	.fsync		= ocfsx_fsync,
	.open		= generic_file_open,
	.splice_read	= generic_file_splice_read,
	.splice_write	= iter_file_splice_write,
};

/*
 * A truncate that outgrows one transaction: until it is done the inode
 * sits in our orphan dir with TRUNCATE_PENDING, so that the next mount
 * finishes it after a crash. An unlinked inode is an orphan already.
 */
static int mark_truncate_pending(handle_t *h, struct inode *inode)
{
	if (OCFSX_I(inode)->flags & OCFSX_IFL_ORPHANED)
		return 0;
	return ocfsx_orphan_add(h, inode, OCFSX_IFL_TRUNCATE_PENDING);
}

/*
 * Frees everything past new size; the inode is updated in the handle,
 * which may have been restarted on the way (see remove_range()).
 */
static int shrink_clusters(handle_t *h, struct inode *inode, loff_t size)
{
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	struct ocfsx_sb_info *sbi = OCFSX_SB(inode->i_sb);
	u64 keep = (size + (1ULL << sbi->cbits) - 1) >> sbi->cbits;
	int err;

	if (oi->body_format != OCFSX_BODY_EXTENTS)
		return 0;
	down_write(&oi->alloc_sem);
	err = ocfsx_extent_truncate(h, inode, (u32)min_t(u64, keep, U32_MAX),
				    mark_truncate_pending);
	up_write(&oi->alloc_sem);
	if (!err && inode->i_nlink && (oi->flags & OCFSX_IFL_TRUNCATE_PENDING)) {
		/* A directory delete and the inode; best effort like
		 * remove_range's reserve, which normally covers it. */
		jbd2_journal_extend(h, 16, 0);
		err = ocfsx_orphan_clear(h, inode);
	}
	return err;
}

/*
 * Mount found inode in our orphan dir with a truncate pending (a crash
 * cut it short): free what lies past i_size and unpark it.
 */
int ocfsx_finish_truncate(struct inode *inode)
{
	handle_t *h;
	int err;

	inode_lock(inode);
	err = ocfsx_inode_lock(inode, OCFSX_LKM_EX);
	if (err)
		goto out;
	h = ocfsx_start_trans(inode->i_sb, OCFSX_WRITE_CREDITS * 4);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
	} else {
		err = shrink_clusters(h, inode, i_size_read(inode));
		if (!err && (OCFSX_I(inode)->flags & OCFSX_IFL_ORPHANED))
			err = ocfsx_orphan_clear(h, inode);
		if (err)
			ocfsx_abort_trans(inode->i_sb, err);
		ocfsx_commit_trans(h);
	}
	ocfsx_inode_unlock(inode, OCFSX_LKM_EX);
out:
	inode_unlock(inode);
	return err;
}

/*
 * Ends a transaction that unmapped clusters. A failure may have left the
 * tree half changed, so the journal is aborted rather than committed.
 */
static int end_unmap_trans(handle_t *h, struct inode *inode, int err)
{
	inode->i_mtime = inode->i_ctime = current_time(inode);
	if (!err)
		err = ocfsx_update_inode(h, inode);
	if (err)
		ocfsx_abort_trans(inode->i_sb, err);
	ocfsx_commit_trans(h);
	return err;
}

static int ocfsx_truncate(struct inode *inode, loff_t size)
{
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	handle_t *h;
	int err;

	if (oi->body_format == OCFSX_BODY_INLINE) {
		err = ocfsx_inline_truncate(inode, size);
		if (err != -ENOTBLK)
			return err;
		err = 0;
	} else if (!S_ISREG(inode->i_mode)) {
		return -EINVAL;
	}
	if (oi->body_format == OCFSX_BODY_EXTENTS && size < inode->i_size) {
		err = block_truncate_page(inode->i_mapping, size,
					  ocfsx_get_block);
		if (err)
			return err;
	}
	h = ocfsx_start_trans(inode->i_sb, OCFSX_WRITE_CREDITS * 4);
	if (IS_ERR(h))
		return PTR_ERR(h);
	truncate_setsize(inode, size);
	err = shrink_clusters(h, inode, size);
	return end_unmap_trans(h, inode, err);
}

int ocfsx_setattr(struct user_namespace *ns, struct dentry *dentry,
		  struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	handle_t *h;
	int err;

	err = setattr_prepare(ns, dentry, attr);
	if (err)
		return err;
	err = ocfsx_inode_lock(inode, OCFSX_LKM_EX);
	if (err)
		return err;
	if ((attr->ia_valid & ATTR_SIZE) && attr->ia_size != inode->i_size) {
		inode_dio_wait(inode);
		err = ocfsx_truncate(inode, attr->ia_size);
		if (err)
			goto out;
	}
	h = ocfsx_start_trans(inode->i_sb, 8);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
		goto out;
	}
	setattr_copy(ns, inode, attr);
	err = ocfsx_update_inode(h, inode);
	ocfsx_commit_trans(h);
out:
	ocfsx_inode_unlock(inode, OCFSX_LKM_EX);
	/* Outside the meta lock: the ACL update takes it itself. */
	if (!err && (attr->ia_valid & ATTR_MODE))
		err = posix_acl_chmod(ns, inode, inode->i_mode);
	return err;
}

/*
 * Last reference to an unlinked inode: free its clusters, its extent
 * blocks, its xattr block, its inode bit and its orphan entry, in one
 * transaction.
 */
void ocfsx_evict_inode(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	bool drop = !inode->i_nlink && !is_bad_inode(inode) &&
		    (oi->flags & OCFSX_IFL_ORPHANED) && sbi->journal &&
		    !sb_rdonly(sb);
	struct buffer_head *bh;
	handle_t *h;
	int err = 0;

	truncate_inode_pages_final(&inode->i_data);
	if (drop) {
		/* A directory's blocks were journaled: each needs a revoke. */
		h = ocfsx_start_trans_revoke(sb, OCFSX_WRITE_CREDITS * 4,
					     S_ISDIR(inode->i_mode) ?
					     (u64)oi->clusters << sbi->c2b_bits :
					     0);
		if (IS_ERR(h)) {
			err = PTR_ERR(h);
			goto clear;
		}
		if (S_ISREG(inode->i_mode) || S_ISDIR(inode->i_mode) ||
		    S_ISLNK(inode->i_mode))
			err = shrink_clusters(h, inode, 0);
		if (!err && S_ISDIR(inode->i_mode) && oi->dx_root)
			err = ocfsx_dx_free_index(h, inode);
		if (!err)
			err = ocfsx_orphan_del(h, inode);
		if (!err) {
			bh = ocfsx_read_inode_bh(inode);
			if (IS_ERR(bh)) {
				err = PTR_ERR(bh);
			} else {
				err = ocfsx_journal_access(h, bh, false);
				if (!err) {
					struct ocfsx_inode *di = (void *)bh->b_data;

					di->i_flags = 0;
					di->i_links = 0;
					err = ocfsx_xattr_drop(h, inode, di);
				}
				if (!err)
					err = ocfsx_journal_dirty(h, sb, bh,
								  OCFSX_BT_INODE);
				if (!err)
					err = ocfsx_free_block(h, sb,
							       (void *)bh->b_data);
				brelse(bh);
			}
		}
		if (err)
			ocfsx_abort_trans(sb, err);
		ocfsx_commit_trans(h);
	}
clear:
	if (err)
		pr_err("%s: freeing unlinked inode %lu failed (error %d): fsck.ocfsx will finish it\n",
		       sb->s_id, inode->i_ino, err);
	invalidate_inode_buffers(inode);
	clear_inode(inode);
	if (sbi && sbi->journal)
		jbd2_journal_release_jbd_inode(sbi->journal, &oi->jinode);
}

/* Writes zeros over [pos, pos + len) through the normal write path. */
static int zero_range(struct file *file, loff_t pos, size_t len)
{
	static const char zeros[512];
	struct kiocb kiocb;
	struct iov_iter iter;
	struct kvec kv;
	ssize_t n;

	while (len) {
		/*
		 * Not kernel_write(): an O_APPEND file would put the zeros
		 * at the end of the file instead of at pos, and O_DIRECT
		 * would send an unaligned kernel buffer to the disk.
		 */
		init_sync_kiocb(&kiocb, file);
		kiocb.ki_flags &= ~(IOCB_APPEND | IOCB_DIRECT);
		kiocb.ki_pos = pos;
		kv.iov_base = (void *)zeros;
		kv.iov_len = min(len, sizeof(zeros));
		iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, kv.iov_len);
		n = ocfsx_file_write_iter(&kiocb, &iter);
		if (n <= 0)
			return n ? n : -EIO;
		pos += n;
		len -= n;
	}
	return 0;
}

/* Holes and unwritten clusters already read as zeros: nothing to zero. */
static bool cluster_written(struct inode *inode, loff_t pos)
{
	struct ocfsx_map m;
	int err;

	down_read(&OCFSX_I(inode)->alloc_sem);
	err = ocfsx_extent_map(inode, pos >> OCFSX_SB(inode->i_sb)->cbits, &m);
	up_read(&OCFSX_I(inode)->alloc_sem);
	return err || (m.pcluster && !(m.flags & OCFSX_EXT_UNWRITTEN));
}

/*
 * Frees the whole clusters of [offset, end) and zeroes the partial ones
 * at the edges (inside i_size; past it nothing can be read back).
 */
static int punch_range(struct file *file, loff_t offset, loff_t end)
{
	struct inode *inode = file_inode(file);
	struct super_block *sb = inode->i_sb;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	u64 csize = 1ULL << sbi->cbits;
	u64 cs = round_up(offset, csize), ce = round_down(end, csize);
	loff_t size = i_size_read(inode);
	handle_t *h;
	int err = 0;

	if (cs > ce)
		cs = ce = 0;
	if (offset < min_t(loff_t, cs ? cs : end, size) &&
	    cluster_written(inode, offset))
		err = zero_range(file, offset,
				 min_t(loff_t, cs ? cs : end, size) - offset);
	if (!err && ce && ce < min_t(loff_t, end, size) &&
	    cluster_written(inode, ce))
		err = zero_range(file, ce, min_t(loff_t, end, size) - ce);
	if (err || cs >= ce)
		return err;
	inode_lock(inode);
	inode_dio_wait(inode);
	/*
	 * Faults and reads take it shared to bring a page in: none can map
	 * a cluster of the range again while the punch (which may commit
	 * and drop alloc_sem between leaves) frees it.
	 */
	filemap_invalidate_lock(inode->i_mapping);
	err = filemap_write_and_wait_range(inode->i_mapping, cs, ce - 1);
	if (!err)
		truncate_pagecache_range(inode, cs, ce - 1);
	if (!err) {
		h = ocfsx_start_trans(sb, OCFSX_WRITE_CREDITS * 4);
		if (IS_ERR(h)) {
			err = PTR_ERR(h);
		} else {
			down_write(&oi->alloc_sem);
			err = ocfsx_extent_punch(h, inode, cs >> sbi->cbits,
						 min_t(u64, ce >> sbi->cbits,
						       OCFSX_MAX_FILE_CLUSTERS));
			up_write(&oi->alloc_sem);
			err = end_unmap_trans(h, inode, err);
		}
	}
	filemap_invalidate_unlock(inode->i_mapping);
	inode_unlock(inode);
	return err;
}

/*
 * Fills the holes of [offset, end) with unwritten extents: allocated,
 * read as zeros, nothing written to the disk. One transaction per run.
 */
static int alloc_range(struct inode *inode, loff_t offset, loff_t end,
		       bool keep_size)
{
	struct super_block *sb = inode->i_sb;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	u64 cend = min_t(u64, (end + (1ULL << sbi->cbits) - 1) >> sbi->cbits,
			 OCFSX_MAX_FILE_CLUSTERS);
	u64 lc;
	handle_t *h;
	int err = 0;

	inode_lock(inode);
	for (lc = offset >> sbi->cbits; lc < cend && !err;) {
		struct ocfsx_map m;
		u64 pc;
		u32 got;

		h = ocfsx_start_trans(sb, OCFSX_WRITE_CREDITS);
		if (IS_ERR(h)) {
			err = PTR_ERR(h);
			break;
		}
		down_write(&oi->alloc_sem);
		err = ocfsx_extent_map(inode, lc, &m);
		if (!err && m.pcluster) {
			lc += min_t(u64, m.len, cend - lc);
		} else if (!err) {
			u32 want = min_t(u64, min_t(u64, m.len, cend - lc), 2048);

			err = ocfsx_alloc_clusters(h, sb, 1, want, &pc, &got);
			if (!err) {
				err = ocfsx_extent_insert(h, inode, lc, pc, got,
							  OCFSX_EXT_UNWRITTEN);
				if (err)
					ocfsx_free_clusters(h, sb, pc, got);
			}
			if (!err)
				lc += got;
		}
		up_write(&oi->alloc_sem);
		if (!err && !keep_size &&
		    min_t(loff_t, (loff_t)lc << sbi->cbits, end) > inode->i_size)
			i_size_write(inode, min_t(loff_t, (loff_t)lc << sbi->cbits,
						  end));
		inode->i_ctime = current_time(inode);
		if (!err)
			err = ocfsx_update_inode(h, inode);
		ocfsx_commit_trans(h);
	}
	inode_unlock(inode);
	return err;
}

/*
 * fallocate: mode 0 and KEEP_SIZE allocate unwritten extents; PUNCH_HOLE
 * frees whole clusters and zeroes the partial edges; ZERO_RANGE is a
 * punch followed by an allocation, so the range reads as zeros and stays
 * allocated.
 */
static long ocfsx_fallocate(struct file *file, int mode, loff_t offset,
			    loff_t len)
{
	struct inode *inode = file_inode(file);
	struct super_block *sb = inode->i_sb;
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	loff_t end = offset + len;
	int err;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
		     FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if (!S_ISREG(inode->i_mode))
		return -EOPNOTSUPP;
	if (end > sb->s_maxbytes || end < offset)
		return -EFBIG;
	if (oi->body_format == OCFSX_BODY_INLINE) {
		err = ocfsx_inline_fallocate(inode, mode, offset, len);
		if (err != -ENOTBLK)
			return err;
	}
	if (oi->body_format != OCFSX_BODY_EXTENTS)
		return -EOPNOTSUPP;

	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
		err = punch_range(file, offset, end);
		if (err || (mode & FALLOC_FL_PUNCH_HOLE))
			return err;
	}
	/* Each run is its own transaction: a retry keeps what is mapped. */
	return ocfsx_retry_enospc(sb, alloc_range(inode, offset, end,
						  mode & FALLOC_FL_KEEP_SIZE));
}
