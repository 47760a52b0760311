// SPDX-License-Identifier: GPL-2.0
/*
 * Inodes: reading and verifying inode blocks (format §3, §5), filling the
 * VFS inode, the data path through the page cache (extents via get_block;
 * inline data is inline.c), symlinks and getattr.
 */
#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mpage.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "ocfsx.h"

/* The inode's block, verified; the caller brelse()s it. */
struct buffer_head *ocfsx_read_inode_bh(struct inode *inode)
{
	return ocfsx_read_meta(inode->i_sb, inode->i_ino, OCFSX_BT_INODE,
			       inode->i_ino);
}

/* Body format must fit the file type; anything else is corruption. */
static bool body_format_ok(umode_t mode, u8 fmt, bool sys)
{
	if (sys)
		return fmt <= OCFSX_BODY_DEALLOC_LOG;
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
		return fmt == OCFSX_BODY_EXTENTS || fmt == OCFSX_BODY_INLINE;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return fmt == OCFSX_BODY_EMPTY;
	default:
		return false;
	}
}

static int check_inode(struct super_block *sb, const struct ocfsx_inode *di,
		       u64 blkno, const char **why)
{
	u32 xs = le16_to_cpu(di->i_xattr_inline_size);
	u32 flags = le32_to_cpu(di->i_flags);
	umode_t mode = le16_to_cpu(di->i_mode);
	u64 size = le64_to_cpu(di->i_size);

	*why = NULL;
	if (!(flags & OCFSX_IFL_VALID))
		*why = "inode is not in use (VALID flag clear)";
	else if (xs % 8 || OCFSX_INODE_BODY_OFFSET + xs > sb->s_blocksize)
		*why = "inline xattr size does not fit the block";
	else if (!body_format_ok(mode, di->i_body_format,
				 flags & OCFSX_IFL_SYSTEM))
		*why = "body format does not match the file type";
	else if (di->i_body_format == OCFSX_BODY_INLINE &&
		 size > ocfsx_body_size(sb, xs))
		*why = "inline size exceeds the inode body";
	else if (size > ocfsx_max_file_bytes(OCFSX_SB(sb)->cbits))
		*why = "size beyond the format's maximum";
	else if (S_ISDIR(mode) && di->i_body_format == OCFSX_BODY_EXTENTS &&
		 (size & (sb->s_blocksize - 1)))
		*why = "directory size is not whole blocks";
	return *why ? -EFSCORRUPTED : 0;
}

static void set_ops(struct inode *inode)
{
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	bool inl = oi->body_format == OCFSX_BODY_INLINE;

	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &ocfsx_file_iops;
		inode->i_fop = &ocfsx_file_fops;
		inode->i_mapping->a_ops = inl ? &ocfsx_inline_aops :
					   &ocfsx_file_aops;
		break;
	case S_IFDIR:
		inode->i_op = &ocfsx_dir_iops;
		inode->i_fop = &ocfsx_dir_fops;
		inode->i_mapping->a_ops = &ocfsx_aops;
		break;
	case S_IFLNK:
		if (inl) {
			inode->i_op = &ocfsx_fast_symlink_iops;
		} else {
			inode->i_op = &ocfsx_symlink_iops;
			inode_nohighmem(inode);
		}
		/* Long targets are written through the page cache. */
		inode->i_mapping->a_ops = &ocfsx_file_aops;
		break;
	default:
		inode->i_op = &ocfsx_special_iops;
		init_special_inode(inode, inode->i_mode, inode->i_rdev);
		break;
	}
}

