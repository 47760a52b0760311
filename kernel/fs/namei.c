// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace changes, each one jbd2 transaction under the inode locks:
 * directory entry insert/delete/retarget (inline bodies, conversion to
 * dirent blocks, unindexed block directories), inode allocation and
 * initialisation, create/mkdir/mknod/symlink/link/unlink/rmdir/rename,
 * and the orphan directory for unlinked-but-open inodes.
 */
#define pr_fmt(fmt) "ocfsx: " fmt

#include <linux/kernel.h>
#include <linux/namei.h>
#include <linux/posix_acl.h>
#include <linux/random.h>

#include "ocfsx.h"

/* Enough for any single namespace operation here (see docs/kernel-fs.md). */
#define OCFSX_NS_CREDITS	96

static u8 mode_to_ft(umode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:	return OCFSX_FT_REG;
	case S_IFDIR:	return OCFSX_FT_DIR;
	case S_IFCHR:	return OCFSX_FT_CHRDEV;
	case S_IFBLK:	return OCFSX_FT_BLKDEV;
	case S_IFIFO:	return OCFSX_FT_FIFO;
	case S_IFSOCK:	return OCFSX_FT_SOCK;
	case S_IFLNK:	return OCFSX_FT_SYMLINK;
	default:	return OCFSX_FT_UNKNOWN;
	}
}

/* ---- inode write-back inside a transaction ----------------------------- */

/* Copies the VFS/ocfsx inode into its block, journaled. */
int ocfsx_update_inode(handle_t *h, struct inode *inode)
{
	struct ocfsx_inode_info *oi = OCFSX_I(inode);
	struct buffer_head *bh;
	struct ocfsx_inode *di;
	int err;

	bh = ocfsx_read_inode_bh(inode);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	err = ocfsx_journal_access(h, bh, false);
	if (err)
		goto out;
	di = (void *)bh->b_data;
	di->i_mode = cpu_to_le16(inode->i_mode);
	di->i_uid = cpu_to_le32(i_uid_read(inode));
	di->i_gid = cpu_to_le32(i_gid_read(inode));
	di->i_links = cpu_to_le32(inode->i_nlink);
	di->i_size = cpu_to_le64(i_size_read(inode));
	di->i_clusters = cpu_to_le64(oi->clusters);
	di->i_atime = cpu_to_le64(inode->i_atime.tv_sec);
	di->i_atime_nsec = cpu_to_le32(inode->i_atime.tv_nsec);
	di->i_mtime = cpu_to_le64(inode->i_mtime.tv_sec);
	di->i_mtime_nsec = cpu_to_le32(inode->i_mtime.tv_nsec);
	di->i_ctime = cpu_to_le64(inode->i_ctime.tv_sec);
	di->i_ctime_nsec = cpu_to_le32(inode->i_ctime.tv_nsec);
	di->i_flags = cpu_to_le32(oi->flags);
	di->i_attr = cpu_to_le32(oi->attr);
	di->i_body_format = oi->body_format;
	di->i_dx_root = cpu_to_le64(oi->dx_root);
	di->i_last_leaf = cpu_to_le64(oi->last_leaf);
	di->i_version = cpu_to_le64(++oi->version);
	inode->i_blocks = oi->clusters << (OCFSX_SB(inode->i_sb)->cbits - 9);
	err = ocfsx_journal_dirty(h, inode->i_sb, bh, OCFSX_BT_INODE);
out:
	brelse(bh);
	return err;
}

/* ---- dirent regions ---------------------------------------------------- */

static struct ocfsx_dir_entry *de_at(void *region, u32 off)
{
	return region + off;
}

static u32 de_used(const struct ocfsx_dir_entry *de)
{
	return de->de_ino ? ocfsx_dir_rec_len(de->de_name_len) : 0;
}

static void fill_de(struct ocfsx_dir_entry *de, const char *name, u32 len,
		    u64 ino, u8 ft, u32 hash, u32 rec_len)
{
	u32 used = ocfsx_dir_rec_len(len);

	de->de_ino = cpu_to_le64(ino);
	de->de_rec_len = cpu_to_le16(rec_len);
	de->de_name_len = len;
	de->de_file_type = ft;
	de->de_hash = cpu_to_le32(hash);
	memcpy((u8 *)de + OCFSX_DIRENT_NAME_OFFSET, name, len);
	memset((u8 *)de + OCFSX_DIRENT_NAME_OFFSET + len, 0,
	       used - OCFSX_DIRENT_NAME_OFFSET - len);
}

/* Validates the whole region before anything is changed in it. */
int ocfsx_dirents_check(struct inode *dir, void *region, u32 len, u64 blkno)
{
	u32 off = 0, rl;

	while (off < len) {
		struct ocfsx_dir_entry *de = de_at(region, off);

		if (len - off < OCFSX_DIRENT_NAME_OFFSET)
			goto bad;
		rl = le16_to_cpu(de->de_rec_len);
		if (rl < OCFSX_DIRENT_NAME_OFFSET || rl % OCFSX_DIR_ALIGN ||
		    rl > len - off || (de->de_ino && (!de->de_name_len ||
		    ocfsx_dir_rec_len(de->de_name_len) > rl)))
			goto bad;
		off += rl;
	}
	return 0;
bad:
	ocfsx_error(dir->i_sb, "inode %lu: block %llu (%s): bad dirent at offset %u",
		    dir->i_ino, blkno ? blkno : dir->i_ino,
		    blkno ? "dirent block" : "inline directory", off);
	return -EFSCORRUPTED;
}

/*
 * Reads directory block lblk, or the inline body when inl, and checks its
 * entries: *region and *len then describe the entry area.
 */
