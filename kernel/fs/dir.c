// SPDX-License-Identifier: GPL-2.0
/*
 * Directories (format §9): entries in the inline body or in dirent blocks
 * with a trailer, readdir by byte offset, lookup by linear scan or through
 * the SipHash-keyed dx B+tree (dxdir.c).
 */
#include <linux/kernel.h>
#include <linux/namei.h>

#include "ocfsx.h"

static const unsigned char ft_to_dt[OCFSX_FT_MAX] = {
	[OCFSX_FT_UNKNOWN] = DT_UNKNOWN, [OCFSX_FT_REG] = DT_REG,
	[OCFSX_FT_DIR] = DT_DIR, [OCFSX_FT_CHRDEV] = DT_CHR,
	[OCFSX_FT_BLKDEV] = DT_BLK, [OCFSX_FT_FIFO] = DT_FIFO,
	[OCFSX_FT_SOCK] = DT_SOCK, [OCFSX_FT_SYMLINK] = DT_LNK,
};

/* Is the record at off sane within a region of len bytes? */
static bool dirent_ok(const void *region, u32 len, u32 off)
{
	const struct ocfsx_dir_entry *de = region + off;
	u32 rl;

	if (len - off < OCFSX_DIRENT_NAME_OFFSET)
		return false;
	rl = le16_to_cpu(de->de_rec_len);
	if (rl < OCFSX_DIRENT_NAME_OFFSET || rl % OCFSX_DIR_ALIGN ||
	    rl > len - off)
		return false;
	if (de->de_ino && (de->de_name_len == 0 ||
			   ocfsx_dir_rec_len(de->de_name_len) > rl))
		return false;
	return true;
}

static void bad_dirent(struct inode *dir, u64 blkno, u32 off)
{
	if (blkno)
		ocfsx_error(dir->i_sb, "inode %lu: block %llu (dirent block): bad dirent at offset %u",
			    dir->i_ino, blkno, off);
	else
		ocfsx_error(dir->i_sb, "inode %lu: block %lu (inline directory): bad dirent at offset %u",
			    dir->i_ino, dir->i_ino, off);
}

/* The dirent block at logical block lblk, verified (owner = dir). */
struct buffer_head *ocfsx_read_dir_block(struct inode *dir, u64 lblk)
{
	u64 pblk;
	int err;

	err = ocfsx_bmap_block(dir, lblk, &pblk);
	if (err)
		return ERR_PTR(err);
	if (!pblk) {
		ocfsx_error(dir->i_sb, "inode %lu: directory block %llu is a hole",
			    dir->i_ino, lblk);
		return ERR_PTR(-EFSCORRUPTED);
	}
	return ocfsx_read_meta(dir->i_sb, pblk, OCFSX_BT_DIRBLOCK, dir->i_ino);
}

/*
 * Emits the entries of one region starting at byte start (a cookie), with
 * base the region's offset in the directory. Returns false when the
 * caller's buffer is full.
 */
static int emit_region(struct inode *dir, struct dir_context *ctx,
		       const void *region, u32 len, u64 base, u64 blkno,
		       bool *full)
{
	u32 start = ctx->pos - base;
	u32 off = 0;

	*full = false;
	while (off < len) {
		const struct ocfsx_dir_entry *de = region + off;
		u32 rl;

		if (!dirent_ok(region, len, off)) {
			bad_dirent(dir, blkno, off);
			/*
			 * getdents drops the error when it already has
			 * entries: the next call must start at the bad
			 * record, not re-emit the last good one forever.
			 */
			if (off > start)
				ctx->pos = base + off;
			return -EFSCORRUPTED;
		}
		rl = le16_to_cpu(de->de_rec_len);
		/* Cookies from an older walk may sit mid-record: skip to
		 * the first record at or after it. */
		if (off >= start && de->de_ino) {
			unsigned char ft = de->de_file_type < OCFSX_FT_MAX ?
					   ft_to_dt[de->de_file_type] :
					   DT_UNKNOWN;

			ctx->pos = base + off;
			if (!dir_emit(ctx, (const char *)de +
				      OCFSX_DIRENT_NAME_OFFSET,
				      de->de_name_len,
				      le64_to_cpu(de->de_ino), ft)) {
				*full = true;
				return 0;
			}
		}
		off += rl;
	}
	ctx->pos = base + len;
	return 0;
}