/* Copies the on-disk inode into the VFS and ocfsx inode. */
static int fill_inode(struct inode *inode, struct buffer_head *bh)
{
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	struct ocfsx_inode *di = (void *)bh->b_data;
	struct super_block *sb = inode->i_sb;
	u64 blocks_per_cluster = 1ULL << (OCFSX_SB(sb)->cbits - 9);

	inode->i_mode = le16_to_cpu(di->i_mode);
	i_uid_write(inode, le32_to_cpu(di->i_uid));
	i_gid_write(inode, le32_to_cpu(di->i_gid));
	set_nlink(inode, le32_to_cpu(di->i_links));
	inode->i_size = le64_to_cpu(di->i_size);
	inode->i_atime.tv_sec = (s64)le64_to_cpu(di->i_atime);
	inode->i_atime.tv_nsec = le32_to_cpu(di->i_atime_nsec);
	inode->i_mtime.tv_sec = (s64)le64_to_cpu(di->i_mtime);
	inode->i_mtime.tv_nsec = le32_to_cpu(di->i_mtime_nsec);
	inode->i_ctime.tv_sec = (s64)le64_to_cpu(di->i_ctime);
	inode->i_ctime.tv_nsec = le32_to_cpu(di->i_ctime_nsec);
	oi->crtime.tv_sec = (s64)le64_to_cpu(di->i_crtime);
	oi->crtime.tv_nsec = le32_to_cpu(di->i_crtime_nsec);
	inode->i_generation = le32_to_cpu(di->i_generation);
	oi->body_format = di->i_body_format;
	oi->xattr_inline = le16_to_cpu(di->i_xattr_inline_size);
	oi->flags = le32_to_cpu(di->i_flags);
	oi->attr = le32_to_cpu(di->i_attr);
	oi->sys_type = le16_to_cpu(di->i_sys_type);
	oi->sys_slot = le16_to_cpu(di->i_sys_slot);
	oi->clusters = le64_to_cpu(di->i_clusters);
	oi->dx_root = le64_to_cpu(di->i_dx_root);
	oi->last_leaf = le64_to_cpu(di->i_last_leaf);
	oi->version = le64_to_cpu(di->i_version);
	inode->i_blocks = oi->clusters * blocks_per_cluster;
	if (S_ISCHR(inode->i_mode) || S_ISBLK(inode->i_mode))
		inode->i_rdev = MKDEV(le32_to_cpu(di->i_rdev_major),
				      le32_to_cpu(di->i_rdev_minor));
	inode->i_flags &= ~(S_APPEND | S_IMMUTABLE | S_NOATIME | S_SYNC |
			    S_DIRSYNC);
	if (oi->attr & OCFSX_ATTR_APPEND)
		inode->i_flags |= S_APPEND;
	if (oi->attr & OCFSX_ATTR_IMMUTABLE)
		inode->i_flags |= S_IMMUTABLE;
	if (oi->attr & OCFSX_ATTR_NOATIME)
		inode->i_flags |= S_NOATIME;
	if (oi->attr & OCFSX_ATTR_SYNC)
		inode->i_flags |= S_SYNC;
	if (oi->attr & OCFSX_ATTR_DIRSYNC)
		inode->i_flags |= S_DIRSYNC;

	if (S_ISLNK(inode->i_mode) && oi->body_format == OCFSX_BODY_INLINE) {
		char *link = kmalloc(inode->i_size + 1, GFP_NOFS);

		if (!link)
			return -ENOMEM;
		memcpy(link, bh->b_data + OCFSX_INODE_BODY_OFFSET,
		       inode->i_size);
		link[inode->i_size] = '\0';
		inode->i_link = link;
	}
	set_ops(inode);
	return 0;
}

struct inode *ocfsx_iget(struct super_block *sb, u64 blkno)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct buffer_head *bh;
	struct inode *inode;
	const char *why;
	int err;

	if (blkno <= ocfsx_super_blkno(sbi->bbits) || blkno >= sbi->blocks) {
		ocfsx_error(sb, "inode number %llu is outside the volume",
			    blkno);
		return ERR_PTR(-EFSCORRUPTED);
	}
	inode = iget_locked(sb, blkno);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW))
		return inode;

	bh = ocfsx_read_meta(sb, blkno, OCFSX_BT_INODE, blkno);
	if (IS_ERR(bh)) {
		err = PTR_ERR(bh);
		goto fail;
	}
	err = check_inode(sb, (void *)bh->b_data, blkno, &why);
	if (err) {
		ocfsx_error(sb, "inode %llu: block %llu (inode): %s", blkno,
			    blkno, why);
		brelse(bh);
		goto fail;
	}
	err = fill_inode(inode, bh);
	brelse(bh);
	if (err)
		goto fail;
	ocfsx_lock_res_init(&OCFSX_I(inode)->meta_lock, OCFSX_LOCK_META,
			    blkno, inode->i_generation, inode);
	ocfsx_lock_res_init(&OCFSX_I(inode)->data_lock, OCFSX_LOCK_DATA,
			    blkno, inode->i_generation, inode);
	unlock_new_inode(inode);
	return inode;