static struct buffer_head *read_dir_region(struct inode *dir, u64 lblk,
					   bool inl, void **region, u32 *len)
{
	struct buffer_head *bh;
	u64 blkno = 0;
	int err;

	if (inl) {
		bh = ocfsx_read_inode_bh(dir);
		if (IS_ERR(bh))
			return bh;
		*region = bh->b_data + OCFSX_INODE_BODY_OFFSET;
		*len = dir->i_size;
	} else {
		bh = ocfsx_read_dir_block(dir, lblk);
		if (IS_ERR(bh))
			return bh;
		*region = bh->b_data;
		*len = ocfsx_dirent_area(dir->i_sb->s_blocksize);
		blkno = bh->b_blocknr;
	}
	err = ocfsx_dirents_check(dir, *region, *len, blkno);
	if (err) {
		brelse(bh);
		return ERR_PTR(err);
	}
	return bh;
}

/* Offset of the first record with room for a name of nlen, or -1. */
static int dirent_room(void *region, u32 len, u32 nlen)
{
	u32 need = ocfsx_dir_rec_len(nlen), off = 0;

	while (off < len) {
		struct ocfsx_dir_entry *de = de_at(region, off);
		u32 rl = le16_to_cpu(de->de_rec_len);

		if (rl - de_used(de) >= need)
			return off;
		off += rl;
	}
	return -1;
}

bool ocfsx_dirent_insert(void *region, u32 len, const char *name, u32 nlen,
			 u64 ino, u8 ft, u32 hash)
{
	int off = dirent_room(region, len, nlen);
	struct ocfsx_dir_entry *de;
	u32 rl, used;

	if (off < 0)
		return false;
	de = de_at(region, off);
	rl = le16_to_cpu(de->de_rec_len);
	used = de_used(de);
	if (!used) {
		fill_de(de, name, nlen, ino, ft, hash, rl);
	} else {
		de->de_rec_len = cpu_to_le16(used);
		fill_de(de_at(region, off + used), name, nlen, ino, ft, hash,
			rl - used);
	}
	return true;
}

/* Finds name; returns its offset and the previous record's, or -1. */
int ocfsx_dirent_find(void *region, u32 len, const char *name, u32 nlen,
		      u32 hash, u32 *prev)
{
	u32 off = 0, last = U32_MAX;

	while (off < len) {
		struct ocfsx_dir_entry *de = de_at(region, off);

		if (de->de_ino && de->de_name_len == nlen &&
		    le32_to_cpu(de->de_hash) == hash &&
		    !memcmp((u8 *)de + OCFSX_DIRENT_NAME_OFFSET, name, nlen)) {
			*prev = last;
			return off;
		}
		last = off;
		off += le16_to_cpu(de->de_rec_len);
	}
	return -1;
}

void ocfsx_dirent_remove(void *region, u32 off, u32 prev)
{
	struct ocfsx_dir_entry *de = de_at(region, off);

	if (prev == U32_MAX) {
		de->de_ino = 0;
		return;
	}
	le16_add_cpu(&de_at(region, prev)->de_rec_len,
		     le16_to_cpu(de->de_rec_len));
}

/* Trailer counts of a dirent block (format §9.2). */
void ocfsx_dir_trailer_refresh(struct super_block *sb, struct buffer_head *bh)
{
	u32 area = ocfsx_dirent_area(sb->s_blocksize), off = 0, best = 0;
	struct ocfsx_dir_trailer *t = (void *)bh->b_data + area;
	u32 live = 0;

	while (off < area) {
		struct ocfsx_dir_entry *de = de_at(bh->b_data, off);
		u32 rl = le16_to_cpu(de->de_rec_len);

		best = max(best, rl - de_used(de));
		live += de->de_ino != 0;
		off += rl;
	}
	t->dt_largest_free = cpu_to_le16(best);
	t->dt_live = cpu_to_le16(live);
}

/* ---- block directories ------------------------------------------------- */

/*
 * New empty dirent block at logical block lblk, allocating a cluster when
 * the directory's clusters are used up. Returned journaled-for-create.
 */
struct buffer_head *ocfsx_new_dir_block(handle_t *h, struct inode *dir,
					u64 lblk)
{
	struct super_block *sb = dir->i_sb;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct buffer_head *bh;
	u64 pblk = 0, pc;
	u32 got;
	int err;

	if ((lblk >> sbi->c2b_bits) < OCFSX_I(dir)->clusters) {
		err = ocfsx_bmap_block(dir, lblk, &pblk);
		if (err)
			return ERR_PTR(err);
	}
	if (!pblk) {
		err = ocfsx_alloc_clusters(h, sb, 1, 1, &pc, &got);
		if (err)
			return ERR_PTR(err);
		err = ocfsx_extent_insert(h, dir, lblk >> sbi->c2b_bits, pc, 1,
					  0);
		if (err) {
			ocfsx_free_clusters(h, sb, pc, 1);
			return ERR_PTR(err);
		}
		pblk = (pc << sbi->c2b_bits) +
		       (lblk & ((1ULL << sbi->c2b_bits) - 1));
	}
	/* The header goes in the trailer; ocfsx_init_header() knows where. */
	bh = ocfsx_new_meta(h, sb, pblk, OCFSX_BT_DIRBLOCK, dir->i_ino);
	if (IS_ERR(bh))
		return bh;
	de_at(bh->b_data, 0)->de_rec_len =
		cpu_to_le16(ocfsx_dirent_area(sb->s_blocksize));
	i_size_write(dir, (lblk + 1) << sb->s_blocksize_bits);
	return bh;
}

/* Inline directory -> one dirent block holding the same entries. */
static int convert_inline_dir(handle_t *h, struct inode *dir,
			      struct buffer_head *ibh)
{
	struct super_block *sb = dir->i_sb;
	struct ocfsx_inode_info *oi = OCFSX_I(dir);
	u32 len = dir->i_size, area = ocfsx_dirent_area(sb->s_blocksize);
	u32 body = ocfsx_body_size(sb, oi->xattr_inline), off = 0, last = 0;
	struct ocfsx_extent_hdr *eh;
	struct buffer_head *bh;
	void *copy;
	int err;