/* Emits dir's entries from ctx->pos on; also for mount's orphan scan. */
int ocfsx_dir_iterate(struct inode *dir, struct dir_context *ctx)
{
	struct super_block *sb = dir->i_sb;
	u32 area = ocfsx_dirent_area(sb->s_blocksize);
	struct buffer_head *bh;
	bool full = false;
	int err;

	err = ocfsx_inode_lock(dir, OCFSX_LKM_PR);
	if (err)
		return err;
	if (OCFSX_I(dir)->body_format == OCFSX_BODY_INLINE) {
		if (ctx->pos >= dir->i_size)
			goto out;
		bh = ocfsx_read_inode_bh(dir);
		if (IS_ERR(bh)) {
			err = PTR_ERR(bh);
			goto out;
		}
		err = emit_region(dir, ctx, bh->b_data +
				  OCFSX_INODE_BODY_OFFSET, dir->i_size, 0, 0,
				  &full);
		brelse(bh);
		goto out;
	}
	while (ctx->pos < dir->i_size) {
		u64 lblk = ctx->pos >> sb->s_blocksize_bits;
		u64 base = lblk << sb->s_blocksize_bits;

		if (ctx->pos - base >= area) {
			ctx->pos = base + sb->s_blocksize;
			continue;
		}
		bh = ocfsx_read_dir_block(dir, lblk);
		if (IS_ERR(bh)) {
			err = PTR_ERR(bh);
			break;
		}
		err = emit_region(dir, ctx, bh->b_data, area, base,
				  bh->b_blocknr, &full);
		brelse(bh);
		if (err || full)
			break;
		ctx->pos = base + sb->s_blocksize;
	}
out:
	ocfsx_inode_unlock(dir, OCFSX_LKM_PR);
	return err;
}

static int ocfsx_readdir(struct file *file, struct dir_context *ctx)
{
	return ocfsx_dir_iterate(file_inode(file), ctx);
}

/* Searches one region for name; *ino = 0 if absent. */
static int find_in_region(struct inode *dir, const void *region, u32 len,
			  u64 blkno, const char *name, unsigned int nlen,
			  u32 hash, u64 *ino)
{
	u32 off = 0;

	while (off < len) {
		const struct ocfsx_dir_entry *de = region + off;

		if (!dirent_ok(region, len, off)) {
			bad_dirent(dir, blkno, off);
			return -EFSCORRUPTED;
		}
		if (de->de_ino && de->de_name_len == nlen &&
		    le32_to_cpu(de->de_hash) == hash &&
		    !memcmp((const char *)de + OCFSX_DIRENT_NAME_OFFSET,
			    name, nlen)) {
			*ino = le64_to_cpu(de->de_ino);
			return 0;
		}
		off += le16_to_cpu(de->de_rec_len);
	}
	return 0;
}

/* Searches dirent block pblk of dir for name; *ino = 0 if absent. */
int ocfsx_dir_find_in_block(struct inode *dir, u64 pblk, const char *name,
			    unsigned int nlen, u32 hash, u64 *ino)
{
	struct buffer_head *bh;
	int err;

	bh = ocfsx_read_meta(dir->i_sb, pblk, OCFSX_BT_DIRBLOCK, dir->i_ino);
	if (IS_ERR(bh))
		return PTR_ERR(bh);
	err = find_in_region(dir, bh->b_data,
			     ocfsx_dirent_area(dir->i_sb->s_blocksize), pblk,
			     name, nlen, hash, ino);
	brelse(bh);
	return err;
}

/* Looks name up in dir (meta lock held by the caller); *ino = 0: absent. */
int ocfsx_dir_lookup_ino(struct inode *dir, const char *name,
			 unsigned int len, u64 *ino)
{
	struct super_block *sb = dir->i_sb;
	u64 hash = siphash(name, len, &OCFSX_SB(sb)->dx_key);
	struct buffer_head *bh;
	u64 lblk, nblk;
	int err;

	*ino = 0;
	if (OCFSX_I(dir)->body_format == OCFSX_BODY_INLINE) {
		bh = ocfsx_read_inode_bh(dir);
		if (IS_ERR(bh))
			return PTR_ERR(bh);
		err = find_in_region(dir, bh->b_data + OCFSX_INODE_BODY_OFFSET,
				     dir->i_size, 0, name, len, (u32)hash, ino);
		brelse(bh);
		return err;
	}
	if (OCFSX_I(dir)->dx_root)
		return ocfsx_dx_find(dir, name, len, ino, NULL);
	nblk = dir->i_size >> sb->s_blocksize_bits;
	for (lblk = 0; lblk < nblk; lblk++) {
		bh = ocfsx_read_dir_block(dir, lblk);
		if (IS_ERR(bh))
			return PTR_ERR(bh);
		err = find_in_region(dir, bh->b_data,
				     ocfsx_dirent_area(sb->s_blocksize),
				     bh->b_blocknr, name, len, (u32)hash, ino);
		brelse(bh);
		if (err || *ino)
			return err;
	}
	return 0;
}

struct dentry *ocfsx_lookup(struct inode *dir, struct dentry *dentry,
			    unsigned int flags)
{
	struct inode *inode = NULL;
	u64 ino;
	int err;

	if (dentry->d_name.len > OCFSX_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	err = ocfsx_inode_lock(dir, OCFSX_LKM_PR);
	if (err)
		return ERR_PTR(err);
	err = ocfsx_dir_lookup_ino(dir, dentry->d_name.name,
				   dentry->d_name.len, &ino);
	ocfsx_inode_unlock(dir, OCFSX_LKM_PR);
	if (err)
		return ERR_PTR(err);
	if (ino) {
		inode = ocfsx_iget(dir->i_sb, ino);
		if (IS_ERR(inode))
			return ERR_CAST(inode);
	}
	return d_splice_alias(inode, dentry);
}

const struct file_operations ocfsx_dir_fops = {
	.llseek		= generic_file_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= ocfsx_readdir,
	/* Entries are journaled: a directory fsync is a journal commit. */
	.fsync		= ocfsx_fsync,
};