fail:
	iget_failed(inode);
	return ERR_PTR(err);
}

/* Maps file blocks through the extent tree; unwritten reads as a hole. */
int ocfsx_get_block(struct inode *inode, sector_t iblock,
		    struct buffer_head *bh, int create)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(inode->i_sb);
	unsigned int c2b = sbi->c2b_bits;
	u64 lc = (u64)iblock >> c2b;
	u64 max_blocks = bh->b_size >> inode->i_blkbits;
	struct ocfsx_map m;
	u64 in_cluster, avail;
	int err;

	if (create)
		return -EROFS;
	if (lc >= OCFSX_MAX_FILE_CLUSTERS)
		return 0;
	down_read(&OCFSX_I(inode)->alloc_sem);
	err = ocfsx_extent_map(inode, (u32)lc, &m);
	up_read(&OCFSX_I(inode)->alloc_sem);
	if (err)
		return err;
	if (!m.pcluster || (m.flags & OCFSX_EXT_UNWRITTEN))
		return 0;
	in_cluster = iblock & ((1ULL << c2b) - 1);
	avail = ((u64)m.len << c2b) - in_cluster;
	map_bh(bh, inode->i_sb, (m.pcluster << c2b) + in_cluster);
	bh->b_size = min(avail, max_blocks) << inode->i_blkbits;
	return 0;
}

static int ocfsx_read_folio(struct file *file, struct folio *folio)
{
	return mpage_read_folio(folio, ocfsx_get_block);
}

static void ocfsx_readahead(struct readahead_control *rac)
{
	mpage_readahead(rac, ocfsx_get_block);
}

static sector_t ocfsx_bmap(struct address_space *mapping, sector_t block)
{
	return generic_block_bmap(mapping, block, ocfsx_get_block);
}

const struct address_space_operations ocfsx_aops = {
	.read_folio	= ocfsx_read_folio,
	.readahead	= ocfsx_readahead,
	.bmap		= ocfsx_bmap,
};

int ocfsx_getattr(struct user_namespace *mnt_userns, const struct path *path,
		  struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	struct ocfsx_inode_info *oi = OCFSX_I(inode);

	/* A cluster lock refresh happens here once other nodes write. */
	if (ocfsx_inode_lock(inode, OCFSX_LKM_PR) == 0)
		ocfsx_inode_unlock(inode, OCFSX_LKM_PR);
	generic_fillattr(mnt_userns, inode, stat);
	stat->result_mask |= STATX_BTIME;
	stat->btime = oi->crtime;
	if (oi->attr & OCFSX_ATTR_APPEND)
		stat->attributes |= STATX_ATTR_APPEND;
	if (oi->attr & OCFSX_ATTR_IMMUTABLE)
		stat->attributes |= STATX_ATTR_IMMUTABLE;
	if (oi->attr & OCFSX_ATTR_NODUMP)
		stat->attributes |= STATX_ATTR_NODUMP;
	stat->attributes_mask |= STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE |
				 STATX_ATTR_NODUMP;
	return 0;
}

const struct inode_operations ocfsx_file_iops = {
	.getattr	= ocfsx_getattr,
	.listxattr	= ocfsx_listxattr,
	.get_acl	= ocfsx_get_acl,
	.set_acl	= ocfsx_set_acl,
	.setattr	= ocfsx_setattr,
};

const struct inode_operations ocfsx_special_iops = {
	.getattr	= ocfsx_getattr,
	.listxattr	= ocfsx_listxattr,
	.get_acl	= ocfsx_get_acl,
	.set_acl	= ocfsx_set_acl,
	.setattr	= ocfsx_setattr,
};

const struct inode_operations ocfsx_symlink_iops = {
	.get_link	= page_get_link,
	.getattr	= ocfsx_getattr,
	.listxattr	= ocfsx_listxattr,
	.get_acl	= ocfsx_get_acl,
	.set_acl	= ocfsx_set_acl,
	.setattr	= ocfsx_setattr,
};

const struct inode_operations ocfsx_fast_symlink_iops = {
	.get_link	= simple_get_link,
	.getattr	= ocfsx_getattr,
	.listxattr	= ocfsx_listxattr,
	.get_acl	= ocfsx_get_acl,
	.set_acl	= ocfsx_set_acl,
	.setattr	= ocfsx_setattr,
};