	copy = kmemdup(ibh->b_data + OCFSX_INODE_BODY_OFFSET, len, GFP_NOFS);
	if (!copy)
		return -ENOMEM;
	/* The body becomes an empty extent root before the block is added. */
	err = ocfsx_journal_access(h, ibh, false);
	if (err)
		goto out;
	memset(ibh->b_data + OCFSX_INODE_BODY_OFFSET, 0, body);
	eh = (void *)ibh->b_data + OCFSX_INODE_BODY_OFFSET;
	eh->eh_capacity = cpu_to_le16(ocfsx_inode_extent_recs(sb->s_blocksize,
							      oi->xattr_inline));
	err = ocfsx_journal_dirty(h, sb, ibh, OCFSX_BT_INODE);
	if (err)
		goto out;
	oi->body_format = OCFSX_BODY_EXTENTS;
	oi->last_leaf = 0;
	i_size_write(dir, 0);
	bh = ocfsx_new_dir_block(h, dir, 0);
	if (IS_ERR(bh)) {
		err = PTR_ERR(bh);
		goto out;
	}
	memcpy(bh->b_data, copy, len);
	while (off < len) {
		last = off;
		off += le16_to_cpu(de_at(bh->b_data, off)->de_rec_len);
	}
	le16_add_cpu(&de_at(bh->b_data, last)->de_rec_len, area - len);
	ocfsx_dir_trailer_refresh(sb, bh);
	err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_DIRBLOCK);
	brelse(bh);
	dir->i_mapping->a_ops = &ocfsx_aops;
out:
	kfree(copy);
	return err;
}

/* Adds name -> ino to dir (meta lock EX held, transaction open). */
int ocfsx_add_entry(handle_t *h, struct inode *dir, const char *name,
		    u32 nlen, u64 ino, umode_t mode)
{
	struct super_block *sb = dir->i_sb;
	u32 hash = (u32)siphash(name, nlen, &OCFSX_SB(sb)->dx_key);
	u32 area = ocfsx_dirent_area(sb->s_blocksize);
	u8 ft = mode_to_ft(mode);
	struct buffer_head *bh;
	u64 lblk, nblk;
	int err;

	if (OCFSX_I(dir)->body_format == OCFSX_BODY_INLINE) {
		bh = ocfsx_read_inode_bh(dir);
		if (IS_ERR(bh))
			return PTR_ERR(bh);
		err = ocfsx_dirents_check(dir, bh->b_data +
					  OCFSX_INODE_BODY_OFFSET,
					  dir->i_size, 0);
		if (err)
			goto out_inline;
		err = ocfsx_journal_access(h, bh, false);
		if (err)
			goto out_inline;
		if (ocfsx_dirent_insert(bh->b_data + OCFSX_INODE_BODY_OFFSET,
					dir->i_size, name, nlen, ino, ft,
					hash)) {
			err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_INODE);
			brelse(bh);
			goto done;
		}
		err = convert_inline_dir(h, dir, bh);
out_inline:
		brelse(bh);
		if (err)
			return err;
	}
	if (OCFSX_I(dir)->dx_root) {
		err = ocfsx_dx_add_entry(h, dir, name, nlen, ino, ft);
		goto done;
	}
	nblk = dir->i_size >> sb->s_blocksize_bits;
	for (lblk = 0; lblk <= nblk; lblk++) {
		void *region;
		u32 rlen;

		if (lblk == nblk && ocfsx_dx_wanted(dir)) {
			err = ocfsx_dx_build(h, dir);
			if (!err)
				err = ocfsx_dx_add_entry(h, dir, name, nlen, ino,
							 ft);
			goto done;
		}
		if (lblk == nblk) {
			bh = ocfsx_new_dir_block(h, dir, lblk);
			if (IS_ERR(bh))
				return PTR_ERR(bh);
		} else {
			bh = read_dir_region(dir, lblk, false, &region, &rlen);
			if (IS_ERR(bh))
				return PTR_ERR(bh);
			if (le16_to_cpu(((struct ocfsx_dir_trailer *)
			    (bh->b_data + area))->dt_largest_free) <
			    ocfsx_dir_rec_len(nlen)) {
				brelse(bh);
				continue;
			}
			err = ocfsx_journal_access(h, bh, false);
			if (err) {
				brelse(bh);
				return err;
			}
		}
		if (ocfsx_dirent_insert(bh->b_data, area, name, nlen, ino, ft,
					hash)) {
			ocfsx_dir_trailer_refresh(sb, bh);
			err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_DIRBLOCK);
			brelse(bh);
			goto done;
		}
		brelse(bh);
	}
	return -ENOSPC;
done:
	if (err)
		return err;
	dir->i_mtime = dir->i_ctime = current_time(dir);
	return ocfsx_update_inode(h, dir);
}

/*
 * Finds name in dir and applies op: remove it, or retarget it to new_ino.
 * Returns -ENOENT if absent.
 */
static int change_entry(handle_t *h, struct inode *dir, const char *name,
			u32 nlen, bool remove, u64 new_ino, u8 new_ft)
{
	struct super_block *sb = dir->i_sb;
	u32 hash = (u32)siphash(name, nlen, &OCFSX_SB(sb)->dx_key);
	bool inl = OCFSX_I(dir)->body_format == OCFSX_BODY_INLINE;
	struct buffer_head *bh;
	u64 lblk, nblk;
	u32 prev;
	void *region;
	u32 len;
	int off, err;

	if (!inl && OCFSX_I(dir)->dx_root) {
		err = ocfsx_dx_change_entry(h, dir, name, nlen, remove, new_ino,
					    new_ft);
		if (err)
			return err;
		dir->i_mtime = dir->i_ctime = current_time(dir);
		return ocfsx_update_inode(h, dir);
	}
	nblk = inl ? 1 : dir->i_size >> sb->s_blocksize_bits;
	for (lblk = 0; lblk < nblk; lblk++) {
		bh = read_dir_region(dir, lblk, inl, &region, &len);
		if (IS_ERR(bh))
			return PTR_ERR(bh);
		off = ocfsx_dirent_find(region, len, name, nlen, hash, &prev);
		if (off < 0) {
			brelse(bh);
			continue;
		}
		err = ocfsx_journal_access(h, bh, false);
		if (!err) {
			if (remove) {
				ocfsx_dirent_remove(region, off, prev);
			} else {
				de_at(region, off)->de_ino = cpu_to_le64(new_ino);
				de_at(region, off)->de_file_type = new_ft;
			}
			if (!inl)
				ocfsx_dir_trailer_refresh(sb, bh);
			err = ocfsx_journal_dirty(h, sb, bh, inl ? OCFSX_BT_INODE :
						  OCFSX_BT_DIRBLOCK);
		}
		brelse(bh);
		if (err)
			return err;
		dir->i_mtime = dir->i_ctime = current_time(dir);
		return ocfsx_update_inode(h, dir);
	}
	return -ENOENT;
}

int ocfsx_delete_entry(handle_t *h, struct inode *dir, const char *name,
		       u32 nlen)
{
	return change_entry(h, dir, name, nlen, true, 0, 0);
}

/* True if dir holds only "." and "..". */
static int dir_is_empty(struct inode *dir)
{
	struct super_block *sb = dir->i_sb;
	bool inl = OCFSX_I(dir)->body_format == OCFSX_BODY_INLINE;
	struct buffer_head *bh;
	u64 lblk, nblk;
	void *region;
	u32 len, off;
	int names = 0;

	nblk = inl ? 1 : dir->i_size >> sb->s_blocksize_bits;
	for (lblk = 0; lblk < nblk; lblk++) {
		bh = read_dir_region(dir, lblk, inl, &region, &len);
		if (IS_ERR(bh))
			return PTR_ERR(bh);
		for (off = 0; off < len;) {
			struct ocfsx_dir_entry *de = de_at(region, off);
			const char *n = (char *)de + OCFSX_DIRENT_NAME_OFFSET;

			if (de->de_ino && !(de->de_name_len == 1 && n[0] == '.') &&
			    !(de->de_name_len == 2 && n[0] == '.' && n[1] == '.'))
				names++;
			off += le16_to_cpu(de->de_rec_len);
		}
		brelse(bh);
		if (names)
			return 0;
	}
	return 1;
}

/* ---- inode creation ---------------------------------------------------- */

/*
 * Allocates and initialises a new inode block: with INLINE_DATA, an inline
 * body for regular files (empty), directories (with . and ..) and short
 * symlinks; extents otherwise.
 */
static struct inode *new_inode_trans(handle_t *h, struct inode *dir,
				     umode_t mode, dev_t rdev,
				     const char *symname, u32 symlen)
{
	struct super_block *sb = dir->i_sb;
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct ocfsx_alloc_origin o;
	struct ocfsx_inode *di;
	struct buffer_head *bh;
	struct inode *inode;
	u32 xs = sbi->inline_xattr, body;
	struct timespec64 now;
	u8 fmt;
	int err;

	inode = new_inode(sb);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	inode_init_owner(&init_user_ns, inode, dir, mode);
	err = ocfsx_alloc_block(h, sb, true, &o);
	if (err)
		goto fail;
	bh = sb_getblk(sb, o.blkno);
	if (!bh) {
		err = -ENOMEM;
		goto fail_free;
	}
	err = ocfsx_journal_access(h, bh, true);
	if (err) {
		brelse(bh);
		goto fail_free;
	}
	body = ocfsx_body_size(sb, xs);
	if (S_ISDIR(mode) || S_ISREG(mode) || (S_ISLNK(mode) && symlen <= body))
		fmt = (sbi->incompat & OCFSX_FEATURE_INCOMPAT_INLINE_DATA) ?
		      OCFSX_BODY_INLINE : OCFSX_BODY_EXTENTS;
	else if (S_ISLNK(mode))
		fmt = OCFSX_BODY_EXTENTS;
	else
		fmt = OCFSX_BODY_EMPTY;
	if (S_ISDIR(mode) && fmt != OCFSX_BODY_INLINE) {
		/* Block directories at creation need an extra path; every
		 * volume mkfs makes has INLINE_DATA. */
		brelse(bh);
		err = -EOPNOTSUPP;
		goto fail_free;
	}

	now = current_time(inode);
	lock_buffer(bh);
	memset(bh->b_data, 0, sb->s_blocksize);
	ocfsx_init_header(sb, bh->b_data, OCFSX_BT_INODE, o.blkno, o.blkno);
	di = (void *)bh->b_data;
	di->i_hdr.bh_alloc_group = cpu_to_le64(o.group);
	di->i_hdr.bh_alloc_bit = cpu_to_le32(o.bit);
	di->i_hdr.bh_alloc_slot = cpu_to_le16(o.slot);
	di->i_mode = cpu_to_le16(inode->i_mode);
	di->i_body_format = fmt;
	di->i_uid = cpu_to_le32(i_uid_read(inode));
	di->i_gid = cpu_to_le32(i_gid_read(inode));
	di->i_links = cpu_to_le32(S_ISDIR(mode) ? 2 : 1);
	di->i_atime = di->i_ctime = di->i_mtime = di->i_crtime =
		cpu_to_le64(now.tv_sec);
	di->i_atime_nsec = di->i_ctime_nsec = di->i_mtime_nsec =
		di->i_crtime_nsec = cpu_to_le32(now.tv_nsec);
	di->i_generation = cpu_to_le32(get_random_u32());
	di->i_flags = cpu_to_le32(OCFSX_IFL_VALID);
	di->i_xattr_inline_size = cpu_to_le16(xs);
	di->i_orphan_slot = cpu_to_le16(OCFSX_SLOT_NONE);
	di->i_sys_slot = cpu_to_le16(OCFSX_SLOT_NONE);
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		di->i_rdev_major = cpu_to_le32(MAJOR(rdev));
		di->i_rdev_minor = cpu_to_le32(MINOR(rdev));
	}
	if (xs) {
		struct ocfsx_xattr_header *xh = (void *)bh->b_data +
						sb->s_blocksize - xs;

		xh->xh_data_start = cpu_to_le16(xs);
		xh->xh_area_size = cpu_to_le16(xs);
	}
	if (fmt == OCFSX_BODY_EXTENTS) {
		struct ocfsx_extent_hdr *eh = (void *)bh->b_data +
					      OCFSX_INODE_BODY_OFFSET;

		eh->eh_capacity = cpu_to_le16(ocfsx_inode_extent_recs(
					sb->s_blocksize, xs));
	} else if (fmt == OCFSX_BODY_INLINE && S_ISDIR(mode)) {
		void *r = bh->b_data + OCFSX_INODE_BODY_OFFSET;
		u32 h1 = (u32)siphash(".", 1, &sbi->dx_key);
		u32 h2 = (u32)siphash("..", 2, &sbi->dx_key);

		fill_de(r, ".", 1, o.blkno, OCFSX_FT_DIR, h1,
			ocfsx_dir_rec_len(1));
		fill_de(r + ocfsx_dir_rec_len(1), "..", 2, dir->i_ino,
			OCFSX_FT_DIR, h2, body - ocfsx_dir_rec_len(1));
		di->i_size = cpu_to_le64(body);
	} else if (fmt == OCFSX_BODY_INLINE && S_ISLNK(mode)) {
		memcpy(bh->b_data + OCFSX_INODE_BODY_OFFSET, symname, symlen);
		di->i_size = cpu_to_le64(symlen);
	}
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	err = ocfsx_journal_dirty(h, sb, bh, OCFSX_BT_INODE);
	brelse(bh);
	if (err)
		goto fail_free;
	iput(inode);
	/* Read it back through the one path that builds inodes. */
	inode = ocfsx_iget(sb, o.blkno);
	if (!IS_ERR(inode))
		OCFSX_I(inode)->version = 0;
	return inode;
fail_free:
	{
		struct ocfsx_block_header hdr = {
			.bh_blkno = cpu_to_le64(o.blkno),
			.bh_alloc_group = cpu_to_le64(o.group),
			.bh_alloc_bit = cpu_to_le32(o.bit),
			.bh_alloc_slot = cpu_to_le16(o.slot),
		};

		ocfsx_free_block(h, sb, &hdr);
	}
fail:
	make_bad_inode(inode);
	iput(inode);
	return ERR_PTR(err);
}

/*
 * Whether adding a name of nlen to dir may take a new cluster: not when
 * an inline body or a dirent block of a directory without an index has
 * room. An indexed directory may always need one (a full leaf).
 */
static bool dir_may_grow(struct inode *dir, u32 nlen)
{
	struct super_block *sb = dir->i_sb;
	bool inl = OCFSX_I(dir)->body_format == OCFSX_BODY_INLINE;
	u32 area = ocfsx_dirent_area(sb->s_blocksize);
	u64 lblk, nblk = inl ? 1 : dir->i_size >> sb->s_blocksize_bits;
	struct buffer_head *bh;
	bool room = false;
	void *region;
	u32 len;

	if (!inl && OCFSX_I(dir)->dx_root)
		return true;
	for (lblk = 0; lblk < nblk && !room; lblk++) {
		bh = read_dir_region(dir, lblk, inl, &region, &len);
		if (IS_ERR(bh))
			return true;	/* add_entry reports it */
		room = inl ? dirent_room(region, len, nlen) >= 0 :
		       le16_to_cpu(((struct ocfsx_dir_trailer *)
				    (bh->b_data + area))->dt_largest_free) >=
		       ocfsx_dir_rec_len(nlen);
		brelse(bh);
	}
	return !room;
}

/*
 * Before the first change of a namespace operation (dir meta lock EX
 * held): when it may need a new cluster, one must be available now.
 * ENOSPC then comes while nothing is changed yet, so the operation ends
 * cleanly and ocfsx_retry_enospc() can commit the journal (which makes
 * space freed by uncommitted transactions usable) and run it again;
 * half-way it would have to abort the journal.
 */
static int ns_space_check(handle_t *h, struct inode *dir, u32 nlen,
			  bool cluster)
{
	if (!cluster && !dir_may_grow(dir, nlen))
		return 0;
	return ocfsx_cluster_available(h, dir->i_sb);
}

static int create_once(struct inode *dir, struct dentry *dentry,
		       umode_t mode, dev_t rdev, const char *symname)
{
	struct super_block *sb = dir->i_sb;
	u32 symlen = symname ? strlen(symname) : 0;
	struct posix_acl *acl = NULL, *dacl = NULL;
	struct inode *inode = NULL;
	handle_t *h;
	int err, err2;

	if (dentry->d_name.len > OCFSX_NAME_MAX)
		return -ENAMETOOLONG;
	if (S_ISDIR(mode) && dir->i_nlink >= OCFSX_LINK_MAX)
		return -EMLINK;
	/* Applies the umask, or the parent's default ACL. */
	if (!S_ISLNK(mode)) {
		err = posix_acl_create(dir, &mode, &dacl, &acl);
		if (err)
			return err;
	}
	err = ocfsx_inode_lock(dir, OCFSX_LKM_EX);
	if (err)
		goto out_acl;
	h = ocfsx_start_trans(sb, OCFSX_NS_CREDITS);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
		goto out_unlock;
	}
	/* A symlink too long for the inode body takes a cluster. */
	err = ns_space_check(h, dir, dentry->d_name.len, symlen >
			     ocfsx_body_size(sb, OCFSX_SB(sb)->inline_xattr));
	inode = err ? ERR_PTR(err) :
		new_inode_trans(h, dir, mode, rdev, symname, symlen);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto out_stop;
	}
	if (S_ISLNK(mode) && OCFSX_I(inode)->body_format == OCFSX_BODY_EXTENTS) {
		/* Through the page cache (nested handle, data=ordered), so
		 * readlink sees it before the journal is checkpointed. */
		err = page_symlink(inode, symname, symlen + 1);
		if (err)
			goto out_bad;
	}
	if (acl || dacl) {
		err = ocfsx_init_acl(inode, acl, dacl);
		if (err)
			goto out_bad;
	}
	err = ocfsx_add_entry(h, dir, dentry->d_name.name, dentry->d_name.len,
			      inode->i_ino, mode);
	if (err)
		goto out_bad;
	if (S_ISDIR(mode)) {
		inc_nlink(dir);
		err = ocfsx_update_inode(h, dir);
		if (err)
			goto out_bad;
	}
	err = ocfsx_commit_trans(h);
	ocfsx_inode_unlock(dir, OCFSX_LKM_EX);
	posix_acl_release(acl);
	posix_acl_release(dacl);
	if (err) {
		iput(inode);
		return err;
	}
	d_instantiate(dentry, inode);
	return 0;
out_bad:
	/* The transaction is aborted below, so the inode never existed;
	 * without ORPHANED, evict leaves it alone. */
	clear_nlink(inode);
	iput(inode);
out_stop:
	/* A failed inode allocation changed nothing half-way: just stop. */
	if (!IS_ERR_OR_NULL(inode) || (err != -ENOSPC && err != -EDQUOT)) {
		ocfsx_abort_trans(sb, err);
		ocfsx_error(sb, "inode %lu: block %lu (inode): creating '%pd' failed with error %d; journal aborted",
			    dir->i_ino, dir->i_ino, dentry, err);
	}
	err2 = ocfsx_commit_trans(h);
	(void)err2;
out_unlock:
	ocfsx_inode_unlock(dir, OCFSX_LKM_EX);
out_acl:
	posix_acl_release(acl);
	posix_acl_release(dacl);
	return err;
}

static int create_common(struct inode *dir, struct dentry *dentry,
			 umode_t mode, dev_t rdev, const char *symname)
{
	return ocfsx_retry_enospc(dir->i_sb,
				  create_once(dir, dentry, mode, rdev, symname));
}

static int ocfsx_create(struct user_namespace *ns, struct inode *dir,
			struct dentry *dentry, umode_t mode, bool excl)
{
	return create_common(dir, dentry, mode, 0, NULL);
}

static int ocfsx_mkdir(struct user_namespace *ns, struct inode *dir,
		       struct dentry *dentry, umode_t mode)
{
	return create_common(dir, dentry, S_IFDIR | mode, 0, NULL);
}

static int ocfsx_mknod(struct user_namespace *ns, struct inode *dir,
		       struct dentry *dentry, umode_t mode, dev_t rdev)
{
	return create_common(dir, dentry, mode, rdev, NULL);
}

static int ocfsx_symlink(struct user_namespace *ns, struct inode *dir,
			 struct dentry *dentry, const char *symname)
{
	if (strlen(symname) + 1 > dir->i_sb->s_blocksize)
		return -ENAMETOOLONG;
	return create_common(dir, dentry, S_IFLNK | 0777, 0, symname);
}

static int link_once(struct dentry *old, struct inode *dir,
		     struct dentry *dentry)
{
	struct inode *inode = d_inode(old);
	handle_t *h;
	int err;

	if (inode->i_nlink >= OCFSX_LINK_MAX)
		return -EMLINK;
	err = ocfsx_inode_lock2(dir, inode, OCFSX_LKM_EX);
	if (err)
		return err;
	h = ocfsx_start_trans(dir->i_sb, OCFSX_NS_CREDITS);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
		goto out;
	}
	err = ns_space_check(h, dir, dentry->d_name.len, false);
	if (err) {
		ocfsx_commit_trans(h);
		goto out;
	}
	err = ocfsx_add_entry(h, dir, dentry->d_name.name, dentry->d_name.len,
			      inode->i_ino, inode->i_mode);
	if (!err) {
		inc_nlink(inode);
		inode->i_ctime = current_time(inode);
		err = ocfsx_update_inode(h, inode);
	}
	if (err)
		ocfsx_abort_trans(dir->i_sb, err);
	ocfsx_commit_trans(h);
	if (!err) {
		ihold(inode);
		d_instantiate(dentry, inode);
	}
out:
	ocfsx_inode_unlock2(dir, inode, OCFSX_LKM_EX);
	return err;
}

static int ocfsx_link(struct dentry *old, struct inode *dir,
		      struct dentry *dentry)
{
	return ocfsx_retry_enospc(dir->i_sb, link_once(old, dir, dentry));
}

/* Orphan entries are named by the inode number in 16 hex digits (§15). */
static void orphan_name(char *buf, u64 ino)
{
	snprintf(buf, OCFSX_ORPHAN_NAME_LEN + 1, "%016llx", ino);
}

/* The orphan fields the in-memory inode does not carry, then the rest. */
static int set_orphan_fields(handle_t *h, struct inode *inode, u16 slot,
			     u64 dtime)
{
	struct buffer_head *bh = ocfsx_read_inode_bh(inode);
	int err;

	if (IS_ERR(bh))
		return PTR_ERR(bh);
	err = ocfsx_journal_access(h, bh, false);
	if (!err) {
		struct ocfsx_inode *di = (void *)bh->b_data;

		di->i_orphan_slot = cpu_to_le16(slot);
		di->i_dtime = cpu_to_le64(dtime);
		err = ocfsx_journal_dirty(h, inode->i_sb, bh, OCFSX_BT_INODE);
	}
	brelse(bh);
	return err ? err : ocfsx_update_inode(h, inode);
}

/*
 * Parks the inode in our orphan dir: its last link is gone (freed at
 * evict), or with OCFSX_IFL_TRUNCATE_PENDING a truncate spans several
 * transactions (finished by the next mount after a crash).
 */
int ocfsx_orphan_add(handle_t *h, struct inode *inode, u32 flags)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(inode->i_sb);
	char name[OCFSX_ORPHAN_NAME_LEN + 1];
	int err;

	orphan_name(name, inode->i_ino);
	err = ocfsx_inode_lock(sbi->orphan_dir, OCFSX_LKM_EX);
	if (err)
		return err;
	err = ocfsx_add_entry(h, sbi->orphan_dir, name, OCFSX_ORPHAN_NAME_LEN,
			      inode->i_ino, inode->i_mode);
	ocfsx_inode_unlock(sbi->orphan_dir, OCFSX_LKM_EX);
	if (err)
		return err;
	OCFSX_I(inode)->flags |= OCFSX_IFL_ORPHANED | flags;
	return set_orphan_fields(h, inode, sbi->slot, ktime_get_real_seconds());
}

int ocfsx_orphan_del(handle_t *h, struct inode *inode)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(inode->i_sb);
	char name[OCFSX_ORPHAN_NAME_LEN + 1];
	int err;

	orphan_name(name, inode->i_ino);
	err = ocfsx_inode_lock(sbi->orphan_dir, OCFSX_LKM_EX);
	if (err)
		return err;
	err = ocfsx_delete_entry(h, sbi->orphan_dir, name,
				 OCFSX_ORPHAN_NAME_LEN);
	ocfsx_inode_unlock(sbi->orphan_dir, OCFSX_LKM_EX);
	return err;
}

/* A linked orphan is done (its pending truncate finished): unpark it. */
int ocfsx_orphan_clear(handle_t *h, struct inode *inode)
{
	int err = ocfsx_orphan_del(h, inode);

	if (err)
		return err;
	OCFSX_I(inode)->flags &= ~(OCFSX_IFL_ORPHANED |
				   OCFSX_IFL_TRUNCATE_PENDING);
	return set_orphan_fields(h, inode, OCFSX_SLOT_NONE, 0);
}

struct orphan_scan {
	struct dir_context ctx;
	u64 *inos;
	unsigned int n, cap;
	int err;
};

static bool note_orphan(struct dir_context *ctx, const char *name, int len,
			loff_t pos, u64 ino, unsigned int type)
{
	struct orphan_scan *os = container_of(ctx, struct orphan_scan, ctx);
	u64 *more;

	if (len != OCFSX_ORPHAN_NAME_LEN)
		return true;		/* . and .. */
	if (os->n == os->cap) {
		more = krealloc_array(os->inos, os->cap ? 2 * os->cap : 16,
				      sizeof(*more), GFP_KERNEL);
		if (!more) {
			os->err = -ENOMEM;
			return false;
		}
		os->inos = more;
		os->cap = os->cap ? 2 * os->cap : 16;
	}
	os->inos[os->n++] = ino;
	return true;
}

/*
 * Mount: what a crash left in our orphan dir. Unlinked inodes are freed
 * (their last iput evicts them), truncates it cut short are finished.
 * The names are collected first, since both delete their own entry.
 * Whatever fails is left to fsck.ocfsx, with one line.
 */
void ocfsx_orphan_recover(struct super_block *sb)
{
	struct ocfsx_sb_info *sbi = OCFSX_SB(sb);
	struct orphan_scan os = { .ctx.actor = note_orphan };
	unsigned int i, freed = 0, finished = 0;
	int err;

	if (sb_rdonly(sb) || !sbi->journal)
		return;
	err = ocfsx_dir_iterate(sbi->orphan_dir, &os.ctx) ?: os.err;
	for (i = 0; !err && i < os.n; i++) {
		struct inode *inode = ocfsx_iget(sb, os.inos[i]);
		struct ocfsx_inode_info *oi;

		if (IS_ERR(inode)) {
			err = PTR_ERR(inode);
			break;
		}
		oi = OCFSX_I(inode);
		if (!(oi->flags & OCFSX_IFL_ORPHANED)) {
			pr_warn("%s: inode %lu is in the orphan directory of slot %d but not marked orphaned; leaving it for fsck.ocfsx\n",
				sb->s_id, inode->i_ino, sbi->slot);
		} else if (!inode->i_nlink) {
			freed++;	/* iput() below evicts it */
		} else {
			err = ocfsx_finish_truncate(inode);
			finished += !err;
		}
		iput(inode);
	}
	kfree(os.inos);
	if (err)
		pr_err("%s: processing the orphans of slot %d failed (error %d): fsck.ocfsx will finish them\n",
		       sb->s_id, sbi->slot, err);
	else if (os.n)
		pr_info("%s: slot %d: %u orphans freed, %u cut-short truncates finished\n",
			sb->s_id, sbi->slot, freed, finished);
}

/* Drops one link of inode (and of dir for a directory), in handle h. */
static int drop_link(handle_t *h, struct inode *dir, struct inode *inode)
{
	int err;

	inode->i_ctime = current_time(inode);
	if (S_ISDIR(inode->i_mode)) {
		clear_nlink(inode);
		drop_nlink(dir);
		err = ocfsx_update_inode(h, dir);
		if (err)
			return err;
	} else {
		drop_nlink(inode);
	}
	if (inode->i_nlink == 0)
		return ocfsx_orphan_add(h, inode, 0);
	return ocfsx_update_inode(h, inode);
}

static int remove_common(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	handle_t *h;
	int err;

	err = ocfsx_inode_lock2(dir, inode, OCFSX_LKM_EX);
	if (err)
		return err;
	if (S_ISDIR(inode->i_mode)) {
		err = dir_is_empty(inode);
		if (err <= 0) {
			err = err ? err : -ENOTEMPTY;
			goto out;
		}
	}
	h = ocfsx_start_trans(dir->i_sb, OCFSX_NS_CREDITS);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
		goto out;
	}
	err = ocfsx_delete_entry(h, dir, dentry->d_name.name,
				 dentry->d_name.len);
	if (!err)
		err = drop_link(h, dir, inode);
	if (err)
		ocfsx_abort_trans(dir->i_sb, err);
	ocfsx_commit_trans(h);
out:
	ocfsx_inode_unlock2(dir, inode, OCFSX_LKM_EX);
	return err;
}

static int ocfsx_unlink(struct inode *dir, struct dentry *dentry)
{
	return remove_common(dir, dentry);
}

static int ocfsx_rmdir(struct inode *dir, struct dentry *dentry)
{
	return remove_common(dir, dentry);
}

/*
 * rename(2) with RENAME_NOREPLACE and RENAME_EXCHANGE. The VFS holds the
 * rename lock for cross-directory moves, so the directories cannot race;
 * the meta locks go on in blkno order.
 */
static int rename_once(struct inode *odir, struct dentry *odent,
		       struct inode *ndir, struct dentry *ndent,
		       unsigned int flags)
{
	struct inode *old = d_inode(odent), *target = d_inode(ndent);
	struct inode *locks[4] = { odir, ndir, old, target };
	bool exchange = flags & RENAME_EXCHANGE;
	bool dir_moves = S_ISDIR(old->i_mode) && odir != ndir;
	handle_t *h;
	int i, j, n = 0, err;
	struct inode *sorted[4];

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		if (!locks[i])
			continue;
		for (j = 0; j < n && sorted[j] != locks[i]; j++)
			;
		if (j == n)
			sorted[n++] = locks[i];
	}
	for (i = 1; i < n; i++)		/* insertion sort by blkno */
		for (j = i; j > 0 && sorted[j - 1]->i_ino > sorted[j]->i_ino; j--)
			swap(sorted[j - 1], sorted[j]);
	for (i = 0; i < n; i++)
		ocfsx_inode_lock(sorted[i], OCFSX_LKM_EX);

	if (target && !exchange && S_ISDIR(target->i_mode)) {
		err = dir_is_empty(target);
		if (err <= 0) {
			err = err ? err : -ENOTEMPTY;
			goto out_unlock;
		}
	}
	if (!exchange && dir_moves && !target &&
	    ndir->i_nlink >= OCFSX_LINK_MAX) {
		err = -EMLINK;
		goto out_unlock;
	}
	h = ocfsx_start_trans(odir->i_sb, OCFSX_NS_CREDITS * 2);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
		goto out_unlock;
	}
	/* Only a new name takes room: exchange and replace retarget. */
	if (!exchange && !target) {
		err = ns_space_check(h, ndir, ndent->d_name.len, false);
		if (err) {
			ocfsx_commit_trans(h);
			goto out_unlock;
		}
	}
	if (exchange) {
		err = change_entry(h, odir, odent->d_name.name, odent->d_name.len,
				   false, target->i_ino,
				   mode_to_ft(target->i_mode));
		if (!err)
			err = change_entry(h, ndir, ndent->d_name.name,
					   ndent->d_name.len, false, old->i_ino,
					   mode_to_ft(old->i_mode));
		if (!err && odir != ndir) {
			if (S_ISDIR(old->i_mode))
				err = change_entry(h, old, "..", 2, false,
						   ndir->i_ino, OCFSX_FT_DIR);
			if (!err && S_ISDIR(target->i_mode))
				err = change_entry(h, target, "..", 2, false,
						   odir->i_ino, OCFSX_FT_DIR);
			if (!err && S_ISDIR(old->i_mode) !=
			    S_ISDIR(target->i_mode)) {
				if (S_ISDIR(old->i_mode)) {
					inc_nlink(ndir);
					drop_nlink(odir);
				} else {
					inc_nlink(odir);
					drop_nlink(ndir);
				}
				err = ocfsx_update_inode(h, odir);
				if (!err)
					err = ocfsx_update_inode(h, ndir);
			}
		}
		old->i_ctime = target->i_ctime = current_time(old);
		if (!err)
			err = ocfsx_update_inode(h, old);
		if (!err)
			err = ocfsx_update_inode(h, target);
		goto done;
	}
	if (target) {
		err = change_entry(h, ndir, ndent->d_name.name, ndent->d_name.len,
				   false, old->i_ino, mode_to_ft(old->i_mode));
		if (!err)
			err = drop_link(h, ndir, target);
	} else {
		err = ocfsx_add_entry(h, ndir, ndent->d_name.name,
				      ndent->d_name.len, old->i_ino,
				      old->i_mode);
	}
	if (!err)
		err = ocfsx_delete_entry(h, odir, odent->d_name.name,
					 odent->d_name.len);
	if (!err && dir_moves) {
		err = change_entry(h, old, "..", 2, false, ndir->i_ino,
				   OCFSX_FT_DIR);
		if (!err) {
			/* A replaced dir target already dropped its link
			 * in ndir; the moved dir always brings one. */
			drop_nlink(odir);
			inc_nlink(ndir);
			err = ocfsx_update_inode(h, odir);
			if (!err)
				err = ocfsx_update_inode(h, ndir);
		}
	}
	if (!err) {
		old->i_ctime = current_time(old);
		err = ocfsx_update_inode(h, old);
	}
done:
	if (err)
		ocfsx_abort_trans(odir->i_sb, err);
	ocfsx_commit_trans(h);
out_unlock:
	for (i = n - 1; i >= 0; i--)
		ocfsx_inode_unlock(sorted[i], OCFSX_LKM_EX);
	return err;
}

static int ocfsx_rename(struct user_namespace *ns, struct inode *odir,
			struct dentry *odent, struct inode *ndir,
			struct dentry *ndent, unsigned int flags)
{
	return ocfsx_retry_enospc(odir->i_sb, rename_once(odir, odent, ndir,
							  ndent, flags));
}

const struct inode_operations ocfsx_dir_iops = {
	.lookup		= ocfsx_lookup,
	.create		= ocfsx_create,
	.mkdir		= ocfsx_mkdir,
	.mknod		= ocfsx_mknod,
	.symlink	= ocfsx_symlink,
	.link		= ocfsx_link,
	.unlink		= ocfsx_unlink,
	.rmdir		= ocfsx_rmdir,
	.rename		= ocfsx_rename,
	.getattr	= ocfsx_getattr,
	.listxattr	= ocfsx_listxattr,
	.get_acl	= ocfsx_get_acl,
	.set_acl	= ocfsx_set_acl,
	.setattr	= ocfsx_setattr,
};
